//! The append-only audit log. Every state change writes a row in the same transaction:
//! who, what, which record, when. Writing is a plain insert; the [`seal`]er later chains
//! committed rows with SHA-256 in Rust, signs the chain's head, and records checkpoints (the daily one
//! is emailed to administrators by `admin`); [`verify`] checks all of it (docs/decisions/0011).

pub mod chain;
pub mod seal;
pub mod sealer;
pub mod verify;

pub use chain::{Anchor, AuditKey};
pub use verify::Verification;

use crate::db::schema::audit_log;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    /// A signed-in user, labelled by email.
    pub fn user(id: Uuid, email: &str) -> Self {
        Self {
            user_id: Some(id),
            label: email.to_string(),
        }
    }

    /// The platform itself (jobs, lockouts).
    pub fn system() -> Self {
        Self {
            user_id: None,
            label: "system".into(),
        }
    }

    /// Someone not signed in (self-registration).
    pub fn anonymous(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
        }
    }
}

/// What happened to which record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: &'static str,
    pub record_type: &'static str,
    pub record_id: String,
    pub organisation_id: Option<Uuid>,
    pub details: serde_json::Value,
}

impl Entry {
    /// An entry with no details, e.g. `Entry::new("user.created", "user", id)`.
    pub fn new(action: &'static str, record_type: &'static str, record_id: impl ToString) -> Self {
        Self {
            action,
            record_type,
            record_id: record_id.to_string(),
            organisation_id: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// Adds structured details (never secrets or sealed content).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// Names the organisation the record belongs to, for filtering.
    pub fn for_organisation(mut self, organisation: Uuid) -> Self {
        self.organisation_id = Some(organisation);
        self
    }
}

/// Writes one audit row on the caller's connection (normally inside its transaction).
pub async fn record(conn: &mut AsyncPgConnection, actor: &Actor, entry: Entry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_user_id.eq(actor.user_id),
            audit_log::actor_label.eq(&actor.label),
            audit_log::action.eq(entry.action),
            audit_log::record_type.eq(entry.record_type),
            audit_log::record_id.eq(&entry.record_id),
            audit_log::organisation_id.eq(entry.organisation_id),
            audit_log::details.eq(&entry.details),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Seals what is pending (waiting up to `wait` for transactions already running) and
/// verifies the whole chain (and `anchor`, when given).
pub async fn seal_and_verify(
    conn: &mut AsyncPgConnection,
    key: &AuditKey,
    anchor: Option<&Anchor>,
    wait: std::time::Duration,
) -> anyhow::Result<Verification> {
    match seal::seal_now(conn, key, wait).await {
        Ok(_) => {}
        // The verifier says what was altered; sealing on top would hide it.
        Err(seal::SealError::StateAltered) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(verify::verify(conn, key, anchor).await?)
}

/// One audit row as shown to administrators.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub organisation_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Filters for the audit list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditFilter {
    /// Exact action, e.g. `user.created`.
    pub action: Option<String>,
    /// Actor's email (or `system`), case-insensitive substring.
    pub actor: Option<String>,
    /// Record type, e.g. `user`.
    pub record_type: Option<String>,
    /// Record id.
    pub record_id: Option<String>,
    /// The administrators' page only: an anchor line to check the chain against.
    #[param(ignore)]
    pub anchor: Option<String>,
}

/// A page of audit rows, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &AuditFilter,
    page: crate::http::pagination::PageRequest,
) -> QueryResult<crate::http::pagination::Paged<AuditRow>> {
    let query = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(audit_log::action.eq(action.to_string()));
        }
        if let Some(actor) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(
                audit_log::actor_label
                    .ilike(format!("%{}%", crate::http::pagination::escape_like(actor))),
            );
        }
        if let Some(kind) = filter.record_type.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(audit_log::record_type.eq(kind.to_string()));
        }
        if let Some(id) = filter.record_id.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(audit_log::record_id.eq(id.to_string()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let items = query()
        .order(audit_log::id.desc())
        .limit(page.limit())
        .offset(page.offset())
        .select(AuditRow::as_select())
        .load(conn)
        .await?;
    Ok(crate::http::pagination::Paged::new(items, total, page))
}
