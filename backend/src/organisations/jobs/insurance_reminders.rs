//! The job that emails a provider's users 30 days and 7 days before one of its insurances
//! expires, and once it has lapsed. Each reminder is a row keyed on (insurance, threshold,
//! expiry date) inserted before its emails in the same transaction, so a repeated run,
//! or several instances at once, send each one once; a new expiry date is reminded again.
//! "Today" is the tick's London date, never the wall clock, so a late run counts from when
//! it was due.

use crate::audit::{self, Actor, Entry};
use crate::auth::Role;
use crate::background::JobContext;
use crate::db::schema::{insurance_reminders, insurances, organisations, users};
use crate::mail::{self, Email, Recipient};
use crate::organisations::emails::InsuranceExpiring;
use crate::organisations::evidence::model::InsuranceRow;
use crate::organisations::evidence::rules::{self, EXPIRING_DAYS, LAPSE_EMAIL_DAYS, Reminder};
use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;

/// The job's name.
pub const NAME: &str = "insurance-expiry-reminders";
/// Every day at 08:00 (London).
pub const SCHEDULE: &str = "0 0 8 * * *";

/// Whether a later saved insurance of the same kind (and description) takes over from
/// `i` without a gap: then `i` ending is no news, and nobody is reminded.
const RENEWED: &str = "EXISTS (SELECT 1 FROM insurances j \
    WHERE j.organisation_id = insurances.organisation_id AND j.kind = insurances.kind \
      AND lower(j.description) = lower(insurances.description) AND j.saved_at IS NOT NULL \
      AND j.id <> insurances.id AND j.starts_on <= insurances.expires_on + 1 \
      AND j.expires_on > insurances.expires_on)";

/// "public liability insurance", for the middle of a sentence.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn when(reminder: Reminder, days_left: i64) -> String {
    match (reminder, days_left) {
        (Reminder::Lapsed, _) => String::new(),
        (_, 0) => "today".into(),
        (_, 1) => "tomorrow".into(),
        (_, n) => format!("in {n} days"),
    }
}

/// Emails every active user of each provider whose saved insurance reached a reminder
/// threshold by the tick's date, once per insurance, threshold and expiry date.
pub async fn run(context: JobContext, tick: Tick) -> anyhow::Result<()> {
    let today = tick
        .at
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let mut conn = context.pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let due: Vec<(InsuranceRow, String)> = insurances::table
            .inner_join(organisations::table)
            .filter(insurances::saved_at.is_not_null())
            .filter(organisations::active.eq(true))
            .filter(insurances::expires_on.ge(today - Duration::days(LAPSE_EMAIL_DAYS)))
            .filter(insurances::expires_on.le(today + Duration::days(EXPIRING_DAYS)))
            .filter(diesel::dsl::not(diesel::dsl::sql::<diesel::sql_types::Bool>(
                RENEWED,
            )))
            .order(insurances::id)
            .select((InsuranceRow::as_select(), organisations::legal_name))
            .load(tx)
            .await?;
        let (mut reminded, mut sent) = (0, 0);
        for (insurance, organisation_name) in &due {
            let Some(reminder) = rules::reminder_due(insurance.expires_on, today) else {
                continue;
            };
            // The key: a second run, or another instance, inserts nothing and sends nothing.
            let claimed = diesel::insert_into(insurance_reminders::table)
                .values((
                    insurance_reminders::insurance_id.eq(insurance.id),
                    insurance_reminders::threshold.eq(reminder.key()),
                    insurance_reminders::expires_on.eq(insurance.expires_on),
                ))
                .on_conflict_do_nothing()
                .execute(tx)
                .await?;
            if claimed == 0 {
                continue;
            }
            reminded += 1;
            let recipients: Vec<(String, String, uuid::Uuid)> = users::table
                .filter(users::organisation_id.eq(insurance.organisation_id))
                .filter(users::role.eq(Role::Provider))
                .filter(users::active.eq(true))
                .select((users::email, users::name, users::id))
                .load(tx)
                .await?;
            let expires = crate::calendar::long_date(insurance.expires_on);
            let name = lower_first(&insurance.name());
            let message = InsuranceExpiring {
                organisation_name: organisation_name.clone(),
                insurance: name.clone(),
                insurer: insurance.insurer.clone(),
                expires: expires.clone(),
                when: when(reminder, (insurance.expires_on - today).num_days()),
                lapsed: reminder == Reminder::Lapsed,
                link: format!(
                    "{}/organisation/insurances/{}/edit",
                    context.mail.public_url, insurance.id
                ),
            };
            let reason = format!(
                "You received this email because you are a user of {organisation_name}, whose {name} with {} {} on {expires}.",
                insurance.insurer,
                if reminder == Reminder::Lapsed { "ended" } else { "ends" },
            );
            for recipient in recipients {
                let email = Email::new(&message, Recipient::from(recipient), reason.clone());
                sent += usize::from(mail::enqueue(tx, &context.mail, email).await?.is_some());
            }
        }
        audit::record(
            tx,
            &Actor::system(),
            Entry::new("insurance_reminders.ran", "job_run", tick.run_id).with_details(
                serde_json::json!({"tick": tick.at, "insurances": reminded, "emails": sent}),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}
