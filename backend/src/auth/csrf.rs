//! CSRF protection for forms: a random token in an HttpOnly, SameSite=Strict cookie, echoed
//! in a hidden `_csrf` field by every form the server renders and compared on every POST
//! (double-submit). A cross-site page can neither read the cookie nor make the browser send it.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

/// The cookie's name.
pub const COOKIE: &str = "csrf";

/// This request's CSRF token: the cookie's, or a new one to be set with the response.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    value: String,
    is_new: bool,
    secure: bool,
}

impl CsrfToken {
    /// The token to put in the form.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cookie to set when the token was made for this response.
    pub fn cookie_if_new(&self) -> Option<Cookie<'static>> {
        self.is_new.then(|| {
            Cookie::build(COOKIE, self.value.clone())
                .path("/")
                .http_only(true)
                .secure(self.secure)
                .same_site(SameSite::Strict)
                .finish()
        })
    }

    /// Whether the submitted form value matches the cookie (compared in constant time).
    pub fn matches(&self, submitted: &str) -> bool {
        !self.is_new && constant_time_eq(self.value.as_bytes(), submitted.as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequest for CsrfToken {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Secure when the service is published over HTTPS (not from request headers, which
        // a client can set).
        let secure = req
            .app_data::<actix_web::web::Data<crate::http::AppState>>()
            .is_some_and(|s| s.settings.public_url.starts_with("https://"));
        let existing = req
            .cookie(COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
        ready(Ok(match existing {
            Some(value) => CsrfToken {
                value,
                is_new: false,
                secure,
            },
            None => {
                use rand::Rng;
                let bytes: [u8; 32] = rand::rng().random();
                CsrfToken {
                    value: hex::encode(bytes),
                    is_new: true,
                    secure,
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_never_matches() {
        let t = CsrfToken {
            value: "a".repeat(64),
            is_new: true,
            secure: false,
        };
        assert!(!t.matches(&"a".repeat(64)));
        let t = CsrfToken {
            value: "a".repeat(64),
            is_new: false,
            secure: false,
        };
        assert!(t.matches(&"a".repeat(64)));
        assert!(!t.matches(""));
        assert!(!t.matches(&"b".repeat(64)));
    }
}
