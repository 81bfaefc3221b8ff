//! Pages of the evaluation engine for commissioners, evaluators and providers.

use actix_web::web;

/// Registers this context's pages.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
