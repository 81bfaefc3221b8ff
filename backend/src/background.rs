//! What scheduled jobs get: the handles a job handler needs, and the runner and registry
//! types (the generic `jobs` crate over this context). The concrete jobs are registered by
//! each context and put together in `worker`.

use crate::config::Settings;
use crate::db::DbPool;
use crate::http::metrics::Metrics;
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

/// Counts and times this process's job runs in its [`Metrics`] (`job_runs_total`,
/// `job_run_duration_seconds`): the `jobs` crate's [`jobs::Observer`], so that crate needs
/// no metrics library.
pub struct JobMetrics(Arc<Metrics>);

impl JobMetrics {
    /// Reports into `metrics`, showing each of `jobs` at zero until it first runs here.
    pub fn new<'a>(metrics: Arc<Metrics>, jobs: impl IntoIterator<Item = &'a str>) -> Self {
        for job in jobs {
            metrics.expect_job(job, &::jobs::Outcome::NAMES);
        }
        Self(metrics)
    }
}

impl ::jobs::Observer for JobMetrics {
    fn run_ended(
        &self,
        job: &str,
        outcome: &::jobs::Outcome,
        ran_for: Option<std::time::Duration>,
    ) {
        self.0.observe_job_run(job, outcome.name(), ran_for);
    }
}
