//! What each context hands the application, through its one `register` function: its API
//! routes (mounted under `/api/v1`), its pages and its scheduled jobs. `app` calls every
//! context's `register` and builds the server and the worker from the result, so the
//! plumbing never names a context. Templates need no registering: every file under
//! `frontend/templates` is loaded by `web` (pages) and `mail` (emails) by its path.

use crate::background::{Job, JobRegistry};
use actix_web::web::ServiceConfig;

/// A function that adds pages.
pub type Routes = fn(&mut ServiceConfig);

/// A function that adds API operations: each a handler with its `#[utoipa::path]` and
/// actix route attribute, added with `service(...)`, so that the route and its OpenAPI
/// description are one declaration (`utoipa-actix-web` collects them).
pub type ApiRoutes = fn(&mut utoipa_actix_web::service_config::ServiceConfig);

/// Everything the contexts have registered.
#[derive(Default)]
pub struct Registry {
    pub api: Vec<ApiRoutes>,
    pub pages: Vec<Routes>,
    pub jobs: JobRegistry,
}

impl Registry {
    /// API operations, mounted under `/api/v1`.
    pub fn api(&mut self, routes: ApiRoutes) -> &mut Self {
        self.api.push(routes);
        self
    }

    /// Pages.
    pub fn pages(&mut self, routes: Routes) -> &mut Self {
        self.pages.push(routes);
        self
    }

    /// A scheduled job. Its schedule is checked at start: an invalid one stops the program
    /// before it serves anything.
    pub fn job(&mut self, job: anyhow::Result<Job>) -> &mut Self {
        self.jobs
            .add(job.unwrap_or_else(|e| panic!("a scheduled job is misdeclared: {e:#}")));
        self
    }
}
