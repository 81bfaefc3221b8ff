//! What scheduled jobs get: the handles a job handler needs, and the runner and registry
//! types (the generic `jobs` crate over this context). The concrete jobs are registered by
//! each context and put together in `worker`.

use crate::config::Settings;
use crate::db::DbPool;
use crate::mail::MailContext;
use crate::storage::FileStore;
use std::sync::Arc;

/// What every job handler gets.
#[derive(Clone)]
pub struct JobContext {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub mail: MailContext,
    pub files: FileStore,
}

/// This process's name in `job_runs.worker`.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// The platform's job runner.
pub type JobRunner = ::jobs::Runner<JobContext>;
/// The platform's registry of scheduled jobs.
pub type JobRegistry = ::jobs::Registry<JobContext>;
/// One scheduled job.
pub type Job = ::jobs::Job<JobContext>;
