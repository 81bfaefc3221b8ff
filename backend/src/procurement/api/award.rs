//! Award, the award notice and contract entry.

use crate::auth::extract::ApiUser;
use crate::http::problem::Problem;
use crate::procurement::award::{self as awards, AwardInput, AwardNotice};
use crate::procurement::model::ProcurementView;
use crate::procurement::{load, procurements};
use crate::state::AppState;
use actix_web::web;
use actix_web::{get, post};
use uuid::Uuid;

/// Award (commissioners): emails assessment summaries, prepares the award notice, starts
/// standstill. Answers with the procurement, now in standstill.
#[utoipa::path(tag = "procurement",
    request_body = AwardInput,
    responses((status = 200, body = ProcurementView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/award")]
pub async fn award(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<AwardInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        awards::award(&mut conn, &state.mail, &user.0, *id, &input).await?,
    ))
}

/// The contract award notice data (commissioners).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = AwardNotice), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[get("/procurements/{id}/award-notice")]
pub async fn get_award_notice(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<AwardNotice>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(awards::notice(&mut conn, &user.0, *id).await?))
}

/// Record that the contract was entered into (commissioners; refused during standstill).
/// Answers with the procurement.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/contract-entered")]
pub async fn enter_contract(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    awards::enter_contract(&mut conn, &user.0, *id).await?;
    let (row, _) = load(&mut conn, Some(&user.0), *id).await?;
    Ok(web::Json(procurements::view(&mut conn, &row).await?))
}
