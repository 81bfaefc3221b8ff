//! The demo DPS: `WCC-DPS-2026-01`, a Procurement Act 2023 dynamic market for supported
//! living and day opportunities with three lots, each with its conditions of membership,
//! established; built through this context's own functions as the demo commissioner would
//! build it. Made at most once (by reference), so loading the demo again changes nothing.

use super::markets;
use super::model::{DpsInput, DpsRegime};
use super::rules;
use crate::db::schema::competitions;
use crate::evaluation::{LotInput, Question, QuestionKind, Questionnaire, Section};
use crate::http::problem::Problem;
use crate::organisations::model::ServiceType;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const REFERENCE: &str = "WCC-DPS-2026-01";

fn lot(title: &str, description: &str) -> LotInput {
    LotInput {
        title: title.into(),
        description: description.into(),
    }
}

fn yes_no(title: &str, guidance: &str, pass_answer: bool) -> Question {
    Question {
        id: String::new(),
        kind: QuestionKind::PassFail,
        title: title.into(),
        guidance: guidance.into(),
        word_limit: None,
        weight: None,
        pass_answer: Some(pass_answer),
        bands: Vec::new(),
    }
}

fn judged(title: &str, guidance: &str) -> Question {
    Question {
        id: String::new(),
        kind: QuestionKind::Judged,
        title: title.into(),
        guidance: guidance.into(),
        word_limit: Some(500),
        weight: None,
        pass_answer: None,
        bands: Vec::new(),
    }
}

/// Each lot's conditions: what every member must show, and what the lot adds.
fn conditions(extra: Question) -> Questionnaire {
    Questionnaire {
        sections: vec![Section {
            title: "Conditions of membership".into(),
            questions: vec![
                yes_no(
                    "Has your organisation, or anyone who runs it, been convicted of fraud, bribery or a safeguarding offence in the last five years?",
                    "The mandatory exclusion grounds. Answer No to pass.",
                    false,
                ),
                yes_no(
                    "Do you hold employer's liability insurance of at least £5 million and public liability insurance of at least £5 million?",
                    "You will be asked for the certificates if you are admitted.",
                    true,
                ),
                extra,
            ],
        }],
    }
}

fn problem(what: &str) -> impl FnOnce(super::DpsError) -> anyhow::Error + '_ {
    move |e| {
        let p: Problem = e.into();
        anyhow::anyhow!("demo DPS, {what}: {p} {:?}", p.errors)
    }
}

/// Loads the demo DPS if it does not exist yet. Returns how many it created.
pub async fn demo(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        competitions::table.filter(competitions::reference.eq(REFERENCE)),
    ))
    .get_result(conn)
    .await?;
    if exists {
        return Ok(0);
    }
    let commissioner = crate::procurement::demo::user(conn, "commissioner@council.example").await?;
    conn.transaction::<usize, anyhow::Error, _>(async |tx| {
        // Two processes loading the demo at once make it once.
        diesel::sql_query("SELECT pg_advisory_xact_lock(7316032)")
            .execute(tx)
            .await?;
        let exists: bool = diesel::select(diesel::dsl::exists(
            competitions::table.filter(competitions::reference.eq(REFERENCE)),
        ))
        .get_result(tx)
        .await?;
        if exists {
            return Ok(0);
        }
        let input = DpsInput {
            title: "Supported living and day opportunities".into(),
            reference: REFERENCE.into(),
            description: "Support for adults with learning disabilities, autistic adults and adults with mental health needs: in their own tenancies, in the day, and through short breaks that give family carers a rest. Providers may apply to one or more lots at any time.".into(),
            regime: DpsRegime::Pa2023,
            starts_on: NaiveDate::from_ymd_opt(2026, 4, 1).expect("a date"),
            ends_on: NaiveDate::from_ymd_opt(2030, 3, 31).expect("a date"),
            service_types: vec![
                ServiceType::SupportedLiving,
                ServiceType::DayOpportunities,
                ServiceType::ShortBreaks,
            ],
            decision_working_days: rules::DEFAULT_DECISION_DAYS,
            cqc_rule: true,
            round_schedule: rules::DEFAULT_SCHEDULE.into(),
            cutoff_day: rules::DEFAULT_CUTOFF_DAY,
            lots: vec![
                lot("Supported living", "Support in people's own homes and tenancies, from a few hours a week to round the clock."),
                lot("Day opportunities", "Daytime activities, skills and work experience in the community."),
                lot("Short breaks", "Overnight and daytime breaks that give family carers a rest."),
            ],
        };
        let view = markets::create(tx, &commissioner, &input)
            .await
            .map_err(problem("creating it"))?;
        let extras = [
            judged(
                "How do you support people to live as independently as they choose in their own tenancy?",
                "Person-centred planning, positive behaviour support, and how you involve families.",
            ),
            judged(
                "How do your day opportunities help people build skills and friendships in their community?",
                "Activities, travel training, links with local employers and groups.",
            ),
            judged(
                "How do you plan a short break around the person and their family carer?",
                "Booking, matching staff, first visits, and what happens in an emergency.",
            ),
        ];
        for (lot, extra) in view.lots.iter().zip(extras) {
            markets::replace_conditions(tx, &commissioner, view.id, lot.lot.id, conditions(extra))
                .await
                .map_err(problem("the conditions"))?;
        }
        markets::prepare_intention(tx, &commissioner, view.id)
            .await
            .map_err(problem("the notice of intention"))?;
        markets::establish(tx, &commissioner, view.id)
            .await
            .map_err(problem("establishing it"))?;
        Ok(1)
    })
    .await
}
