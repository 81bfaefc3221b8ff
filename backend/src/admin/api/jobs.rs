//! Scheduled jobs in the API (administrators).

use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers the job routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_jobs)
        .service(list_job_runs)
        .service(run_job_now);
}

/// Every job with its schedule, next tick, last run and failure count.
#[utoipa::path(tag = "jobs",
    responses((status = 200, description = "Jobs"), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/jobs")]
pub async fn list_jobs(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    Ok(HttpResponse::Ok().json(state.jobs.status().await?))
}

/// Run filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    /// A job's name.
    pub job: Option<String>,
    /// pending, running, succeeded or failed.
    pub status: Option<String>,
    /// At most this many (1 to 500, default 50).
    pub limit: Option<i64>,
}

/// Recent runs, newest first.
#[utoipa::path(tag = "jobs", params(RunFilter),
    responses((status = 200, description = "Runs"), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/jobs/runs")]
pub async fn list_job_runs(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<RunFilter>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    let status = filter
        .status
        .as_deref()
        .filter(|s| ["pending", "running", "succeeded", "failed"].contains(s));
    Ok(HttpResponse::Ok().json(
        state
            .jobs
            .recent_runs(filter.job.as_deref(), status, filter.limit.unwrap_or(50))
            .await?,
    ))
}

/// Ask for a run of a job as soon as a worker is free.
#[utoipa::path(tag = "jobs",
    responses((status = 202, description = "Queued"), (status = 404, body = Problem)), security(("bearer" = [])))]
#[post("/jobs/{name}/runs")]
pub async fn run_job_now(
    state: web::Data<AppState>,
    user: ApiUser,
    name: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    match crate::admin::run_now::request_run(&state, &user.0, &name).await? {
        Some(id) => Ok(HttpResponse::Accepted().json(serde_json::json!({"run_id": id}))),
        None => Err(Problem::not_found("Job")),
    }
}
