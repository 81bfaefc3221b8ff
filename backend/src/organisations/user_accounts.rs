//! Users of organisations: the registration input, creating a user (checked, audited),
//! changing one (role, name, active; sessions end when sign-in details change), and the
//! command line's first administrator.

use super::*;

/// A provider registering itself: the organisation and its first user.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct RegistrationInput {
    pub organisation: OrganisationInput,
    pub user: NewUserInput,
}

/// A user's details as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    #[serde(skip_serializing)]
    pub password: String,
    /// Only for administrators creating users.
    pub role: Option<Role>,
    /// Only for administrators creating users.
    pub organisation_id: Option<Uuid>,
}

/// Validated new-user details, with the password hashed.
struct ValidUser {
    email: String,
    name: String,
    password_hash: String,
}

async fn validate_user(
    input: &NewUserInput,
    errors: &mut Vec<FieldError>,
) -> Result<Option<ValidUser>, OrganisationError> {
    let email = rules::email("email", &input.email, errors);
    let name = rules::text("name", "their full name", &input.name, 200, errors);
    rules::password("password", &input.password, &email, errors);
    if !errors.is_empty() {
        return Ok(None);
    }
    let password_hash = password::hash(&input.password)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Some(ValidUser {
        email,
        name,
        password_hash,
    }))
}

pub(crate) async fn check_districts(
    tx: &mut AsyncPgConnection,
    valid: &ValidOrganisation,
    errors: &mut Vec<FieldError>,
) -> QueryResult<()> {
    if !valid.district_ids.is_empty()
        && queries::count_districts(tx, &valid.district_ids).await?
            != valid.district_ids.len() as i64
    {
        errors.push(FieldError::new(
            "district_ids",
            "Choose districts from the list",
        ));
    }
    Ok(())
}

/// An administrator creates a user in the council. Never in a provider: a provider's
/// people join only by its own users' invitations (`invitations`), so that nobody at the
/// council can become a bidder's user and read its bids. Call inside a transaction.
pub async fn create_user(
    tx: &mut AsyncPgConnection,
    actor: &AuthUser,
    input: &NewUserInput,
) -> Result<UserView, OrganisationError> {
    let mut errors = Vec::new();
    let role = input.role;
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose a role"));
    }
    let kind = match input.organisation_id {
        Some(id) => queries::organisation_kind(tx, id).await?,
        None => None,
    };
    if kind.is_none() {
        errors.push(FieldError::new("organisation_id", "Choose an organisation"));
    }
    if kind == Some(OrganisationKind::Provider) || role == Some(Role::Provider) {
        errors.push(FieldError::new(
            "organisation_id",
            "Administrators add people to the council only. A provider's own users invite their colleagues; if a provider has lost every account, use account recovery on the organisation's page",
        ));
    } else if let (Some(role), Some(kind)) = (role, kind)
        && let Err(e) = rules::role_fits(role, kind)
    {
        errors.push(e);
    }
    let user = validate_user(input, &mut errors).await?;
    let (Some(user), Some(role), Some(organisation_id), true) =
        (user, role, input.organisation_id, errors.is_empty())
    else {
        return Err(OrganisationError::Invalid(errors));
    };
    let id: Uuid = diesel::insert_into(users::table)
        .values(NewUser {
            organisation_id,
            email: user.email.clone(),
            name: user.name,
            role,
            password_hash: user.password_hash,
            email_verified_at: None,
        })
        .returning(users::id)
        .get_result(tx)
        .await?;
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new("user.created", "user", id)
            .for_organisation(organisation_id)
            .with_details(serde_json::json!({"email": user.email, "role": role})),
    )
    .await?;
    queries::find_user(tx, id)
        .await?
        .ok_or(OrganisationError::NotFound)
}

/// Changes an administrator may make to a user.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `false` deactivates the user and ends their sessions at once.
    pub active: Option<bool>,
}

/// An administrator changes a user's name, role or active flag. Call inside a transaction.
/// A change of role is emailed to the user.
pub async fn update_user(
    tx: &mut AsyncPgConnection,
    mail: &crate::mail::MailContext,
    actor: &AuthUser,
    id: Uuid,
    changes: &UserChanges,
) -> Result<UserView, OrganisationError> {
    let current = queries::find_user(tx, id)
        .await?
        .ok_or(OrganisationError::NotFound)?;
    let mut errors = Vec::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| rules::text("name", "the user's full name", n, 200, &mut errors));
    if let Some(role) = changes.role {
        let kind = queries::organisation_kind(tx, current.organisation_id)
            .await?
            .ok_or(OrganisationError::NotFound)?;
        if let Err(e) = rules::role_fits(role, kind) {
            errors.push(e);
        }
    }
    if id == actor.id
        && (changes.active == Some(false) || changes.role.is_some_and(|r| r != Role::Admin))
    {
        errors.push(FieldError::new(
            "active",
            "You cannot deactivate yourself or remove your own administrator role",
        ));
    }
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let new_name = name.unwrap_or(current.name.clone());
    let new_role = changes.role.unwrap_or(current.role);
    let new_active = changes.active.unwrap_or(current.active);
    let revoke = (!new_active && current.active) || new_role != current.role;
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(&new_name),
            users::role.eq(new_role),
            users::active.eq(new_active),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(tx)
        .await?;
    if revoke {
        diesel::update(users::table.find(id))
            .set(users::sessions_valid_after.eq(diesel::dsl::now))
            .execute(tx)
            .await?;
    }
    if new_role != current.role && new_active {
        let user: User = users::table
            .find(id)
            .select(User::as_select())
            .first(tx)
            .await?;
        let change = format!(
            "An administrator changed your role from {} to {}, and you were signed out so that the new role applies,",
            current.role.label(),
            new_role.label()
        );
        crate::auth::account::notify_account_changed(tx, mail, &user, &change).await?;
    }
    let action = match (current.active, new_active) {
        (true, false) => "user.deactivated",
        (false, true) => "user.reactivated",
        _ => "user.updated",
    };
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new(action, "user", id)
            .for_organisation(current.organisation_id)
            .with_details(serde_json::json!({
                "name": {"from": current.name, "to": new_name},
                "role": {"from": current.role, "to": new_role},
                "active": {"from": current.active, "to": new_active},
            })),
    )
    .await?;
    queries::find_user(tx, id)
        .await?
        .ok_or(OrganisationError::NotFound)
}

/// The operator's `user create`: makes a user in the organisation with this legal name,
/// creating the council organisation first on a fresh installation.
pub async fn create_user_cli(
    conn: &mut AsyncPgConnection,
    email: &str,
    name: &str,
    role: Role,
    organisation: &str,
    kind: OrganisationKind,
    password: &str,
) -> anyhow::Result<(UserView, String)> {
    use diesel_async::AsyncConnection;
    let mut errors = Vec::new();
    let email = rules::email("email", email, &mut errors);
    let name = rules::text("name", "a name", name, 200, &mut errors);
    rules::password("password", password, &email, &mut errors);
    if !errors.is_empty() {
        anyhow::bail!(
            "{}",
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if role == Role::Provider || kind == OrganisationKind::Provider {
        anyhow::bail!(
            "This command adds council staff only. Providers register themselves, and their users invite their colleagues."
        );
    }
    let hash = password::hash(password).await?;
    let organisation = organisation.trim().to_string();
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let found: Option<(Uuid, OrganisationKind)> = organisations::table
            .filter(organisations::legal_name.eq(&organisation))
            .select((organisations::id, organisations::kind))
            .first(tx)
            .await
            .optional()?;
        let actor = Actor::anonymous("command line");
        let org_id = match found {
            Some((_, OrganisationKind::Provider)) => anyhow::bail!(
                "{organisation:?} is a provider: this command adds council staff only"
            ),
            Some((id, found_kind)) => {
                rules::role_fits(role, found_kind).map_err(|e| anyhow::anyhow!("{}", e.message))?;
                id
            }
            None if kind == OrganisationKind::Council => {
                let id: Uuid = diesel::insert_into(organisations::table)
                    .values((
                        organisations::kind.eq(OrganisationKind::Council),
                        organisations::legal_name.eq(&organisation),
                    ))
                    .returning(organisations::id)
                    .get_result(tx)
                    .await?;
                audit::record(
                    tx,
                    &actor,
                    audit::Entry::new("organisation.created", "organisation", id)
                        .for_organisation(id),
                )
                .await?;
                id
            }
            None => anyhow::bail!("No organisation is called {organisation:?}"),
        };
        let id: Uuid = diesel::insert_into(users::table)
            .values(NewUser {
                organisation_id: org_id,
                email: email.clone(),
                name,
                role,
                password_hash: hash,
                email_verified_at: None,
            })
            .returning(users::id)
            .get_result(tx)
            .await
            .map_err(|e| match OrganisationError::from(e) {
                OrganisationError::Database(db) if unique_violation(&db).is_some() => {
                    anyhow::anyhow!("A user with the email {email} already exists")
                }
                other => anyhow::anyhow!("{other}"),
            })?;
        audit::record(
            tx,
            &actor,
            audit::Entry::new("user.created", "user", id)
                .for_organisation(org_id)
                .with_details(serde_json::json!({"email": email, "role": role})),
        )
        .await?;
        let view = queries::find_user(tx, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("user vanished"))?;
        Ok((view, organisation))
    })
    .await
}
