//! The engine's work on a tender's bids: their list, opening, the panel and declarations,
//! marks, moderation, results and the check of an abnormally low price. The tender's id
//! is its competition's, so these call the engine directly; the engine decides who may.

use crate::auth::extract::ApiUser;
use crate::evaluation::marking::{self, Agreed, ModerationSubmission, ScoreInput, ScoreSheet};
use crate::evaluation::panels::{self, Bidder, DeclarationInput, PanelMember};
use crate::evaluation::results::{self, LotResults};
use crate::evaluation::{SubmissionSummary, competitions, queries};
use crate::http::problem::Problem;
use crate::procurement::model::ProcurementView;
use crate::procurement::{load, procurements};
use crate::state::AppState;
use actix_web::web;
use actix_web::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Submissions of a procurement: that each exists and its status (the council; content
/// stays sealed until opened).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<SubmissionSummary>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/submissions")]
pub async fn list_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<SubmissionSummary>>, Problem> {
    if !user.0.is_council() {
        return Err(Problem::not_found("Procurement"));
    }
    let mut conn = state.db().await?;
    let (row, access) = load(&mut conn, Some(&user.0), *id).await?;
    Ok(web::Json(
        queries::list_submissions_in(&mut conn, &user.0, &row.competition, access).await?,
    ))
}

/// Open the submissions after the deadline (commissioners; audited). Answers with the
/// procurement, now in evaluation.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/open")]
pub async fn open_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    load(&mut conn, Some(&user.0), *id).await?;
    competitions::open(&mut conn, &user.0, *id).await?;
    let (row, _) = load(&mut conn, Some(&user.0), *id).await?;
    Ok(web::Json(procurements::view(&mut conn, &row).await?))
}

/// The evaluation panel (commissioners).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<PanelMember>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/panel")]
pub async fn get_panel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<PanelMember>>, Problem> {
    let mut conn = state.db().await?;
    crate::procurement::load_managed(&mut conn, &user.0, *id).await?;
    Ok(web::Json(panels::panel(&mut conn, *id).await?))
}

/// The evaluators to sit on the panel.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PanelInput {
    pub evaluator_ids: Vec<Uuid>,
}

/// Set the evaluation panel (commissioners).
#[utoipa::path(tag = "procurement",
    request_body = PanelInput,
    responses((status = 200, body = Vec<PanelMember>), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/procurements/{id}/panel")]
pub async fn set_panel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<PanelInput>,
) -> Result<web::Json<Vec<PanelMember>>, Problem> {
    let mut conn = state.db().await?;
    crate::procurement::load_managed(&mut conn, &user.0, *id).await?;
    Ok(web::Json(
        panels::assign_panel(&mut conn, &user.0, *id, &input.evaluator_ids).await?,
    ))
}

/// The bidders an evaluator declares against, with their declarations.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<Bidder>), (status = 403, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/declarations")]
pub async fn get_declarations(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<Bidder>>, Problem> {
    let mut conn = state.db().await?;
    load(&mut conn, Some(&user.0), *id).await?;
    Ok(web::Json(panels::bidders(&mut conn, &user.0, *id).await?))
}

/// An evaluator's declarations.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DeclarationsInput {
    pub declarations: Vec<DeclarationInput>,
}

/// Declare, for every bidder, any conflict of interest (evaluators; once).
#[utoipa::path(tag = "procurement",
    request_body = DeclarationsInput,
    responses((status = 200, body = Vec<Bidder>), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/declarations")]
pub async fn declare(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<DeclarationsInput>,
) -> Result<web::Json<Vec<Bidder>>, Problem> {
    let mut conn = state.db().await?;
    load(&mut conn, Some(&user.0), *id).await?;
    Ok(web::Json(
        panels::declare(&mut conn, &user.0, *id, &input.declarations).await?,
    ))
}

/// The evaluator's own score sheet (and others' once submitted).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ScoreSheet), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/submissions/{id}/scores")]
pub async fn get_scores(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ScoreSheet>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        marking::score_sheet(&mut conn, &user.0, *id).await?,
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
#[utoipa::path(tag = "procurement",
    request_body = ScoresInput,
    responses((status = 200, body = ScoreSheet), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/submissions/{id}/scores")]
pub async fn save_scores(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ScoresInput>,
) -> Result<web::Json<ScoreSheet>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        marking::save_scores(&mut conn, &user.0, *id, &input.scores, input.submit).await?,
    ))
}

/// Individual marks side by side, and the moderated marks (commissioners).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<ModerationSubmission>), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/moderation")]
pub async fn get_moderation(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ModerationSubmission>>, Problem> {
    let mut conn = state.db().await?;
    crate::procurement::load_managed(&mut conn, &user.0, *id).await?;
    Ok(web::Json(
        marking::moderation(&mut conn, &user.0, *id).await?,
    ))
}

/// An agreed mark: a score for a scored question.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ModerationInput {
    /// 0 to 5.
    pub score: i32,
    pub reason: String,
}

/// The agreed mark, as stored.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Moderated {
    pub submission_id: Uuid,
    pub question_id: String,
    pub score: i32,
    pub reason: String,
}

/// Record the moderated score and reason for one question (commissioners).
#[utoipa::path(tag = "procurement",
    request_body = ModerationInput,
    responses((status = 200, body = Moderated), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/submissions/{id}/moderation/{question_id}")]
pub async fn moderate(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, String)>,
    input: web::Json<ModerationInput>,
) -> Result<web::Json<Moderated>, Problem> {
    let (id, question) = path.into_inner();
    let mut conn = state.db().await?;
    marking::moderate(
        &mut conn,
        &user.0,
        id,
        &question,
        Agreed::Score(input.score),
        &input.reason,
    )
    .await?;
    Ok(web::Json(Moderated {
        submission_id: id,
        question_id: question,
        score: input.score,
        reason: input.reason.trim().to_string(),
    }))
}

/// Price and total scores, exclusions, abnormally low flags, ranking and working
/// (commissioners, after opening).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<LotResults>), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/results")]
pub async fn get_results(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<LotResults>>, Problem> {
    let mut conn = state.db().await?;
    let row = crate::procurement::load_managed(&mut conn, &user.0, *id).await?;
    Ok(web::Json(
        results::results_of(&mut conn, &row.competition).await?,
    ))
}

/// The record of checking an abnormally low price.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PriceCheckInput {
    pub note: String,
}

/// Record the check of an abnormally low price (commissioners; needed before such a bid
/// can win). Answers with what was recorded.
#[utoipa::path(tag = "procurement",
    request_body = PriceCheckInput,
    responses((status = 200, body = PriceCheckInput), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/submissions/{id}/price-check")]
pub async fn record_price_check(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<PriceCheckInput>,
) -> Result<web::Json<PriceCheckInput>, Problem> {
    let mut conn = state.db().await?;
    results::record_price_check(&mut conn, &user.0, *id, &input.note).await?;
    Ok(web::Json(PriceCheckInput {
        note: input.note.trim().to_string(),
    }))
}
