//! JSON API of the evaluation engine: procurements, questionnaires, clarifications,
//! submissions, panels, scores, moderation, results and award. Handlers parse, call one
//! function of the context inside a transaction, and answer.

use super::evaluation::{self, AwardInput, DeclarationInput, ScoreInput};
use super::model::{
    ClarificationView, FileView, ProcurementView, SubmissionSummary, SubmissionView,
};
use super::submissions::{self, MyBid, Receipt};
use super::{ProcurementFilter, ProcurementInput, QuestionnaireInput, QuestionnaireView};
use crate::auth::extract::ApiUser;
use crate::http::idempotency::{self, IdempotencyKey, parse_json};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::http::routing::resource;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let uploads = web::PayloadConfig::new(crate::storage::MAX_FILE_BYTES + 1);
    cfg.service(
        resource("/procurements")
            .route(web::get().to(list_procurements))
            .route(web::post().to(create_procurement)),
    )
    .service(
        resource("/procurements/{id}")
            .route(web::get().to(get_procurement))
            .route(web::put().to(update_procurement)),
    )
    .service(
        resource("/procurements/{id}/conflicts-assessment")
            .route(web::post().to(record_conflicts_assessment)),
    )
    .service(resource("/procurements/{id}/publish").route(web::post().to(publish)))
    .service(resource("/procurements/{id}/cancel").route(web::post().to(cancel)))
    .service(resource("/procurements/{id}/timetable").route(web::post().to(change_timetable)))
    .service(
        resource("/procurements/{id}/questionnaire")
            .route(web::get().to(get_questionnaire))
            .route(web::put().to(replace_questionnaire)),
    )
    .service(
        resource("/procurements/{id}/documents")
            .app_data(uploads.clone())
            .route(web::post().to(add_document)),
    )
    .service(
        resource("/procurements/{id}/documents/{file_id}").route(web::get().to(download_document)),
    )
    .service(resource("/procurements/{id}/interest").route(web::post().to(register_interest)))
    .service(
        resource("/procurements/{id}/clarifications")
            .route(web::get().to(list_clarifications))
            .route(web::post().to(ask_clarification)),
    )
    .service(
        resource("/procurements/{id}/clarifications/{clarification_id}/answer")
            .route(web::post().to(answer_clarification)),
    )
    .service(
        resource("/procurements/{id}/submissions")
            .route(web::get().to(list_submissions))
            .route(web::post().to(start_submission)),
    )
    .service(resource("/procurements/{id}/open").route(web::post().to(open_submissions)))
    .service(
        resource("/procurements/{id}/panel")
            .route(web::get().to(get_panel))
            .route(web::put().to(set_panel)),
    )
    .service(
        resource("/procurements/{id}/declarations")
            .route(web::get().to(get_declarations))
            .route(web::post().to(declare)),
    )
    .service(resource("/procurements/{id}/moderation").route(web::get().to(get_moderation)))
    .service(resource("/procurements/{id}/results").route(web::get().to(get_results)))
    .service(resource("/procurements/{id}/award").route(web::post().to(award)))
    .service(resource("/procurements/{id}/award-notice").route(web::get().to(get_award_notice)))
    .service(resource("/procurements/{id}/contract-entered").route(web::post().to(enter_contract)))
    .service(resource("/submissions").route(web::get().to(my_submissions)))
    .service(resource("/submissions/{id}").route(web::get().to(get_submission)))
    .service(resource("/submissions/{id}/answers").route(web::patch().to(save_answers)))
    .service(resource("/submissions/{id}/submit").route(web::post().to(submit)))
    .service(resource("/submissions/{id}/withdraw").route(web::post().to(withdraw)))
    .service(
        resource("/submissions/{id}/files")
            .app_data(uploads)
            .route(web::post().to(attach_file)),
    )
    .service(
        resource("/submissions/{id}/files/{file_id}")
            .route(web::get().to(download_submission_file))
            .route(web::delete().to(detach_file)),
    )
    .service(
        resource("/submissions/{id}/assessment-summary")
            .route(web::get().to(get_assessment_summary)),
    )
    .service(
        resource("/submissions/{id}/scores")
            .route(web::get().to(get_scores))
            .route(web::put().to(save_scores)),
    )
    .service(resource("/submissions/{id}/moderation/{question_id}").route(web::put().to(moderate)))
    .service(resource("/submissions/{id}/price-check").route(web::put().to(record_price_check)));
}

fn user_of(user: &Option<ApiUser>) -> Option<&crate::auth::AuthUser> {
    user.as_ref().map(|u| &u.0)
}

/// Procurements: published ones for the public and providers; the council's own; an
/// evaluator's assigned ones.
#[utoipa::path(get, path = "/api/v1/procurements", tag = "procurement",
    params(ProcurementFilter, PageRequest),
    responses((status = 200, body = Paged<ProcurementView>)))]
pub async fn list_procurements(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    filter: web::Query<ProcurementFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<ProcurementView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::list(&mut conn, user_of(&user), &filter, *page).await?,
    ))
}

/// Create a draft procurement (commissioners).
#[utoipa::path(post, path = "/api/v1/procurements", tag = "procurement",
    request_body = ProcurementInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = ProcurementView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_procurement(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[crate::auth::Role::Commissioner])?;
    let key = IdempotencyKey::from_request(&req)?;
    let input: ProcurementInput = parse_json(&req, &body)?;
    let scope = format!("procurement:{}", user.0.id);
    let key = key.as_ref();
    let actor = &user.0;
    let created = in_tx!(state, |tx| {
        if let Some(replay) = idempotency::begin(tx, &scope, key, &body).await? {
            return Ok(replay);
        }
        let view = super::create(tx, actor, &input).await?;
        idempotency::finish(tx, &scope, key, &view).await
    })?;
    Ok(created.into_response())
}

/// A procurement.
#[utoipa::path(get, path = "/api/v1/procurements/{id}", tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 404, body = Problem)))]
pub async fn get_procurement(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    let (row, _) = super::load(&mut conn, user_of(&user), *id).await?;
    Ok(web::Json(super::view(&mut conn, &row).await?))
}

/// Change a draft procurement (commissioners).
#[utoipa::path(put, path = "/api/v1/procurements/{id}", tag = "procurement",
    request_body = ProcurementInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_procurement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ProcurementInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let actor = &user.0;
    Ok(web::Json(in_tx!(state, |tx| super::update(
        tx, actor, *id, &input
    )
    .await)?))
}

/// The conflicts assessment.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ConflictsAssessmentInput {
    pub assessment: String,
}

/// Record the conflicts assessment (commissioners; required before publishing).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/conflicts-assessment", tag = "procurement",
    request_body = ConflictsAssessmentInput,
    responses((status = 204), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn record_conflicts_assessment(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ConflictsAssessmentInput>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| super::record_conflicts_assessment(
        tx,
        actor,
        *id,
        &input.assessment
    )
    .await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish (commissioners): needs the conflicts assessment and a complete questionnaire.
#[utoipa::path(post, path = "/api/v1/procurements/{id}/publish", tag = "procurement",
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn publish(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| super::publish(tx, &state.mail, actor, *id)
        .await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel before award (commissioners).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/cancel", tag = "procurement",
    responses((status = 204), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| super::cancel(tx, &state.mail, actor, *id).await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a published procurement's deadlines later (commissioners; bidders are emailed).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/timetable", tag = "procurement",
    request_body = super::TimetableInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn change_timetable(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<super::TimetableInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let actor = &user.0;
    let mail = &state.mail;
    Ok(web::Json(in_tx!(state, |tx| super::change_timetable(
        tx, mail, actor, *id, &input
    )
    .await)?))
}

/// Which questionnaire version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version number; the newest when absent.
    pub version: Option<i32>,
}

/// The questionnaire (newest version, or `?version=`).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/questionnaire", tag = "procurement",
    params(VersionQuery), responses((status = 200, body = QuestionnaireView), (status = 404, body = Problem)))]
pub async fn get_questionnaire(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    id: web::Path<Uuid>,
    query: web::Query<VersionQuery>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let mut conn = state.db().await?;
    super::load(&mut conn, user_of(&user), *id).await?;
    let (version, questionnaire) = super::questionnaire(&mut conn, *id, query.version)
        .await
        .map_err(|_| Problem::not_found("Questionnaire version"))?;
    Ok(web::Json(QuestionnaireView {
        version,
        questionnaire,
    }))
}

/// Replace the questionnaire (commissioners). After publication this makes a new version
/// and emails bidders the change note.
#[utoipa::path(put, path = "/api/v1/procurements/{id}/questionnaire", tag = "procurement",
    request_body = QuestionnaireInput,
    responses((status = 200, body = QuestionnaireView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn replace_questionnaire(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<QuestionnaireInput>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let actor = &user.0;
    let mail = &state.mail;
    let input = input.into_inner();
    Ok(web::Json(in_tx!(state, |tx| {
        super::replace_questionnaire(tx, mail, actor, *id, input).await
    })?))
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

/// Add a tender document (commissioners). The body is the file (at most 10 MB).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/documents", tag = "procurement",
    params(UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView), (status = 413, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_document(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    query: web::Query<UploadQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    let store = &state.files;
    let title = query
        .title
        .clone()
        .unwrap_or_else(|| query.file_name.clone());
    let view = in_tx!(state, |tx| super::add_document(
        tx,
        store,
        actor,
        *id,
        &title,
        &query.file_name,
        body.to_vec()
    )
    .await)?;
    Ok(HttpResponse::Created().json(view))
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

/// Download a tender document.
#[utoipa::path(get, path = "/api/v1/procurements/{id}/documents/{file_id}", tag = "procurement",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn download_document(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = super::document(&mut conn, user_of(&user), id, file_id).await?;
    send_file(&state, file).await
}

/// Register interest (providers).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/interest", tag = "procurement",
    responses((status = 204), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn register_interest(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| super::register_interest(tx, actor, *id).await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Clarifications the reader may see.
#[utoipa::path(get, path = "/api/v1/procurements/{id}/clarifications", tag = "procurement",
    responses((status = 200, body = Vec<ClarificationView>)), security(("bearer" = [])))]
pub async fn list_clarifications(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ClarificationView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::list_clarifications(&mut conn, Some(&user.0), *id).await?,
    ))
}

/// A clarification question.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct QuestionInput {
    pub question: String,
}

/// Ask a clarification question (providers, before the clarification deadline).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/clarifications", tag = "procurement",
    request_body = QuestionInput,
    responses((status = 201, body = ClarificationView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn ask_clarification(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<QuestionInput>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    let view = in_tx!(state, |tx| super::ask(tx, actor, *id, &input.question)
        .await)?;
    Ok(HttpResponse::Created().json(view))
}

/// An answer to a clarification.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AnswerInput {
    pub answer: String,
    /// Publish the question (anonymised) and answer to every bidder.
    #[serde(default)]
    pub publish: bool,
}

/// Answer a clarification (commissioners).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/clarifications/{clarification_id}/answer", tag = "procurement",
    request_body = AnswerInput,
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn answer_clarification(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
    input: web::Json<AnswerInput>,
) -> Result<web::Json<ClarificationView>, Problem> {
    let (id, cid) = path.into_inner();
    let actor = &user.0;
    let mail = &state.mail;
    Ok(web::Json(in_tx!(state, |tx| super::answer(
        tx,
        mail,
        actor,
        id,
        cid,
        &input.answer,
        input.publish
    )
    .await)?))
}

/// Submissions of a procurement: that each exists and its status (the council; content
/// stays sealed until opened).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/submissions", tag = "procurement",
    responses((status = 200, body = Vec<SubmissionSummary>)), security(("bearer" = [])))]
pub async fn list_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<SubmissionSummary>>, Problem> {
    if !user.0.is_council() {
        return Err(Problem::not_found("Procurement"));
    }
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::list_submissions(&mut conn, &user.0, *id).await?,
    ))
}

/// Which lot a bid is for.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct StartInput {
    pub lot_id: Option<Uuid>,
}

/// Start (or return) the provider's bid for this procurement and lot.
#[utoipa::path(post, path = "/api/v1/procurements/{id}/submissions", tag = "procurement",
    request_body = StartInput,
    responses((status = 200, body = SubmissionView), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn start_submission(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<StartInput>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let actor = &user.0;
    Ok(web::Json(in_tx!(state, |tx| submissions::start(
        tx,
        actor,
        *id,
        input.lot_id
    )
    .await)?))
}

/// How many submissions were opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Opened {
    pub submissions: i64,
}

/// Open the submissions after the deadline (commissioners; audited).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/open", tag = "procurement",
    responses((status = 200, body = Opened), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn open_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Opened>, Problem> {
    let actor = &user.0;
    let n = in_tx!(state, |tx| evaluation::open(tx, actor, *id).await)?;
    Ok(web::Json(Opened { submissions: n }))
}

/// The evaluation panel (commissioners).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/panel", tag = "procurement",
    responses((status = 200, body = Vec<evaluation::PanelMember>)), security(("bearer" = [])))]
pub async fn get_panel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<evaluation::PanelMember>>, Problem> {
    let mut conn = state.db().await?;
    super::load_managed(&mut conn, &user.0, *id).await?;
    Ok(web::Json(evaluation::panel(&mut conn, *id).await?))
}

/// The evaluators to sit on the panel.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PanelInput {
    pub evaluator_ids: Vec<Uuid>,
}

/// Set the evaluation panel (commissioners).
#[utoipa::path(put, path = "/api/v1/procurements/{id}/panel", tag = "procurement",
    request_body = PanelInput,
    responses((status = 200, body = Vec<evaluation::PanelMember>), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_panel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<PanelInput>,
) -> Result<web::Json<Vec<evaluation::PanelMember>>, Problem> {
    let actor = &user.0;
    Ok(web::Json(in_tx!(state, |tx| evaluation::assign_panel(
        tx,
        actor,
        *id,
        &input.evaluator_ids
    )
    .await)?))
}

/// The bidders an evaluator declares against, with their declarations.
#[utoipa::path(get, path = "/api/v1/procurements/{id}/declarations", tag = "procurement",
    responses((status = 200, body = Vec<evaluation::Bidder>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn get_declarations(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<evaluation::Bidder>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::bidders(&mut conn, &user.0, *id).await?,
    ))
}

/// An evaluator's declarations.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DeclarationsInput {
    pub declarations: Vec<DeclarationInput>,
}

/// Declare, for every bidder, any conflict of interest (evaluators; once).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/declarations", tag = "procurement",
    request_body = DeclarationsInput,
    responses((status = 200, body = Vec<evaluation::Bidder>), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn declare(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<DeclarationsInput>,
) -> Result<web::Json<Vec<evaluation::Bidder>>, Problem> {
    let actor = &user.0;
    Ok(web::Json(in_tx!(state, |tx| evaluation::declare(
        tx,
        actor,
        *id,
        &input.declarations
    )
    .await)?))
}

/// Individual scores side by side, and the moderated scores (commissioners).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/moderation", tag = "procurement",
    responses((status = 200, body = Vec<evaluation::ModerationSubmission>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn get_moderation(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<evaluation::ModerationSubmission>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::moderation(&mut conn, &user.0, *id).await?,
    ))
}

/// Price and total scores, exclusions, abnormally low flags, ranking and working
/// (commissioners).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/results", tag = "procurement",
    responses((status = 200, body = Vec<evaluation::LotResults>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn get_results(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<evaluation::LotResults>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::results(&mut conn, &user.0, *id).await?,
    ))
}

/// Award (commissioners): sends assessment summaries, prepares the award notice, starts
/// standstill.
#[utoipa::path(post, path = "/api/v1/procurements/{id}/award", tag = "procurement",
    request_body = AwardInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn award(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<AwardInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let actor = &user.0;
    let mail = &state.mail;
    Ok(web::Json(in_tx!(state, |tx| evaluation::award(
        tx, mail, actor, *id, &input
    )
    .await)?))
}

/// The contract award notice data (commissioners).
#[utoipa::path(get, path = "/api/v1/procurements/{id}/award-notice", tag = "procurement",
    responses((status = 200, body = Object), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn get_award_notice(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<serde_json::Value>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::notice(&mut conn, &user.0, *id).await?,
    ))
}

/// Record that the contract was entered into (commissioners; refused during standstill).
#[utoipa::path(post, path = "/api/v1/procurements/{id}/contract-entered", tag = "procurement",
    responses((status = 204), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn enter_contract(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| evaluation::enter_contract(tx, actor, *id).await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The provider organisation's bids.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "procurement",
    responses((status = 200, body = Vec<MyBid>)), security(("bearer" = [])))]
pub async fn my_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<Vec<MyBid>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(submissions::mine(&mut conn, &user.0).await?))
}

/// A submission: the provider's own working copy, or (after opening) the sealed content
/// for its commissioners and declared, unconflicted evaluators.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "procurement",
    responses((status = 200, body = SubmissionView), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_submission(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(submissions::read(&mut conn, &user.0, *id).await?))
}

/// Draft answers to save.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AnswersInput {
    /// Answers by question id; merged into the draft.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, super::model::Answer>,
}

/// Save draft answers (providers; before the deadline).
#[utoipa::path(patch, path = "/api/v1/submissions/{id}/answers", tag = "procurement",
    request_body = AnswersInput,
    responses((status = 200, body = SubmissionView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn save_answers(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<AnswersInput>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let actor = &user.0;
    let answers = input.into_inner().answers;
    Ok(web::Json(in_tx!(state, |tx| submissions::save_answers(
        tx, actor, *id, answers
    )
    .await)?))
}

/// Submit or resubmit (providers; refused at or after the deadline by the database clock).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/submit", tag = "procurement",
    responses((status = 200, body = Receipt), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Receipt>, Problem> {
    let actor = &user.0;
    let mail = &state.mail;
    Ok(web::Json(in_tx!(state, |tx| submissions::submit(
        tx, mail, actor, *id
    )
    .await)?))
}

/// Withdraw a submitted bid (providers; before the deadline).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/withdraw", tag = "procurement",
    responses((status = 204), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| submissions::withdraw(tx, actor, *id).await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Attach an evidence file (providers). The body is the file (at most 10 MB); its type is
/// found from its content.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/files", tag = "procurement",
    params(UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = super::model::SubmissionFile), (status = 413, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn attach_file(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    query: web::Query<UploadQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    let store = &state.files;
    let question = query.question_id.clone().unwrap_or_default();
    let file = in_tx!(state, |tx| submissions::attach(
        tx,
        store,
        actor,
        *id,
        &question,
        &query.file_name,
        body.to_vec()
    )
    .await)?;
    Ok(HttpResponse::Created().json(file))
}

/// Download a submission's file (same access as its content).
#[utoipa::path(get, path = "/api/v1/submissions/{id}/files/{file_id}", tag = "procurement",
    responses((status = 200, content_type = "application/octet-stream"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn download_submission_file(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = submissions::file(&mut conn, &user.0, id, file_id).await?;
    send_file(&state, file).await
}

/// Remove an evidence file from the draft (providers).
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/files/{file_id}", tag = "procurement",
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn detach_file(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let actor = &user.0;
    in_tx!(state, |tx| submissions::detach(tx, actor, id, file_id)
        .await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The provider's assessment summary, once awarded.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/assessment-summary", tag = "procurement",
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn get_assessment_summary(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<serde_json::Value>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        submissions::assessment_summary(&mut conn, &user.0, *id).await?,
    ))
}

/// The evaluator's own score sheet (and others' once submitted).
#[utoipa::path(get, path = "/api/v1/submissions/{id}/scores", tag = "procurement",
    responses((status = 200, body = evaluation::ScoreSheet), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn get_scores(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<evaluation::ScoreSheet>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        evaluation::score_sheet(&mut conn, &user.0, *id).await?,
    ))
}

/// An evaluator's marks.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ScoresInput {
    pub scores: Vec<ScoreInput>,
    /// Submit the sheet (final); otherwise a draft.
    #[serde(default)]
    pub submit: bool,
}

/// Save (or submit) the evaluator's marks.
#[utoipa::path(put, path = "/api/v1/submissions/{id}/scores", tag = "procurement",
    request_body = ScoresInput,
    responses((status = 200, body = evaluation::ScoreSheet), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn save_scores(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ScoresInput>,
) -> Result<web::Json<evaluation::ScoreSheet>, Problem> {
    let actor = &user.0;
    Ok(web::Json(in_tx!(state, |tx| evaluation::save_scores(
        tx,
        actor,
        *id,
        &input.scores,
        input.submit
    )
    .await)?))
}

/// An agreed score.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ModerationInput {
    pub score: i32,
    pub reason: String,
}

/// Record the moderated score and reason for one question (commissioners).
#[utoipa::path(put, path = "/api/v1/submissions/{id}/moderation/{question_id}", tag = "procurement",
    request_body = ModerationInput,
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn moderate(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, String)>,
    input: web::Json<ModerationInput>,
) -> Result<HttpResponse, Problem> {
    let (id, question) = path.into_inner();
    let actor = &user.0;
    in_tx!(state, |tx| evaluation::moderate(
        tx,
        actor,
        id,
        &question,
        input.score,
        &input.reason
    )
    .await)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The record of checking an abnormally low price.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PriceCheckInput {
    pub note: String,
}

/// Record the check of an abnormally low price (commissioners; needed before such a bid
/// can win).
#[utoipa::path(put, path = "/api/v1/submissions/{id}/price-check", tag = "procurement",
    request_body = PriceCheckInput,
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn record_price_check(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<PriceCheckInput>,
) -> Result<HttpResponse, Problem> {
    let actor = &user.0;
    in_tx!(state, |tx| evaluation::record_price_check(
        tx,
        actor,
        *id,
        &input.note
    )
    .await)?;
    Ok(HttpResponse::NoContent().finish())
}
