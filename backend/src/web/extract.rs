//! The pages' extractors: who is signed in, from the session cookie (`auth::extract`).
//! Not signed in, a page redirects to sign in and back; nothing says which check failed.

use super::PageError;
use crate::auth::{AuthUser, Role, extract::session_user};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// A user signed in with a browser session.
pub struct PageUser(pub AuthUser);

/// A browser session if there is one (public pages).
pub struct MaybePageUser(pub Option<AuthUser>);

impl FromRequest for PageUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match session_user(&req).await {
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
            session_user(&req)
                .await
                .map(MaybePageUser)
                .map_err(Into::into)
        })
    }
}

impl PageUser {
    /// Refuses with a 403 page unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        self.0.require(roles).map_err(|_| PageError::Forbidden)
    }
}
