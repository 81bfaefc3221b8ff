//! `GET /api/v1/audit/verify` and `GET /api/v1/audit` (administrators).

use super::{AuditFilter, AuditRow, Verification};
use crate::auth::extract::ApiUser;
use crate::http::AppState;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::organisations::model::Role;
use actix_web::web;

/// Check the audit log's hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = Verification), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn verify_audit(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<Verification>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    Ok(web::Json(super::verify(&mut conn).await?))
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditFilter, PageRequest),
    responses((status = 200, body = Paged<AuditRow>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_audit(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<AuditFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<AuditRow>>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    Ok(web::Json(super::list(&mut conn, &filter, *page).await?))
}
