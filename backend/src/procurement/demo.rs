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

async fn user(conn: &mut AsyncPgConnection, email: &str) -> anyhow::Result<AuthUser> {
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

async fn home_care(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let wyre = district_ids(conn, &["Wyre Forest"]).await?;
    let mut tender = input(
        p,
        "WCC-2026-031",
        "Home care in Wyre Forest",
        "Wyvern County Council is buying home care (personal care and practical support in people's own homes) for adults in Wyre Forest from 1 April 2027. The two contracts, one for each lot, replace today's spot purchasing with zoned contracts that carry a guaranteed minimum of hours, so that providers can plan rounds and offer care workers guaranteed hours.\n\nProviders are paid for planned contact time at their contracted hourly rates, with an outcome payment for each person whose care can safely be reduced at their six-week review. About 3,400 hours a week are bought in the district today, some 640 of them in the rural west, where calls are hardest to cover.\n\nThe contracts run for three years, with the option to extend for up to two more. Bid for one lot or both: each lot is a separate bid.",
        ServiceType::Domiciliary,
        wyre,
        2_340_000_000,
        vec![
            LotInput {
                title: "Kidderminster and Stourport-on-Severn".into(),
                description: "The towns of Kidderminster and Stourport-on-Severn and the villages between them: about 2,760 hours a week today.".into(),
            },
            LotInput {
                title: "Bewdley and rural Wyre Forest".into(),
                description: "Bewdley, the Wyre Forest villages and the parishes west of the Severn: about 640 hours a week today, with many calls more than 20 minutes' drive apart.".into(),
            },
        ],
    );
    let clarify_by = midday(now, 11);
    let deadline = midday(now, 21);
    tender.clarification_deadline = clarify_by;
    tender.submission_deadline = deadline;
    tender.planned_award_date = (deadline + Duration::days(35)).date_naive();
    let questionnaire = json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care delivered in people's own homes, from a location that can serve Wyre Forest. We check every answer against the CQC register before award. A provider that is not registered for personal care cannot be awarded this contract.")]},
        {"title": "Quality (55%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Safeguarding adults", "weight": 20, "word_limit": 750,
             "guidance": "Tell us how your care workers recognise abuse and neglect, including self-neglect, and what they do next, out of office hours as well as in them. Give a recent, anonymised example of a concern you raised with the council's Adult Front Door: what happened, and what you changed as a result. We look for clear roles, timely referral, and learning that reached the care workers."},
            {"id": "Q3", "kind": "scored", "title": "Recruiting, training and keeping care workers", "weight": 20, "word_limit": 750,
             "guidance": "Tell us how you will staff this lot from the first week and keep staff through the winter: recruitment, pay and terms (including paid travel time), induction and the Care Certificate, supervision, and driving in rural areas. Tell us your care worker turnover for the last 12 months and what you are doing about it."},
            {"id": "Q4", "kind": "scored", "title": "Outcomes: helping people do more for themselves", "weight": 15, "word_limit": 600,
             "guidance": "Describe how care workers notice when someone could do more for themselves, and how you review and reduce care with them and the council's reviewing team. Tell us what proportion of the people you support had their care reduced at review last year, and how you measured it."}
        ]},
        {"title": "Price (35%)", "questions": [
            {"id": "Q5", "kind": "price_schedule", "title": "Hourly rates", "weight": 35,
             "guidance": "Quote one hourly rate for each band, covering all your costs: travel time, mileage, training, supervision and overheads. Calls are paid by the minute for the planned duration. The volumes are the share of hours (out of 100) we expect in each band; they weight your rates into one price for comparison. Rates are fixed for the first year, then reviewed through the annual fee-rate review.",
             "bands": [
                {"label": "Weekdays, 7am to 10pm", "volume": 76},
                {"label": "Weekends, 7am to 10pm", "volume": 21},
                {"label": "Nights (10pm to 7am) and bank holidays", "volume": 3}
             ]}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Local jobs and the Wyre Forest economy", "weight": 10, "word_limit": 500,
             "guidance": "Tell us what you commit to deliver in Wyre Forest over the contract, with numbers we can write into the contract and monitor: jobs for local residents, apprenticeships, the Real Living Wage, local suppliers or volunteering. We score only commitments that can be measured."}
        ]},
        {"title": "Documents and contact", "questions": [
            {"id": "Q7", "kind": "evidence", "title": "Employer's liability and public liability insurance certificates",
             "guidance": "Upload your current certificates. We need at least £5 million employer's liability and £5 million public liability cover, or a letter from your broker confirming you will have it by the start of the contract."},
            {"id": "Q8", "kind": "information", "title": "Who should we contact about this bid?", "word_limit": 60,
             "guidance": "Name, role, email address and telephone number. We also send clarification answers and the outcome to the person who submits the bid."}
        ]}
    ]});
    let view = publish_tender(conn, p, tender, questionnaire, ASSESSMENT).await?;
    let id = view.id;
    let lot2 = view.lots.iter().find(|l| l.number == 2).map(|l| l.id);

    procurements::register_interest(conn, &p.bright, id)
        .await
        .step("register interest")?;
    let asked = clarifications::ask(
        conn,
        &p.bright,
        id,
        "Lot 2 covers villages such as Far Forest, Rock and Clows Top, where calls can be 25 minutes' drive apart. Will the council pay for travel time separately in Lot 2, or should travel be built into the hourly rates? If it is built in, may we quote different rates for each lot?",
    )
    .await
    .step("ask a clarification")?;
    clarifications::answer(
        conn,
        &p.mail,
        &p.commissioner,
        id,
        asked.id,
        "Build travel time and mileage into your hourly rates: the council does not pay for travel separately. Because travel costs differ so much between the towns and the rural west, you may quote different rates for each lot. Each bid is for one lot and has its own price schedule, and bids are compared only with other bids for the same lot. The band volumes are the same for both lots so that every bid is weighted in the same way. We have published this answer to every bidder.",
        true,
    )
    .await
    .step("answer a clarification")?;
    let meadow_question = clarifications::ask(
        conn,
        &p.meadow,
        id,
        "We would like to bid for Lot 2 only. Is there a minimum number of hours a week we must be able to take on in the first month of the contract?",
    )
    .await
    .step("ask a clarification")?;
    let draft = bid(
        conn,
        p,
        &p.meadow,
        id,
        lot2,
        answers(vec![
            ("Q1", yes()),
            ("Q2", text("Every care worker completes safeguarding training at induction and again every year, and our team leaders complete the council's level 3 course. Care workers report any concern to the office straight away, or to the on-call manager out of hours, and the manager decides on a referral to the Adult Front Door the same day.\n\n[Draft: add the example from Tenbury last spring and what we changed afterwards. Ask Sue for the dates.]")),
            ("Q8", text("Tom Hughes, Operations Director, Meadow Homes Ltd. bids@meadowhomes.example, 01684 000 123.")),
        ]),
        false,
    )
    .await?;

    let published = at(now, -8, 10, 0);
    let asked_at = from(now, published, 2, 16, 12);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -16, 9, 40),
            assessed: from(now, published, -1, 15, 55),
            published,
            clarification_deadline: clarify_by,
            submission_deadline: deadline,
            planned_award: (deadline + Duration::days(35)).date_naive(),
        },
    )
    .await?;
    diesel::sql_query("UPDATE clarifications SET asked_at = $2, answered_at = $3 WHERE id = $1")
        .bind::<SqlUuid, _>(asked.id)
        .bind::<Timestamptz, _>(asked_at)
        .bind::<Timestamptz, _>(from(now, asked_at, 2, 11, 5))
        .execute(conn)
        .await?;
    diesel::sql_query("UPDATE clarifications SET asked_at = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(meadow_question.id)
        .bind::<Timestamptz, _>(at(now, -1, 14, 47))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE procurement_interests SET created_at = $2 WHERE procurement_id = $1 AND user_id = $3",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(from(now, published, 1, 9, 3))
    .bind::<SqlUuid, _>(p.bright.id)
    .execute(conn)
    .await?;
    date_bid(conn, draft, at(now, -2, 15, 20), None).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// (b) In evaluation: extra care housing support in Malvern Hills.

fn extra_care_questionnaire() -> serde_json::Value {
    json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care. Care at the schemes is delivered in tenants' own flats, so a registration for accommodation with personal care (a care home) is not enough.")]},
        {"title": "Quality (60%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Supporting tenants to live well and independently", "weight": 25, "word_limit": 600,
             "guidance": "Describe your model of care and support across the three schemes: how support plans are written with tenants, how you keep the number of different care workers each tenant sees low, how you review care as needs change (down as well as up), and how you work with the housing provider, district nurses and GPs."},
            {"id": "Q3", "kind": "scored", "title": "Safeguarding and positive risk-taking", "weight": 20, "word_limit": 500,
             "guidance": "Tell us how concerns are recognised, recorded and referred, day and night, and how you support tenants to take the risks they choose. Give an example of each."},
            {"id": "Q4", "kind": "scored", "title": "Staffing the schemes day and night", "weight": 15, "word_limit": 500,
             "guidance": "Tell us how each scheme will be staffed across 24 hours, including waking night cover, how you will recruit and keep staff at Tenbury Fields, and your pay rates and turnover."}
        ]},
        {"title": "Price (30%)", "questions": [
            {"id": "Q5", "kind": "price_schedule", "title": "Prices", "weight": 30,
             "guidance": "Planned care is paid by the hour as delivered. Core cover is a fixed price for each scheme for each night, for a waking care worker on site from 10pm to 7am who answers tenants' alarm calls. The volumes are the planned hours and the scheme-nights in a typical week.",
             "bands": [
                {"label": "Planned care and support, per hour", "volume": 1150},
                {"label": "Core night cover, per scheme per night", "volume": 21}
             ]}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Bringing the community into the schemes", "weight": 10, "word_limit": 400,
             "guidance": "Tell us what you will do to connect the schemes with their towns, and what you commit to on local jobs, with figures we can monitor."}
        ]},
        {"title": "Mobilisation", "questions": [
            {"id": "Q7", "kind": "information", "title": "Your mobilisation plan, including the transfer of staff", "word_limit": 400,
             "guidance": "Not scored; we use it to plan the handover. Include key dates and how you will consult staff who may transfer under TUPE."}
        ]}
    ]})
}

async fn extra_care(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let malvern = district_ids(conn, &["Malvern Hills"]).await?;
    let tender = input(
        p,
        "WCC-2026-024",
        "Extra care housing support in Malvern Hills",
        "Care and support for tenants of the three extra care housing schemes in Malvern Hills: Priory Gardens in Malvern (60 flats), Hanley Court in Upton-upon-Severn (45 flats) and Tenbury Fields in Tenbury Wells (40 flats).\n\nThe provider is based on site, giving planned care to tenants assessed as needing it and 24-hour cover for unplanned needs and emergencies, working alongside the landlord, Severn Vale Housing. Tenants choose their own provider for any care beyond the contract.\n\nThe contract starts on 1 March 2027 and runs for four years, with the option to extend for up to two more. Staff of the current provider may transfer under TUPE; the staffing information is in the tender documents.",
        ServiceType::ExtraCare,
        malvern,
        560_000_000,
        Vec::new(),
    );
    let view = publish_tender(conn, p, tender, extra_care_questionnaire(), ASSESSMENT).await?;
    let id = view.id;
    let bright = bid(conn, p, &p.bright, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("We will run the three schemes as one service, with a scheme manager at each site and one registered manager across all three. Every tenant will have a support plan written with them in their own flat, starting from what they want to keep doing: getting to the shops, cooking a meal, going to church. Planned care is given by a small team who know the tenant, so most tenants see no more than four different care workers in a week.\n\nWe review each plan at six weeks and then every six months, or sooner when something changes, and we tell the council's reviewing officer when a tenant needs less care as well as when they need more. At our extra care service in Droitwich, 31 of 52 tenants had their planned hours reduced at review last year, mostly after short periods of extra support following a hospital stay. The scheme managers will meet Severn Vale Housing's officers weekly, and we will offer the district nurses a desk in each scheme office, as they have at Droitwich.")),
        ("Q3", text("All staff complete safeguarding training at induction and every year, and scheme managers complete the council's level 3 course. Care workers tell the scheme manager about any concern straight away, and the manager refers to the Adult Front Door the same day; at night the on-call manager makes the referral. We record every concern, including those we decide not to refer, and review them monthly for patterns.\n\nPositive risk-taking is part of each support plan. Last year a tenant with early dementia wanted to keep walking into town alone. Rather than stop him, we agreed a plan with him and his daughter: a phone that shares his location and a check-in call from the café. He still walks in twice a week. After a 2025 referral about financial abuse by a visitor, we found that staff were unsure how to raise concerns about people who were not our clients, so we added this to our training.")),
        ("Q4", text("Each scheme will have care workers on site from 7am to 10pm, in numbers set by the planned hours, and a waking night care worker from 10pm to 7am, with an on-call manager behind them. Tenbury Fields is the hardest site to staff, so we will recruit there first, pay travel time from Ludlow and Leominster, and keep a bank of six staff who know all three schemes. We pay care workers £13.10 an hour, above the Real Living Wage, with enhanced rates at weekends. Our care worker turnover last year was 19%. Staff transferring under TUPE keep their terms.")),
        ("Q5", rates(&[2_480, 17_500])),
        ("Q6", text("We will open each scheme's lounge to the neighbourhood two afternoons a week, host the library's home service and a monthly hearing aid clinic run by volunteers, and hold a summer fair at each scheme. We commit to recruiting at least 70% of new staff from within ten miles of each scheme, offering two apprenticeships a year, and buying food for activities from local shops. We will report these figures to the council every quarter.")),
        ("Q7", text("We will appoint the three scheme managers in December, meet every tenant before the start date, and begin consulting the 38 staff who may transfer under TUPE in January, with union representatives invited. Our mobilisation lead has moved four services to us in the last three years without a missed call.")),
    ]), true).await?;
    let meadow = bid(conn, p, &p.meadow, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("Meadow Homes has run care homes in Malvern for twenty years and knows many of the families whose relatives will live in these schemes. We will bring the same approach to extra care: a named key worker for every tenant, a support plan agreed in the first week, and a review whenever the tenant or their family asks for one. Tenants will be welcome at activities at Meadow Court, our care home two miles from Priory Gardens, and our activities coordinator will plan a programme at each scheme. We will help tenants keep doing what they can for themselves, and we will work with Severn Vale Housing and the GP practices.")),
        ("Q3", text("Our safeguarding policy follows the West Midlands adult safeguarding procedures, and all staff are trained at induction and every year. Concerns are reported to the manager on duty, who decides whether to refer them to the council. We encourage tenants to make their own choices and record any risks in their care plan. Our care homes have had two safeguarding enquiries in the last year; both were closed with no further action.")),
        ("Q4", text("At first we will staff the schemes from our care home teams, and we will recruit new staff for each scheme over the first six months. There will be a waking night care worker at Priory Gardens and a sleeping-in care worker at Hanley Court and Tenbury Fields, with our care home night staff on call. We pay the Real Living Wage and let staff take shifts across our homes and the schemes, so they can choose their hours.")),
        ("Q5", rates(&[2_395, 16_800])),
        ("Q6", text("We will invite local schools and churches into the schemes and hold open days twice a year. We will recruit locally wherever we can and advertise jobs in the local papers.")),
        ("Q7", text("The registered manager of Meadow Court will lead mobilisation, supported by our head office. We will meet the staff transferring under TUPE in January and the tenants in February.")),
    ]), true).await?;

    let deadline = midday(now, -12);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -55, 14, 30),
            assessed: from(now, at(now, -48, 10, 0), -1, 16, 0),
            published: at(now, -48, 10, 0),
            clarification_deadline: midday(now, -22),
            submission_deadline: deadline,
            planned_award: (now + Duration::days(16)).date_naive(),
        },
    )
    .await?;
    date_bid(
        conn,
        bright,
        from(now, deadline, -10, 11, 2),
        Some(from(now, deadline, -2, 9, 14)),
    )
    .await?;
    date_bid(
        conn,
        meadow,
        from(now, deadline, -15, 15, 40),
        Some(from(now, deadline, 0, 10, 38)),
    )
    .await?;

    let c = &p.commissioner;
    let e = &p.evaluator;
    competitions::open(conn, c, id).await.step("open")?;
    panels::assign_panel(conn, c, id, &[e.id])
        .await
        .step("panel")?;
    declare_none(conn, e, id).await?;
    marking::save_scores(
        conn,
        e,
        bright,
        &[
            ScoreInput {
                question_id: "Q2".into(),
                score: Some(4),
                verdict: None,
                reason: "Person-centred model with evidence from the Droitwich scheme (31 of 52 tenants' hours reduced at review). Reviews are tied to tenants' own goals. Check at moderation: little on tenants whose needs rise quickly.".into(),
            },
            ScoreInput {
                question_id: "Q3".into(),
                score: Some(4),
                verdict: None,
                reason: "Clear referral route day and night, concerns logged even when not referred, and a good positive risk example. Learning from the 2025 referral went into training.".into(),
            },
            ScoreInput {
                question_id: "Q4".into(),
                score: None,
                verdict: None,
                reason: "Waking nights at all three schemes. Compare with the other bid's night cover before scoring.".into(),
            },
        ],
        false,
    )
    .await
    .step("draft scores")?;
    date_evaluation(
        conn,
        id,
        from(now, deadline, 0, 14, 10),
        from(now, deadline, 1, 9, 30),
        at(now, -1, 16, 45),
    )
    .await?;
    Ok(())
}

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

// ---------------------------------------------------------------------------------------
// (c) Awarded, in standstill: reablement, countywide.

/// A mark: question, individual score and reason, moderated score and reason.
type Mark = (&'static str, i32, &'static str, i32, &'static str);

const BRIGHT_MARKS: [Mark; 4] = [
    (
        "Q2",
        4,
        "Goal-led, with goals in the person's words and weekly reviews with the OTs. Gives its own figures: 84% at home at 91 days, 62% needing no ongoing care.",
        4,
        "A clear, goal-led approach: the person's own goals are recorded at the first visit, progress is reviewed weekly with the council's occupational therapists, and visits are reduced as skills return rather than at fixed points. Bright Care gave its own results (84% of people still at home 91 days after reablement, 62% needing no ongoing care). The answer would have been excellent with more on supporting people living with dementia.",
    ),
    (
        "Q3",
        5,
        "Coordinator in the discharge hub, 15% capacity held back daily including weekends, trusted assessors. Strongest part of the bid.",
        4,
        "A convincing plan for starting within 24 hours: a discharge coordinator based in the hospital discharge hub on weekdays, 15% of each day's capacity held back for new starts including at weekends, and senior care workers acting as trusted assessors. The panel scored this good rather than excellent because the plan for the north of the county relies on a team that will be built up over the first six months.",
    ),
    (
        "Q4",
        3,
        "Good supervision by an OT-qualified lead. Moves 25 staff from its home care teams: what happens to those teams?",
        3,
        "A good training offer and monthly supervision, with observed practice, by a reablement lead who is an occupational therapist. The plan depends on moving 25 care workers from Bright Care's home care teams, and the answer did not say how those teams would keep enough capacity, which is a risk to the wider home care market.",
    ),
    (
        "Q6",
        4,
        "Specific and measurable: 20 local hires from deprived areas, Real Living Wage, 45p mileage, quarterly reports.",
        4,
        "Specific commitments we can write into the contract and monitor: at least 20 posts filled by residents of the county's most deprived neighbourhoods, the Real Living Wage for every care worker, mileage at 45p a mile, and quarterly reporting.",
    ),
];

const MEADOW_MARKS: [Mark; 4] = [
    (
        "Q2",
        3,
        "Sound goal-setting and reviews at weeks 2 and 4, but relies on council OTs and gives no outcome figures of its own.",
        3,
        "A sound approach, with goals set at the first visit and reviews at weeks two and four. The answer relied on the council's occupational therapists for assessment and did not show how care workers would progress people's goals between visits, and it gave no outcome figures from Meadow Homes' own services. A stronger answer would have shown recent results and how staff adjust support from day to day.",
    ),
    (
        "Q3",
        2,
        "24-hour start depends on a team not yet recruited; referrals taken 9 to 5 only; weekends covered by care home staff in Malvern only.",
        2,
        "The plan to start care within 24 hours depends on a reablement team that is still to be recruited, referrals would be taken only from 9am to 5pm, and weekend cover outside the Malvern area was not explained. The panel had some concerns that the service could meet the same-day and next-day starts the hospital discharge hub needs, particularly in the first months of the contract.",
    ),
    (
        "Q4",
        2,
        "Training is fine; supervision every 8 weeks is thin for a new team, and no therapist oversight.",
        3,
        "A clear training plan: the Care Certificate and a two-day reablement course for every care worker, and senior carers from Meadow Homes' care homes mentoring new staff. The answer said less about how practice in people's homes would be supervised by a therapist, and supervision every eight weeks is infrequent for a new team. Moderated up from the individual score because the mentoring plan is a real strength.",
    ),
    (
        "Q6",
        3,
        "Local recruitment and 2 apprenticeships a year are measurable; volunteering offer is vague.",
        3,
        "Local recruitment, two apprenticeships a year and the Real Living Wage are welcome commitments that can be measured. The volunteering offer was general, with no targets we could put in the contract.",
    ),
];

async fn reablement(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let county = district_ids(conn, &[]).await?;
    let tender = input(
        p,
        "WCC-2026-017",
        "Reablement service, countywide",
        "A short-term reablement service for adults across the county, most of them people coming home from hospital. For up to six weeks, free of charge to the person, reablement workers help people regain the skills and confidence to live at home as independently as they can, working with the council's occupational therapists and the hospital discharge hub at Wyvern Royal Hospital.\n\nThe service must start care within 24 hours of a referral, seven days a week. Success is measured by the proportion of people still at home 91 days after reablement and the proportion who need no ongoing care.\n\nA block contract of 38,000 hours a year, from 1 February 2027 for three years, with the option to extend for up to two more.",
        ServiceType::Reablement,
        county,
        650_000_000,
        Vec::new(),
    );
    let questionnaire = json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care in people's own homes.")]},
        {"title": "Quality (60%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Your reablement approach and the outcomes you will achieve", "weight": 25, "word_limit": 750,
             "guidance": "Describe how you set goals with each person, how care workers help them progress between visits, how you work with the council's occupational therapists, and how you decide when to reduce and end support. Give your own outcome figures, including the proportion of people still at home 91 days after reablement."},
            {"id": "Q3", "kind": "scored", "title": "Hospital discharge: starting within 24 hours", "weight": 20, "word_limit": 500,
             "guidance": "Tell us how you will take referrals from the discharge hub and start care within 24 hours, seven days a week, in every district."},
            {"id": "Q4", "kind": "scored", "title": "Workforce: reablement skills and therapy-led practice", "weight": 15, "word_limit": 500,
             "guidance": "Tell us how you will recruit, train and supervise reablement workers, and how therapists will guide their practice."}
        ]},
        {"title": "Price (30%)", "questions": [
            {"id": "Q5", "kind": "price", "title": "Annual price for the block contract", "weight": 30,
             "guidance": "The price for one year of the service (38,000 hours of reablement), including travel, management, training and all other costs. The price is fixed for the first year, then reviewed through the annual fee-rate review."}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Social value in the county", "weight": 10, "word_limit": 400,
             "guidance": "What you commit to on local jobs, pay and local spending, with figures we can write into the contract and monitor."}
        ]},
        {"title": "Contact", "questions": [
            {"id": "Q7", "kind": "information", "title": "Who will manage the contract for you?", "word_limit": 60,
             "guidance": "Name, role, email address and telephone number."}
        ]}
    ]});
    let view = publish_tender(conn, p, tender, questionnaire, ASSESSMENT).await?;
    let id = view.id;
    let bright = bid(conn, p, &p.bright, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("Reablement starts with the person's own goals, recorded in their words at the first visit: \"make my own breakfast\", \"get back to the allotment\". Each goal is broken into steps, and care workers record progress at every visit on their phones, so by the end of the first week the team leader can see who is progressing and who is not.\n\nWe hold a weekly review with the council's occupational therapists for everyone in the service and plan joint visits where progress has stalled. Visits are reduced as people regain skills, not at fixed points. In our reablement service in Severnside, 84% of people were still at home 91 days after reablement last year, and 62% needed no ongoing care at the end. Where someone does need ongoing care, we hand a written plan to their home care provider and make the first visit together.")),
        ("Q3", text("A discharge coordinator will be based in the discharge hub at Wyvern Royal Hospital from 8am to 6pm on weekdays, taking referrals directly and agreeing start times with the ward. We hold back 15% of each day's capacity for new starts, including at weekends, so most people can start the day they are referred. Our senior care workers are trusted assessors, so care can start without waiting for a separate assessment. In the north of the county we will start with a smaller team and build it up from our Kidderminster office over the first six months.")),
        ("Q4", text("A reablement lead, an occupational therapist by background, will supervise the service and train every worker in goal-setting, moving and handling and the use of equipment. We will move 25 experienced care workers from our home care teams into the service and recruit 20 more. Supervision is monthly and includes an observed visit. Workers have a clear path from reablement worker to senior and trusted assessor.")),
        ("Q5", price(136_200_000)),
        ("Q6", text("We will fill at least 20 of the new posts with residents of the county's most deprived neighbourhoods, working with the Jobcentres in Redditch and Kidderminster. We will pay every care worker at least the Real Living Wage and pay mileage at 45p a mile, and we will buy from local suppliers where we can. We will report each measure to the council every quarter.")),
        ("Q7", text("Daniel Okafor, Reablement Service Manager, Bright Care Services Ltd. bids@brightcare.example, 01905 000 456.")),
    ]), true).await?;
    let meadow = bid(conn, p, &p.meadow, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("We will set goals with each person at the first visit and review them at weeks two and four. The council's occupational therapists will assess people when they are referred, and our care workers will follow the therapists' plans. We will reduce visits as people improve. We will report the proportion of people still at home 91 days after reablement every month, and we expect to match the county's current figure.")),
        ("Q3", text("We will recruit a reablement team of 30 care workers before the contract starts. Our office in Malvern will take referrals from the hospital between 9am and 5pm, and we aim to start care within 24 hours of a referral. At weekends our on-call manager will take referrals, and staff from our care homes can cover visits in the Malvern area if needed.")),
        ("Q4", text("Every new care worker will complete the Care Certificate and a two-day reablement course with a local training provider. Senior carers from our care homes will mentor new staff through their first month. Supervision is every eight weeks.")),
        ("Q5", price(129_500_000)),
        ("Q6", text("We will recruit locally, offer two apprenticeships a year and pay the Real Living Wage. Our staff will volunteer at community events in Malvern.")),
        ("Q7", text("Tom Hughes, Operations Director, Meadow Homes Ltd. bids@meadowhomes.example, 01684 000 123.")),
    ]), true).await?;

    let deadline = midday(now, -30);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -73, 11, 0),
            assessed: from(now, at(now, -66, 10, 0), -1, 15, 30),
            published: at(now, -66, 10, 0),
            clarification_deadline: midday(now, -40),
            submission_deadline: deadline,
            planned_award: now.date_naive(),
        },
    )
    .await?;
    date_bid(
        conn,
        bright,
        from(now, deadline, -18, 10, 20),
        Some(from(now, deadline, -1, 8, 41)),
    )
    .await?;
    date_bid(
        conn,
        meadow,
        from(now, deadline, -13, 13, 5),
        Some(from(now, deadline, 0, 9, 45)),
    )
    .await?;

    let c = &p.commissioner;
    let e = &p.evaluator;
    competitions::open(conn, c, id).await.step("open")?;
    panels::assign_panel(conn, c, id, &[e.id])
        .await
        .step("panel")?;
    declare_none(conn, e, id).await?;
    for (sid, marks) in [(bright, &BRIGHT_MARKS), (meadow, &MEADOW_MARKS)] {
        let scores: Vec<ScoreInput> = marks
            .iter()
            .map(|(q, score, reason, _, _)| ScoreInput {
                question_id: q.to_string(),
                score: Some(*score),
                verdict: None,
                reason: reason.to_string(),
            })
            .collect();
        marking::save_scores(conn, e, sid, &scores, true)
            .await
            .step("scores")?;
    }
    for (sid, marks) in [(bright, &BRIGHT_MARKS), (meadow, &MEADOW_MARKS)] {
        for (q, _, _, score, reason) in marks {
            marking::moderate(conn, c, sid, q, Agreed::Score(*score), reason)
                .await
                .step("moderate")?;
        }
    }
    date_evaluation(
        conn,
        id,
        from(now, deadline, 0, 13, 40),
        from(now, deadline, 1, 10, 15),
        from(now, deadline, 9, 15, 20),
    )
    .await?;
    diesel::sql_query(
        "UPDATE moderated_scores m SET moderated_at = $2
           FROM submissions s WHERE s.id = m.submission_id AND s.competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(at(now, -3, 14, 0))
    .execute(conn)
    .await?;
    // Awarded now, so that standstill runs for its 8 working days from the demo's loading.
    super::award::award(
        conn,
        &p.mail,
        c,
        id,
        &AwardInput {
            successful: vec![bright],
        },
    )
    .await
    .step("award")?;
    Ok(())
}
