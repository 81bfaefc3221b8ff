//! The tender procedure (DOMAIN.md, "Procurement procedures"): one owner of a competition
//! in the evaluation engine (`evaluation`), with the same id. The engine holds the
//! deadline, lots, questionnaire, sealed bids, panel, marks and ranked results; this
//! context holds what a tender adds around them:
//!
//! - [`procurements`]: the procurement's details, conflicts assessment, publication with
//!   opening notices, timetable, questionnaire versions told to bidders, cancellation;
//! - [`clarifications`] and [`documents`];
//! - [`bids`]: the provider's side (interest, receipts, their list, their summary);
//! - [`award`]: assessment summaries, the award notice, standstill, contract entry;
//! - [`jobs`]: standstill ending and bid reminders;
//! - [`todo`]: what each role has to do next, for their dashboard;
//! - [`api`] and [`pages`], per resource; [`emails`], one typed message per template.

pub mod api;
pub mod award;
pub mod bids;
pub mod clarifications;
pub mod demo;
pub mod documents;
pub mod emails;
pub mod errors;
pub mod jobs;
pub mod model;
pub mod pages;
pub mod procurements;
pub mod rules;
pub mod todo;

pub use errors::{ProcurementError, Refusal};
pub use model::{ProcurementRow, ProcurementStatus, ProcurementView};
pub use procurements::{load, load_managed};

/// Hands this context's routes and jobs to the application.
pub fn register(registry: &mut crate::registry::Registry) {
    use crate::background::Job;
    registry
        .api(api::configure)
        .pages(pages::configure)
        .job(Job::new(
            jobs::standstill::NAME,
            "Emails commissioners when a procurement's standstill ends, so the contract can be entered into",
            jobs::standstill::SCHEDULE,
            jobs::standstill::run,
        ))
        .job(Job::new(
            jobs::reminders::NAME,
            "Reminds providers, three days ahead, of tender bids they started and have not submitted",
            jobs::reminders::SCHEDULE,
            jobs::reminders::run,
        ));
}
