//! The tender procedure's JSON API, one file per resource. Handlers parse, call one
//! function of the context (which opens its own transaction) and answer, following the
//! conventions in docs/api.md: creating `POST`s answer `201` with what they created,
//! actions on a procurement answer `200` with the procurement as it now is, `PUT`s answer
//! with what they stored, and `DELETE`s answer `204`.

pub mod award;
pub mod bids;
pub mod clarifications;
pub mod evaluation;
pub mod procurements;

use crate::auth::AuthUser;
use crate::auth::extract::ApiUser;
use crate::http::problem::Problem;
use crate::http::routing::resource;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let uploads = web::PayloadConfig::new(crate::storage::MAX_FILE_BYTES + 1);
    cfg.service(
        resource("/procurements")
            .route(web::get().to(procurements::list_procurements))
            .route(web::post().to(procurements::create_procurement)),
    )
    .service(
        resource("/procurements/{id}")
            .route(web::get().to(procurements::get_procurement))
            .route(web::put().to(procurements::update_procurement)),
    )
    .service(
        resource("/procurements/{id}/conflicts-assessment")
            .route(web::post().to(procurements::record_conflicts_assessment)),
    )
    .service(resource("/procurements/{id}/publish").route(web::post().to(procurements::publish)))
    .service(resource("/procurements/{id}/cancel").route(web::post().to(procurements::cancel)))
    .service(
        resource("/procurements/{id}/timetable")
            .route(web::post().to(procurements::change_timetable)),
    )
    .service(
        resource("/procurements/{id}/questionnaire")
            .route(web::get().to(procurements::get_questionnaire))
            .route(web::put().to(procurements::replace_questionnaire)),
    )
    .service(
        resource("/procurements/{id}/documents")
            .app_data(uploads.clone())
            .route(web::post().to(procurements::add_document)),
    )
    .service(
        resource("/procurements/{id}/documents/{file_id}")
            .route(web::get().to(procurements::download_document)),
    )
    .service(
        resource("/procurements/{id}/interest")
            .route(web::post().to(procurements::register_interest)),
    )
    .service(
        resource("/procurements/{id}/clarifications")
            .route(web::get().to(clarifications::list_clarifications))
            .route(web::post().to(clarifications::ask_clarification)),
    )
    .service(
        resource("/procurements/{id}/clarifications/{clarification_id}/answer")
            .route(web::post().to(clarifications::answer_clarification)),
    )
    .service(
        resource("/procurements/{id}/submissions")
            .route(web::get().to(evaluation::list_submissions))
            .route(web::post().to(bids::start_submission)),
    )
    .service(
        resource("/procurements/{id}/open").route(web::post().to(evaluation::open_submissions)),
    )
    .service(
        resource("/procurements/{id}/panel")
            .route(web::get().to(evaluation::get_panel))
            .route(web::put().to(evaluation::set_panel)),
    )
    .service(
        resource("/procurements/{id}/declarations")
            .route(web::get().to(evaluation::get_declarations))
            .route(web::post().to(evaluation::declare)),
    )
    .service(
        resource("/procurements/{id}/moderation").route(web::get().to(evaluation::get_moderation)),
    )
    .service(resource("/procurements/{id}/results").route(web::get().to(evaluation::get_results)))
    .service(resource("/procurements/{id}/award").route(web::post().to(award::award)))
    .service(
        resource("/procurements/{id}/award-notice").route(web::get().to(award::get_award_notice)),
    )
    .service(
        resource("/procurements/{id}/contract-entered")
            .route(web::post().to(award::enter_contract)),
    )
    .service(resource("/submissions").route(web::get().to(bids::my_submissions)))
    .service(resource("/submissions/{id}").route(web::get().to(bids::get_submission)))
    .service(resource("/submissions/{id}/answers").route(web::patch().to(bids::save_answers)))
    .service(resource("/submissions/{id}/submit").route(web::post().to(bids::submit)))
    .service(resource("/submissions/{id}/withdraw").route(web::post().to(bids::withdraw)))
    .service(
        resource("/submissions/{id}/files")
            .app_data(uploads)
            .route(web::post().to(bids::attach_file)),
    )
    .service(
        resource("/submissions/{id}/files/{file_id}")
            .route(web::get().to(bids::download_submission_file))
            .route(web::delete().to(bids::detach_file)),
    )
    .service(
        resource("/submissions/{id}/assessment-summary")
            .route(web::get().to(bids::get_assessment_summary)),
    )
    .service(
        resource("/submissions/{id}/scores")
            .route(web::get().to(evaluation::get_scores))
            .route(web::put().to(evaluation::save_scores)),
    )
    .service(
        resource("/submissions/{id}/moderation/{question_id}")
            .route(web::put().to(evaluation::moderate)),
    )
    .service(
        resource("/submissions/{id}/price-check")
            .route(web::put().to(evaluation::record_price_check)),
    );
}

fn user_of(user: &Option<ApiUser>) -> Option<&AuthUser> {
    user.as_ref().map(|u| &u.0)
}

/// How an uploaded file is described (the body is the file's bytes).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The name shown to readers (cleaned; never used to store or type the file).
    pub file_name: String,
    /// A document's title (tender documents).
    pub title: Option<String>,
    /// The evidence question the file answers (submissions).
    pub question_id: Option<String>,
}

/// Sends a stored file as a download, named safely, never rendered inline.
pub async fn send_file(
    state: &AppState,
    file: crate::storage::StoredFile,
) -> Result<HttpResponse, Problem> {
    let bytes = state
        .files
        .get(&file.object_key)
        .await
        .map_err(Problem::from)?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((
            "Content-Disposition",
            crate::storage::content_disposition(&file.display_name),
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}
