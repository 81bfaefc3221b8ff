//! The administrators' scheduled jobs.

pub mod audit_checkpoint;
