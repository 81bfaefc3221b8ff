//! The audit chain's arithmetic, with no I/O: the hash of a sealed row, the signatures that
//! pin the chain's head, and the anchor line administrators keep outside the database.
//!
//! Every hash is computed here, in Rust, from the row's columns as read; nothing the
//! database computes is trusted (a replaced SQL function once made a forged log verify).
//! `row_hash = SHA-256(prev_hash ‖ canonical JSON of the row)`, where the canonical form is
//! a JSON array of the columns in a fixed order, the instant in RFC 3339 with microseconds
//! in UTC, and `details` as PostgreSQL prints `jsonb` (which sorts keys and fixes spacing).
//!
//! The signatures are HMAC-SHA-256 under a key derived from `TOKEN_SIGNING_KEY`, which lives
//! in the application's environment, not in the database: someone who can rewrite tables
//! but does not hold that key cannot make a rewritten chain carry a valid signature.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The key audit signatures are made with (derived from the token signing key).
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl AuditKey {
    /// The key for these settings.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self(settings.derived_key("commissioning audit chain"))
    }

    /// A key from raw bytes (tests).
    pub fn new(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    fn mac(&self, domain: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain);
        mac
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

/// An audit row's columns, as the chain covers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowContent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub organisation_id: Option<Uuid>,
    /// `details::text`: PostgreSQL's canonical printing of the `jsonb` value.
    pub details: String,
}

/// SHA-256 over the previous row's hash and this row's canonical form.
pub fn row_hash(prev_hash: &[u8], row: &RowContent) -> Vec<u8> {
    let canonical = serde_json::json!([
        row.id,
        row.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.actor_user_id,
        row.actor_label,
        row.action,
        row.record_type,
        row.record_id,
        row.organisation_id,
        row.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(canonical.to_string().as_bytes());
    hasher.finalize().to_vec()
}

/// Where the sealer has got to: everything written by transactions older than
/// `sealed_xmin` is sealed, the last seal is `head_seq` with hash `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealerState {
    pub sealed_xmin: i64,
    pub head_seq: i64,
    pub head_hash: Vec<u8>,
}

impl SealerState {
    /// The signature of this state.
    pub fn sign(&self, key: &AuditKey) -> Vec<u8> {
        let mut mac = key.mac(b"audit sealer state v1\0");
        mac.update(&self.sealed_xmin.to_be_bytes());
        mac.update(&self.head_seq.to_be_bytes());
        mac.update(&self.head_hash);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `signature` is this state's (compared in constant time).
    pub fn verify(&self, key: &AuditKey, signature: &[u8]) -> bool {
        let mut mac = key.mac(b"audit sealer state v1\0");
        mac.update(&self.sealed_xmin.to_be_bytes());
        mac.update(&self.head_seq.to_be_bytes());
        mac.update(&self.head_hash);
        mac.verify_slice(signature).is_ok()
    }
}

/// A checkpoint of the chain's head. Each signs the one before, so none can be removed
/// from the middle; the newest is also emailed as an [`Anchor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub sealed_through: i64,
    pub head_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub prev_signature: Vec<u8>,
}

impl Checkpoint {
    fn mac(&self, key: &AuditKey) -> Hmac<Sha256> {
        let mut mac = key.mac(b"audit checkpoint v1\0");
        mac.update(&self.sealed_through.to_be_bytes());
        mac.update(&self.head_hash);
        mac.update(&self.created_at.timestamp_micros().to_be_bytes());
        mac.update(&self.prev_signature);
        mac
    }

    /// The checkpoint's signature.
    pub fn sign(&self, key: &AuditKey) -> Vec<u8> {
        self.mac(key).finalize().into_bytes().to_vec()
    }

    /// Whether `signature` is this checkpoint's.
    pub fn verify(&self, key: &AuditKey, signature: &[u8]) -> bool {
        self.mac(key).verify_slice(signature).is_ok()
    }

    /// The line administrators keep: it names the sealed position and hash and is signed,
    /// so a mistyped or invented line is refused rather than trusted.
    pub fn anchor(&self, key: &AuditKey) -> Anchor {
        let mut anchor = Anchor {
            sealed_through: self.sealed_through,
            head_hash: self.head_hash.clone(),
            created_at: self.created_at,
            signature: Vec::new(),
        };
        anchor.signature = anchor.mac(key).finalize().into_bytes().to_vec();
        anchor
    }
}

/// A checkpoint as kept outside the database: `audit-anchor.v1.SEQ.HASH.MICROS.SIGNATURE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub sealed_through: i64,
    pub head_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub signature: Vec<u8>,
}

impl Anchor {
    const PREFIX: &'static str = "audit-anchor.v1";

    fn mac(&self, key: &AuditKey) -> Hmac<Sha256> {
        let mut mac = key.mac(b"audit anchor v1\0");
        mac.update(&self.sealed_through.to_be_bytes());
        mac.update(&self.head_hash);
        mac.update(&self.created_at.timestamp_micros().to_be_bytes());
        mac
    }

    /// Whether the anchor was made with this key and is unaltered.
    pub fn is_genuine(&self, key: &AuditKey) -> bool {
        self.mac(key).verify_slice(&self.signature).is_ok()
    }

    /// Reads an anchor line (surrounding spaces are ignored).
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix(Self::PREFIX)?.strip_prefix('.')?;
        let mut parts = rest.split('.');
        let sealed_through = parts.next()?.parse().ok()?;
        let head_hash = hex::decode(parts.next()?).ok()?;
        let created_at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
        let signature = hex::decode(parts.next()?).ok()?;
        if parts.next().is_some() || head_hash.len() != 32 || signature.len() != 32 {
            return None;
        }
        Some(Self {
            sealed_through,
            head_hash,
            created_at,
            signature,
        })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}.{}",
            Self::PREFIX,
            self.sealed_through,
            hex::encode(&self.head_hash),
            self.created_at.timestamp_micros(),
            hex::encode(&self.signature)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: i64, details: &str) -> RowContent {
        RowContent {
            id,
            occurred_at: Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap(),
            actor_user_id: None,
            actor_label: "system".into(),
            action: "user.created".into(),
            record_type: "user".into(),
            record_id: "42".into(),
            organisation_id: None,
            details: details.into(),
        }
    }

    #[test]
    fn each_hash_covers_the_row_and_the_one_before() {
        let a = row_hash(b"", &row(1, "{}"));
        assert_eq!(a.len(), 32);
        assert_eq!(a, row_hash(b"", &row(1, "{}")), "deterministic");
        assert_ne!(a, row_hash(b"", &row(1, r#"{"a": 1}"#)), "details count");
        assert_ne!(a, row_hash(b"", &row(2, "{}")), "the id counts");
        assert_ne!(a, row_hash(&a, &row(1, "{}")), "the previous hash counts");
        let mut moved = row(1, "{}");
        moved.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(a, row_hash(b"", &moved), "a microsecond counts");
    }

    #[test]
    fn signatures_need_the_key_and_the_exact_state() {
        let key = AuditKey::new(b"k1");
        let state = SealerState {
            sealed_xmin: 700,
            head_seq: 12,
            head_hash: vec![7; 32],
        };
        let signature = state.sign(&key);
        assert!(state.verify(&key, &signature));
        assert!(!state.verify(&AuditKey::new(b"k2"), &signature));
        let older = SealerState {
            head_seq: 11,
            ..state.clone()
        };
        assert!(!older.verify(&key, &signature));
    }

    #[test]
    fn anchors_round_trip_and_refuse_alteration() {
        let key = AuditKey::new(b"k1");
        let checkpoint = Checkpoint {
            sealed_through: 1234,
            head_hash: vec![9; 32],
            created_at: Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap(),
            prev_signature: vec![],
        };
        let anchor = checkpoint.anchor(&key);
        let line = anchor.to_string();
        assert!(line.starts_with("audit-anchor.v1.1234."));
        let parsed = Anchor::parse(&format!("  {line}\n")).unwrap();
        assert_eq!(parsed, anchor);
        assert!(parsed.is_genuine(&key));
        assert!(!parsed.is_genuine(&AuditKey::new(b"k2")));
        let altered = line.replace(".1234.", ".1233.");
        assert!(!Anchor::parse(&altered).unwrap().is_genuine(&key));
        for bad in ["", "audit-anchor.v1", "audit-anchor.v1.x.y.z.w", "nonsense"] {
            assert!(Anchor::parse(bad).is_none(), "{bad:?}");
        }
    }
}
