//! The job that reminds providers, a few days before a tender's deadline, of a bid they
//! started and have not submitted. Measured from the tick, so a late or repeated run sends
//! each reminder once; a deadline moved later is reminded again.

use crate::audit::{self, Actor, Entry};
use crate::auth::Role;
use crate::background::JobContext;
use crate::db::schema::{procurements, submissions, users};
use crate::mail::{self, Email, NotificationKind};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;
use uuid::Uuid;

/// The job's name.
pub const NAME: &str = "bid-deadline-reminders";
/// Every day at 09:00 (London).
pub const SCHEDULE: &str = "0 0 9 * * *";
/// How far ahead of a deadline the reminder goes.
pub const AHEAD: Duration = Duration::days(3);

/// A bid to remind about: submission, organisation, procurement id, reference, title,
/// deadline.
type Due = (Uuid, Uuid, Uuid, String, String, DateTime<Utc>);

/// Emails every active user of each organisation with an unsubmitted bid whose deadline
/// falls within [`AHEAD`] of the tick (unless they turned reminders off).
pub async fn run(context: JobContext, tick: Tick) -> anyhow::Result<()> {
    let at = tick.at;
    let mut conn = context.pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let due: Vec<Due> = submissions::table
            .inner_join(procurements::table)
            .filter(submissions::submitted_at.is_null())
            .filter(procurements::published_at.is_not_null())
            .filter(procurements::cancelled_at.is_null())
            .filter(procurements::opened_at.is_null())
            .filter(procurements::submission_deadline.gt(at))
            .filter(procurements::submission_deadline.le(at + AHEAD))
            .filter(
                submissions::reminded_for
                    .is_null()
                    .or(submissions::reminded_for.ne(procurements::submission_deadline.nullable())),
            )
            .select((
                submissions::id,
                submissions::organisation_id,
                procurements::id,
                procurements::reference,
                procurements::title,
                procurements::submission_deadline,
            ))
            .for_update()
            .skip_locked()
            .load(tx)
            .await?;
        let mut sent = 0;
        for (submission, organisation, _procurement, reference, title, deadline) in &due {
            let recipients: Vec<(String, String, Uuid)> = users::table
                .filter(users::organisation_id.eq(organisation))
                .filter(users::role.eq(Role::Provider))
                .filter(users::active.eq(true))
                .select((users::email, users::name, users::id))
                .load(tx)
                .await?;
            for (to_address, to_name, user_id) in recipients {
                let queued = mail::enqueue(
                    tx,
                    &context.mail,
                    Email {
                        template: "bid_deadline_reminder",
                        to_address,
                        to_name,
                        user_id: Some(user_id),
                        reason: format!(
                            "You received this email because your organisation started a bid for {reference} and has not submitted it."
                        ),
                        optional_kind: Some(NotificationKind::DeadlineReminders),
                        data: serde_json::json!({
                            "reference": reference,
                            "title": title,
                            "deadline": crate::calendar::london_time(*deadline),
                            "link": format!("{}/bids/{submission}", context.mail.public_url),
                        }),
                    },
                )
                .await?;
                sent += usize::from(queued.is_some());
            }
            diesel::update(submissions::table.find(submission))
                .set(submissions::reminded_for.eq(deadline))
                .execute(tx)
                .await?;
        }
        audit::record(
            tx,
            &Actor::system(),
            Entry::new("bid_reminders.ran", "job_run", tick.run_id)
                .with_details(serde_json::json!({"tick": at, "bids": due.len(), "emails": sent})),
        )
        .await?;
        Ok(())
    })
    .await
}
