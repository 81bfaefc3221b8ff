//! A generic scheduler and job runner over PostgreSQL. It knows no domain: the application
//! registers named jobs with a cron schedule and a handler, and this crate makes sure each
//! tick runs once however many instances run it.
//!
//! - **Scheduling**: each due tick inserts one `job_runs` row, unique on (job, tick). The
//!   per-job `job_schedules` row is locked while ticks are worked out, so concurrent
//!   schedulers agree; after downtime, missed ticks are caught up once (or every one, if
//!   the job says so). Schedules are wall-clock times in a time zone and survive DST changes
//!   (see [`schedule`]).
//! - **Running**: runs are claimed with `FOR UPDATE SKIP LOCKED` under a lease that a
//!   heartbeat renews; a run whose worker died is taken over when its lease expires. A
//!   failure is retried with exponential backoff up to the job's limit, then stays `failed`
//!   and visible.
//! - **Time** comes from an injected [`clock::Clock`]; handlers receive the tick they run
//!   for and never need the wall clock.
//! - **Observing**: an [`Observer`] given to the runner hears of each run as it ends (job,
//!   outcome, how long it ran), so the application can keep metrics without this crate
//!   knowing how.
//!
//! The tables are created by the application's migrations (`migrations/*_jobs_and_mail`).

pub mod clock;
pub mod history;
pub mod job;
pub mod runner;
pub mod schedule;

pub use clock::{Clock, ManualClock, SystemClock};
pub use history::{JobStatus, RunRecord};
pub use job::{Job, Observer, Outcome, Registry, Tick};
pub use runner::Runner;
pub use schedule::{CatchUp, Schedule};
