//! The evaluation engine (DOMAIN.md, "The evaluation engine"), keyed on a *competition*:
//! lots, a versioned questionnaire per lot, a deadline read by the database clock, sealed
//! submissions (one per provider per lot per competition), an opening, a panel with
//! conflict declarations, marking, moderation, and outcomes decided one of two ways:
//! ranked award ([`results`]) or pass/fail admission with clarification that stops a
//! decision clock ([`admission`]). It knows no procedure: a tender (`procurement`) owns
//! one competition, as DPS rounds, call-offs and framework tenders will.
//!
//! - [`competitions`]: creating, publishing, opening, cancelling; who sees what ([`Access`]);
//! - [`questionnaires`]: versions per lot;
//! - [`submissions`]: the provider's side of a sealed submission;
//! - [`queries`]: the one door to sealed content, and the lists;
//! - [`panels`], [`marking`]: declarations, marks and moderation;
//! - [`results`], [`admission`]: the two ways of deciding;
//! - [`rules`], [`scoring`]: the pure rules, each in one place with its tests.
//!
//! The engine audits what happens inside a competition (opening, the panel, declarations,
//! marks, moderation, submissions, decisions); the owner audits its procedure (creating,
//! publishing, changing the timetable, cancelling, awarding) and sends every email, in
//! its own words.

pub mod admission;
pub mod competitions;
pub mod errors;
pub mod marking;
pub mod model;
pub mod panels;
pub mod queries;
pub mod questionnaires;
pub mod results;
pub mod rules;
pub mod scoring;
pub mod submissions;

pub use competitions::Access;
pub use errors::{EvaluationError, Refusal};
pub use model::*;
