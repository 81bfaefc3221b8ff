//! The composition root: where the contexts meet the plumbing. The list of contexts
//! (`contexts`), the route table and the OpenAPI document (`routes`, `openapi`), the
//! middleware every request passes through, and the application state with every context's
//! jobs. Nothing but `startup`, `main` and the tests imports this module.

pub mod middleware;
pub mod openapi;
pub mod routes;

use crate::config::Settings;
use crate::db::DbPool;
use crate::registry::Registry;
use crate::state::AppState;

/// Every context, each handing over its routes and jobs. A new context is one line here.
pub fn contexts() -> Registry {
    let mut registry = Registry::default();
    crate::worker::register(&mut registry);
    crate::home::register(&mut registry);
    crate::accounts::register(&mut registry);
    crate::admin::register(&mut registry);
    crate::organisations::register(&mut registry);
    crate::procurement::register(&mut registry);
    crate::dps::register(&mut registry);
    registry
}

/// What holds back account recovery while an organisation has something sealed
/// (`organisations::invitations::RecoveryHolds`).
pub fn recovery_holds() -> crate::organisations::invitations::RecoveryHolds {
    crate::organisations::invitations::RecoveryHolds(vec![
        crate::evaluation::queries::recovery_hold,
    ])
}

/// The application state with every context's scheduled jobs.
pub fn state(settings: Settings, pool: DbPool) -> AppState {
    AppState::new(settings, pool, contexts().jobs)
}

/// Every email the service sends, as (template, sample data): each context's typed
/// messages (`emails.rs`) with their samples, for previews and the snapshot tests.
pub fn email_samples() -> Vec<(&'static str, serde_json::Value)> {
    let mut all = Vec::new();
    all.extend(crate::auth::emails::samples());
    all.extend(crate::organisations::emails::samples());
    all.extend(crate::procurement::emails::samples());
    all.extend(crate::admin::emails::samples());
    all
}
