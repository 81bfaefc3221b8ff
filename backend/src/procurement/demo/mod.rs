//! Demo procurements: three tenders of the demo council, one at each stage a visitor wants
//! to see, built through this context's own functions as the demo users would build them.
//!
//! - `WCC-2026-031` Home care in Wyre Forest: open for bids, with two lots, a published
//!   clarification, an unanswered one, and Meadow Homes' bid in draft;
//! - `WCC-2026-024` Extra care housing support in Malvern Hills: deadline passed, opened,
//!   both providers' bids in, the evaluator declared and part-way through scoring;
//! - `WCC-2026-017` Reablement service, countywide: scored, moderated and awarded to Bright
//!   Care, with standstill running from the moment the demo is loaded.
//!
//! The functions check deadlines against the database clock, so each tender is created with
//! future deadlines, bid for, and then moved into the past with SQL (as time passing
//! would), together with the other dates, so the history reads as weeks of work. Emails the
//! steps queue are discarded: the history is not news to anyone. Each tender is created in
//! one transaction, at most once (by reference), so loading the demo again changes nothing.

use super::award::AwardInput;
use super::model::{Procedure, ProcurementInput, Regime};
use super::procurements::QuestionnaireInput;
use super::{bids, clarifications, procurements};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::calendar::{Calendar, Rule};
use crate::db::schema::{competitions as competition_rows, districts, organisations, users};
use crate::evaluation::marking::{self, Agreed, ScoreInput};
use crate::evaluation::panels::{self, DeclarationInput};
use crate::evaluation::{Answer, LotInput, Questionnaire, competitions};
use crate::http::problem::Problem;
use crate::mail::MailContext;
use crate::organisations::model::ServiceType;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

mod extra_care;
mod home_care;
mod reablement;

use extra_care::extra_care;
use home_care::home_care;
use reablement::reablement;

const COMMISSIONER: &str = "commissioner@council.example";
const EVALUATOR: &str = "evaluator@council.example";
const BRIGHT: &str = "bids@brightcare.example";
const MEADOW: &str = "bids@meadowhomes.example";

/// Loads the three demo procurements that do not exist yet. Returns how many it created.
/// Needs the demo council, its users and the two providers (`seed::demo` makes them).
pub async fn demo(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let mut created = 0;
    for (reference, build) in [
        ("WCC-2026-031", Stage::Open),
        ("WCC-2026-024", Stage::InEvaluation),
        ("WCC-2026-017", Stage::Awarded),
    ] {
        let made = conn
            .transaction::<bool, anyhow::Error, _>(async |tx| {
                // Two processes loading the demo at once make each tender once.
                diesel::sql_query("SELECT pg_advisory_xact_lock(7316031)")
                    .execute(tx)
                    .await?;
                let exists: bool = diesel::select(diesel::dsl::exists(
                    competition_rows::table.filter(competition_rows::reference.eq(reference)),
                ))
                .get_result(tx)
                .await?;
                if exists {
                    return Ok(false);
                }
                let people = People::load(tx).await?;
                match build {
                    Stage::Open => home_care(tx, &people).await?,
                    Stage::InEvaluation => extra_care(tx, &people).await?,
                    Stage::Awarded => reablement(tx, &people).await?,
                }
                // The steps queued receipts, answers and summaries for the demo users;
                // rows of this transaction all carry its start time.
                diesel::sql_query(
                    "DELETE FROM outbox WHERE created_at = now() AND to_address = ANY($1)",
                )
                .bind::<diesel::sql_types::Array<Text>, _>(vec![
                    COMMISSIONER,
                    EVALUATOR,
                    BRIGHT,
                    MEADOW,
                ])
                .execute(tx)
                .await?;
                Ok(true)
            })
            .await?;
        created += usize::from(made);
    }
    Ok(created)
}

#[derive(Clone, Copy)]
enum Stage {
    Open,
    InEvaluation,
    Awarded,
}

/// The demo users, as the procurement functions see a signed-in user.
struct People {
    commissioner: AuthUser,
    evaluator: AuthUser,
    bright: AuthUser,
    meadow: AuthUser,
    mail: MailContext,
    now: DateTime<Utc>,
}

impl People {
    async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<Self> {
        Ok(Self {
            commissioner: user(conn, COMMISSIONER).await?,
            evaluator: user(conn, EVALUATOR).await?,
            bright: user(conn, BRIGHT).await?,
            meadow: user(conn, MEADOW).await?,
            // Emails are rendered, then discarded (see the module's comment).
            mail: MailContext {
                public_url: std::env::var("PUBLIC_URL")
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or_else(|| "http://127.0.0.1:8080".into()),
                unsubscribe_key: vec![0; 32],
                link_key: vec![0; 32],
            },
            now: competitions::db_now(conn).await?,
        })
    }
}

/// A demo user as the functions take them (signed in, email confirmed).
pub async fn user(conn: &mut AsyncPgConnection, email: &str) -> anyhow::Result<AuthUser> {
    let (id, email, name, role, organisation_id, organisation_name): (
        Uuid,
        String,
        String,
        Role,
        Uuid,
        String,
    ) = users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email))
        .select((
            users::id,
            users::email,
            users::name,
            users::role,
            users::organisation_id,
            organisations::legal_name,
        ))
        .first(conn)
        .await
        .map_err(|e| anyhow::anyhow!("demo user {email}: {e}"))?;
    Ok(AuthUser {
        id,
        email,
        name,
        role,
        organisation_id,
        organisation_name,
        email_verified: true,
        token_id: Uuid::nil(),
        token_expires: 0,
    })
}

/// Turns a [`Problem`] into an error that says which step failed and why.
trait Step<T> {
    fn step(self, what: &str) -> anyhow::Result<T>;
}

impl<T, E: Into<Problem>> Step<T> for Result<T, E> {
    fn step(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| {
            let p: Problem = e.into();
            anyhow::anyhow!(
                "demo procurements, {what}: {p}. {} {:?}",
                p.detail.clone().unwrap_or_default(),
                p.errors
            )
        })
    }
}

async fn district_ids(conn: &mut AsyncPgConnection, names: &[&str]) -> anyhow::Result<Vec<Uuid>> {
    let query = districts::table.select(districts::id).into_boxed();
    let query = if names.is_empty() {
        query
    } else {
        query.filter(districts::name.eq_any(names.to_vec()))
    };
    Ok(query.load(conn).await?)
}

/// Whether `date` is a working day in England (weekends alone beyond the shipped calendar).
fn working(date: NaiveDate) -> bool {
    Calendar::uk()
        .is_working_day(date, Rule::EnglandAndWales)
        .unwrap_or(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
}

/// The date in London.
fn day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// `hour:minute` in London on `date`; for the past, never later than an hour ago.
fn on(now: DateTime<Utc>, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let t = chrono_tz::Europe::London
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).expect("a time of day"))
        .earliest()
        .expect("office hours exist in London")
        .with_timezone(&Utc);
    if date < day(now) {
        t.min(now - Duration::hours(1))
    } else {
        t
    }
}

/// The working day `n` working days after `date` (before it when `n` is negative).
fn working_days(date: NaiveDate, n: i64) -> NaiveDate {
    let mut date = date;
    for _ in 0..n.abs() {
        date += Duration::days(n.signum());
        while !working(date) {
            date += Duration::days(n.signum());
        }
    }
    date
}

/// `hour:minute` on the working day `days` calendar days from today (back to an earlier
/// working day in the past, on to a later one in the future): people work office hours.
fn at(now: DateTime<Utc>, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let mut date = day(now) + Duration::days(days);
    while !working(date) {
        date += Duration::days(if days < 0 { -1 } else { 1 });
    }
    on(now, date, hour, minute)
}

/// Midday on the working day `days` from today, as deadlines are usually set.
fn midday(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    at(now, days, 12, 0)
}

/// `hour:minute` on the working day `n` working days from the one `t` falls on.
fn from(now: DateTime<Utc>, t: DateTime<Utc>, n: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    on(now, working_days(day(t), n), hour, minute)
}

fn text(s: &str) -> Answer {
    Answer {
        text: Some(s.to_string()),
        ..Answer::default()
    }
}

fn yes() -> Answer {
    Answer {
        choice: Some(true),
        ..Answer::default()
    }
}

fn rates(pence: &[i64]) -> Answer {
    Answer {
        rates_pence: Some(pence.to_vec()),
        ..Answer::default()
    }
}

fn price(pence: i64) -> Answer {
    Answer {
        price_pence: Some(pence),
        ..Answer::default()
    }
}

fn answers(pairs: Vec<(&str, Answer)>) -> BTreeMap<String, Answer> {
    pairs.into_iter().map(|(q, a)| (q.to_string(), a)).collect()
}

/// The dates of a tender's life so far, written over the ones the steps left.
struct Timeline {
    created: DateTime<Utc>,
    assessed: DateTime<Utc>,
    published: DateTime<Utc>,
    clarification_deadline: DateTime<Utc>,
    submission_deadline: DateTime<Utc>,
    planned_award: NaiveDate,
}

async fn set_timeline(conn: &mut AsyncPgConnection, id: Uuid, t: &Timeline) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE procurements
            SET created_at = $2, conflicts_assessed_at = $5, clarification_deadline = $3,
                planned_award_date = $4, updated_at = $2
          WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(t.created)
    .bind::<Timestamptz, _>(t.clarification_deadline)
    .bind::<Date, _>(t.planned_award)
    .bind::<Timestamptz, _>(t.assessed)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE competitions
            SET created_at = $2, published_at = $3, submission_deadline = $4, updated_at = $3
          WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(t.created)
    .bind::<Timestamptz, _>(t.published)
    .bind::<Timestamptz, _>(t.submission_deadline)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE questionnaire_versions SET created_at = $2, frozen_at = $3 WHERE competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(t.created)
    .bind::<Timestamptz, _>(t.published)
    .execute(conn)
    .await?;
    Ok(())
}

/// Dates a bid as started `started` and submitted `submitted` (its receipt too).
async fn date_bid(
    conn: &mut AsyncPgConnection,
    submission: Uuid,
    started: DateTime<Utc>,
    submitted: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE submissions SET created_at = $2, submitted_at = $3, updated_at = coalesce($3, $2)
          WHERE id = $1",
    )
    .bind::<SqlUuid, _>(submission)
    .bind::<Timestamptz, _>(started)
    .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(submitted)
    .execute(conn)
    .await?;
    diesel::sql_query("UPDATE submission_receipts SET submitted_at = $2 WHERE submission_id = $1")
        .bind::<SqlUuid, _>(submission)
        .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(submitted)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE procurement_interests i SET created_at = $2
           FROM submissions s
          WHERE s.id = $1 AND i.procurement_id = s.competition_id
            AND i.organisation_id = s.organisation_id",
    )
    .bind::<SqlUuid, _>(submission)
    .bind::<Timestamptz, _>(started)
    .execute(conn)
    .await?;
    Ok(())
}

/// Dates the opening, the panel's appointment and declarations, and the evaluators' work.
async fn date_evaluation(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    opened: DateTime<Utc>,
    declared: DateTime<Utc>,
    scored: DateTime<Utc>,
) -> anyhow::Result<()> {
    diesel::sql_query("UPDATE competitions SET opened_at = $2, updated_at = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Timestamptz, _>(opened)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE panel_members SET assigned_at = $2 + interval '25 minutes', declared_at = $3
          WHERE competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(opened)
    .bind::<Timestamptz, _>(declared)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE conflict_declarations SET declared_at = $2 WHERE competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(declared)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE score_sheets ss SET submitted_at = $2
           FROM submissions s
          WHERE s.id = ss.submission_id AND s.competition_id = $1 AND ss.submitted_at IS NOT NULL",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(scored)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE evaluator_scores es SET updated_at = $2
           FROM submissions s
          WHERE s.id = es.submission_id AND s.competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(scored)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates, fills, assesses and publishes a tender; returns it.
async fn publish_tender(
    conn: &mut AsyncPgConnection,
    p: &People,
    input: ProcurementInput,
    questionnaire: serde_json::Value,
    assessment: &str,
) -> anyhow::Result<super::model::ProcurementView> {
    let c = &p.commissioner;
    let view = procurements::create(conn, c, &input).await.step("create")?;
    let questionnaire: Questionnaire = serde_json::from_value(questionnaire)?;
    procurements::replace_questionnaire(
        conn,
        &p.mail,
        c,
        view.id,
        QuestionnaireInput {
            questionnaire,
            change_note: String::new(),
        },
    )
    .await
    .step("questionnaire")?;
    procurements::record_conflicts_assessment(conn, c, view.id, assessment)
        .await
        .step("conflicts assessment")?;
    procurements::publish(conn, &p.mail, c, view.id)
        .await
        .step("publish")?;
    Ok(view)
}

/// Starts a bid, answers every question and submits it; returns the submission's id.
async fn bid(
    conn: &mut AsyncPgConnection,
    p: &People,
    bidder: &AuthUser,
    id: Uuid,
    lot: Option<Uuid>,
    answers: BTreeMap<String, Answer>,
    submit: bool,
) -> anyhow::Result<Uuid> {
    let sid = bids::start(conn, bidder, id, lot)
        .await
        .step("start a bid")?
        .0
        .id;
    bids::save_answers(conn, bidder, sid, answers)
        .await
        .step("save answers")?;
    if submit {
        bids::submit(conn, &p.mail, bidder, sid)
            .await
            .step("submit")?;
    }
    Ok(sid)
}

/// Input for a tender whose deadlines are an hour or two away, as it must be to take bids;
/// [`set_timeline`] moves them afterwards.
#[allow(clippy::too_many_arguments)]
fn input(
    p: &People,
    reference: &str,
    title: &str,
    description: &str,
    service_type: ServiceType,
    district_ids: Vec<Uuid>,
    estimated_value_pence: i64,
    lots: Vec<LotInput>,
) -> ProcurementInput {
    ProcurementInput {
        title: title.into(),
        reference: reference.into(),
        description: description.into(),
        service_type,
        district_ids,
        estimated_value_pence,
        regime: Regime::Pa2023,
        light_touch: true,
        procedure: Procedure::Open,
        lots,
        clarification_deadline: p.now + Duration::hours(1),
        submission_deadline: p.now + Duration::hours(2),
        planned_award_date: (p.now + Duration::days(60)).date_naive(),
        standstill_working_days: 8,
    }
}

fn cqc_question(guidance: &str) -> serde_json::Value {
    json!({"id": "Q1", "kind": "pass_fail", "pass_answer": true,
        "title": "Is your service registered with the Care Quality Commission for the regulated activity personal care, and will it still be at the start of the contract?",
        "guidance": guidance})
}

const ASSESSMENT: &str = "The commissioning team (Sam Patel, commissioning manager), the evaluation panel (Jo Evans, senior practitioner) and the finance business partner were each asked to declare any link with care providers operating in the county: past or current employment, family members working for a provider, shareholdings, and gifts or hospitality in the last two years. None was declared. Each evaluator will declare again against every named bidder once the deadline has passed, and will not see any bid from a provider with which they have an interest.";

// ---------------------------------------------------------------------------------------
// (a) Open for bids: home care in Wyre Forest.

/// The evaluator declares no interest in any bidder.
async fn declare_none(
    conn: &mut AsyncPgConnection,
    evaluator: &AuthUser,
    id: Uuid,
) -> anyhow::Result<()> {
    let bidders = panels::bidders(conn, evaluator, id).await.step("bidders")?;
    let declarations: Vec<DeclarationInput> = bidders
        .iter()
        .map(|b| DeclarationInput {
            organisation_id: b.organisation_id,
            conflicted: false,
            details: String::new(),
        })
        .collect();
    panels::declare(conn, evaluator, id, &declarations)
        .await
        .step("declare")?;
    Ok(())
}
