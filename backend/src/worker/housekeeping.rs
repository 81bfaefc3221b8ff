//! Nightly housekeeping: removes what has no further use. Everything is measured from the
//! tick the run is for, never the wall clock, so a late or repeated run removes the same.

use crate::audit::{self, Actor};
use crate::background::JobContext;
use chrono::Duration;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;

/// The job's name.
pub const NAME: &str = "housekeeping";

/// How long things are kept.
pub const KEEP_IDEMPOTENCY_KEYS: Duration = Duration::hours(24);
pub const KEEP_USED_TOKENS: Duration = Duration::days(1);
pub const KEEP_JOB_RUNS: Duration = Duration::days(90);
pub const KEEP_SENT_EMAIL: Duration = Duration::days(180);
/// An insurance a provider started on the pages and never saved (its certificate then
/// goes in the next night's sweep).
pub const KEEP_INSURANCE_DRAFTS: Duration = Duration::days(30);
/// Uploads are left alone this long, so one whose transaction is still running is safe.
pub const KEEP_UNREFERENCED_UPLOADS: Duration = Duration::hours(1);

/// Runs the purge for one tick.
pub async fn run(context: JobContext, tick: Tick) -> anyhow::Result<()> {
    let at = tick.at;
    let mut conn = context.pool.get().await?;
    // Files first, in their own statement: the objects cannot be put back, so their rows
    // go in a committed statement of their own.
    let swept =
        crate::storage::sweep(&mut conn, &context.files, at - KEEP_UNREFERENCED_UPLOADS).await?;
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let mut removed = serde_json::Map::new();
        removed.insert("files".into(), serde_json::to_value(swept)?);
        for (what, sql, cutoff) in [
            (
                "revoked_tokens",
                "DELETE FROM revoked_tokens WHERE expires_at < $1",
                at,
            ),
            (
                "account_tokens",
                "DELETE FROM account_tokens WHERE expires_at < $1 OR used_at < $1",
                at - KEEP_USED_TOKENS,
            ),
            (
                "idempotency_keys",
                "DELETE FROM idempotency_keys WHERE created_at < $1",
                at - KEEP_IDEMPOTENCY_KEYS,
            ),
            (
                "job_runs",
                "DELETE FROM job_runs WHERE status IN ('succeeded', 'failed') AND finished_at < $1",
                at - KEEP_JOB_RUNS,
            ),
            (
                "outbox",
                "DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1",
                at - KEEP_SENT_EMAIL,
            ),
            (
                "sign_in_throttle",
                "DELETE FROM sign_in_throttle WHERE window_started_at < $1",
                at - crate::auth::throttle::WINDOW,
            ),
            (
                "insurance_drafts",
                "DELETE FROM insurances WHERE saved_at IS NULL AND updated_at < $1",
                at - KEEP_INSURANCE_DRAFTS,
            ),
            (
                "pending_registrations",
                "DELETE FROM pending_registrations WHERE expires_at < $1 OR used_at < $1",
                at - KEEP_USED_TOKENS,
            ),
        ] {
            let n = diesel::sql_query(sql)
                .bind::<Timestamptz, _>(cutoff)
                .execute(tx)
                .await?;
            removed.insert(what.into(), n.into());
        }
        audit::record(
            tx,
            &Actor::system(),
            audit::Entry::new("housekeeping.ran", "job_run", tick.run_id).with_details(
                serde_json::json!({
                    "tick": at,
                    "removed": removed,
                }),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}
