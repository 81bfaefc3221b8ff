//! The administrators' view of the platform itself: the audit log, the email outbox and the
//! scheduled jobs (the machinery is `audit`, `mail` and `background`; these are its pages,
//! its API and the daily audit checkpoint emailed to administrators). Users and
//! organisations are in `organisations`.

pub mod api;
pub mod audit_words;
pub mod emails;
pub mod jobs;
pub mod pages;
pub mod run_now;
pub mod todo;

use crate::background::Job;
use crate::registry::Registry;
use actix_web::web;

/// Hands this context's routes and jobs to the application.
pub fn register(registry: &mut Registry) {
    registry.api(api_routes).pages(page_routes).job(Job::new(
        jobs::audit_checkpoint::NAME,
        "Seals the audit log, records a signed checkpoint and emails it to every administrator to keep",
        jobs::audit_checkpoint::SCHEDULE,
        jobs::audit_checkpoint::run,
    ));
}

fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.configure(api::audit::configure)
        .configure(api::outbox::configure)
        .configure(api::jobs::configure);
}

fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(pages::audit::configure)
        .configure(pages::outbox::configure)
        .configure(pages::jobs::configure);
}
