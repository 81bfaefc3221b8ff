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
use crate::state::AppState;
use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(procurements::list_procurements)
        .service(procurements::create_procurement)
        .service(procurements::get_procurement)
        .service(procurements::update_procurement)
        .service(procurements::record_conflicts_assessment)
        .service(procurements::publish)
        .service(procurements::cancel)
        .service(procurements::change_timetable)
        .service(procurements::get_questionnaire)
        .service(procurements::replace_questionnaire)
        .service(procurements::add_document)
        .service(procurements::download_document)
        .service(procurements::register_interest)
        .service(clarifications::list_clarifications)
        .service(clarifications::ask_clarification)
        .service(clarifications::answer_clarification)
        .service(evaluation::list_submissions)
        .service(bids::start_submission)
        .service(evaluation::open_submissions)
        .service(evaluation::get_panel)
        .service(evaluation::set_panel)
        .service(evaluation::get_declarations)
        .service(evaluation::declare)
        .service(evaluation::get_moderation)
        .service(evaluation::get_results)
        .service(award::award)
        .service(award::get_award_notice)
        .service(award::enter_contract)
        .service(bids::my_submissions)
        .service(bids::get_submission)
        .service(bids::save_answers)
        .service(bids::submit)
        .service(bids::withdraw)
        .service(bids::attach_file)
        .service(bids::download_submission_file)
        .service(bids::detach_file)
        .service(bids::get_assessment_summary)
        .service(evaluation::get_scores)
        .service(evaluation::save_scores)
        .service(evaluation::moderate)
        .service(evaluation::record_price_check);
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
    crate::storage::send(&state.files, file).await
}
