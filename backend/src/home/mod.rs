//! Pages that belong to no one context: the start page, each role's dashboard, the
//! accessibility statement and how to give feedback.

pub mod pages;

use crate::http::routing::resource;
use crate::registry::Registry;
use actix_web::web;

/// Hands this context's pages to the application.
pub fn register(registry: &mut Registry) {
    registry.pages(page_routes);
}

fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/").route(web::get().to(pages::start_page)))
        .service(resource("/accessibility").route(web::get().to(pages::accessibility_page)))
        .service(resource("/feedback").route(web::get().to(pages::feedback_page)))
        .service(resource("/dashboard").route(web::get().to(pages::dashboard_page)));
}
