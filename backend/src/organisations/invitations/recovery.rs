//! Account recovery, the platform operator's one way into a provider that has lost every
//! account (docs/operations.md, "Account recovery"): an invitation with a recorded reason,
//! announced to every existing member, and held while any of the organisation's bids is
//! before its deadline (`RecoveryHolds`, filled by the composition root).

use super::*;

/// The operator's account recovery for a provider that has lost every account. Call
/// inside a transaction.
pub async fn recover(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    actor: &AuthUser,
    organisation: Uuid,
    input: &InvitationInput,
) -> Result<InvitationView, OrganisationError> {
    if actor.role != Role::Admin {
        return Err(OrganisationError::Forbidden);
    }
    let organisation_name = provider_name(tx, organisation).await?;
    let mut errors = Vec::new();
    let email = rules::email("email", &input.email, &mut errors);
    let name = rules::text(
        "name",
        "the person's full name",
        &input.name,
        200,
        &mut errors,
    );
    let reason = input.reason.trim();
    if reason.chars().count() < 20 {
        errors.push(FieldError::new(
            "reason",
            "Say why in at least 20 characters: who asked, and how you checked they speak for the organisation",
        ));
    } else if reason.chars().count() > 2000 {
        errors.push(FieldError::new(
            "reason",
            "The reason must be 2,000 characters or fewer",
        ));
    }
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let view = create(
        tx,
        mail,
        actor,
        organisation,
        &organisation_name,
        InvitationKind::SupportRecovery,
        &email,
        &name,
        reason,
    )
    .await?;
    // Everyone already in the organisation hears of it at once, and can cancel it.
    for (id, to, to_name) in members(tx, organisation).await? {
        mail::enqueue(
            tx,
            mail,
            Email {
                template: AccountRecoveryStarted::TEMPLATE,
                to_address: to,
                to_name,
                user_id: Some(id),
                reason: format!("You received this email because you have an account with {organisation_name}, and we tell every account holder when someone is invited to join it through account recovery."),
                optional_kind: None,
                data: mail::data(&AccountRecoveryStarted {
                    organisation_name: organisation_name.to_string(),
                    invitee_name: view.name.clone(),
                    invitee_email: view.email.clone(),
                    why: reason.to_string(),
                    expires: crate::calendar::london_time(view.expires_at),
                    link: format!("{}/organisation", mail.public_url),
                }),
            },
        )
        .await?;
    }
    Ok(view)
}

/// Finds when something elsewhere stops holding back an organisation's account recovery:
/// a support-recovery invitation would let a newcomer read the organisation's bids, so it
/// waits until no bid or application of theirs is sealed. Returns the latest time held to.
pub type RecoveryHold = for<'a> fn(
    &'a mut AsyncPgConnection,
    Uuid,
) -> BoxFuture<'a, QueryResult<Option<DateTime<Utc>>>>;

/// The holds on account recovery, handed in by the application (`app`), so this context
/// names none of the contexts that seal things.
#[derive(Clone, Default)]
pub struct RecoveryHolds(pub Vec<RecoveryHold>);

impl RecoveryHolds {
    /// The latest time any hold lasts until, if one holds now.
    pub async fn until(
        &self,
        conn: &mut AsyncPgConnection,
        organisation: Uuid,
    ) -> QueryResult<Option<DateTime<Utc>>> {
        let mut latest = None;
        for hold in &self.0 {
            latest = latest.max(hold(conn, organisation).await?);
        }
        Ok(latest)
    }
}
