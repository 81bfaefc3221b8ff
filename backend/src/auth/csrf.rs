//! CSRF protection for forms: a signed double-submit token bound to the session.
//!
//! The cookie holds a random value (HttpOnly, SameSite=Strict, `__Host-` prefixed over
//! HTTPS so no subdomain can set it). Forms carry `HMAC(key, cookie value ‖ session id)` in
//! a hidden `_csrf` field, where the session id is the signed-in session's token id (or
//! "anonymous"). A cross-site page can neither read the cookie nor compute the field; a
//! token taken from one session is useless in another; and signing in sets a new cookie, so
//! a value planted before sign-in is worth nothing after it.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::future::{Ready, ready};

/// The cookie's name over plain HTTP (development and tests).
pub const COOKIE: &str = "csrf";
/// The cookie's name over HTTPS: the `__Host-` prefix requires Secure, Path=/ and no
/// Domain, so only this exact host can set it.
pub const SECURE_COOKIE: &str = "__Host-csrf";

/// The cookie name for a service published at `public_url`.
pub fn cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The key form values are signed with, derived from the token signing key.
pub fn key(settings: &crate::config::Settings) -> Vec<u8> {
    settings.derived_key("commissioning csrf form values")
}

/// The form value for a cookie value and session: hex HMAC-SHA-256 under `key`.
pub fn form_value(key: &[u8], cookie: &str, session: Option<&str>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(cookie.as_bytes());
    mac.update(b"\0");
    mac.update(session.unwrap_or("anonymous").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// This request's CSRF token: the cookie's value (or a new one to set with the response)
/// and the form value bound to the current session.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    cookie: String,
    form: String,
    is_new: bool,
    secure: bool,
}

impl CsrfToken {
    /// The value to put in the form's `_csrf` field.
    pub fn value(&self) -> &str {
        &self.form
    }

    /// The cookie to set when the token was made for this response.
    pub fn cookie_if_new(&self) -> Option<Cookie<'static>> {
        self.is_new.then(|| self.cookie())
    }

    fn cookie(&self) -> Cookie<'static> {
        Cookie::build(
            if self.secure { SECURE_COOKIE } else { COOKIE },
            self.cookie.clone(),
        )
        .path("/")
        .http_only(true)
        .secure(self.secure)
        .same_site(SameSite::Strict)
        .finish()
    }

    /// Whether the submitted form value is this session's (compared in constant time).
    pub fn matches(&self, submitted: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.is_new && bool::from(self.form.as_bytes().ct_eq(submitted.as_bytes()))
    }

    /// A fresh token for a new session (`session` is its token id): set its cookie on the
    /// response that signs the user in.
    pub fn rotated(key: &[u8], session: &str, secure: bool) -> Self {
        let cookie = new_value();
        Self {
            form: form_value(key, &cookie, Some(session)),
            cookie,
            is_new: true,
            secure,
        }
    }

    /// The cookie of a [`CsrfToken::rotated`] token.
    pub fn rotated_cookie(&self) -> Cookie<'static> {
        self.cookie()
    }
}

fn new_value() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

impl FromRequest for CsrfToken {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Ok(gate) = super::extract::gate(req) else {
            return ready(Err(actix_web::error::ErrorInternalServerError(
                "the auth gate is not registered",
            )));
        };
        // Secure when the service is published over HTTPS (from the settings, not from
        // request headers, which a client can set).
        let secure = gate.secure;
        let existing = req
            .cookie(if secure { SECURE_COOKIE } else { COOKIE })
            .map(|c| c.value().to_string())
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
        let session = super::extract::session_id(req, gate);
        let (cookie, is_new) = match existing {
            Some(value) => (value, false),
            None => (new_value(), true),
        };
        ready(Ok(CsrfToken {
            form: form_value(&gate.csrf_key, &cookie, session.as_deref()),
            cookie,
            is_new,
            secure,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(cookie: &str, session: Option<&str>, is_new: bool) -> CsrfToken {
        CsrfToken {
            form: form_value(b"key", cookie, session),
            cookie: cookie.into(),
            is_new,
            secure: false,
        }
    }

    #[test]
    fn a_new_token_never_matches() {
        let fresh = token(&"a".repeat(64), None, true);
        assert!(!fresh.matches(fresh.value()));
        let t = token(&"a".repeat(64), None, false);
        assert!(t.matches(t.value()));
        assert!(!t.matches(""));
        assert!(
            !t.matches(&"a".repeat(64)),
            "the cookie itself is not the form value"
        );
    }

    #[test]
    fn a_form_value_belongs_to_one_session() {
        let cookie = "b".repeat(64);
        let mine = token(&cookie, Some("session-1"), false);
        let theirs = token(&cookie, Some("session-2"), false);
        let anonymous = token(&cookie, None, false);
        assert!(!mine.matches(theirs.value()));
        assert!(!mine.matches(anonymous.value()));
        assert!(mine.matches(&form_value(b"key", &cookie, Some("session-1"))));
        assert!(!mine.matches(&form_value(b"other key", &cookie, Some("session-1"))));
    }
}
