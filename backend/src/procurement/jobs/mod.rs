//! The tender procedure's scheduled jobs, one file each.

pub mod reminders;
pub mod standstill;
