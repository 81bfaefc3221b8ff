//! The organisations context's scheduled jobs, one file each.

pub mod insurance_reminders;
