//! Scheduling ticks and running them: claiming a run (`SKIP LOCKED`), holding and renewing
//! its lease, retrying with backoff, taking over a run whose worker died, and giving a run
//! back at shutdown. What the application registers is in [`crate::job`]; the history
//! pages read is in [`crate::history`].

use crate::clock::Clock;
use crate::history::RUN_COLUMNS;
pub use crate::history::RunRecord;
pub use crate::job::{Job, Observer, Outcome, Registry, Tick};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use std::sync::Arc;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    job: String,
    #[diesel(sql_type = Timestamptz)]
    tick: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    manual: bool,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Integer)]
    max_attempts: i32,
}

#[derive(QueryableByName)]
struct LastTick {
    #[diesel(sql_type = Timestamptz)]
    last_tick: DateTime<Utc>,
}

/// Schedules and runs the registered jobs with an application context `C`.
pub struct Runner<C> {
    pub(crate) pool: Pool<AsyncPgConnection>,
    pub(crate) registry: Arc<Registry<C>>,
    context: C,
    pub(crate) clock: Arc<dyn Clock>,
    worker: String,
    observer: Option<Arc<dyn Observer>>,
    /// How long a claimed run is ours without a heartbeat.
    pub lease: Duration,
    /// How long to wait between looks for due work when idle.
    pub poll: std::time::Duration,
    /// How long a run may take to finish after shutdown is asked for.
    pub grace: std::time::Duration,
}

impl<C: Clone + Send + Sync + 'static> Runner<C> {
    /// A runner; `worker` names this process in `job_runs.worker` (host and pid, say).
    pub fn new(
        pool: Pool<AsyncPgConnection>,
        registry: Arc<Registry<C>>,
        context: C,
        clock: Arc<dyn Clock>,
        worker: String,
    ) -> Self {
        Self {
            pool,
            registry,
            context,
            clock,
            worker,
            observer: None,
            lease: Duration::minutes(5),
            poll: std::time::Duration::from_secs(1),
            grace: std::time::Duration::from_secs(20),
        }
    }

    /// Tells `observer` of every run this runner ends.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The registry.
    pub fn registry(&self) -> &Registry<C> {
        &self.registry
    }

    fn report(&self, job: &str, outcome: &Outcome, ran_for: Option<std::time::Duration>) {
        if let Some(observer) = &self.observer {
            observer.run_ended(job, outcome, ran_for);
        }
    }

    pub(crate) async fn conn(
        &self,
    ) -> anyhow::Result<diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>> {
        self.pool.get().await.context("jobs: database pool")
    }

    /// Inserts a run for every due tick of every job (by each job's catch-up rule) and
    /// returns how many were new. Safe to call from any number of instances at once.
    pub async fn schedule_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut created = 0;
        let mut conn = self.conn().await?;
        for job in self.registry.jobs() {
            let (name, schedule, catch_up, max_attempts) = (
                job.name,
                job.schedule.clone(),
                job.catch_up,
                job.max_attempts,
            );
            created += conn
                .transaction::<usize, anyhow::Error, _>(async move |tx| {
                    // First sight of a job: its history starts now (no runs for the past).
                    diesel::sql_query("INSERT INTO job_schedules (job, last_tick) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind::<Text, _>(name)
                        .bind::<Timestamptz, _>(now)
                        .execute(tx)
                        .await?;
                    let last = diesel::sql_query("SELECT last_tick FROM job_schedules WHERE job = $1 FOR UPDATE")
                        .bind::<Text, _>(name)
                        .get_result::<LastTick>(tx)
                        .await?
                        .last_tick;
                    let due = schedule.due(last, now, catch_up);
                    let mut created = 0;
                    for tick in &due {
                        created += diesel::sql_query(
                            "INSERT INTO job_runs (job, tick, max_attempts, run_after) VALUES ($1, $2, $3, $2) ON CONFLICT (job, tick) DO NOTHING",
                        )
                        .bind::<Text, _>(name)
                        .bind::<Timestamptz, _>(tick)
                        .bind::<Integer, _>(max_attempts)
                        .execute(tx)
                        .await?;
                    }
                    // Remember the last tick considered, even when catch-up ran only one.
                    if let Some(newest) = schedule.latest_between(last, now) {
                        diesel::sql_query("UPDATE job_schedules SET last_tick = $2 WHERE job = $1")
                            .bind::<Text, _>(name)
                            .bind::<Timestamptz, _>(newest)
                            .execute(tx)
                            .await?;
                    }
                    Ok(created)
                })
                .await?;
        }
        Ok(created)
    }

    /// Claims one runnable run (pending and due, or running with an expired lease).
    async fn claim(&self) -> anyhow::Result<Option<Claimed>> {
        let now = self.clock.now();
        let mut conn = self.conn().await?;
        let claimed = diesel::sql_query(
            "UPDATE job_runs r SET status = 'running', attempts = r.attempts + 1, worker = $2, \
             lease_until = $3, started_at = $1, last_error = CASE WHEN r.status = 'running' \
             THEN 'the worker running it stopped before finishing' ELSE r.last_error END \
             WHERE r.id = (SELECT id FROM job_runs \
                 WHERE (status = 'pending' AND run_after <= $1) OR (status = 'running' AND lease_until < $1) \
                 ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING r.id, r.job, r.tick, r.manual, r.attempts, r.max_attempts",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(&self.worker)
        .bind::<Timestamptz, _>(now + self.lease)
        .get_result::<Claimed>(&mut conn)
        .await
        .optional()?;
        Ok(claimed)
    }

    /// Claims and runs one due run; `None` when nothing is due.
    pub async fn run_next(&self) -> anyhow::Result<Option<(i64, Outcome)>> {
        self.run_next_until(futures_util::future::pending()).await
    }

    /// As [`Runner::run_next`], giving the run back if `stop` completes and the handler does
    /// not finish within the grace period.
    async fn run_next_until(
        &self,
        stop: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<Option<(i64, Outcome)>> {
        let Some(claimed) = self.claim().await? else {
            return Ok(None);
        };
        let id = claimed.id;
        if claimed.attempts > claimed.max_attempts {
            // Its worker died on the last allowed attempt.
            let outcome = Outcome::Failed {
                error: "the worker stopped during the last allowed attempt".into(),
            };
            self.finish(id, outcome.clone(), claimed.attempts).await?;
            self.report(&claimed.job, &outcome, None);
            return Ok(Some((id, outcome)));
        }
        let Some(job) = self.registry.find(&claimed.job) else {
            let outcome = Outcome::Failed {
                error: format!("no job called {:?} is registered", claimed.job),
            };
            self.finish(id, outcome.clone(), claimed.max_attempts)
                .await?;
            self.report(&claimed.job, &outcome, None);
            return Ok(Some((id, outcome)));
        };
        let tick = Tick {
            at: claimed.tick,
            run_id: id,
            attempt: claimed.attempts,
            manual: claimed.manual,
        };
        let started = std::time::Instant::now();
        let work = (job.handler)(self.context.clone(), tick);
        let outcome = self
            .drive(id, work, stop, claimed.attempts, claimed.max_attempts)
            .await?;
        let ran_for = started.elapsed();
        self.finish(id, outcome.clone(), claimed.attempts).await?;
        self.report(job.name, &outcome, Some(ran_for));
        Ok(Some((id, outcome)))
    }

    /// Runs the handler while renewing the lease; on `stop`, allows the grace period.
    async fn drive(
        &self,
        id: i64,
        work: BoxFuture<'static, anyhow::Result<()>>,
        stop: impl std::future::Future<Output = ()>,
        attempt: i32,
        max_attempts: i32,
    ) -> anyhow::Result<Outcome> {
        let mut work = std::pin::pin!(work);
        let mut stop = std::pin::pin!(stop);
        let heartbeat_every = (self.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(60));
        let mut stopping_since: Option<tokio::time::Instant> = None;
        loop {
            let deadline = match stopping_since {
                Some(since) => since + self.grace,
                None => tokio::time::Instant::now() + heartbeat_every,
            };
            tokio::select! {
                result = &mut work => {
                    return Ok(match result {
                        Ok(()) => Outcome::Succeeded,
                        Err(error) => {
                            let error = format!("{error:#}");
                            if attempt < max_attempts {
                                Outcome::Retrying { error, retry_at: self.clock.now() + backoff(attempt) }
                            } else {
                                Outcome::Failed { error }
                            }
                        }
                    });
                }
                _ = &mut stop, if stopping_since.is_none() => {
                    stopping_since = Some(tokio::time::Instant::now());
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if stopping_since.is_some() {
                        return Ok(Outcome::Released);
                    }
                    self.heartbeat(id).await?;
                }
            }
        }
    }

    async fn heartbeat(&self, id: i64) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("UPDATE job_runs SET lease_until = $3 WHERE id = $1 AND worker = $2 AND status = 'running'")
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(&self.worker)
            .bind::<Timestamptz, _>(self.clock.now() + self.lease)
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    async fn finish(&self, id: i64, outcome: Outcome, attempts: i32) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut conn = self.conn().await?;
        match &outcome {
            Outcome::Succeeded => {
                diesel::sql_query("UPDATE job_runs SET status = 'succeeded', finished_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1")
                    .bind::<BigInt, _>(id)
                    .bind::<Timestamptz, _>(now)
                    .execute(&mut conn)
                    .await?
            }
            Outcome::Retrying { error, retry_at } => {
                diesel::sql_query("UPDATE job_runs SET status = 'pending', run_after = $2, last_error = $3, lease_until = NULL, worker = NULL WHERE id = $1")
                    .bind::<BigInt, _>(id)
                    .bind::<Timestamptz, _>(*retry_at)
                    .bind::<Text, _>(error)
                    .execute(&mut conn)
                    .await?
            }
            Outcome::Failed { error } => {
                diesel::sql_query(
                    "UPDATE job_runs SET status = 'failed', finished_at = $2, last_error = $3, lease_until = NULL, attempts = GREATEST(attempts, $4) WHERE id = $1",
                )
                .bind::<BigInt, _>(id)
                .bind::<Timestamptz, _>(now)
                .bind::<Text, _>(error)
                .bind::<Integer, _>(attempts)
                .execute(&mut conn)
                .await?
            }
            Outcome::Released => {
                diesel::sql_query("UPDATE job_runs SET status = 'pending', attempts = attempts - 1, worker = NULL, lease_until = NULL WHERE id = $1")
                    .bind::<BigInt, _>(id)
                    .execute(&mut conn)
                    .await?
            }
        };
        match &outcome {
            Outcome::Succeeded => tracing::info!(run = id, "job run succeeded"),
            Outcome::Retrying { error, retry_at } => {
                tracing::warn!(run = id, %error, %retry_at, "job run failed; will retry")
            }
            Outcome::Failed { error } => {
                tracing::error!(run = id, %error, "job run failed for good")
            }
            Outcome::Released => tracing::info!(run = id, "job run released at shutdown"),
        }
        Ok(())
    }

    /// Runs everything due now until nothing is left (schedules first). For tests and
    /// `jobs run`; returns the outcomes in order.
    pub async fn run_pending(&self) -> anyhow::Result<Vec<(i64, Outcome)>> {
        self.schedule_due().await?;
        let mut outcomes = Vec::new();
        while let Some(outcome) = self.run_next().await? {
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Runs a job now, as if at `at` (a manual run). Refuses when a run for that job and
    /// instant already succeeded; a failed one is tried again.
    pub async fn run_now(&self, name: &str, at: DateTime<Utc>) -> anyhow::Result<(i64, Outcome)> {
        let job = self
            .registry
            .find(name)
            .with_context(|| format!("no job called {name:?}; see `commissioning jobs list`"))?;
        let mut conn = self.conn().await?;
        let existing = diesel::sql_query(format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE job = $1 AND tick = $2"
        ))
        .bind::<Text, _>(name)
        .bind::<Timestamptz, _>(at)
        .get_result::<RunRecord>(&mut conn)
        .await
        .optional()?;
        let id = match existing {
            Some(run) if run.status == "succeeded" || run.status == "running" => {
                bail!(
                    "{name} already has a run for {at} (run {}, {})",
                    run.id,
                    run.status
                )
            }
            Some(run) => {
                diesel::sql_query("UPDATE job_runs SET status = 'pending', attempts = 0, run_after = $2, manual = true WHERE id = $1")
                    .bind::<BigInt, _>(run.id)
                    .bind::<Timestamptz, _>(self.clock.now())
                    .execute(&mut conn)
                    .await?;
                run.id
            }
            None => {
                #[derive(QueryableByName)]
                struct Id {
                    #[diesel(sql_type = BigInt)]
                    id: i64,
                }
                diesel::sql_query("INSERT INTO job_runs (job, tick, manual, max_attempts, run_after) VALUES ($1, $2, true, $3, $4) RETURNING id")
                    .bind::<Text, _>(name)
                    .bind::<Timestamptz, _>(at)
                    .bind::<Integer, _>(job.max_attempts)
                    .bind::<Timestamptz, _>(self.clock.now())
                    .get_result::<Id>(&mut conn)
                    .await?
                    .id
            }
        };
        drop(conn);
        // Run this one now, in this process, unless another worker got it first.
        let claimed = {
            let mut conn = self.conn().await?;
            diesel::sql_query(
                "UPDATE job_runs SET status = 'running', attempts = attempts + 1, worker = $2, lease_until = $3, started_at = $4 \
                 WHERE id = $1 AND status = 'pending' RETURNING id, job, tick, manual, attempts, max_attempts",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(&self.worker)
            .bind::<Timestamptz, _>(self.clock.now() + self.lease)
            .bind::<Timestamptz, _>(self.clock.now())
            .get_result::<Claimed>(&mut conn)
            .await
            .optional()?
        };
        let Some(claimed) = claimed else {
            bail!("run {id} was taken by another worker")
        };
        let tick = Tick {
            at: claimed.tick,
            run_id: id,
            attempt: claimed.attempts,
            manual: true,
        };
        let started = std::time::Instant::now();
        let work = (job.handler)(self.context.clone(), tick);
        let outcome = self
            .drive(
                id,
                work,
                futures_util::future::pending(),
                claimed.attempts,
                claimed.max_attempts,
            )
            .await?;
        let ran_for = started.elapsed();
        self.finish(id, outcome.clone(), claimed.attempts).await?;
        self.report(job.name, &outcome, Some(ran_for));
        Ok((id, outcome))
    }

    /// Asks for a run of `name` as soon as a worker is free (the admin's "run now").
    pub async fn enqueue_now(&self, name: &str) -> anyhow::Result<i64> {
        let job = self
            .registry
            .find(name)
            .with_context(|| format!("no job called {name:?}"))?;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let now = self.clock.now();
        let mut conn = self.conn().await?;
        Ok(diesel::sql_query("INSERT INTO job_runs (job, tick, manual, max_attempts, run_after) VALUES ($1, $2, true, $3, $2) RETURNING id")
            .bind::<Text, _>(name)
            .bind::<Timestamptz, _>(now)
            .bind::<Integer, _>(job.max_attempts)
            .get_result::<Id>(&mut conn)
            .await?
            .id)
    }

    /// Schedules and runs jobs until `shutdown` turns true; a run in progress then has the
    /// grace period to finish, or is given back for another worker.
    pub async fn run_until_shutdown(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.schedule_due().await {
                tracing::error!(error = %format!("{e:#}"), "scheduling jobs");
            }
            loop {
                let mut watch = shutdown.clone();
                let stop = async move {
                    let _ = watch.wait_for(|stop| *stop).await;
                };
                match self.run_next_until(stop).await {
                    Ok(Some(_)) if !*shutdown.borrow() => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "running a job");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Wait before retry `attempt` (1-based): 30 s, 1 min, 2 min, … capped at an hour.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = (attempt.max(1) - 1).min(7) as u32;
    Duration::seconds(30 * 2_i64.pow(exponent)).min(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn outcome_names_are_the_serialised_tags() {
        let outcomes = [
            super::Outcome::Succeeded,
            super::Outcome::Retrying {
                error: "down".into(),
                retry_at: chrono::Utc::now(),
            },
            super::Outcome::Failed {
                error: "down".into(),
            },
            super::Outcome::Released,
        ];
        for (outcome, name) in outcomes.iter().zip(super::Outcome::NAMES) {
            assert_eq!(outcome.name(), name);
            assert_eq!(serde_json::to_value(outcome).unwrap()["outcome"], name);
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(super::backoff(1).num_seconds(), 30);
        assert_eq!(super::backoff(2).num_seconds(), 60);
        assert_eq!(super::backoff(4).num_seconds(), 240);
        assert_eq!(super::backoff(50).num_seconds(), 3600);
    }
}
