//! Pages: provider registration, the provider's own organisation profile, and the
//! administrator's users and organisations, one file per resource.

mod form;
mod organisations;
mod profile;
mod registration;
mod users;

use crate::http::routing::resource;
use actix_web::web;
use organisations::*;
use profile::*;
use registration::*;
use users::*;

pub use form::OrganisationForm;
pub(crate) use form::problem_page;

/// Registers this context's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/register")
            .route(web::get().to(register_page))
            .route(web::post().to(register)),
    )
    .service(
        resource("/register/confirm")
            .route(web::get().to(confirm_registration_page))
            .route(web::post().to(confirm_registration)),
    )
    .service(resource("/organisation").route(web::get().to(own_organisation_page)))
    .service(
        resource("/organisation/edit")
            .route(web::get().to(edit_own_organisation_page))
            .route(web::post().to(update_own_organisation)),
    )
    .service(resource("/admin/users").route(web::get().to(users_page)))
    .service(
        resource("/admin/users/new")
            .route(web::get().to(new_user_page))
            .route(web::post().to(create_user)),
    )
    .service(
        resource("/admin/users/{id}")
            .route(web::get().to(edit_user_page))
            .route(web::post().to(update_user)),
    )
    .service(resource("/admin/organisations").route(web::get().to(organisations_page)))
    .service(
        resource("/admin/organisations/new")
            .route(web::get().to(new_organisation_page))
            .route(web::post().to(create_organisation)),
    )
    .service(
        resource("/admin/organisations/{id}")
            .route(web::get().to(edit_organisation_page))
            .route(web::post().to(update_organisation)),
    );
}
