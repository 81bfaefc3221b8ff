//! Sealing: hashing committed audit rows into the chain, after their transactions end.
//!
//! Writers append rows and nothing else, so no audited write waits for another (the old
//! trigger held one lock from each audit insert to its commit). The sealer takes the rows
//! of every transaction older than the oldest still running (`pg_snapshot_xmin`): those are
//! final, committed or rolled back, and no later transaction can add a row among them. It
//! chains them in `(xact_id, id)` order into `audit_seals`, then moves the signed
//! `audit_sealer` state past them, all in one transaction. Only one sealer works at a time
//! (the state row is locked); the others skip the round.

use super::chain::{self, AuditKey, Checkpoint, RowContent, SealerState};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Bytea, Int8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Rows read and sealed per statement.
const PAGE: i64 = 2_000;

/// Why sealing stopped.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The signed state does not match its signature: someone changed it outside the
    /// application. Sealing on top would launder the change, so it stops until verified.
    #[error("the audit sealer's state has been altered outside the application")]
    StateAltered,
    /// Another sealer held the state for longer than a sealing round takes.
    #[error("another sealer has held the audit chain for too long")]
    Busy,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

#[derive(QueryableByName)]
pub(super) struct StateRow {
    #[diesel(sql_type = Int8)]
    pub sealed_xmin: i64,
    #[diesel(sql_type = Int8)]
    pub head_seq: i64,
    #[diesel(sql_type = Bytea)]
    pub head_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    pub signature: Vec<u8>,
}

impl StateRow {
    pub(super) fn state(&self) -> SealerState {
        SealerState {
            sealed_xmin: self.sealed_xmin,
            head_seq: self.head_seq,
            head_hash: self.head_hash.clone(),
        }
    }

    /// The fresh state has no signature yet: nothing has been sealed.
    pub(super) fn is_genuine(&self, key: &AuditKey) -> bool {
        let untouched = self.sealed_xmin == 0
            && self.head_seq == 0
            && self.head_hash.is_empty()
            && self.signature.is_empty();
        untouched || self.state().verify(key, &self.signature)
    }
}

/// An audit row as the chain reads it.
#[derive(QueryableByName)]
pub(super) struct ChainRow {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Int8)]
    pub xact_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub actor_user_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Text)]
    pub actor_label: String,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub record_type: String,
    #[diesel(sql_type = Text)]
    pub record_id: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub organisation_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Text)]
    pub details: String,
}

/// The columns [`ChainRow`] reads, for queries over `audit_log a`.
pub(super) const CHAIN_COLUMNS: &str = "a.id, a.xact_id, a.occurred_at, a.actor_user_id, \
    a.actor_label, a.action, a.record_type, a.record_id, a.organisation_id, a.details::text AS details";

impl ChainRow {
    pub(super) fn content(self) -> RowContent {
        RowContent {
            id: self.id,
            occurred_at: self.occurred_at,
            actor_user_id: self.actor_user_id,
            actor_label: self.actor_label,
            action: self.action,
            record_type: self.record_type,
            record_id: self.record_id,
            organisation_id: self.organisation_id,
            details: self.details,
        }
    }
}

#[derive(QueryableByName)]
struct Xmin {
    #[diesel(sql_type = Int8)]
    xmin: i64,
}

/// What a sealing round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sealed {
    pub rows: usize,
    pub head_seq: i64,
    /// Every transaction before this one has ended and its rows are sealed.
    pub sealed_xmin: i64,
}

/// Seals every audit row whose transaction has ended. Returns `None` when another sealer
/// holds the state (it will seal them).
pub async fn seal_pending(
    conn: &mut AsyncPgConnection,
    key: &AuditKey,
) -> Result<Option<Sealed>, SealError> {
    let key = key.clone();
    conn.transaction::<_, SealError, _>(async move |tx| {
        let Some(row) = diesel::sql_query(
            "SELECT sealed_xmin, head_seq, head_hash, signature FROM audit_sealer FOR UPDATE SKIP LOCKED",
        )
        .get_result::<StateRow>(tx)
        .await
        .optional()?
        else {
            return Ok(None);
        };
        if !row.is_genuine(&key) {
            return Err(SealError::StateAltered);
        }
        let mut state = row.state();
        // Every transaction older than this has ended; read in its own statement, so the
        // rows selected below (a later snapshot) include all of theirs that committed.
        let Xmin { xmin } = diesel::sql_query(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin",
        )
        .get_result(tx)
        .await?;
        if xmin <= state.sealed_xmin {
            return Ok(Some(Sealed {
                rows: 0,
                head_seq: state.head_seq,
                sealed_xmin: state.sealed_xmin,
            }));
        }
        let mut sealed = 0;
        let mut after = (state.sealed_xmin - 1, i64::MIN);
        loop {
            let page: Vec<ChainRow> = diesel::sql_query(format!(
                "SELECT {CHAIN_COLUMNS} FROM audit_log a \
                 WHERE a.xact_id >= $1 AND a.xact_id < $2 AND (a.xact_id, a.id) > ($3, $4) \
                 ORDER BY a.xact_id, a.id LIMIT $5"
            ))
            .bind::<Int8, _>(state.sealed_xmin)
            .bind::<Int8, _>(xmin)
            .bind::<Int8, _>(after.0)
            .bind::<Int8, _>(after.1)
            .bind::<Int8, _>(PAGE)
            .load(tx)
            .await?;
            let count = page.len();
            if let Some(last) = page.last() {
                after = (last.xact_id, last.id);
            }
            let mut seals = Vec::with_capacity(count);
            for row in page {
                let audit_id = row.id;
                let hash = chain::row_hash(&state.head_hash, &row.content());
                state.head_seq += 1;
                seals.push(serde_json::json!([
                    state.head_seq,
                    audit_id,
                    hex::encode(&state.head_hash),
                    hex::encode(&hash)
                ]));
                state.head_hash = hash;
            }
            if !seals.is_empty() {
                // One statement per page, whatever its length.
                diesel::sql_query(
                    "INSERT INTO audit_seals (seq, audit_id, prev_hash, row_hash) \
                     SELECT (e->>0)::bigint, (e->>1)::bigint, decode(e->>2, 'hex'), decode(e->>3, 'hex') \
                     FROM jsonb_array_elements($1) e",
                )
                .bind::<Jsonb, _>(serde_json::Value::Array(seals))
                .execute(tx)
                .await?;
            }
            sealed += count;
            if (count as i64) < PAGE {
                break;
            }
        }
        state.sealed_xmin = xmin;
        diesel::sql_query(
            "UPDATE audit_sealer SET sealed_xmin = $1, head_seq = $2, head_hash = $3, signature = $4, updated_at = now()",
        )
        .bind::<Int8, _>(state.sealed_xmin)
        .bind::<Int8, _>(state.head_seq)
        .bind::<Bytea, _>(&state.head_hash)
        .bind::<Bytea, _>(state.sign(&key))
        .execute(tx)
        .await?;
        Ok(Some(Sealed {
            rows: sealed,
            head_seq: state.head_seq,
            sealed_xmin: state.sealed_xmin,
        }))
    })
    .await
}

/// Seals every row written by transactions that began before this call, waiting (up to
/// `wait`) for those still running to end, and for another sealer's round. A transaction
/// still open after that is left for a later round; [`Sealed::sealed_xmin`] says how far
/// sealing got.
pub async fn seal_now(
    conn: &mut AsyncPgConnection,
    key: &AuditKey,
    wait: std::time::Duration,
) -> Result<Sealed, SealError> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = Int8)]
        next: i64,
    }
    // The next transaction id not yet given out: every transaction before it has started.
    let Next { next } =
        diesel::sql_query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next")
            .get_result(conn)
            .await?;
    let deadline = std::time::Instant::now() + wait;
    let mut last = None;
    loop {
        if let Some(done) = seal_pending(conn, key).await? {
            if done.sealed_xmin >= next {
                return Ok(done);
            }
            last = Some(done);
        }
        if std::time::Instant::now() >= deadline {
            return last.ok_or(SealError::Busy);
        }
        // Transactions before this call are still running (in any database of the
        // cluster), or another instance is sealing; either takes milliseconds.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// How long a person's check of the log waits for transactions that began before it.
pub const WAIT_FOR_PEOPLE: std::time::Duration = std::time::Duration::from_secs(2);
/// How long the command line and the daily checkpoint wait.
pub const WAIT_FOR_JOBS: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(QueryableByName)]
struct LastSignature {
    #[diesel(sql_type = Bytea)]
    signature: Vec<u8>,
}

/// Records a signed checkpoint of the chain's head as sealed now, on the caller's
/// transaction (seal first with [`seal_now`] to include the newest rows). Returns the
/// checkpoint, whose [`Checkpoint::anchor`] the administrators are sent.
pub async fn record_checkpoint(
    tx: &mut AsyncPgConnection,
    key: &AuditKey,
    at: DateTime<Utc>,
) -> Result<Checkpoint, SealError> {
    let row: StateRow = diesel::sql_query(
        "SELECT sealed_xmin, head_seq, head_hash, signature FROM audit_sealer FOR UPDATE",
    )
    .get_result(tx)
    .await?;
    if !row.is_genuine(key) {
        return Err(SealError::StateAltered);
    }
    let prev: Option<LastSignature> =
        diesel::sql_query("SELECT signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
            .get_result(tx)
            .await
            .optional()?;
    // Microseconds, as the database keeps them, so the signature checks after a read.
    let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
    let checkpoint = Checkpoint {
        sealed_through: row.head_seq,
        head_hash: row.head_hash,
        created_at: at,
        prev_signature: prev.map(|p| p.signature).unwrap_or_default(),
    };
    diesel::sql_query(
        "INSERT INTO audit_checkpoints (sealed_through, head_hash, created_at, prev_signature, signature) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<Int8, _>(checkpoint.sealed_through)
    .bind::<Bytea, _>(&checkpoint.head_hash)
    .bind::<Timestamptz, _>(checkpoint.created_at)
    .bind::<Bytea, _>(&checkpoint.prev_signature)
    .bind::<Bytea, _>(checkpoint.sign(key))
    .execute(tx)
    .await?;
    Ok(checkpoint)
}
