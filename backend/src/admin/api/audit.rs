//! `GET /api/v1/audit/verify` and `GET /api/v1/audit` (administrators).

use crate::audit::{AuditFilter, AuditRow, Verification};
use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::get;
use actix_web::web;

/// Registers the audit log's API routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(verify_audit).service(list_audit);
}

/// `?anchor=` on the verifier: a line from an administrators' checkpoint email.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnchorQuery {
    /// `audit-anchor.v1.…`, as emailed each morning.
    pub anchor: Option<String>,
}

/// Check the audit log's hash chain: seals rows written since the last round, then
/// recomputes every hash and checks the signed head, the checkpoints and the anchor given.
#[utoipa::path(tag = "audit", params(AnchorQuery),
    responses((status = 200, body = Verification), (status = 400, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/audit/verify")]
pub async fn verify_audit(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<AnchorQuery>,
) -> Result<web::Json<Verification>, Problem> {
    user.0.require(&[Role::Admin])?;
    let anchor = match query
        .anchor
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => None,
        Some(line) => Some(crate::audit::Anchor::parse(line).ok_or_else(|| {
            Problem::bad_request(
                "The anchor is not in the form audit-anchor.v1.… as emailed. Copy the whole line.",
            )
        })?),
    };
    let mut conn = state.db().await?;
    let key = crate::audit::AuditKey::from_settings(&state.settings);
    Ok(web::Json(
        crate::audit::seal_and_verify(
            &mut conn,
            &key,
            anchor.as_ref(),
            crate::audit::seal::WAIT_FOR_PEOPLE,
        )
        .await?,
    ))
}

/// The audit log, newest first.
#[utoipa::path(tag = "audit",
    params(AuditFilter, PageRequest),
    responses((status = 200, body = Paged<AuditRow>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<AuditFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<AuditRow>>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    Ok(web::Json(
        crate::audit::list(&mut conn, &filter, *page).await?,
    ))
}
