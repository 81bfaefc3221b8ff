//! Clarification questions and answers.

use crate::auth::extract::ApiUser;
use crate::http::problem::Problem;
use crate::procurement::clarifications;
use crate::procurement::model::ClarificationView;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Clarifications the reader may see: the council all, with who asked; a provider its
/// own and the published ones.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = Vec<ClarificationView>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/clarifications")]
pub async fn list_clarifications(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ClarificationView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        clarifications::list_clarifications(&mut conn, Some(&user.0), *id).await?,
    ))
}

/// A clarification question.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct QuestionInput {
    pub question: String,
}

/// Ask a clarification question (providers, before the clarification deadline).
#[utoipa::path(tag = "procurement",
    request_body = QuestionInput,
    responses((status = 201, body = ClarificationView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/clarifications")]
pub async fn ask_clarification(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<QuestionInput>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let view =
        clarifications::ask_and_tell_council(&mut conn, &state.mail, &user.0, *id, &input.question)
            .await?;
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

/// Answer a clarification (commissioners): the asker is emailed, and every bidder when it
/// is published.
#[utoipa::path(tag = "procurement",
    request_body = AnswerInput,
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/clarifications/{clarification_id}/answer")]
pub async fn answer_clarification(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
    input: web::Json<AnswerInput>,
) -> Result<web::Json<ClarificationView>, Problem> {
    let (id, cid) = path.into_inner();
    let mut conn = state.db().await?;
    Ok(web::Json(
        clarifications::answer(
            &mut conn,
            &state.mail,
            &user.0,
            id,
            cid,
            &input.answer,
            input.publish,
        )
        .await?,
    ))
}
