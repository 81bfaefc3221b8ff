//! Extractors that say who is asking. `ApiUser` reads a Bearer access token (API only);
//! `PageUser` and `MaybePageUser` read the session cookie (pages only). Each loads the user
//! from the database so revocation and deactivation take effect at once. Any failure is a
//! plain 401 (API) or a redirect to sign in (pages), never a hint at which check failed.

use super::token::TokenType;
use super::{AuthUser, load_user};
use crate::http::AppState;
use crate::http::problem::Problem;
use crate::web::PageError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "session";

/// A user signed in with an API access token.
pub struct ApiUser(pub AuthUser);

/// A user signed in with a browser session.
pub struct PageUser(pub AuthUser);

/// A browser session if there is one (public pages).
pub struct MaybePageUser(pub Option<AuthUser>);

async fn authenticate(
    req: &HttpRequest,
    token: Option<String>,
    typ: TokenType,
) -> Result<Option<AuthUser>, Problem> {
    let Some(token) = token else { return Ok(None) };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| Problem::internal("AppState missing"))?;
    let Some(claims) = state.tokens.verify(&token, typ) else {
        return Ok(None);
    };
    if let Some(user) = state.auth_cache.get(claims.jti) {
        return Ok(Some(user));
    }
    let generation = state.auth_cache.generation();
    let mut conn = state.db().await?;
    let user = load_user(&mut conn, &claims).await?;
    if let Some(user) = &user {
        state.auth_cache.put(user, generation);
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

/// The id of the request's browser session, if its cookie carries a validly signed
/// session token (revocation is not checked: this only binds CSRF tokens to a session).
pub fn session_id(req: &HttpRequest, state: &AppState) -> Option<String> {
    let token = session(req)?;
    state
        .tokens
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

impl FromRequest for PageUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(&req, session(&req), TokenType::Session).await {
                Ok(Some(user)) => Ok(PageUser(user)),
                Ok(None) => Err(PageError::SignIn {
                    next: req
                        .uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                }),
                Err(p) => Err(p.into()),
            }
        })
    }
}

impl FromRequest for MaybePageUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(&req, session(&req), TokenType::Session)
                .await
                .map(MaybePageUser)
                .map_err(Into::into)
        })
    }
}

impl PageUser {
    /// Refuses with a 403 page unless the user has one of `roles`.
    pub fn require(&self, roles: &[crate::organisations::model::Role]) -> Result<(), PageError> {
        self.0.require(roles).map_err(|_| PageError::Forbidden)
    }
}
