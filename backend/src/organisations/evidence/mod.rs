//! Provider evidence that market membership depends on (DOMAIN.md, "Dynamic purchasing
//! system"): insurances with their certificates on the provider's profile, CQC ratings
//! recorded by the council with their history, the daily expiry reminders, and
//! [`provider_concerns`], which the DPS context reads to propose suspensions.

pub mod api;
pub mod concerns;
pub mod insurances;
pub mod model;
pub mod pages;
pub mod ratings;
pub mod rules;

pub use concerns::{Concern, ConcernKind, provider_concerns};
