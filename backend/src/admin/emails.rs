//! The administrators' email: the daily audit anchor, a copy of the audit log's signed
//! fingerprint kept outside the database.

use crate::mail::Message;
use serde::Serialize;

/// The day's audit anchor.
#[derive(Debug, Clone, Serialize)]
pub struct AuditAnchor {
    pub anchor: String,
    pub when: String,
    /// Audit entries the anchor covers.
    pub entries: i64,
    pub link: String,
}

impl Message for AuditAnchor {
    const TEMPLATE: &'static str = "audit_anchor";
    fn sample() -> Self {
        Self {
            anchor: "audit-anchor.v1.1204.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.1796194800000000.0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
            when: "1 December 2026 at 6:00am".into(),
            entries: 1204,
            link: "https://care.example/admin/audit".into(),
        }
    }
}

/// Every message of this context, with its sample (for the snapshot tests).
pub fn samples() -> Vec<(&'static str, serde_json::Value)> {
    vec![crate::mail::sample::<AuditAnchor>()]
}
