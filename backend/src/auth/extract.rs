//! Who is asking. `ApiUser` reads a Bearer access token (API only); the pages' extractors
//! (`web::PageUser`, `web::MaybePageUser`) read the session cookie through
//! [`session_user`]. Each loads the user (through the per-instance cache) so revocation and
//! deactivation take effect at once. Any failure is a plain 401, never a hint at which
//! check failed. They find what they need in the [`Gate`] registered as app data.

use super::token::TokenType;
use super::{AuthUser, Gate, load_user};
use crate::http::problem::Problem;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "session";

/// A user signed in with an API access token.
pub struct ApiUser(pub AuthUser);

/// The gate registered with the application.
pub fn gate(req: &HttpRequest) -> Result<&Gate, Problem> {
    req.app_data::<web::Data<Gate>>()
        .map(|g| g.get_ref())
        .ok_or_else(|| Problem::internal("the auth gate is not registered"))
}

async fn authenticate(
    req: &HttpRequest,
    token: Option<String>,
    typ: TokenType,
) -> Result<Option<AuthUser>, Problem> {
    let Some(token) = token else { return Ok(None) };
    let gate = gate(req)?;
    let Some(claims) = gate.tokens.verify(&token, typ) else {
        return Ok(None);
    };
    if let Some(user) = gate.cache.get(claims.jti) {
        return Ok(Some(user));
    }
    let generation = gate.cache.generation();
    let mut conn = gate.pool.get().await.map_err(Problem::from)?;
    let user = load_user(&mut conn, &claims).await?;
    if let Some(user) = &user {
        gate.cache.put(user, generation);
    }
    Ok(user)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn session(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_string())
}

/// The user of the request's browser session, if it has a valid one.
pub async fn session_user(req: &HttpRequest) -> Result<Option<AuthUser>, Problem> {
    authenticate(req, session(req), TokenType::Session).await
}

/// The id of the request's browser session, if its cookie carries a validly signed
/// session token (revocation is not checked: this only binds CSRF tokens to a session).
pub fn session_id(req: &HttpRequest, gate: &Gate) -> Option<String> {
    let token = session(req)?;
    gate.tokens
        .verify(&token, TokenType::Session)
        .map(|claims| claims.jti.to_string())
}

impl FromRequest for ApiUser {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = bearer(&req);
            let missing = token.is_none();
            match authenticate(&req, token, TokenType::Access).await? {
                Some(user) => Ok(ApiUser(user)),
                None if missing => Err(Problem::unauthorized(
                    "Send an access token in the Authorization header: `Authorization: Bearer <token>`. Get one from POST /api/v1/auth/token.",
                )),
                None => Err(Problem::unauthorized(
                    "The access token is not valid. Get a new one from POST /api/v1/auth/token.",
                )),
            }
        })
    }
}
