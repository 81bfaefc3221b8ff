//! What every handler can reach: the pool, the settings and the long-lived services built
//! from them once at start. Holds plumbing only; the contexts' routes and jobs are put
//! together in `app` and `worker`.

use crate::auth::Gate;
use crate::background::{JobContext, JobMetrics, JobRegistry, JobRunner};
use crate::config::Settings;
use crate::db::{DbConn, DbPool};
use crate::http::problem::Problem;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    /// Tokens, the signed-in-user cache and the CSRF key, for the extractors.
    pub gate: Arc<Gate>,
    pub metrics: Arc<crate::http::metrics::Metrics>,
    pub mail: crate::mail::MailContext,
    pub jobs: Arc<JobRunner>,
    /// Uploaded files (tender documents, evidence), outside any served folder.
    pub files: crate::storage::FileStore,
    /// Per-client-address limits on sign-in and the other doors (`auth::throttle`).
    pub rate_limits: Arc<crate::auth::throttle::RateLimits>,
}

impl AppState {
    /// Builds the state from settings, a pool and the platform's jobs (`worker::registry`).
    pub fn new(settings: Settings, pool: DbPool, jobs: JobRegistry) -> Self {
        let mail = crate::mail::MailContext::from_settings(&settings);
        // The settings were checked when read; `commissioning serve` also checks the store
        // can be reached (`FileStore::check`) before it builds this.
        let files = crate::storage::FileStore::from_settings(&settings)
            .unwrap_or_else(|e| panic!("uploaded files: {e:#}"));
        let rate_limits = Arc::new(crate::auth::throttle::RateLimits::new(&settings));
        let gate = Arc::new(Gate::new(&settings, pool.clone()));
        let settings = Arc::new(settings);
        // One set of metrics for the process: /metrics shows the requests it answered and
        // the job runs it ended.
        let metrics = Arc::new(crate::http::metrics::Metrics::new());
        let job_metrics = JobMetrics::new(metrics.clone(), jobs.jobs().iter().map(|j| j.name));
        Self {
            rate_limits,
            gate,
            jobs: Arc::new(
                ::jobs::Runner::new(
                    pool.clone(),
                    Arc::new(jobs),
                    JobContext {
                        pool: pool.clone(),
                        settings: settings.clone(),
                        mail: mail.clone(),
                        files: files.clone(),
                    },
                    Arc::new(::jobs::SystemClock),
                    crate::background::worker_name(),
                )
                .with_observer(Arc::new(job_metrics)),
            ),
            mail,
            settings,
            pool,
            metrics,
            files,
        }
    }

    /// A pooled connection; 503 problem when the pool is exhausted or the database is down.
    pub async fn db(&self) -> Result<DbConn, Problem> {
        self.pool.get().await.map_err(Problem::from)
    }
}
