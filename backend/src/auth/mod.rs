//! Who is asking: sign-in with email and password, access tokens for the API, session
//! cookies for the browser, CSRF protection for forms, and the role checks handlers use.

pub mod account;
pub mod api;
pub mod cache;
pub mod csrf;
pub mod extract;
pub mod pages;
pub mod password;
pub mod token;

use crate::audit::{self, Actor};
use crate::db::schema::{organisations, revoked_tokens, users};
use crate::http::problem::Problem;
use crate::organisations::model::{Role, User};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Consecutive failed sign-ins after which an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

/// The signed-in user, loaded afresh on each request so that deactivation and revocation
/// take effect at once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    /// Whether the user has confirmed their email address.
    pub email_verified: bool,
    /// The token's id, so that signing out can revoke it.
    #[serde(skip)]
    pub token_id: Uuid,
    #[serde(skip)]
    pub token_expires: i64,
}

impl AuthUser {
    /// Refuses with 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "This needs one of these roles: {}.",
                roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// Whether the user works for the council (any role but provider).
    pub fn is_council(&self) -> bool {
        self.role != Role::Provider
    }

    /// The user as the audit log records them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.email)
    }
}

/// Loads the user a verified token names, unless the token was revoked, the user or the
/// organisation was deactivated, or the user's sessions were ended after it was issued.
pub async fn load_user(
    conn: &mut AsyncPgConnection,
    claims: &token::Claims,
) -> QueryResult<Option<AuthUser>> {
    let issued = DateTime::<Utc>::from_timestamp_millis(claims.ims).unwrap_or_default();
    let row: Option<(Uuid, String, String, Role, Uuid, String, bool)> = users::table
        .inner_join(organisations::table)
        .filter(users::id.eq(claims.sub))
        .filter(users::active.eq(true))
        .filter(organisations::active.eq(true))
        .filter(users::sessions_valid_after.le(issued))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            revoked_tokens::table.filter(revoked_tokens::jti.eq(claims.jti)),
        )))
        .select((
            users::id,
            users::email,
            users::name,
            users::role,
            users::organisation_id,
            organisations::legal_name,
            users::email_verified_at.is_not_null(),
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(
        |(id, email, name, role, organisation_id, organisation_name, email_verified)| AuthUser {
            id,
            email,
            name,
            role,
            organisation_id,
            organisation_name,
            email_verified,
            token_id: claims.jti,
            token_expires: claims.exp,
        },
    ))
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("email or password not recognised")]
    Invalid,
    #[error("account locked after repeated failed sign-ins")]
    Locked { retry_after_seconds: i64 },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<LoginError> for Problem {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Invalid => Problem::unauthorized(
                "The email address or password is not right. Check them and try again.",
            ),
            LoginError::Locked {
                retry_after_seconds,
            } => {
                let minutes = (retry_after_seconds + 59) / 60;
                let mut p = Problem::new(
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    "account-locked",
                    "Too many failed sign-in attempts",
                )
                .with_detail(format!(
                    "This account is locked for {minutes} more minute(s). Try again later or ask an administrator."
                ));
                p.retry_after = Some(retry_after_seconds.max(1) as u64);
                p
            }
            LoginError::Database(e) => e.into(),
            LoginError::Internal(e) => e.into(),
        }
    }
}

/// Checks an email and password. Counts failures and locks the account for
/// [`LOCK_MINUTES`] after [`MAX_FAILED_LOGINS`] in a row; an unknown email costs the same
/// time as a wrong password.
pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    email: &str,
    password: &str,
) -> Result<User, LoginError> {
    let email = email.trim();
    if password.len() > crate::organisations::rules::MAX_PASSWORD_LENGTH * 4 {
        return Err(LoginError::Invalid);
    }
    let user = crate::organisations::queries::find_user_by_email(conn, email).await?;
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_string());
    let now = Utc::now();
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|until| *until > now)
    {
        return Err(LoginError::Locked {
            retry_after_seconds: (until - now).num_seconds(),
        });
    }
    let candidate = password.to_string();
    let matches = tokio::task::spawn_blocking(move || password::verify(&candidate, &stored))
        .await
        .map_err(|e| anyhow::anyhow!("password check task: {e}"))?;
    let Some(user) = user else {
        return Err(LoginError::Invalid);
    };
    if matches && user.active {
        if user.failed_logins > 0 {
            diesel::update(users::table.find(user.id))
                .set((
                    users::failed_logins.eq(0),
                    users::locked_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)
                .await?;
        }
        return Ok(user);
    }
    if user.active {
        record_failure(conn, &user).await?;
    }
    Err(LoginError::Invalid)
}

async fn record_failure(conn: &mut AsyncPgConnection, user: &User) -> Result<(), LoginError> {
    use diesel_async::AsyncConnection;
    let id = user.id;
    let email = user.email.clone();
    conn.transaction::<_, LoginError, _>(async move |tx| {
        let failures: i32 = diesel::update(users::table.find(id))
            .set(users::failed_logins.eq(users::failed_logins + 1))
            .returning(users::failed_logins)
            .get_result(tx)
            .await?;
        if failures >= MAX_FAILED_LOGINS {
            diesel::update(users::table.find(id))
                .set(
                    users::locked_until.eq((diesel::dsl::now
                        .into_sql::<diesel::sql_types::Timestamptz>()
                        + diesel::dsl::IntervalDsl::minutes(LOCK_MINUTES))
                    .nullable()),
                )
                .execute(tx)
                .await?;
            audit::record(
                tx,
                &Actor::system(),
                audit::Entry::new("user.locked", "user", id).with_details(serde_json::json!({
                    "email": email,
                    "failed_logins": failures,
                    "minutes": LOCK_MINUTES,
                })),
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// Revokes one token (signing out) until it would have expired anyway.
pub async fn revoke(conn: &mut AsyncPgConnection, user: &AuthUser) -> QueryResult<()> {
    use diesel_async::AsyncConnection;
    let expires = DateTime::<Utc>::from_timestamp(user.token_expires, 0).unwrap_or_else(Utc::now);
    conn.transaction::<_, diesel::result::Error, _>(async |tx| {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(user.token_id),
                revoked_tokens::expires_at.eq(expires),
            ))
            .on_conflict_do_nothing()
            .execute(tx)
            .await?;
        audit::record(
            tx,
            &user.actor(),
            audit::Entry::new("user.signed_out", "user", user.id),
        )
        .await
    })
    .await
}
