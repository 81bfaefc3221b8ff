//! The administrator's jobs page.

use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::http::routing::resource;
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{Layout, PageError, render, see_other};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Registers the jobs pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/jobs").route(web::get().to(jobs_page)))
        .service(resource("/admin/jobs/{name}/run").route(web::post().to(run_job)));
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| {
        t.with_timezone(&chrono_tz::Europe::London)
            .format("%-d %b %Y %H:%M")
            .to_string()
    })
    .unwrap_or_else(|| "Never".into())
}

#[derive(Serialize)]
struct JobRow {
    name: &'static str,
    description: &'static str,
    /// The schedule in words ("every day at 3:15am"), when it has a common shape.
    schedule_words: Option<String>,
    /// The cron expression and its time zone, for whoever changes it.
    schedule: String,
    next: String,
    last_status: String,
    last_when: String,
    failures: i64,
}

#[derive(Serialize)]
struct RunRow {
    id: i64,
    job: String,
    tick: String,
    status: String,
    attempts: i32,
    error: String,
}

#[derive(Serialize)]
struct JobsPage {
    jobs: Vec<JobRow>,
    runs: Vec<RunRow>,
    failed: Vec<RunRow>,
    queued: Option<String>,
}

#[derive(Deserialize)]
pub struct JobsQuery {
    queued: Option<String>,
}

fn run_row(r: jobs::RunRecord) -> RunRow {
    RunRow {
        id: r.id,
        tick: when(Some(r.tick)),
        status: r.status,
        attempts: r.attempts,
        error: r.last_error.unwrap_or_default(),
        job: r.job,
    }
}

/// GET /admin/jobs
pub async fn jobs_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<JobsQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let jobs = state
        .jobs
        .status()
        .await?
        .into_iter()
        .map(|j| JobRow {
            name: j.name,
            description: j.description,
            schedule_words: jobs::schedule::describe(&j.schedule),
            schedule: format!("{} ({})", j.schedule, j.time_zone),
            next: when(j.next_tick),
            last_status: j
                .last_run
                .as_ref()
                .map(|r| r.status.clone())
                .unwrap_or_else(|| "not run yet".into()),
            last_when: when(
                j.last_run
                    .as_ref()
                    .and_then(|r| r.finished_at.or(r.started_at)),
            ),
            failures: j.failures,
        })
        .collect();
    let runs = state
        .jobs
        .recent_runs(None, None, 20)
        .await?
        .into_iter()
        .map(run_row)
        .collect();
    let failed = state
        .jobs
        .recent_runs(None, Some("failed"), 20)
        .await?
        .into_iter()
        .map(run_row)
        .collect();
    let queued = query
        .queued
        .clone()
        .filter(|q| state.jobs.registry().find(q).is_some());
    Ok(render(
        "admin/jobs",
        Layout::new("Scheduled jobs", "/admin/jobs", Some(&user.0), &csrf),
        JobsPage {
            jobs,
            runs,
            failed,
            queued,
        },
        &csrf,
    ))
}

/// POST /admin/jobs/{name}/run
pub async fn run_job(
    state: web::Data<AppState>,
    user: PageUser,
    name: web::Path<String>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    match crate::admin::run_now::request_run(&state, &user.0, &name).await? {
        Some(_) => Ok(see_other(&format!(
            "/admin/jobs?queued={}",
            crate::web::url_encode(&name)
        ))),
        None => Err(PageError::NotFound),
    }
}
