//! Award (DOMAIN.md, "Award", "Assessment summaries", "Standstill"): the engine's ranked
//! decision, then the procedure's part: each bidder's assessment summary frozen and
//! emailed, the contract award notice (UK6) prepared, standstill started, and the contract
//! entered into only once standstill has ended.

use super::emails::{AssessmentSummaryEmail, SummaryCriterion};
use super::errors::{ProcurementError, Refusal, Result};
use super::model::ProcurementRow;
use super::procurements::{load, load_managed, view};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::db::schema::{assessment_summaries, organisations, procurements, submissions, users};
use crate::evaluation::results::{self, BidResult, LotResults};
use crate::evaluation::scoring::Score;
use crate::mail::{self, Email, MailContext, Recipient};
use crate::money::Pence;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The award decision: the successful submissions in ranked order (one or several per lot).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AwardInput {
    pub successful: Vec<Uuid>,
}

/// One question of a bidder's assessment summary.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct SummaryQuestion {
    pub question_id: String,
    pub question: String,
    /// Percentage points of the total.
    pub weight: u32,
    /// The bidder's agreed score, 0 to 5.
    pub score: i32,
    pub reason: String,
    /// The successful bid's score and reason, for an unsuccessful bidder.
    pub winning_score: Option<i32>,
    pub winning_reason: Option<String>,
}

/// A bidder's assessment summary: its own scores and reasons per criterion and, for each,
/// the successful tender's score and reasons; nothing of any other bidder. Scores are
/// exact decimals to two places, as strings; money is in pence.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AssessmentSummary {
    pub reference: String,
    pub title: String,
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    pub lot_title: Option<String>,
    pub organisation_name: String,
    pub successful: bool,
    /// Why the bid was excluded; an excluded bid has no total.
    pub excluded: Option<String>,
    pub quality: String,
    pub social_value: String,
    pub price_score: Option<String>,
    pub total: Option<String>,
    pub price_pence: Option<i64>,
    pub winning_total: Option<String>,
    pub winning_price_score: Option<String>,
    pub criteria: Vec<SummaryQuestion>,
    pub standstill_ends_at: DateTime<Utc>,
    /// What each part is out of: the questionnaire's weights for quality, social value
    /// and price (none in summaries frozen before they were kept).
    #[serde(default)]
    pub out_of: Option<PartWeights>,
    /// Who at the council answers questions about the decision: "Name at Council
    /// (email)", the commissioner who created the procurement.
    #[serde(default)]
    pub contact: Option<String>,
}

/// The questionnaire's weights, in percentage points, of each part of the total.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
pub struct PartWeights {
    pub quality: u32,
    pub social_value: u32,
    pub price: u32,
}

impl PartWeights {
    /// The weights of `questionnaire`'s scored, social value and price questions.
    pub fn of(questionnaire: &crate::evaluation::Questionnaire) -> Self {
        use crate::evaluation::QuestionKind as K;
        let sum = |kinds: &[K]| {
            questionnaire
                .questions()
                .filter(|q| kinds.contains(&q.kind))
                .filter_map(|q| q.weight)
                .sum()
        };
        Self {
            quality: sum(&[K::Scored]),
            social_value: sum(&[K::SocialValue]),
            price: sum(&[K::Price, K::PriceSchedule]),
        }
    }
}

impl From<&AssessmentSummary> for AssessmentSummaryEmail {
    /// As the bidder reads it: pounds, score meanings and London time.
    fn from(s: &AssessmentSummary) -> Self {
        let meaning = |n: i32| Score::new(n).map(|s| s.meaning()).unwrap_or("");
        let out_of = |score: &str, of: Option<u32>| match of {
            Some(of) => format!("{score} out of {of}"),
            None => score.to_string(),
        };
        let w = s.out_of;
        Self {
            reference: s.reference.clone(),
            title: s.title.clone(),
            lot: s
                .lot
                .map(|n| format!("Lot {n}: {}", s.lot_title.clone().unwrap_or_default())),
            organisation_name: s.organisation_name.clone(),
            successful: s.successful,
            excluded: s.excluded.clone(),
            your_quality: out_of(&s.quality, w.map(|w| w.quality)),
            your_social_value: out_of(&s.social_value, w.map(|w| w.social_value)),
            has_social_value: w.is_none_or(|w| w.social_value > 0),
            your_price_score: s
                .price_score
                .as_deref()
                .map(|p| out_of(p, w.map(|w| w.price))),
            your_total: s.total.clone(),
            your_price: s.price_pence.map(|p| Pence(p).to_string()),
            winning_total: s.winning_total.clone(),
            winning_price_score: s.winning_price_score.clone(),
            criteria: s
                .criteria
                .iter()
                .map(|c| SummaryCriterion {
                    question_id: c.question_id.clone(),
                    question: c.question.clone(),
                    weight: c.weight,
                    your_score: c.score,
                    your_score_meaning: meaning(c.score),
                    your_reason: c.reason.clone(),
                    has_winner: c.winning_score.is_some(),
                    winning_score: c.winning_score,
                    winning_score_meaning: c.winning_score.map(meaning),
                    winning_reason: c.winning_reason.clone(),
                })
                .collect(),
            standstill_ends: crate::calendar::london_time(s.standstill_ends_at),
            contact: s.contact.clone().unwrap_or_else(|| "the council".into()),
        }
    }
}

/// Who bidders ask about the decision: the commissioner who created the procurement, at
/// the council, with their email address.
async fn contact(conn: &mut AsyncPgConnection, row: &ProcurementRow) -> Result<String> {
    let (name, email): (String, String) = users::table
        .find(row.competition.created_by)
        .select((users::name, users::email))
        .first(conn)
        .await?;
    let council: String = organisations::table
        .find(row.competition.council_id)
        .select(organisations::legal_name)
        .first(conn)
        .await?;
    Ok(format!("{name} at {council} ({email})"))
}

/// A bidder's summary: its own marks and, per question, the lot's first successful bid's.
fn summary(
    row: &ProcurementRow,
    lot: &LotResults,
    bid: &BidResult,
    winner: Option<&BidResult>,
    standstill_ends_at: DateTime<Utc>,
    (out_of, contact): (PartWeights, &str),
) -> AssessmentSummary {
    let winner = winner.filter(|w| w.submission_id != bid.submission_id);
    AssessmentSummary {
        reference: row.competition.reference.clone(),
        title: row.competition.title.clone(),
        lot_id: lot.lot_id,
        lot: lot.lot,
        lot_title: lot.lot_title.clone(),
        organisation_name: bid.organisation_name.clone(),
        successful: bid.award_rank.is_some(),
        excluded: bid.excluded.clone(),
        quality: bid.quality.clone(),
        social_value: bid.social_value.clone(),
        price_score: bid.price_score.clone(),
        total: bid.total.clone(),
        price_pence: bid.price_pence,
        winning_total: winner.and_then(|w| w.total.clone()),
        winning_price_score: winner.and_then(|w| w.price_score.clone()),
        criteria: bid
            .marks
            .iter()
            .map(|(qid, title, weight, score, reason)| {
                let w = winner.and_then(|w| w.marks.iter().find(|m| m.0 == *qid));
                SummaryQuestion {
                    question_id: qid.clone(),
                    question: title.clone(),
                    weight: *weight,
                    score: *score,
                    reason: reason.clone(),
                    winning_score: w.map(|m| m.3),
                    winning_reason: w.map(|m| m.4.clone()),
                }
            })
            .collect(),
        standstill_ends_at,
        out_of: Some(out_of),
        contact: Some(contact.to_string()),
    }
}

/// Awards (commissioners): the engine decides the successful bids (every score moderated,
/// successful bids compliant, abnormally low prices checked); then each bidder's
/// assessment summary is frozen and emailed, the contract award notice prepared, and
/// standstill started (the working days beginning with the day of publication).
pub async fn award(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    input: &AwardInput,
) -> Result<super::model::ProcurementView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        let now = crate::evaluation::competitions::db_now(tx).await?;
        // No standstill (0 days) ends at once; otherwise the calendar counts working days.
        let ends = if row.procedure.standstill_working_days == 0 {
            now
        } else {
            crate::calendar::Calendar::uk()
                .standstill_ends(now, row.procedure.standstill_working_days as u32)
                .map_err(|e| {
                    ProcurementError::refused(
                        Refusal::Calendar,
                        format!("Standstill cannot be computed: {e}. An administrator must add the bank holidays for the coming years."),
                    )
                })?
        };
        let lots = results::decide_ranked(tx, user, id, &input.successful, now)
            .await
            .map_err(|e| match e {
                crate::evaluation::EvaluationError::Refused {
                    refusal: crate::evaluation::Refusal::Decided,
                    detail,
                } => ProcurementError::refused(Refusal::Awarded, detail),
                other => other.into(),
            })?;
        let contact = contact(tx, &row).await?;
        let mut winners = Vec::new();
        for lot in &lots {
            // The successful tender this lot's bidders are compared with: the first chosen.
            let first = lot.bids.iter().find(|b| b.award_rank == Some(1));
            let questions =
                crate::evaluation::questionnaires::current(tx, id, lot.lot_id).await?;
            let weights = PartWeights::of(&questions.questionnaire);
            for bid in &lot.bids {
                let summary = summary(&row, lot, bid, first, ends, (weights, &contact));
                diesel::insert_into(assessment_summaries::table)
                    .values((
                        assessment_summaries::submission_id.eq(bid.submission_id),
                        assessment_summaries::summary.eq(serde_json::to_value(&summary)
                            .map_err(|e| ProcurementError::from(anyhow::Error::from(e)))?),
                    ))
                    .execute(tx)
                    .await?;
                if bid.award_rank.is_some() {
                    winners.push(bid.clone());
                }
                let recipients: Vec<(String, String, Uuid)> = users::table
                    .inner_join(
                        submissions::table.on(submissions::submitted_by.eq(users::id.nullable())),
                    )
                    .filter(submissions::id.eq(bid.submission_id))
                    .filter(users::active.eq(true))
                    .select((users::email, users::name, users::id))
                    .load(tx)
                    .await?;
                let message = AssessmentSummaryEmail::from(&summary);
                for recipient in recipients {
                    let email = Email::new(
                        &message,
                        Recipient::from(recipient),
                        format!(
                            "You received this email because you submitted {}'s bid for {}.",
                            bid.organisation_name, row.competition.reference
                        ),
                    );
                    mail::enqueue(tx, mail_context, email).await?;
                }
            }
        }
        let notice = award_notice(tx, &row, &lots, &winners, now, ends).await?;
        diesel::update(procurements::table.find(id))
            .set((
                procurements::award_notice.eq(&notice),
                procurements::standstill_ends_at.eq(ends),
                procurements::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.awarded", "procurement", id).with_details(serde_json::json!({
                "successful": input.successful,
                "standstill_ends_at": ends,
            })),
        )
        .await?;
        let (row, _) = load(tx, Some(user), id).await?;
        view(tx, &row).await
    })
    .await
}

/// One supplier in the contract award notice.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct NoticeSupplier {
    pub name: String,
    pub companies_house_number: Option<String>,
    pub town: String,
    pub postcode: String,
    pub lot: Option<i32>,
    pub price_pence: Option<i64>,
    pub total_score: Option<String>,
}

/// The contract award notice's data (UK6 on Find a Tender), ready for publication.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AwardNotice {
    /// Always `UK6`.
    pub notice_type: String,
    pub notice_name: String,
    pub procurement_reference: String,
    pub title: String,
    pub regime: super::model::Regime,
    pub light_touch: bool,
    pub procedure: super::model::Procedure,
    pub estimated_value_pence: i64,
    /// Lot titles by number.
    pub lots: BTreeMap<i32, String>,
    pub tenders_received: usize,
    pub suppliers: Vec<NoticeSupplier>,
    pub award_decision_date: DateTime<Utc>,
    pub standstill_working_days: i32,
    pub standstill_ends_at: DateTime<Utc>,
}

async fn award_notice(
    conn: &mut AsyncPgConnection,
    row: &ProcurementRow,
    lots: &[LotResults],
    winners: &[BidResult],
    awarded_at: DateTime<Utc>,
    standstill_ends_at: DateTime<Utc>,
) -> Result<serde_json::Value> {
    let ids: Vec<Uuid> = winners.iter().map(|w| w.organisation_id).collect();
    type Org = (Uuid, String, Option<String>, String, String);
    let orgs: Vec<Org> = organisations::table
        .filter(organisations::id.eq_any(&ids))
        .select((
            organisations::id,
            organisations::legal_name,
            organisations::companies_house_number,
            organisations::town,
            organisations::postcode,
        ))
        .load(conn)
        .await?;
    let suppliers = winners
        .iter()
        .filter_map(|w| {
            let (_, name, ch, town, postcode) = orgs.iter().find(|o| o.0 == w.organisation_id)?;
            Some(NoticeSupplier {
                name: name.clone(),
                companies_house_number: ch.clone(),
                town: town.clone(),
                postcode: postcode.clone(),
                lot: lots
                    .iter()
                    .find(|r| r.bids.iter().any(|b| b.submission_id == w.submission_id))
                    .and_then(|r| r.lot),
                price_pence: w.price_pence,
                total_score: w.total.clone(),
            })
        })
        .collect();
    let notice = AwardNotice {
        notice_type: "UK6".into(),
        notice_name: "Contract award notice".into(),
        procurement_reference: row.competition.reference.clone(),
        title: row.competition.title.clone(),
        regime: row.procedure.regime,
        light_touch: row.procedure.light_touch,
        procedure: row.procedure.procedure,
        estimated_value_pence: row.procedure.estimated_value_pence,
        lots: lots
            .iter()
            .filter_map(|l| Some((l.lot?, l.lot_title.clone()?)))
            .collect(),
        tenders_received: lots.iter().map(|r| r.bids.len()).sum(),
        suppliers,
        award_decision_date: awarded_at,
        standstill_working_days: row.procedure.standstill_working_days,
        standstill_ends_at,
    };
    serde_json::to_value(notice).map_err(|e| anyhow::Error::from(e).into())
}

/// Records that the contract was entered into: refused before standstill ends, by the
/// database clock.
pub async fn enter_contract(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<()> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        let Some(ends) = row.procedure.standstill_ends_at else {
            return Err(ProcurementError::refused(
                Refusal::NotAwarded,
                "Award the contract first.",
            ));
        };
        if row.procedure.contract_entered_at.is_some() {
            return Err(ProcurementError::refused(
                Refusal::ContractEntered,
                "The contract is already recorded as entered into.",
            ));
        }
        let n = diesel::update(
            procurements::table
                .find(id)
                .filter(procurements::contract_entered_at.is_null())
                .filter(procurements::standstill_ends_at.le(diesel::dsl::now)),
        )
        .set(procurements::contract_entered_at.eq(diesel::dsl::now))
        .execute(tx)
        .await?;
        if n == 0 {
            return Err(ProcurementError::refused(
                Refusal::Standstill,
                format!(
                    "The contract cannot be entered into during standstill, which ends at {}.",
                    crate::calendar::london_time(ends)
                ),
            ));
        }
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.contract_entered", "procurement", id),
        )
        .await?;
        Ok(())
    })
    .await
}

/// The award notice, for the council.
pub async fn notice(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<AwardNotice> {
    let row = load_managed(conn, user, id).await?;
    let notice = row.procedure.award_notice.ok_or_else(|| {
        ProcurementError::refused(
            Refusal::NotAwarded,
            "The notice is prepared when the contract is awarded.",
        )
    })?;
    serde_json::from_value(notice).map_err(|e| anyhow::Error::from(e).into())
}
