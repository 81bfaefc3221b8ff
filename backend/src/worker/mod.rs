//! The platform's background work put together: the registry of every context's scheduled
//! jobs, the housekeeping job that belongs to no context, and starting the job runner, the
//! email sender and the audit sealer beside the web server (or alone, with
//! `commissioning jobs worker`).

pub mod housekeeping;

use crate::background::Job;

/// Hands the housekeeping job (which belongs to no context) to the application.
pub fn register(registry: &mut crate::registry::Registry) {
    registry.job(Job::new(
        housekeeping::NAME,
        "Deletes expired sign-in and email tokens, sign-in counts, unconfirmed registrations, old idempotency keys, job runs and sent emails, and uploaded files nothing refers to",
        "0 15 3 * * *",
        housekeeping::run,
    ));
}

/// Starts the job runner, the email sender and the audit sealer as tasks; they stop when `shutdown` turns
/// true, finishing (or giving back) what they hold.
pub fn spawn(
    state: &crate::state::AppState,
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
    let sealer = crate::audit::sealer::run_sealer(
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
