//! What the application registers and hears back: a job (name, schedule, handler, retry
//! limit), the registry of jobs, the tick a handler runs for, how a run ended, and the
//! observer told of each run as it ends.

use crate::schedule::{CatchUp, Schedule};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;

/// What a handler is told about the run it performs.
#[derive(Debug, Clone)]
pub struct Tick {
    /// The scheduled instant this run is for (or the `--at` instant of a manual run).
    pub at: DateTime<Utc>,
    pub run_id: i64,
    /// 1 for the first try.
    pub attempt: i32,
    pub manual: bool,
}

type Handler<C> = Arc<dyn Fn(C, Tick) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// A named job: when it runs and what it does.
pub struct Job<C> {
    pub name: &'static str,
    pub description: &'static str,
    pub schedule: Schedule,
    pub catch_up: CatchUp,
    pub max_attempts: i32,
    pub(crate) handler: Handler<C>,
}

impl<C> Job<C> {
    /// A job on a cron schedule in `Europe/London`, caught up once, tried up to 5 times.
    pub fn new<F, Fut>(
        name: &'static str,
        description: &'static str,
        cron: &str,
        handler: F,
    ) -> anyhow::Result<Self>
    where
        F: Fn(C, Tick) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Ok(Self {
            name,
            description,
            schedule: Schedule::parse(cron, chrono_tz::Europe::London)?,
            catch_up: CatchUp::Once,
            max_attempts: 5,
            handler: Arc::new(move |c, t| Box::pin(handler(c, t))),
        })
    }

    /// Sets the catch-up rule.
    pub fn catch_up(mut self, catch_up: CatchUp) -> Self {
        self.catch_up = catch_up;
        self
    }

    /// Sets how many times a run is tried before it stays failed.
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// The jobs an application runs.
pub struct Registry<C> {
    jobs: Vec<Job<C>>,
}

impl<C> Default for Registry<C> {
    fn default() -> Self {
        Self { jobs: Vec::new() }
    }
}

impl<C> Registry<C> {
    /// Adds a job; names must be unique.
    pub fn with(mut self, job: Job<C>) -> Self {
        self.add(job);
        self
    }

    /// Adds a job in place; names must be unique.
    pub fn add(&mut self, job: Job<C>) {
        assert!(
            self.find(job.name).is_none(),
            "job {} registered twice",
            job.name
        );
        self.jobs.push(job);
    }

    /// A job by name.
    pub fn find(&self, name: &str) -> Option<&Job<C>> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// Every job, in registration order.
    pub fn jobs(&self) -> &[Job<C>] {
        &self.jobs
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Succeeded,
    /// Failed, and will be tried again after `retry_at`.
    Retrying {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Failed on its last allowed attempt; stays failed.
    Failed {
        error: String,
    },
    /// Given back unfinished (shutting down); another worker will run it.
    Released,
}

impl Outcome {
    /// Every outcome's [`Outcome::name`].
    pub const NAMES: [&'static str; 4] = ["succeeded", "retrying", "failed", "released"];

    /// The outcome's name without its details, as serialised in `outcome`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Retrying { .. } => "retrying",
            Outcome::Failed { .. } => "failed",
            Outcome::Released => "released",
        }
    }
}

/// Told of every run as it ends, once its outcome is recorded: the application's hook for
/// metrics. The runner knows nothing of what is done with it, and waits for it, so it must
/// be quick.
pub trait Observer: Send + Sync {
    /// A run of `job` ended with `outcome`. `ran_for` is how long its handler ran; `None`
    /// when no handler ran (a job no longer registered, or a run whose worker died on its
    /// last allowed attempt).
    fn run_ended(&self, job: &str, outcome: &Outcome, ran_for: Option<std::time::Duration>);
}
