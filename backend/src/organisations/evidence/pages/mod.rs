//! Pages for provider evidence: the provider's own insurances (list, add or change with
//! check your answers, remove after a confirmation), and the council's view of a
//! provider's evidence, where a commissioner or administrator records a CQC rating.

mod council;
mod insurance_form;
mod insurances;

use crate::http::routing::resource;
use actix_web::web;

/// Registers these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/organisation/insurances").route(web::get().to(insurances::list_page)))
        .service(
            resource("/organisation/insurances/new")
                .route(web::get().to(insurance_form::new_page))
                .route(web::post().to(insurance_form::save_new)),
        )
        .service(
            resource("/organisation/insurances/{id}/edit")
                .route(web::get().to(insurance_form::edit_page))
                .route(web::post().to(insurance_form::save_edit)),
        )
        .service(
            resource("/organisation/insurances/{id}/check")
                .route(web::get().to(insurances::check_page))
                .route(web::post().to(insurances::confirm)),
        )
        .service(
            resource("/organisation/insurances/{id}/remove")
                .route(web::post().to(insurances::remove)),
        )
        .service(
            resource("/providers/{org}/insurances/{id}/certificate")
                .route(web::get().to(insurances::certificate)),
        )
        .service(resource("/providers/concerns").route(web::get().to(council::concerns_page)))
        .service(resource("/providers/{org}/evidence").route(web::get().to(council::evidence_page)))
        .service(
            resource("/providers/{org}/cqc-locations/{location}/rating")
                .route(web::get().to(council::rating_page))
                .route(web::post().to(council::record_rating)),
        );
}

/// A `?done=` key after a redirect, turned into the page's notice.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    fn notice(&self) -> Option<&'static str> {
        match self.done.as_deref()? {
            "added" => Some("Insurance added"),
            "changed" => Some("Insurance changed"),
            "removed" => Some("Insurance removed"),
            "rating" => Some("CQC rating recorded"),
            _ => None,
        }
    }
}
