//! The outbox in the API (administrators).

use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::mail::{OutboxMessage, OutboxMessageDetail, OutboxStatus};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers the outbox routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_outbox)
        .service(get_outbox_message)
        .service(resend_outbox_message);
}

/// Outbox filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxFilter {
    /// pending, sending, sent or failed.
    pub status: Option<OutboxStatus>,
    /// Part of the recipient's address.
    pub to: Option<String>,
}

/// Emails, newest first, with their delivery status.
#[utoipa::path(tag = "email", params(OutboxFilter, PageRequest),
    responses((status = 200, body = Paged<OutboxMessage>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<OutboxFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<OutboxMessage>>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    Ok(web::Json(
        crate::mail::list(&mut conn, filter.status, filter.to.as_deref(), *page).await?,
    ))
}

/// One email with its rendered text and HTML parts.
#[utoipa::path(tag = "email",
    responses((status = 200, body = OutboxMessageDetail), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/outbox/{id}")]
pub async fn get_outbox_message(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<OutboxMessageDetail>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    crate::mail::find(&mut conn, *id)
        .await?
        .map(web::Json)
        .ok_or_else(|| Problem::not_found("Email"))
}

/// Send an email again (keeps its Message-ID).
#[utoipa::path(tag = "email",
    responses((status = 202), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/outbox/{id}/resend")]
pub async fn resend_outbox_message(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let id = *id;
    crate::mail::find(&mut conn, id)
        .await?
        .ok_or_else(|| Problem::not_found("Email"))?;
    if !crate::mail::resend(&mut conn, id).await? {
        return Err(Problem::conflict(
            "email-sending",
            "This email is being sent right now; try again in a minute",
        ));
    }
    crate::audit::record(
        &mut conn,
        &user.0.actor(),
        crate::audit::Entry::new("email.resend", "outbox", id),
    )
    .await?;
    Ok(HttpResponse::Accepted().finish())
}
