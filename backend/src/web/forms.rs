//! `CsrfForm<T>`: a urlencoded form whose `_csrf` field is checked against the cookie before
//! anything else is read. A missing or wrong token is a 403 page; nothing changes.

use super::PageError;
use crate::auth::csrf::CsrfToken;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest form body accepted.
pub const FORM_LIMIT: usize = 64 * 1024;

/// A form whose only field is the CSRF token (buttons such as "Sign out" or "Run now").
#[derive(Debug, serde::Deserialize)]
pub struct EmptyForm {}

/// Refuses a form whose `_csrf` field is missing or not this session's.
pub(super) fn check_token(csrf: &CsrfToken, pairs: &[(String, String)]) -> Result<(), PageError> {
    let submitted = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if csrf.matches(submitted) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// A form that passed the CSRF check, with its CSRF token for re-rendering.
pub struct CsrfForm<T> {
    pub data: T,
    pub csrf: CsrfToken,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let csrf = CsrfToken::from_request(&req, &mut Payload::None)
                .await
                .map_err(|_| PageError::Csrf)?;
            let body = web::Bytes::from_request(&req, &mut payload)
                .await
                .map_err(|_| {
                    PageError::BadRequest("The form was too large or could not be read.".into())
                })?;
            let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
                .map_err(|_| PageError::BadRequest("The form could not be read.".into()))?;
            check_token(&csrf, &pairs)?;
            let data = serde_html_form::from_bytes::<T>(&body)
                .map_err(|e| PageError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(CsrfForm { data, csrf })
        })
    }
}

/// `#[serde(deserialize_with = "one_or_many")]` for a `Vec<String>` of checkboxes in a form
/// that also has a `#[serde(flatten)]` part: serde then reads the fields through a buffer
/// that hands one ticked box over as a string, not a list of one (serde issue 1183).
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}
