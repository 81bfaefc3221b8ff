//! A provider's bids: starting one, answers, files, submitting, withdrawing, their list
//! and their assessment summary.

use super::{UploadQuery, send_file};
use crate::auth::extract::ApiUser;
use crate::evaluation::submissions::Receipt;
use crate::evaluation::{Answer, SubmissionFile, SubmissionView, queries};
use crate::http::problem::Problem;
use crate::procurement::award::AssessmentSummary;
use crate::procurement::bids::{self, MyBid};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The provider organisation's bids.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<MyBid>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/submissions")]
pub async fn my_submissions(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<Vec<MyBid>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(bids::mine(&mut conn, &user.0).await?))
}

/// Which lot a bid is for.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct StartInput {
    pub lot_id: Option<Uuid>,
}

/// Start the provider's bid for this procurement and lot: `201` with the new bid, or
/// `200` with the one the organisation already has.
#[utoipa::path(tag = "procurement",
    request_body = StartInput,
    responses((status = 201, body = SubmissionView), (status = 200, body = SubmissionView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/submissions")]
pub async fn start_submission(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<StartInput>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let (bid, created) = bids::start(&mut conn, &user.0, *id, input.lot_id).await?;
    Ok(if created {
        HttpResponse::Created().json(bid)
    } else {
        HttpResponse::Ok().json(bid)
    })
}

/// A submission: the provider's own working copy, or (after opening) the sealed content
/// for its commissioners and declared, unconflicted evaluators.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = SubmissionView), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/submissions/{id}")]
pub async fn get_submission(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(queries::read(&mut conn, &user.0, *id).await?))
}

/// Draft answers to save.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AnswersInput {
    /// Answers by question id; merged into the draft.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
}

/// Save draft answers (providers; before the deadline).
#[utoipa::path(tag = "procurement",
    request_body = AnswersInput,
    responses((status = 200, body = SubmissionView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[patch("/submissions/{id}/answers")]
pub async fn save_answers(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<AnswersInput>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        bids::save_answers(&mut conn, &user.0, *id, input.into_inner().answers).await?,
    ))
}

/// Submit or resubmit (providers; refused at or after the deadline by the database clock).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Receipt), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/submissions/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Receipt>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        bids::submit(&mut conn, &state.mail, &user.0, *id).await?,
    ))
}

/// Withdraw a submitted bid (providers; before the deadline). Answers with the bid, now a
/// draft again.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = SubmissionView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/submissions/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<SubmissionView>, Problem> {
    let mut conn = state.db().await?;
    bids::withdraw(&mut conn, &user.0, *id).await?;
    Ok(web::Json(queries::read(&mut conn, &user.0, *id).await?))
}

/// Attach an evidence file (providers). The body is the file (at most 10 MB); its type is
/// found from its content.
#[utoipa::path(tag = "procurement",
    params(UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = SubmissionFile), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/submissions/{id}/files")]
pub async fn attach_file(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, Problem> {
    let body = crate::http::body::read_limited(body, crate::storage::MAX_FILE_BYTES + 1).await?;
    let question = query.question_id.as_deref().unwrap_or_default();
    let mut conn = state.db().await?;
    let file = bids::attach(
        &mut conn,
        &state.files,
        &user.0,
        *id,
        question,
        &query.file_name,
        body,
    )
    .await?;
    Ok(HttpResponse::Created().json(file))
}

/// Download a submission's file (same access as its content).
#[utoipa::path(tag = "procurement",
    responses((status = 200, content_type = "application/octet-stream"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/submissions/{id}/files/{file_id}")]
pub async fn download_submission_file(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = bids::file(&mut conn, &user.0, id, file_id).await?;
    drop(conn);
    send_file(&state, file).await
}

/// Remove an evidence file from the draft (providers).
#[utoipa::path(tag = "procurement",
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[delete("/submissions/{id}/files/{file_id}")]
pub async fn detach_file(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    bids::detach(&mut conn, &user.0, id, file_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The provider's assessment summary, once awarded.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = AssessmentSummary), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[get("/submissions/{id}/assessment-summary")]
pub async fn get_assessment_summary(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<AssessmentSummary>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        bids::assessment_summary(&mut conn, &user.0, *id).await?,
    ))
}
