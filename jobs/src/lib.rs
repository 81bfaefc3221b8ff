//! The generic job scheduler; knows no domain.
pub mod schedule;
