//! The HTTP surface: shared state, the route table, request ids, security headers, metrics,
//! and the rule that every error is `application/problem+json` (or an HTML page for pages).

pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod problem;
pub mod routes;

use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::db::{DbConn, DbPool};
use problem::Problem;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub tokens: TokenKeys,
    pub metrics: Arc<metrics::Metrics>,
    pub mail: crate::mail::MailContext,
    pub jobs: Arc<::jobs::Runner<crate::worker::JobContext>>,
    pub auth_cache: Arc<crate::auth::cache::AuthCache>,
    /// Uploaded files (tender documents, evidence), outside any served folder.
    pub files: crate::storage::FileStore,
    /// Per-client-address limits on sign-in and the other doors (`auth::throttle`).
    pub rate_limits: Arc<crate::auth::throttle::RateLimits>,
    /// Signs forms' CSRF values (`auth::csrf`).
    pub csrf_key: Vec<u8>,
}

impl AppState {
    /// Builds the state from settings and a pool.
    pub fn new(settings: Settings, pool: DbPool) -> Self {
        let mail = crate::mail::MailContext::from_settings(&settings);
        // The settings were checked when read; `commissioning serve` also checks the store
        // can be reached (`FileStore::check`) before it builds this.
        let files = crate::storage::FileStore::from_settings(&settings)
            .unwrap_or_else(|e| panic!("uploaded files: {e:#}"));
        let rate_limits = Arc::new(crate::auth::throttle::RateLimits::new(&settings));
        let csrf_key = crate::auth::csrf::key(&settings);
        let settings = Arc::new(settings);
        Self {
            rate_limits,
            csrf_key,
            tokens: TokenKeys::new(&settings.tokens),
            jobs: Arc::new(crate::worker::runner(
                pool.clone(),
                settings.clone(),
                mail.clone(),
                files.clone(),
            )),
            mail,
            settings,
            pool,
            metrics: Arc::new(metrics::Metrics::default()),
            auth_cache: Arc::new(crate::auth::cache::AuthCache::default()),
            files,
        }
    }

    /// A pooled connection; 503 problem when the pool is exhausted or the database is down.
    pub async fn db(&self) -> Result<DbConn, Problem> {
        self.pool.get().await.map_err(Problem::from)
    }
}

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;
