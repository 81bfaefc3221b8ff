//! Account lifecycle by email: confirming an email address, resetting a forgotten password
//! (single-use, hashed, one-hour tokens; a new password ends every session), and telling a
//! user when their account changes.

use super::emails::{AccountChanged, ResetPassword, VerifyEmail};
use crate::audit::{self, Actor};
use crate::auth::User;
use crate::db::schema::{account_tokens, users};
use crate::mail::Message as _;
use crate::mail::{self, Email, MailContext};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

crate::pg_enum! {
    /// What an emailed token is for.
    pub enum TokenPurpose: crate::db::schema::sql_types::AccountTokenPurpose {
        VerifyEmail => "verify_email",
        ResetPassword => "reset_password",
    }
}

/// How long an email confirmation link works.
pub const VERIFY_HOURS: i64 = 72;
/// How long a password reset link works.
pub const RESET_HOURS: i64 = 1;

/// Why an emailed link could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the link has expired, has been used, or is not one of ours")]
    InvalidLink,
    #[error("validation failed")]
    Invalid(Vec<crate::http::problem::FieldError>),
    #[error(transparent)]
    Busy(#[from] super::password::HashError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Records the secret of an emailed link for `user` (only its hash is stored; the secret
/// itself is derived from the message's id when the email is delivered).
async fn store_token(
    tx: &mut AsyncPgConnection,
    user: Uuid,
    purpose: TokenPurpose,
    valid_for: Duration,
    token: &str,
) -> QueryResult<()> {
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(hash(token)),
            account_tokens::user_id.eq(user),
            account_tokens::purpose.eq(purpose),
            account_tokens::expires_at.eq(Utc::now() + valid_for),
        ))
        .execute(tx)
        .await?;
    Ok(())
}

/// The user a live token belongs to, locking the token row when `lock` is set.
async fn live_token(
    conn: &mut AsyncPgConnection,
    token: &str,
    purpose: TokenPurpose,
    lock: bool,
) -> QueryResult<Option<User>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let query = account_tokens::table
        .inner_join(users::table)
        .filter(account_tokens::token_hash.eq(hash(token)))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(diesel::dsl::now))
        .filter(users::active.eq(true))
        .select(User::as_select());
    if lock {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

async fn use_token(tx: &mut AsyncPgConnection, token: &str) -> QueryResult<()> {
    diesel::update(account_tokens::table.find(hash(token)))
        .set(account_tokens::used_at.eq(diesel::dsl::now))
        .execute(tx)
        .await
        .map(|_| ())
}

/// Emails a link to confirm the user's address. Call inside the transaction that created
/// or changed the address.
pub async fn send_verification(
    tx: &mut AsyncPgConnection,
    context: &MailContext,
    user: Uuid,
    email: &str,
    name: &str,
    organisation: &str,
) -> anyhow::Result<()> {
    let link = mail::SecretLink::new(context);
    store_token(
        tx,
        user,
        TokenPurpose::VerifyEmail,
        Duration::hours(VERIFY_HOURS),
        &link.token,
    )
    .await?;
    mail::enqueue_with_secret(
        tx,
        context,
        Email {
            template: VerifyEmail::TEMPLATE,
            to_address: email.to_string(),
            to_name: name.to_string(),
            user_id: Some(user),
            reason: format!("You received this email because this address was used to register {organisation} with the service."),
            optional_kind: None,
            data: mail::data(&VerifyEmail {
                link: mail::SecretLink::url(context, "/verify-email"),
                organisation_name: organisation.to_string(),
                valid_hours: VERIFY_HOURS,
            }),
        },
        &link,
    )
    .await?;
    Ok(())
}

/// Confirms an email address from its link.
pub async fn verify_email(conn: &mut AsyncPgConnection, token: &str) -> Result<User, AccountError> {
    let token = token.to_string();
    conn.transaction::<_, AccountError, _>(async move |tx| {
        let user = live_token(tx, &token, TokenPurpose::VerifyEmail, true)
            .await?
            .ok_or(AccountError::InvalidLink)?;
        use_token(tx, &token).await?;
        diesel::update(users::table.find(user.id))
            .set(users::email_verified_at.eq(diesel::dsl::now))
            .execute(tx)
            .await?;
        audit::record(
            tx,
            &Actor::user(user.id, &user.email),
            audit::Entry::new("user.email_verified", "user", user.id)
                .for_organisation(user.organisation_id),
        )
        .await?;
        Ok(user)
    })
    .await
}

/// Sends a password reset link if an active account has this email. Says nothing either
/// way, so the form cannot be used to find out who has an account.
pub async fn request_password_reset(
    conn: &mut AsyncPgConnection,
    context: &MailContext,
    email: &str,
) -> Result<(), AccountError> {
    let email = email.trim().to_string();
    let context = context.clone();
    conn.transaction::<_, AccountError, _>(async move |tx| {
        let user = crate::auth::find_user_by_email(tx, &email).await?;
        let Some(user) = user.filter(|u| u.active) else { return Ok(()) };
        // At most three live reset links at a time: enough for a lost email, not for a flood.
        let live: i64 = account_tokens::table
            .filter(account_tokens::user_id.eq(user.id))
            .filter(account_tokens::purpose.eq(TokenPurpose::ResetPassword))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(diesel::dsl::now))
            .count()
            .get_result(tx)
            .await?;
        if live >= 3 {
            return Ok(());
        }
        let link = mail::SecretLink::new(&context);
        store_token(tx, user.id, TokenPurpose::ResetPassword, Duration::hours(RESET_HOURS), &link.token).await?;
        mail::enqueue_with_secret(
            tx,
            &context,
            Email {
                template: ResetPassword::TEMPLATE,
                to_address: user.email.clone(),
                to_name: user.name.clone(),
                user_id: Some(user.id),
                reason: "You received this email because someone asked to reset the password of the account with this address.".into(),
                optional_kind: None,
                data: mail::data(&ResetPassword { link: mail::SecretLink::url(&context, "/reset-password") }),
            },
            &link,
        )
        .await?;
        audit::record(tx, &Actor::anonymous("password reset form"), audit::Entry::new("user.password_reset_requested", "user", user.id).for_organisation(user.organisation_id)).await?;
        Ok(())
    })
    .await
}

/// Whether a reset link is still usable (for showing the form).
pub async fn reset_link_is_live(conn: &mut AsyncPgConnection, token: &str) -> QueryResult<bool> {
    Ok(live_token(conn, token, TokenPurpose::ResetPassword, false)
        .await?
        .is_some())
}

/// Sets a new password from a reset link: the link is used up, every session ends, any
/// lock is lifted, and the user is told by email.
pub async fn reset_password(
    conn: &mut AsyncPgConnection,
    context: &MailContext,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AccountError> {
    let token = token.to_string();
    let password = password.to_string();
    let confirm = confirm.to_string();
    let context = context.clone();
    conn.transaction::<_, AccountError, _>(async move |tx| {
        let user = live_token(tx, &token, TokenPurpose::ResetPassword, true)
            .await?
            .ok_or(AccountError::InvalidLink)?;
        let mut errors = Vec::new();
        crate::auth::password_rules::password("password", &password, &user.email, &mut errors);
        if errors.is_empty() && password != confirm {
            errors.push(crate::http::problem::FieldError::new(
                "confirm",
                "The passwords do not match",
            ));
        }
        if !errors.is_empty() {
            return Err(AccountError::Invalid(errors));
        }
        let hashed = super::password::hash(&password).await?;
        diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(hashed),
                users::sessions_valid_after.eq(diesel::dsl::now),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        // Whoever holds the address has proved it: failed attempts no longer count.
        super::throttle::clear(tx, &user.email).await?;
        // This link and any other outstanding reset links stop working.
        diesel::update(
            account_tokens::table
                .filter(account_tokens::user_id.eq(user.id))
                .filter(account_tokens::purpose.eq(TokenPurpose::ResetPassword))
                .filter(account_tokens::used_at.is_null()),
        )
        .set(account_tokens::used_at.eq(diesel::dsl::now))
        .execute(tx)
        .await?;
        audit::record(
            tx,
            &Actor::user(user.id, &user.email),
            audit::Entry::new("user.password_reset", "user", user.id)
                .for_organisation(user.organisation_id),
        )
        .await?;
        notify_account_changed(
            tx,
            &context,
            &user,
            "Your password was changed, and every signed-in session was signed out,",
        )
        .await?;
        Ok(())
    })
    .await
}

/// Tells a user their account changed (a security notice: not optional).
pub async fn notify_account_changed(
    tx: &mut AsyncPgConnection,
    context: &MailContext,
    user: &User,
    change: &str,
) -> anyhow::Result<()> {
    let when = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%-d %B %Y at %H:%M")
        .to_string();
    mail::enqueue(
        tx,
        context,
        Email {
            template: AccountChanged::TEMPLATE,
            to_address: user.email.clone(),
            to_name: user.name.clone(),
            user_id: Some(user.id),
            reason: "You received this email because we tell account holders about every change to their sign-in details or role.".into(),
            optional_kind: None,
            data: mail::data(&AccountChanged {
                change: change.to_string(),
                when,
                reset_link: format!("{}/forgot-password", context.public_url),
            }),
        },
    )
    .await?;
    Ok(())
}
