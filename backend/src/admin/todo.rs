//! What needs an administrator's attention, for the top of their dashboard: jobs that
//! failed on every attempt, emails that could not be sent, and when the audit log was
//! last checkpointed (its daily email is what an administrator keeps).

use crate::calendar::london_time;
use crate::db::schema::{audit_checkpoints, outbox};
use crate::mail::OutboxStatus;
use crate::procurement::todo::ToDo;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The administrator's list, given the failed job runs counted by the scheduler.
pub async fn for_admin(
    conn: &mut AsyncPgConnection,
    failed_runs: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ToDo>> {
    let mut todo = Vec::new();
    if failed_runs > 0 {
        todo.push(ToDo {
            title: "Look at the scheduled jobs that failed".into(),
            href: "/admin/jobs".into(),
            hint: format!(
                "{failed_runs} run{} failed on every attempt. Each shows its error; run the job again once it is put right.",
                if failed_runs == 1 { "" } else { "s" }
            ),
            status: "Failed".into(),
            urgent: true,
        });
    }
    let failed_emails: i64 = outbox::table
        .filter(outbox::status.eq(OutboxStatus::Failed))
        .count()
        .get_result(conn)
        .await?;
    if failed_emails > 0 {
        todo.push(ToDo {
            title: "Look at the emails that could not be sent".into(),
            href: "/admin/outbox?status=failed".into(),
            hint: format!(
                "{failed_emails} email{} gave up after every attempt. You can send each again.",
                if failed_emails == 1 { "" } else { "s" }
            ),
            status: "Failed".into(),
            urgent: true,
        });
    }
    let last: Option<DateTime<Utc>> = audit_checkpoints::table
        .select(diesel::dsl::max(audit_checkpoints::created_at))
        .first(conn)
        .await?;
    let (hint, stale) = match last {
        Some(at) => (
            format!(
                "The last checkpoint was emailed to administrators on {}. Keep that email: it lets you prove later that the log has not been changed.",
                london_time(at)
            ),
            now - at > Duration::hours(36),
        ),
        None => (
            "No checkpoint has been made yet. The audit checkpoint job makes one every morning."
                .into(),
            true,
        ),
    };
    todo.push(ToDo {
        title: "Check the audit log".into(),
        href: "/admin/audit".into(),
        hint,
        status: if stale { "Overdue" } else { "Up to date" }.into(),
        urgent: stale,
    });
    Ok(todo)
}
