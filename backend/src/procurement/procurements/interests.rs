//! Who follows a procurement: providers' registered interest, and the people told of its
//! changes and published clarifications.

use super::*;

/// Emails `message` to everyone whose organisation registered interest in the
/// procurement or started a bid for it, saying that is why.
pub(super) async fn tell_bidders<M: mail::Message>(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    competition: &Competition,
    message: &M,
) -> Result<()> {
    for recipient in interested_users(conn, competition.id).await? {
        let email = Email::new(
            message,
            recipient,
            format!(
                "You received this email because your organisation registered interest in {} or started a bid for it.",
                competition.reference
            ),
        );
        mail::enqueue(conn, mail_context, email).await?;
    }
    Ok(())
}

/// Active users of organisations that registered interest in, or started a bid for, a
/// procurement: who is told of changes and published clarifications.
pub async fn interested_users(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Vec<Recipient>> {
    let orgs = procurement_interests::table
        .filter(procurement_interests::procurement_id.eq(id))
        .select(procurement_interests::organisation_id);
    let rows: Vec<(String, String, Uuid)> = users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Provider))
        .filter(
            users::organisation_id
                .eq_any(orgs)
                .or(users::organisation_id.eq_any(
                    submissions::table
                        .filter(submissions::competition_id.eq(id))
                        .select(submissions::organisation_id),
                )),
        )
        .order(users::email)
        .select((users::email, users::name, users::id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(Recipient::from).collect())
}

/// Registers the provider's interest, so that it hears of changes and published
/// clarifications. Repeating it changes nothing. Starting a bid registers it too.
pub(in crate::procurement) async fn note_interest(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<bool> {
    let n = diesel::insert_into(procurement_interests::table)
        .values((
            procurement_interests::procurement_id.eq(id),
            procurement_interests::organisation_id.eq(user.organisation_id),
            procurement_interests::user_id.eq(user.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Registers the provider's interest in a procurement open for bids.
pub async fn register_interest(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<()> {
    user.require(&[Role::Provider])?;
    conn.transaction(async |tx| {
        let (row, _) = load(tx, Some(user), id).await?;
        if row.status(engine::db_now(tx).await?) != ProcurementStatus::Open {
            return Err(ProcurementError::refused(
                Refusal::NotOpen,
                "This opportunity is not open for bids.",
            ));
        }
        if note_interest(tx, user, id).await? {
            audit::record(
                tx,
                &user.actor(),
                Entry::new("procurement.interest_registered", "procurement", id)
                    .for_organisation(user.organisation_id),
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// Whether the provider's organisation has registered interest.
pub async fn has_interest(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        procurement_interests::table
            .filter(procurement_interests::procurement_id.eq(id))
            .filter(procurement_interests::organisation_id.eq(user.organisation_id)),
    ))
    .get_result(conn)
    .await
}
