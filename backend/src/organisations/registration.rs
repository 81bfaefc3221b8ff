//! A provider registering itself, in two steps so that the answer never says whether an
//! email address already has an account (issue 9).
//!
//! 1. [`request`] checks the details. For a new address it keeps them as a *pending
//!    registration* and emails a confirmation link; for an address that already has an
//!    account it creates nothing and emails the account's owner instead. Both answer the
//!    same way: "check your email".
//! 2. [`confirm`], from the link, creates the organisation and its first user, with the
//!    address already confirmed.

use super::emails::{ConfirmRegistration, RegistrationAttempted};
use super::model::*;
use super::rules::{self, OrganisationInput};
use super::{OrganisationError, RegistrationInput, check_districts, queries};
use crate::audit::{self, Actor};
use crate::auth::{NewUser, OrganisationKind, Role};
use crate::db::schema::{organisations, pending_registrations, users};
use crate::http::problem::FieldError;
use crate::mail::Message as _;
use crate::mail::{self, Email, MailContext, SecretLink};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 72;

/// What a pending registration keeps besides the address and the password's hash.
#[derive(Debug, Serialize, Deserialize)]
struct Details {
    organisation: OrganisationInput,
    name: String,
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Checks a registration and emails the address: a confirmation link for a new address, a
/// notice to the owner for one that has an account. Call inside a transaction.
pub async fn request(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    input: &RegistrationInput,
) -> Result<(), OrganisationError> {
    let valid_org = rules::organisation(OrganisationKind::Provider, &input.organisation);
    let mut errors = valid_org.as_ref().err().cloned().unwrap_or_default();
    let email = rules::email("email", &input.user.email, &mut errors);
    let name = rules::text("name", "your full name", &input.user.name, 200, &mut errors);
    rules::password("password", &input.user.password, &email, &mut errors);
    if let Ok(valid) = &valid_org {
        check_districts(tx, valid, &mut errors).await?;
        check_not_registered(tx, &valid.organisation, None, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let organisation_name = input.organisation.legal_name.trim().to_string();
    // Hashed whichever way this goes, so that the time taken does not tell either.
    let password_hash = crate::auth::password::hash(&input.user.password)
        .await
        .map_err(anyhow::Error::from)?;
    if let Some(owner) = crate::auth::find_user_by_email(tx, &email).await? {
        mail::enqueue(
            tx,
            mail,
            Email {
                template: RegistrationAttempted::TEMPLATE,
                to_address: owner.email.clone(),
                to_name: owner.name.clone(),
                user_id: Some(owner.id),
                reason: "You received this email because someone tried to register an organisation with this address, which already has an account.".into(),
                optional_kind: None,
                data: mail::data(&RegistrationAttempted {
                    organisation_name: organisation_name.to_string(),
                    sign_in: format!("{}/login", mail.public_url),
                    reset_link: format!("{}/forgot-password", mail.public_url),
                }),
            },
        )
        .await?;
        audit::record(
            tx,
            &Actor::anonymous("registration form"),
            audit::Entry::new("registration.refused_existing_address", "user", owner.id)
                .for_organisation(owner.organisation_id),
        )
        .await?;
        return Ok(());
    }
    let link = SecretLink::new(mail);
    diesel::insert_into(pending_registrations::table)
        .values((
            pending_registrations::token_hash.eq(hash(&link.token)),
            pending_registrations::email.eq(&email),
            pending_registrations::details.eq(serde_json::to_value(Details {
                organisation: input.organisation.clone(),
                name: name.clone(),
            })
            .map_err(anyhow::Error::from)?),
            pending_registrations::password_hash.eq(password_hash),
            pending_registrations::expires_at.eq(Utc::now() + Duration::hours(CONFIRM_HOURS)),
        ))
        .execute(tx)
        .await?;
    mail::enqueue_with_secret(
        tx,
        mail,
        Email {
            template: ConfirmRegistration::TEMPLATE,
            to_address: email.clone(),
            to_name: name,
            user_id: None,
            reason: format!("You received this email because this address was used to register {organisation_name} with the service."),
            optional_kind: None,
            data: mail::data(&ConfirmRegistration {
                link: SecretLink::url(mail, "/register/confirm"),
                organisation_name: organisation_name.to_string(),
                valid_hours: CONFIRM_HOURS,
            }),
        },
        &link,
    )
    .await?;
    Ok(())
}

/// Field errors for an organisation number or CQC location already registered to
/// another organisation (`except`). These are public registers, so saying so leaks nothing.
pub(super) async fn check_not_registered(
    tx: &mut AsyncPgConnection,
    organisation: &NewOrganisation,
    except: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> QueryResult<()> {
    let except = except.unwrap_or(Uuid::nil());
    if let Some(number) = &organisation.companies_house_number {
        let taken: bool = diesel::select(diesel::dsl::exists(
            organisations::table
                .filter(organisations::companies_house_number.eq(number))
                .filter(organisations::id.ne(except)),
        ))
        .get_result(tx)
        .await?;
        if taken {
            errors.push(FieldError::new(
                "companies_house_number",
                "An organisation with this Companies House number is already registered. Ask its users to invite you.",
            ));
        }
    }
    if let Some(number) = &organisation.charity_number {
        let taken: bool = diesel::select(diesel::dsl::exists(
            organisations::table
                .filter(organisations::charity_number.eq(number))
                .filter(organisations::id.ne(except)),
        ))
        .get_result(tx)
        .await?;
        if taken {
            errors.push(FieldError::new(
                "charity_number",
                "An organisation with this charity number is already registered. Ask its users to invite you.",
            ));
        }
    }
    Ok(())
}

/// Whether a confirmation link is still usable (for showing the page with its button).
pub async fn is_live(conn: &mut AsyncPgConnection, token: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        pending_registrations::table
            .filter(pending_registrations::token_hash.eq(hash(token)))
            .filter(pending_registrations::used_at.is_null())
            .filter(pending_registrations::expires_at.gt(diesel::dsl::now)),
    ))
    .get_result(conn)
    .await
}

/// Creates the organisation and its first user from a confirmation link. Refused when the
/// link is used, expired or unknown. Call inside a transaction.
pub async fn confirm(
    tx: &mut AsyncPgConnection,
    token: &str,
) -> Result<(OrganisationView, UserView), OrganisationError> {
    let row: Option<(String, serde_json::Value, String)> = pending_registrations::table
        .filter(pending_registrations::token_hash.eq(hash(token)))
        .filter(pending_registrations::used_at.is_null())
        .filter(pending_registrations::expires_at.gt(diesel::dsl::now))
        .select((
            pending_registrations::email,
            pending_registrations::details,
            pending_registrations::password_hash,
        ))
        .for_update()
        .first(tx)
        .await
        .optional()?;
    let Some((email, details, password_hash)) = row else {
        return Err(OrganisationError::InvalidLink);
    };
    diesel::update(pending_registrations::table.find(hash(token)))
        .set(pending_registrations::used_at.eq(diesel::dsl::now))
        .execute(tx)
        .await?;
    let details: Details = serde_json::from_value(details).map_err(anyhow::Error::from)?;
    let valid = rules::organisation(OrganisationKind::Provider, &details.organisation)
        .map_err(OrganisationError::Invalid)?;
    let mut errors = Vec::new();
    check_not_registered(tx, &valid.organisation, None, &mut errors).await?;
    if crate::auth::find_user_by_email(tx, &email).await?.is_some() {
        errors.push(FieldError::new(
            "email",
            "This email address has an account already. Sign in, or reset your password.",
        ));
    }
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let organisation = queries::insert_organisation(tx, &valid).await?;
    let user_id: Uuid = diesel::insert_into(users::table)
        .values(NewUser {
            organisation_id: organisation.id,
            email: email.clone(),
            name: details.name,
            role: Role::Provider,
            password_hash,
            email_verified_at: Some(Utc::now()),
        })
        .returning(users::id)
        .get_result(tx)
        .await?;
    let actor = Actor::user(user_id, &email);
    audit::record(
        tx,
        &actor,
        audit::Entry::new("organisation.registered", "organisation", organisation.id)
            .for_organisation(organisation.id)
            .with_details(serde_json::json!({"legal_name": organisation.legal_name})),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        audit::Entry::new("user.created", "user", user_id)
            .for_organisation(organisation.id)
            .with_details(serde_json::json!({"email": email, "role": "provider"})),
    )
    .await?;
    let view = queries::find_organisation(tx, organisation.id)
        .await?
        .ok_or(OrganisationError::NotFound)?;
    let user = queries::find_user(tx, user_id)
        .await?
        .ok_or(OrganisationError::NotFound)?;
    Ok((view, user))
}
