//! The administrators' pages: the audit log, the outbox and the jobs.

pub mod audit;
pub mod jobs;
pub mod outbox;
