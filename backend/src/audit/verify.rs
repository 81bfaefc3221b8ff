//! The verifier: recomputes the whole chain in Rust and checks it against the signed
//! sealer state, the signed checkpoints and, when given, an anchor kept outside the
//! database. It reports the first thing wrong: an altered, deleted, reordered or forged row,
//! or a tail cut off the end.

use super::chain::{self, Anchor, AuditKey, Checkpoint};
use super::seal::{CHAIN_COLUMNS, ChainRow, StateRow};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Bytea, Int8, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Seals read per page.
const PAGE: i64 = 5_000;

/// The verifier's answer.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Verification {
    /// Whether every check passed.
    pub ok: bool,
    /// Audit rows in the chain.
    pub rows: i64,
    /// The audit row where the chain first fails, when a row is to blame.
    pub first_bad: Option<i64>,
    /// What is wrong, in words, when `ok` is false.
    pub problem: Option<String>,
    /// Signed checkpoints checked.
    pub checkpoints: i64,
    /// The result of checking the anchor given, if one was.
    pub anchor: Option<String>,
    /// Rows written by transactions that had not ended when sealing last ran: they join
    /// the chain at the next round.
    pub awaiting_seal: i64,
}

#[derive(QueryableByName)]
struct SealRow {
    #[diesel(sql_type = Int8)]
    seq: i64,
    #[diesel(sql_type = Int8)]
    audit_id: i64,
    #[diesel(sql_type = Bytea)]
    prev_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    row_hash: Vec<u8>,
}

#[derive(QueryableByName)]
struct CheckpointRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Int8)]
    sealed_through: i64,
    #[diesel(sql_type = Bytea)]
    head_hash: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Bytea)]
    prev_signature: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    signature: Vec<u8>,
}

#[derive(QueryableByName)]
struct Forged {
    #[diesel(sql_type = Int8)]
    id: i64,
}

struct Failure {
    row: Option<i64>,
    problem: String,
}

fn fail(row: Option<i64>, problem: impl Into<String>) -> Failure {
    Failure {
        row,
        problem: problem.into(),
    }
}

/// Checks the chain as it stands (call [`super::seal::seal_now`] first to include rows
/// written since the last sealing round). `anchor` is a line from an administrators' email.
pub async fn verify(
    conn: &mut AsyncPgConnection,
    key: &AuditKey,
    anchor: Option<&Anchor>,
) -> diesel::QueryResult<Verification> {
    let mut rows = 0;
    let mut checkpoints = 0;
    let outcome = check(conn, key, anchor, &mut rows, &mut checkpoints).await?;
    let Forged { id: awaiting_seal } = diesel::sql_query(
        "SELECT count(*) AS id FROM audit_log WHERE xact_id >= (SELECT sealed_xmin FROM audit_sealer)",
    )
    .get_result(conn)
    .await?;
    Ok(match outcome {
        Ok(anchor) => Verification {
            ok: true,
            rows,
            first_bad: None,
            problem: None,
            checkpoints,
            anchor,
            awaiting_seal,
        },
        Err(f) => Verification {
            ok: false,
            rows,
            first_bad: f.row,
            problem: Some(f.problem),
            checkpoints,
            anchor: None,
            awaiting_seal,
        },
    })
}

async fn check(
    conn: &mut AsyncPgConnection,
    key: &AuditKey,
    anchor: Option<&Anchor>,
    rows: &mut i64,
    checkpoints_checked: &mut i64,
) -> diesel::QueryResult<Result<Option<String>, Failure>> {
    let state: StateRow =
        diesel::sql_query("SELECT sealed_xmin, head_seq, head_hash, signature FROM audit_sealer")
            .get_result(conn)
            .await?;
    if !state.is_genuine(key) {
        return Ok(Err(fail(
            None,
            "The sealer's signed state was changed outside the application.",
        )));
    }
    if let Some(a) = anchor
        && !a.is_genuine(key)
    {
        return Ok(Err(fail(
            None,
            "The anchor given is not one this service signed (check it was copied whole).",
        )));
    }
    let checkpoints: Vec<CheckpointRow> = diesel::sql_query(
        "SELECT id, sealed_through, head_hash, created_at, prev_signature, signature FROM audit_checkpoints ORDER BY id",
    )
    .load(conn)
    .await?;
    // The hash the chain has at each position a checkpoint or the anchor names.
    let mut wanted: HashMap<i64, Option<Vec<u8>>> = checkpoints
        .iter()
        .map(|c| (c.sealed_through, None))
        .collect();
    if let Some(a) = anchor {
        wanted.insert(a.sealed_through, None);
    }
    if let Some(h) = wanted.get_mut(&0) {
        *h = Some(Vec::new());
    }

    let mut head: Vec<u8> = Vec::new();
    let mut seq = 0_i64;
    loop {
        let seals: Vec<SealRow> = diesel::sql_query(
            "SELECT seq, audit_id, prev_hash, row_hash FROM audit_seals WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind::<Int8, _>(seq)
        .bind::<Int8, _>(PAGE)
        .load(conn)
        .await?;
        let ids: Vec<i64> = seals.iter().map(|s| s.audit_id).collect();
        let mut content: HashMap<i64, ChainRow> = diesel::sql_query(format!(
            "SELECT {CHAIN_COLUMNS} FROM audit_log a WHERE a.id = ANY($1)"
        ))
        .bind::<Array<Int8>, _>(&ids)
        .load::<ChainRow>(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
        let count = seals.len();
        for seal in seals {
            if seal.seq != seq + 1 {
                return Ok(Err(fail(
                    Some(seal.audit_id),
                    format!(
                        "Seal {} is missing: the chain jumps from {seq} to {}.",
                        seq + 1,
                        seal.seq
                    ),
                )));
            }
            if seal.prev_hash != head {
                return Ok(Err(fail(
                    Some(seal.audit_id),
                    format!(
                        "The chain is broken at seal {}: it does not follow the one before (rows removed or reordered).",
                        seal.seq
                    ),
                )));
            }
            let Some(row) = content.remove(&seal.audit_id) else {
                return Ok(Err(fail(
                    Some(seal.audit_id),
                    format!("Audit row {} was deleted.", seal.audit_id),
                )));
            };
            if chain::row_hash(&head, &row.content()) != seal.row_hash {
                return Ok(Err(fail(
                    Some(seal.audit_id),
                    format!(
                        "Audit row {} was altered after it was sealed.",
                        seal.audit_id
                    ),
                )));
            }
            head = seal.row_hash;
            seq = seal.seq;
            *rows += 1;
            if let Some(slot) = wanted.get_mut(&seq) {
                *slot = Some(head.clone());
            }
        }
        if (count as i64) < PAGE {
            break;
        }
    }
    if seq != state.head_seq || head != state.head_hash {
        return Ok(Err(fail(
            None,
            if seq < state.head_seq {
                format!(
                    "The newest sealed rows were removed: the signed head is seal {}, the chain ends at {seq}.",
                    state.head_seq
                )
            } else {
                format!(
                    "The chain does not end where the signed head says (seal {}); it ends at {seq}.",
                    state.head_seq
                )
            },
        )));
    }
    let forged: Option<Forged> = diesel::sql_query(
        "SELECT a.id FROM audit_log a WHERE a.xact_id < $1 \
         AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id) ORDER BY a.id LIMIT 1",
    )
    .bind::<Int8, _>(state.sealed_xmin)
    .get_result(conn)
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        e => Err(e),
    })?;
    if let Some(Forged { id }) = forged {
        return Ok(Err(fail(
            Some(id),
            format!(
                "Audit row {id} was added outside the application: it is dated among rows already sealed but was never sealed."
            ),
        )));
    }
    let mut previous_signature: Vec<u8> = Vec::new();
    for c in &checkpoints {
        let checkpoint = Checkpoint {
            sealed_through: c.sealed_through,
            head_hash: c.head_hash.clone(),
            created_at: c.created_at,
            prev_signature: c.prev_signature.clone(),
        };
        if c.prev_signature != previous_signature || !checkpoint.verify(key, &c.signature) {
            return Ok(Err(fail(
                None,
                format!("Checkpoint {} was altered, or one before it removed.", c.id),
            )));
        }
        match wanted.get(&c.sealed_through) {
            Some(Some(hash)) if *hash == c.head_hash => {}
            _ => {
                return Ok(Err(fail(
                    None,
                    format!(
                        "The chain no longer matches checkpoint {} of {} (seal {}).",
                        c.id,
                        crate::calendar::london_time(c.created_at),
                        c.sealed_through
                    ),
                )));
            }
        }
        previous_signature = c.signature.clone();
        *checkpoints_checked += 1;
    }
    let anchor_result = match anchor {
        None => None,
        Some(a) => match wanted.get(&a.sealed_through) {
            Some(Some(hash)) if *hash == a.head_hash => Some(format!(
                "The chain matches the anchor of {} (seal {}).",
                crate::calendar::london_time(a.created_at),
                a.sealed_through
            )),
            _ if a.sealed_through > seq => {
                return Ok(Err(fail(
                    None,
                    format!(
                        "The log has been cut back: the anchor of {} names seal {}, but the chain ends at {seq}.",
                        crate::calendar::london_time(a.created_at),
                        a.sealed_through
                    ),
                )));
            }
            _ => {
                return Ok(Err(fail(
                    None,
                    format!(
                        "The chain no longer matches the anchor of {} (seal {}): rows up to it were changed.",
                        crate::calendar::london_time(a.created_at),
                        a.sealed_through
                    ),
                )));
            }
        },
    };
    Ok(Ok(anchor_result))
}
