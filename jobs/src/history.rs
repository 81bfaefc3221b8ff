//! The runs' history as status pages and the API read it: every job with its next tick,
//! last run and failures, and recent runs.

use crate::runner::Runner;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use serde::Serialize;

/// A row of `job_runs`, for status pages.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct RunRecord {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub job: String,
    #[diesel(sql_type = Timestamptz)]
    pub tick: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub manual: bool,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub run_after: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

pub(crate) const RUN_COLUMNS: &str = "id, job, tick, manual, status::text AS status, attempts, max_attempts, run_after, started_at, finished_at, last_error";

/// A job's schedule and recent history, for `jobs list` and the admin page.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: &'static str,
    pub description: &'static str,
    pub schedule: String,
    pub time_zone: String,
    pub next_tick: Option<DateTime<Utc>>,
    pub last_run: Option<RunRecord>,
    pub failures: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl<C: Clone + Send + Sync + 'static> Runner<C> {
    /// Every job with its next tick, last run and count of failed runs.
    pub async fn status(&self) -> anyhow::Result<Vec<JobStatus>> {
        let now = self.clock.now();
        let mut conn = self.conn().await?;
        let mut out = Vec::new();
        for job in self.registry.jobs() {
            let last_run = diesel::sql_query(format!("SELECT {RUN_COLUMNS} FROM job_runs WHERE job = $1 ORDER BY COALESCE(started_at, run_after) DESC, id DESC LIMIT 1"))
                .bind::<Text, _>(job.name)
                .get_result::<RunRecord>(&mut conn)
                .await
                .optional()?;
            let failures = diesel::sql_query(
                "SELECT count(*) AS n FROM job_runs WHERE job = $1 AND status = 'failed'",
            )
            .bind::<Text, _>(job.name)
            .get_result::<Count>(&mut conn)
            .await?
            .n;
            out.push(JobStatus {
                name: job.name,
                description: job.description,
                schedule: job.schedule.expression().to_string(),
                time_zone: job.schedule.zone().to_string(),
                next_tick: job.schedule.next_after(now),
                last_run,
                failures,
            });
        }
        Ok(out)
    }

    /// Recent runs, newest first, optionally of one job or one status.
    pub async fn recent_runs(
        &self,
        job: Option<&str>,
        status: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<RunRecord>> {
        let mut conn = self.conn().await?;
        Ok(diesel::sql_query(format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE ($1::text IS NULL OR job = $1) AND ($2::text IS NULL OR status::text = $2) \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind::<Nullable<Text>, _>(job)
        .bind::<Nullable<Text>, _>(status)
        .bind::<BigInt, _>(limit.clamp(1, 500))
        .load::<RunRecord>(&mut conn)
        .await?)
    }
}
