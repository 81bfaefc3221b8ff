//! Accounts: signing in and out, API tokens, the signed-in user, forgotten passwords,
//! confirming an email address, and each person's email choices. The machinery (tokens,
//! sessions, CSRF, hashing, throttling) is `auth`; these are its pages and API.

pub mod api;
pub mod demo;
pub mod notifications;
pub mod pages;

use crate::http::routing::resource;
use crate::registry::Registry;
use actix_web::web;

/// Hands this context's routes to the application.
pub fn register(registry: &mut Registry) {
    registry.api(api_routes).pages(page_routes);
}

fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(api::issue_token)
        .service(api::revoke_token)
        .service(api::get_me);
}

fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/login")
            .route(web::get().to(pages::login_form))
            .route(web::post().to(pages::login)),
    )
    .service(resource("/logout").route(web::post().to(pages::logout)))
    .service(
        resource("/forgot-password")
            .route(web::get().to(pages::forgot_password_form))
            .route(web::post().to(pages::request_password_reset)),
    )
    .service(
        resource("/reset-password")
            .route(web::get().to(pages::reset_password_form))
            .route(web::post().to(pages::reset_password)),
    )
    .service(resource("/verify-email").route(web::get().to(pages::verify_email)))
    .service(resource("/verify-email/resend").route(web::post().to(pages::resend_verification)))
    .configure(notifications::configure);
}
