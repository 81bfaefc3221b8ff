//! Dynamic purchasing systems and dynamic markets (DOMAIN.md, "Dynamic purchasing system /
//! dynamic market"): one owner of competitions in the evaluation engine (`evaluation`). A
//! DPS owns one competition with its id, holding its lots and each lot's conditions of
//! membership (a pass/fail selection questionnaire per lot, decided by admission);
//! establishing the DPS publishes it, which freezes the conditions for the term. This
//! context holds what a DPS adds around them:
//!
//! - [`markets`]: setting up a DPS, its lots' conditions, the notice of intention, and
//!   establishing it;
//! - [`queries`]: who may see which DPS, the views and the list;
//! - [`rules`]: the regime's dates, the round schedule (openings and cut-offs in working
//!   days, London time) and the notices' words;
//! - [`api`] and [`pages`]; [`demo`], its demo data.

pub mod api;
pub mod demo;
pub mod errors;
pub mod markets;
pub mod model;
pub mod pages;
pub mod queries;
pub mod rules;

pub use errors::{DpsError, Refusal};
pub use model::{DpsRow, DpsStatus, DpsView};

/// Hands this context's routes to the application.
pub fn register(registry: &mut crate::registry::Registry) {
    registry.api(api::configure).pages(pages::configure);
}
