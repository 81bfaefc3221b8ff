//! Scheduled jobs in the API (administrators).

use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A run of a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRun {
    /// The run's number (as `run_id` answers when it is asked for).
    pub id: i64,
    pub job: String,
    /// The scheduled moment the run is for.
    pub tick: DateTime<Utc>,
    /// Whether an administrator asked for it (rather than the schedule).
    pub manual: bool,
    /// pending, running, succeeded or failed.
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not before this moment.
    pub run_after: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<jobs::RunRecord> for JobRun {
    fn from(r: jobs::RunRecord) -> Self {
        Self {
            id: r.id,
            job: r.job,
            tick: r.tick,
            manual: r.manual,
            status: r.status,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_after: r.run_after,
            started_at: r.started_at,
            finished_at: r.finished_at,
            last_error: r.last_error,
        }
    }
}

/// A job with its schedule and recent history.
#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub name: String,
    pub description: String,
    /// Its cron expression.
    pub schedule: String,
    /// The time zone the schedule is read in.
    pub time_zone: String,
    pub next_tick: Option<DateTime<Utc>>,
    pub last_run: Option<JobRun>,
    /// Failed runs in its history.
    pub failures: i64,
}

/// A run asked for: it starts as soon as a worker is free.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedRun {
    pub run_id: i64,
    pub job: String,
}

/// Registers the job routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_jobs)
        .service(list_job_runs)
        .service(run_job_now);
}

/// Every job with its schedule, next tick, last run and failure count.
#[utoipa::path(tag = "jobs",
    responses((status = 200, body = Vec<Job>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<Vec<Job>>, Problem> {
    user.0.require(&[Role::Admin])?;
    Ok(web::Json(
        state
            .jobs
            .status()
            .await?
            .into_iter()
            .map(|j| Job {
                name: j.name.to_string(),
                description: j.description.to_string(),
                schedule: j.schedule,
                time_zone: j.time_zone,
                next_tick: j.next_tick,
                last_run: j.last_run.map(JobRun::from),
                failures: j.failures,
            })
            .collect(),
    ))
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
    responses((status = 200, body = Vec<JobRun>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/jobs/runs")]
pub async fn list_job_runs(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<RunFilter>,
) -> Result<web::Json<Vec<JobRun>>, Problem> {
    user.0.require(&[Role::Admin])?;
    let status = filter
        .status
        .as_deref()
        .filter(|s| ["pending", "running", "succeeded", "failed"].contains(s));
    Ok(web::Json(
        state
            .jobs
            .recent_runs(filter.job.as_deref(), status, filter.limit.unwrap_or(50))
            .await?
            .into_iter()
            .map(JobRun::from)
            .collect(),
    ))
}

/// Ask for a run of a job as soon as a worker is free.
#[utoipa::path(tag = "jobs",
    responses((status = 202, body = QueuedRun), (status = 404, body = Problem)), security(("bearer" = [])))]
#[post("/jobs/{name}/runs")]
pub async fn run_job_now(
    state: web::Data<AppState>,
    user: ApiUser,
    name: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    match crate::admin::run_now::request_run(&state, &user.0, &name).await? {
        Some(run_id) => Ok(HttpResponse::Accepted().json(QueuedRun {
            run_id,
            job: name.into_inner(),
        })),
        None => Err(Problem::not_found("Job")),
    }
}
