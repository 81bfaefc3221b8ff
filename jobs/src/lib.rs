//! The generic job scheduler; see issue "Scheduled jobs and email".
