//! The DPS's pages.

use actix_web::web;

/// Registers this context's pages.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
