//! The job that emails commissioners when a procurement's standstill ends, so the contract
//! can be entered into. Measured from the tick's time, not the wall clock, so a late or
//! repeated run sends each notice once.

use crate::audit::{self, Actor, Entry};
use crate::background::JobContext;
use crate::db::schema::{competitions, procurements, users};
use crate::mail::{self, Email, Recipient};
use crate::procurement::emails::StandstillEnded;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;
use uuid::Uuid;

/// The job's name.
pub const NAME: &str = "standstill-ended";
/// Every ten minutes.
pub const SCHEDULE: &str = "0 */10 * * * *";

/// A procurement whose standstill has ended: id, reference, title, end, creator, awarder.
type Due = (Uuid, String, String, DateTime<Utc>, Uuid, Option<Uuid>);

/// Emails the commissioner who awarded (and the one who created) each procurement whose
/// standstill ended by the tick, once.
pub async fn run(context: JobContext, tick: Tick) -> anyhow::Result<()> {
    let at = tick.at;
    let mut conn = context.pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let due: Vec<Due> = procurements::table
            .inner_join(competitions::table)
            .filter(procurements::standstill_ends_at.le(at))
            .filter(procurements::standstill_end_notified_at.is_null())
            .filter(procurements::contract_entered_at.is_null())
            .filter(competitions::cancelled_at.is_null())
            .select((
                procurements::id,
                competitions::reference,
                competitions::title,
                procurements::standstill_ends_at.assume_not_null(),
                procurements::created_by,
                competitions::decided_by,
            ))
            .for_update()
            .skip_locked()
            .load(tx)
            .await?;
        for (id, reference, title, ends, created_by, awarded_by) in due {
            let mut ids = vec![created_by];
            ids.extend(awarded_by);
            ids.dedup();
            let recipients: Vec<(String, String, Uuid)> = users::table
                .filter(users::id.eq_any(&ids))
                .filter(users::active.eq(true))
                .select((users::email, users::name, users::id))
                .load(tx)
                .await?;
            let message = StandstillEnded {
                reference: reference.clone(),
                title,
                when: crate::calendar::london_time(ends),
                link: format!("{}/procurements/{id}", context.mail.public_url),
            };
            for recipient in recipients {
                let email = Email::new(
                    &message,
                    Recipient::from(recipient),
                    format!("You received this email because you created or awarded {reference}."),
                );
                mail::enqueue(tx, &context.mail, email).await?;
            }
            diesel::update(procurements::table.find(id))
                .set(procurements::standstill_end_notified_at.eq(at))
                .execute(tx)
                .await?;
            audit::record(
                tx,
                &Actor::system(),
                Entry::new("procurement.standstill_ended", "procurement", id),
            )
            .await?;
        }
        Ok(())
    })
    .await
}
