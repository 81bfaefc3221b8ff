//! The people of a provider organisation: listing them, and removing one who has left.

use super::*;

/// The organisation's people (its provider users and administrators see them).
pub async fn people(
    conn: &mut AsyncPgConnection,
    viewer: &AuthUser,
    organisation: Uuid,
) -> Result<Vec<UserView>, OrganisationError> {
    if !may_manage(viewer, organisation) {
        return Err(OrganisationError::NotFound);
    }
    Ok(queries::organisation_users(conn, organisation).await?)
}

/// A provider user removes a colleague who has left: the account is deactivated at once,
/// every session ends, and they are told by email. Call inside a transaction.
pub async fn remove_person(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    actor: &AuthUser,
    organisation: Uuid,
    id: Uuid,
) -> Result<(), OrganisationError> {
    if actor.role != Role::Provider || actor.organisation_id != organisation {
        return Err(OrganisationError::NotFound);
    }
    let person: User = users::table
        .find(id)
        .filter(users::organisation_id.eq(organisation))
        .select(User::as_select())
        .first(tx)
        .await
        .optional()?
        .ok_or(OrganisationError::NotFound)?;
    if person.id == actor.id {
        return Err(OrganisationError::Invalid(vec![FieldError::new(
            "user",
            "You cannot remove yourself. Ask a colleague to remove you.",
        )]));
    }
    if !person.active {
        return Ok(());
    }
    diesel::update(users::table.find(id))
        .set((
            users::active.eq(false),
            users::sessions_valid_after.eq(diesel::dsl::now),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(tx)
        .await?;
    crate::auth::account::notify_account_changed(
        tx,
        mail,
        &person,
        &format!(
            "{} removed your account from {}, and you were signed out,",
            actor.name, actor.organisation_name
        ),
    )
    .await?;
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new("user.deactivated", "user", id)
            .for_organisation(organisation)
            .with_details(serde_json::json!({"email": person.email, "by": "colleague"})),
    )
    .await?;
    Ok(())
}
