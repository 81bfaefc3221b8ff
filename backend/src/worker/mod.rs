//! The application's scheduled jobs and background workers: the registry of concrete jobs
//! (run by the generic `jobs` crate), and starting the job runner and the email sender
//! beside the web server (or alone, with `commissioning jobs worker`).

pub mod api;
pub mod housekeeping;
pub mod pages;

use crate::config::Settings;
use crate::db::DbPool;
use crate::mail::MailContext;
use ::jobs::{Clock, Job, Registry, Runner, SystemClock};
use std::sync::Arc;

/// What every job handler gets.
#[derive(Clone)]
pub struct JobContext {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub mail: MailContext,
    pub files: crate::storage::FileStore,
}

/// Every scheduled job of the platform. Later capabilities add theirs here.
pub fn registry() -> Registry<JobContext> {
    Registry::default().with(
        Job::new(
            housekeeping::NAME,
            "Deletes expired sign-in and email tokens, sign-in counts, unconfirmed registrations, old idempotency keys, job runs and sent emails, and uploaded files nothing refers to",
            "0 15 3 * * *",
            housekeeping::run,
        )
        .expect("the housekeeping schedule is valid"),
    )
    .with(
        Job::new(
            crate::audit::jobs::NAME,
            "Seals the audit log, records a signed checkpoint and emails it to every administrator to keep",
            crate::audit::jobs::SCHEDULE,
            crate::audit::jobs::run,
        )
        .expect("the audit checkpoint schedule is valid"),
    )
    .with(
        Job::new(
            crate::procurement::standstill::NAME,
            "Emails commissioners when a procurement's standstill ends, so the contract can be entered into",
            crate::procurement::standstill::SCHEDULE,
            crate::procurement::standstill::run,
        )
        .expect("the standstill schedule is valid"),
    )
    .with(
        Job::new(
            crate::procurement::reminders::NAME,
            "Reminds providers, three days ahead, of tender bids they started and have not submitted",
            crate::procurement::reminders::SCHEDULE,
            crate::procurement::reminders::run,
        )
        .expect("the reminder schedule is valid"),
    )
}

/// An administrator's "run now": queues a run of `name` for the next free worker and
/// records who asked. `None` when no job has that name.
pub async fn request_run(
    state: &crate::http::AppState,
    actor: &crate::auth::AuthUser,
    name: &str,
) -> anyhow::Result<Option<i64>> {
    if state.jobs.registry().find(name).is_none() {
        return Ok(None);
    }
    let id = state.jobs.enqueue_now(name).await?;
    let mut conn = state.pool.get().await?;
    crate::audit::record(
        &mut conn,
        &actor.actor(),
        crate::audit::Entry::new("job.run_requested", "job_run", id)
            .with_details(serde_json::json!({"job": name})),
    )
    .await?;
    Ok(Some(id))
}

/// This process's name in `job_runs.worker`.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// Builds the job runner over the real clock.
pub fn runner(
    pool: DbPool,
    settings: Arc<Settings>,
    mail: MailContext,
    files: crate::storage::FileStore,
) -> Runner<JobContext> {
    runner_with_clock(pool, settings, mail, files, Arc::new(SystemClock))
}

/// Builds the job runner over a given clock (tests drive time with `ManualClock`).
pub fn runner_with_clock(
    pool: DbPool,
    settings: Arc<Settings>,
    mail: MailContext,
    files: crate::storage::FileStore,
    clock: Arc<dyn Clock>,
) -> Runner<JobContext> {
    let context = JobContext {
        pool: pool.clone(),
        settings,
        mail,
        files,
    };
    Runner::new(pool, Arc::new(registry()), context, clock, worker_name())
}

/// Starts the job runner, the email sender and the audit sealer as tasks; they stop when `shutdown` turns
/// true, finishing (or giving back) what they hold.
pub fn spawn(
    state: &crate::http::AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let runner = state.jobs.clone();
    let jobs_shutdown = shutdown.clone();
    let sender = crate::mail::sender::Sender::new(
        state.pool.clone(),
        crate::mail::sender::Transport::from_settings(&state.settings.mail)?,
        state
            .settings
            .mail
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM is not a valid address: {e}"))?,
        state.mail.clone(),
    );
    let sealer = crate::audit::jobs::run_sealer(
        state.pool.clone(),
        crate::audit::AuditKey::from_settings(&state.settings),
        shutdown.clone(),
    );
    Ok(vec![
        tokio::spawn(async move { runner.run_until_shutdown(jobs_shutdown).await }),
        tokio::spawn(async move { sender.run_until_shutdown(shutdown).await }),
        tokio::spawn(sealer),
    ])
}
