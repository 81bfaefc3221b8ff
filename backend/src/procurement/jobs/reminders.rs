//! The job that reminds providers, a few days before a tender's deadline, of a bid they
//! started and have not submitted. Measured from the tick, so a late or repeated run sends
//! each reminder once; a deadline moved later is reminded again.

use crate::audit::{self, Actor, Entry};
use crate::auth::Role;
use crate::background::JobContext;
use crate::db::schema::{competitions, procurements, submissions, users};
use crate::mail::{self, Email, NotificationKind, Recipient};
use crate::procurement::emails::BidDeadlineReminder;
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
        // Tenders only: other owners of competitions remind in their own words.
        let due: Vec<Due> = submissions::table
            .inner_join(competitions::table.inner_join(procurements::table))
            .filter(submissions::submitted_at.is_null())
            .filter(competitions::published_at.is_not_null())
            .filter(competitions::cancelled_at.is_null())
            .filter(competitions::opened_at.is_null())
            .filter(competitions::submission_deadline.gt(at))
            .filter(competitions::submission_deadline.le(at + AHEAD))
            .filter(
                submissions::reminded_for
                    .is_null()
                    .or(submissions::reminded_for.ne(competitions::submission_deadline.nullable())),
            )
            .select((
                submissions::id,
                submissions::organisation_id,
                competitions::id,
                competitions::reference,
                competitions::title,
                competitions::submission_deadline,
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
            let message = BidDeadlineReminder {
                reference: reference.clone(),
                title: title.clone(),
                deadline: crate::calendar::london_time(*deadline),
                link: format!("{}/bids/{submission}", context.mail.public_url),
            };
            for recipient in recipients {
                let email = Email::new(
                    &message,
                    Recipient::from(recipient),
                    format!(
                        "You received this email because your organisation started a bid for {reference} and has not submitted it."
                    ),
                )
                .optional(NotificationKind::DeadlineReminders);
                sent += usize::from(mail::enqueue(tx, &context.mail, email).await?.is_some());
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
