//! Who is asking: sign-in with email and password, access tokens for the API, session
//! cookies for the browser, CSRF protection for forms, and the role checks handlers use.

pub mod account;
pub mod cache;
pub mod csrf;
pub mod emails;
pub mod extract;
pub mod model;
pub mod password;
pub mod password_rules;
pub mod throttle;
pub mod token;

use crate::audit::{self, Actor};
use crate::db::schema::{organisations, revoked_tokens, users};
use crate::http::problem::Problem;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
pub use model::{NewUser, OrganisationKind, Role, User};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What the extractors need to say who is asking, registered as app data (so they depend
/// on nothing above `auth`).
pub struct Gate {
    pub tokens: token::TokenKeys,
    pub cache: std::sync::Arc<cache::AuthCache>,
    pub pool: crate::db::DbPool,
    /// Signs forms' CSRF values (`csrf`).
    pub csrf_key: Vec<u8>,
    /// Whether the service is published over HTTPS (secure cookies).
    pub secure: bool,
}

impl Gate {
    /// The gate for these settings and pool.
    pub fn new(settings: &crate::config::Settings, pool: crate::db::DbPool) -> Self {
        Self {
            tokens: token::TokenKeys::new(&settings.tokens),
            cache: std::sync::Arc::new(cache::AuthCache::default()),
            pool,
            csrf_key: csrf::key(settings),
            secure: settings.public_url.starts_with("https://"),
        }
    }
}

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

/// A user by email address, compared case-insensitively (as the unique index does).
pub async fn find_user_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<User>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email.trim())
                .sql(")"),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("email or password not recognised")]
    Invalid,
    /// Too many failures for this email address (whether or not it has an account).
    #[error("too many failed sign-ins for this email address")]
    Locked { retry_after_seconds: i64 },
    #[error(transparent)]
    Busy(#[from] password::HashError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl LoginError {
    /// The sentence a person reads when signing in is refused for too many failures.
    pub fn locked_message(retry_after_seconds: i64) -> String {
        let minutes = (retry_after_seconds + 59) / 60;
        format!(
            "There have been too many failed attempts to sign in with this email address. Try again in {minutes} minute{}, or reset your password.",
            if minutes == 1 { "" } else { "s" }
        )
    }
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
                let mut p = Problem::new(
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    "sign-in-throttled",
                    "Too many failed sign-in attempts",
                )
                .with_detail(LoginError::locked_message(retry_after_seconds));
                p.retry_after = Some(retry_after_seconds.max(1) as u64);
                p
            }
            LoginError::Busy(e) => e.into(),
            LoginError::Database(e) => e.into(),
        }
    }
}

/// Checks an email and password. Each attempt is counted before the password is checked
/// (`throttle::reserve`), and refused once the email address has had too many failures,
/// whether or not an account has it; an unknown email costs the same time as a wrong
/// password.
pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> Result<User, LoginError> {
    let email = email.trim();
    if password.len() > password_rules::MAX_PASSWORD_LENGTH * 4 {
        return Err(LoginError::Invalid);
    }
    let reservation = throttle::reserve(conn, email, client).await?;
    let user = crate::auth::find_user_by_email(conn, email).await?;
    if let throttle::Reservation::Locked {
        retry_after_seconds,
        first,
    } = reservation
    {
        if let (true, Some(user)) = (first, &user) {
            audit::record(
                conn,
                &Actor::system(),
                audit::Entry::new("user.sign_in_throttled", "user", user.id)
                    .for_organisation(user.organisation_id)
                    .with_details(serde_json::json!({
                        "email": user.email,
                        "minutes": throttle::WINDOW_MINUTES,
                    })),
            )
            .await?;
        }
        return Err(LoginError::Locked {
            retry_after_seconds,
        });
    }
    let matches =
        password::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    match user {
        Some(user) if matches && user.active => {
            throttle::succeeded(conn, email, client).await?;
            Ok(user)
        }
        _ => Err(LoginError::Invalid),
    }
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
