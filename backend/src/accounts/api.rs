//! `POST /api/v1/auth/token`, `POST /api/v1/auth/logout`, `GET /api/v1/me`.

use crate::audit::{self, Actor};
use crate::auth::AuthUser;
use crate::auth::extract::ApiUser;
use crate::auth::token::TokenType;
use crate::http::problem::{FieldError, Problem};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

/// An access token (OAuth 2 style).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Exchange an email and password for a short-lived access token.
#[utoipa::path(tag = "auth",
    request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, Problem> {
    state
        .rate_limits
        .check(crate::auth::throttle::Door::SignIn, &req)?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    if body.email.trim().is_empty() {
        errors.push(FieldError::new("email", "Enter your email address"));
    }
    if body.password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut conn = state.db().await?;
    let client = state.rate_limits.client(&req);
    let user = crate::auth::authenticate(&mut conn, &body.email, &body.password, client).await?;
    let issued = state.gate.tokens.issue(
        user.id,
        user.organisation_id,
        user.role,
        TokenType::Access,
        chrono::Utc::now().timestamp_millis(),
    )?;
    audit::record(
        &mut conn,
        &Actor::user(user.id, &user.email),
        audit::Entry::new("user.token_issued", "user", user.id)
            .for_organisation(user.organisation_id),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer".into(),
            expires_in: issued.expires_in,
        }))
}

/// Revoke the access token used for this request.
#[utoipa::path(tag = "auth",
    responses((status = 204), (status = 401, body = Problem)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    crate::auth::revoke(&mut conn, &user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user with role and organisation.
#[utoipa::path(tag = "auth",
    responses((status = 200, body = AuthUser), (status = 401, body = Problem)), security(("bearer" = [])))]
#[get("/me")]
pub async fn get_me(user: ApiUser) -> web::Json<AuthUser> {
    web::Json(user.0)
}
