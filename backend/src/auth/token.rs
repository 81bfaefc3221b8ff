//! Signed access tokens (JWT, HS256 only). Two types share one format: `access` tokens for
//! the API (short-lived, sent as a Bearer header) and `session` tokens for the browser (in an
//! HttpOnly cookie). Each is checked for signature, algorithm, `exp`, `iss`, `aud` and type;
//! revocation and deactivation are checked against the database by the extractor.

use crate::auth::Role;
use crate::config::TokenSettings;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which door a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    Access,
    Session,
}

/// The claims we sign.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub org: Uuid,
    pub role: Role,
    pub jti: Uuid,
    pub iat: i64,
    /// Issue time in milliseconds, compared with the user's `sessions_valid_after` so that a
    /// password change revokes tokens issued earlier in the same second.
    pub ims: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub typ: TokenType,
}

/// Keys and validation rules, built once at start.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    settings: TokenSettings,
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
    pub expires_in: i64,
}

impl TokenKeys {
    /// Builds the keys from the settings.
    pub fn new(settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_audience(&[settings.issuer.as_str()]);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(settings.signing_key.expose()),
            decoding: DecodingKey::from_secret(settings.signing_key.expose()),
            validation,
            settings: settings.clone(),
        }
    }

    /// Issues a token of the given type for a user.
    pub fn issue(
        &self,
        user: Uuid,
        org: Uuid,
        role: Role,
        typ: TokenType,
        now_ms: i64,
    ) -> anyhow::Result<IssuedToken> {
        let now = now_ms.div_euclid(1000);
        let ttl = match typ {
            TokenType::Access => self.settings.access_ttl_seconds,
            TokenType::Session => self.settings.session_ttl_seconds,
        };
        let claims = Claims {
            sub: user,
            org,
            role,
            jti: Uuid::new_v4(),
            iat: now,
            ims: now_ms,
            exp: now + ttl,
            iss: self.settings.issuer.clone(),
            aud: self.settings.issuer.clone(),
            typ,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            claims,
            expires_in: ttl,
        })
    }

    /// Verifies a token and that it is of the expected type. Says nothing about why it failed:
    /// the caller answers 401 either way.
    pub fn verify(&self, token: &str, expected: TokenType) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == expected).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn keys(issuer: &str) -> TokenKeys {
        TokenKeys::new(&TokenSettings {
            signing_key: Secret::new(b"0123456789abcdef0123456789abcdef".to_vec()),
            access_ttl_seconds: 900,
            session_ttl_seconds: 3600,
            issuer: issuer.into(),
        })
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    #[test]
    fn a_token_verifies_for_its_type_only() {
        let k = keys("http://a.example");
        let t = k
            .issue(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Role::Admin,
                TokenType::Access,
                now(),
            )
            .unwrap();
        assert!(k.verify(&t.token, TokenType::Access).is_some());
        assert!(k.verify(&t.token, TokenType::Session).is_none());
    }

    #[test]
    fn expired_foreign_and_tampered_tokens_fail() {
        let k = keys("http://a.example");
        let old = k
            .issue(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Role::Admin,
                TokenType::Access,
                now() - 2_000_000,
            )
            .unwrap();
        assert!(k.verify(&old.token, TokenType::Access).is_none());
        let other = keys("http://b.example")
            .issue(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Role::Admin,
                TokenType::Access,
                now(),
            )
            .unwrap();
        assert!(k.verify(&other.token, TokenType::Access).is_none());
        let good = k
            .issue(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Role::Provider,
                TokenType::Access,
                now(),
            )
            .unwrap();
        let mut parts: Vec<String> = good.token.split('.').map(String::from).collect();
        parts[2] = parts[2].chars().rev().collect();
        assert!(k.verify(&parts.join("."), TokenType::Access).is_none());
    }

    #[test]
    fn alg_none_is_refused() {
        use base64::Engine;
        let k = keys("http://a.example");
        let good = k
            .issue(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Role::Admin,
                TokenType::Access,
                now(),
            )
            .unwrap();
        let payload = good.token.split('.').nth(1).unwrap().to_string();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            k.verify(&format!("{header}.{payload}."), TokenType::Access)
                .is_none()
        );
    }
}
