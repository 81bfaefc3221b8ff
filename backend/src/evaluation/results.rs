//! Ranked results: price and total scores, exclusions, abnormally low prices, ranking with
//! the tie-break and the working behind every figure; the commissioner's check of an
//! abnormally low price; and the ranked decision (which bids are successful), the engine's
//! part of an award.

use super::competitions;
use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::scoring::{self, Bid, Kind, Mark, Score};
use super::{marking, questionnaires, rules};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::db::schema::submissions;
use crate::db::statement::{Param, Statement};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// One bid's result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BidResult {
    pub submission_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub price_pence: Option<i64>,
    pub quality: String,
    pub social_value: String,
    pub price_score: Option<String>,
    /// Quality + social value + price, to two places; `None` for an excluded bid, which
    /// has no total, only the reason it is excluded.
    pub total: Option<String>,
    /// Why the bid is excluded, in words; `None` when it is compliant.
    pub excluded: Option<String>,
    pub abnormally_low: bool,
    /// The commissioner's record of checking an abnormally low price.
    pub price_check: Option<String>,
    /// After the decision: successful or unsuccessful.
    pub outcome: Option<SubmissionOutcome>,
    /// The ranking by the scores (compliant, moderated bids only).
    pub rank: Option<u32>,
    /// Whether every scored question has an agreed mark (a bid that failed a pass or fail
    /// question needs none). Until then the bid has no total, no exclusion for its scores
    /// and no rank: its marks are not known yet.
    pub moderated: bool,
    /// After the decision: the place among the lot's successful bids, in the order the
    /// commissioner chose them.
    pub award_rank: Option<u32>,
    /// The working behind every figure.
    pub working: Vec<String>,
    /// Moderated marks per question: (question id, title, weight, score, reason).
    #[serde(skip)]
    pub marks: Vec<(String, String, u32, i32, String)>,
}

/// The results of one lot (or of the whole competition when it has no lots).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LotResults {
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    pub lot_title: Option<String>,
    /// Whether every scored question of every bid is moderated.
    pub complete: bool,
    pub bids: Vec<BidResult>,
}

/// The automatic results: price and total scores, exclusions, abnormally low prices,
/// ranking with the tie-break, and the working (commissioners, after opening).
pub async fn results(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<LotResults>> {
    let competition = marking::load_opened(conn, user, id).await?;
    compute(conn, &competition).await
}

/// [`results`] of a competition its owner has already loaded for a commissioner who
/// manages it (as a tender's handler does): two statements whatever the number of bids.
pub async fn results_of(
    conn: &mut AsyncPgConnection,
    competition: &Competition,
) -> Result<Vec<LotResults>> {
    if competition.opened_at.is_none() {
        return Err(EvaluationError::Sealed);
    }
    compute(conn, competition).await
}

/// The weights that a lot's bids are compared by: those of the newest version of the
/// questionnaire the lot answers (every bid is scored against the same criteria).
fn weights(q: &Questionnaire) -> (u32, u32) {
    let quality = q
        .questions()
        .filter(|q| q.kind == QuestionKind::Scored)
        .filter_map(|q| q.weight)
        .sum();
    let price = q
        .questions()
        .filter(|q| q.kind.is_price())
        .filter_map(|q| q.weight)
        .sum();
    (quality, price)
}

/// The competition's lots (and a lot-less row first), each with its bids, their bidders'
/// names, their moderated marks (aggregated once, joined) and only the sealed answers that
/// decide exclusion and price (`deciding_answers`), in one statement: a lot with no bid comes back as one row with
/// no submission. Prepared once per connection ([`Statement`]).
const LOTS_AND_BIDS: &str = "
, lots AS (
  SELECT NULL::uuid AS id, NULL::int4 AS number, NULL::text AS title
  UNION ALL
  SELECT cl.id, cl.number, cl.title FROM params, competition_lots cl
   WHERE cl.competition_id = params.competition
), entered AS (
  SELECT s.id, s.organisation_id, s.lot_id, s.questionnaire_id, s.deciding_answers,
         s.submitted_at, s.outcome, s.award_rank, s.price_check
    FROM params, submissions s
   WHERE s.competition_id = params.competition
     AND s.submitted_at IS NOT NULL AND s.withdrawn_at IS NULL
)
SELECT l.id AS lot_id, l.number AS lot_number, l.title AS lot_title,
       e.id, e.organisation_id, o.legal_name AS organisation_name, e.questionnaire_id,
       e.deciding_answers AS answers,
       e.submitted_at, e.outcome, e.award_rank, e.price_check,
       COALESCE(m.marks, '[]') AS marks
  FROM params
 CROSS JOIN lots l
  LEFT JOIN entered e ON (l.id IS NULL AND e.lot_id IS NULL) OR e.lot_id = l.id
  LEFT JOIN organisations o ON o.id = e.organisation_id
  LEFT JOIN (SELECT ms.submission_id,
                    jsonb_agg(jsonb_build_array(ms.question_id, ms.score, ms.reason)) AS marks
               FROM moderated_scores ms
              WHERE ms.score IS NOT NULL AND ms.submission_id IN (SELECT id FROM entered)
              GROUP BY 1) m ON m.submission_id = e.id
 ORDER BY l.number NULLS FIRST, e.submitted_at, e.id";

/// One row of [`LOTS_AND_BIDS`].
#[derive(QueryableByName)]
struct LotBid {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    lot_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    lot_number: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    lot_title: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    organisation_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    organisation_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    questionnaire_id: Option<Uuid>,
    /// The sealed answers to the deciding questions only.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    answers: Option<serde_json::Value>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    submitted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::db::schema::sql_types::SubmissionOutcome>)]
    outcome: Option<SubmissionOutcome>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    award_rank: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    price_check: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    marks: serde_json::Value,
}

/// A bid as the results read it.
struct Entered {
    id: Uuid,
    organisation_id: Uuid,
    organisation_name: String,
    questionnaire_id: Uuid,
    /// The sealed answers that decide exclusion and price.
    answers: BTreeMap<String, Answer>,
    submitted_at: Option<DateTime<Utc>>,
    outcome: Option<SubmissionOutcome>,
    award_rank: Option<i32>,
    price_check: Option<String>,
    /// Moderated marks by question: (score, reason).
    moderated: HashMap<String, (i32, String)>,
}

/// A lot (or the lot-less competition) with its bids.
struct LotGroup {
    lot_id: Option<Uuid>,
    number: Option<i32>,
    title: Option<String>,
    bids: Vec<Entered>,
}

/// The results, computed in two statements whatever the number of bids: the questionnaire
/// versions, then the lots and bids with only the answers that decide exclusion and price
/// (the long text answers are not read).
pub(super) async fn compute(
    conn: &mut AsyncPgConnection,
    competition: &Competition,
) -> Result<Vec<LotResults>> {
    if competition.outcome_model != OutcomeModel::Ranked {
        return Err(EvaluationError::refused(
            Refusal::NotOpened,
            "Admission has no ranked results; decide each application instead.",
        ));
    }
    let id = competition.id;
    let all_versions = questionnaires::all_of(conn, id).await?;
    let rows: Vec<LotBid> = Statement::new(LOTS_AND_BIDS)
        .bind("competition", Param::Uuid(id))
        .load(conn)
        .await?;
    let mut groups: Vec<LotGroup> = Vec::new();
    for row in rows {
        if groups.last().is_none_or(|g| g.lot_id != row.lot_id) {
            groups.push(LotGroup {
                lot_id: row.lot_id,
                number: row.lot_number,
                title: row.lot_title.clone(),
                bids: Vec::new(),
            });
        }
        let (Some(sid), Some(organisation_id), Some(questionnaire_id)) =
            (row.id, row.organisation_id, row.questionnaire_id)
        else {
            continue;
        };
        let marks: Vec<(String, i32, String)> =
            serde_json::from_value(row.marks).map_err(|e| EvaluationError::Internal(e.into()))?;
        let entered = Entered {
            id: sid,
            organisation_id,
            organisation_name: row.organisation_name.unwrap_or_default(),
            questionnaire_id,
            answers: row
                .answers
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            submitted_at: row.submitted_at,
            outcome: row.outcome,
            award_rank: row.award_rank,
            price_check: row.price_check,
            moderated: marks.into_iter().map(|(q, s, r)| (q, (s, r))).collect(),
        };
        groups.last_mut().expect("pushed above").bids.push(entered);
    }
    // A competition with lots is compared lot by lot; one without, as a whole (the
    // lot-less row).
    if groups.len() > 1 {
        groups.retain(|g| g.lot_id.is_some());
    }
    let versions: HashMap<Uuid, &QuestionnaireView> =
        all_versions.iter().map(|v| (v.version.id, v)).collect();
    let mut out = Vec::new();
    for group in groups {
        let latest = questionnaires::current_among(&all_versions, group.lot_id)
            .ok_or(EvaluationError::NotFound("Questionnaire"))?;
        let (quality_weight, price_weight) = weights(&latest.questionnaire);
        let rows = group.bids;
        let priced = price_weight > 0;
        let mut complete = true;
        let mut input = Vec::new();
        let mut meta = Vec::new();
        for s in &rows {
            let q = &versions
                .get(&s.questionnaire_id)
                .ok_or(EvaluationError::NotFound("Questionnaire"))?
                .questionnaire;
            let (answers, moderated) = (&s.answers, &s.moderated);
            let failed = q.questions().any(|x| !rules::passes(x, answers.get(&x.id)));
            let mut marks = Vec::new();
            let mut marked = true;
            let mut shown = Vec::new();
            for question in q.questions().filter(|x| x.kind.is_marked()) {
                match moderated.get(&question.id) {
                    Some((score, reason)) => {
                        marks.push(Mark {
                            question: format!("{} {}", question.id, question.title),
                            kind: if question.kind == QuestionKind::Scored {
                                Kind::Quality
                            } else {
                                Kind::SocialValue
                            },
                            weight: question.weight.unwrap_or(0),
                            score: Score::new(*score)
                                .map_err(|e| EvaluationError::Internal(anyhow::anyhow!(e)))?,
                        });
                        shown.push((
                            question.id.clone(),
                            question.title.clone(),
                            question.weight.unwrap_or(0),
                            *score,
                            reason.clone(),
                        ));
                    }
                    // A bid already excluded at pass/fail needs no marks.
                    None if failed => {}
                    None => {
                        complete = false;
                        marked = false;
                    }
                }
            }
            let price = if priced {
                rules::bid_price(q, answers)
            } else {
                Some(1)
            };
            let name = s.organisation_name.clone();
            input.push(Bid {
                bidder: name.clone(),
                marks,
                price: price.unwrap_or(1).max(1),
                failed_pass_fail: failed,
                submitted_at: s
                    .submitted_at
                    .map(|t| t.timestamp_micros())
                    .unwrap_or(i64::MAX),
            });
            meta.push((
                s.id,
                s.organisation_id,
                name,
                if priced { price } else { None },
                shown,
                marked,
            ));
        }
        let evaluations = scoring::evaluate(&input, quality_weight, price_weight)
            .map_err(|e| EvaluationError::Internal(anyhow::anyhow!(e)))?;
        let bids = evaluations
            .into_iter()
            .zip(meta)
            .map(
                |(
                    e,
                    (submission_id, organisation_id, organisation_name, price_pence, marks, marked),
                )| {
                    // Unagreed marks count as none in the arithmetic: a total, an
                    // exclusion for low scores or a rank from them would say what is
                    // not yet known.
                    let known = marked || e.excluded == Some(scoring::Exclusion::PassFail);
                    BidResult {
                        moderated: marked,
                        submission_id,
                        organisation_id,
                        organisation_name,
                        price_pence,
                        quality: e.quality.to_2dp(),
                        social_value: e.social_value.to_2dp(),
                        price_score: if priced {
                            e.price.map(|p| p.to_2dp())
                        } else {
                            None
                        },
                        total: e.total.filter(|_| known).map(|t| t.to_2dp()),
                        excluded: e.excluded.filter(|_| known).map(|x| match x {
                            scoring::Exclusion::PassFail => {
                                "Failed a pass or fail question".to_string()
                            }
                            scoring::Exclusion::QuestionBelowThreshold { question, score } => {
                                format!("{question} scored {score}, below the minimum of 2")
                            }
                            scoring::Exclusion::QualityBelowHalf => {
                                "Quality total below 50% of the quality weight".to_string()
                            }
                        }),
                        abnormally_low: e.abnormally_low && priced,
                        price_check: None,
                        outcome: None,
                        rank: e.rank.filter(|_| known),
                        award_rank: None,
                        working: e
                            .working
                            .into_iter()
                            .filter(|w| priced || !w.starts_with("Price"))
                            .collect(),
                        marks,
                    }
                },
            )
            // Evaluations come back in the order the bids went in.
            .zip(&rows)
            .map(|(mut b, r): (BidResult, &Entered)| {
                b.price_check = r.price_check.clone();
                b.outcome = r.outcome;
                b.award_rank = r.award_rank.map(|r| r as u32);
                b
            })
            .collect::<Vec<_>>();
        out.push(LotResults {
            lot_id: group.lot_id,
            lot: group.number,
            lot_title: group.title,
            complete: complete && !rows.is_empty(),
            bids,
        });
    }
    Ok(out)
}

/// Records the commissioner's check of an abnormally low price (DOMAIN.md: flagged "for a
/// documented check, never automatic exclusion"). Needed before such a bid can win.
pub async fn record_price_check(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    note: &str,
) -> Result<()> {
    conn.transaction(async |conn| {
        let (row, _) = marking::under_evaluation(conn, user, submission_id).await?;
        let note = note.trim();
        if note.is_empty() || note.len() > rules::TEXT_MAX {
            return Err(EvaluationError::field(
                "note",
                "Record what you checked (for example the bidder's explanation of its costs against the council's cost model) and what you concluded",
            ));
        }
        diesel::update(submissions::table.find(submission_id))
            .set((
                submissions::price_check.eq(note),
                submissions::price_checked_at.eq(diesel::dsl::now),
                submissions::price_checked_by.eq(user.id),
            ))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("evaluation.price_checked", "submission", submission_id)
                .with_details(serde_json::json!({"competition_id": row.competition_id})),
        )
        .await?;
        Ok(())
    })
    .await
}

/// The ranked decision: which submissions are successful, in ranked order per lot.
/// Refused unless every scored question of every bid is moderated, and every successful
/// bid is compliant and, if its price is abnormally low, checked. Sets each submission's
/// outcome and rank and marks the competition decided at `at`; returns the results as they
/// were decided, for the owner's award (summaries, notices, standstill).
pub async fn decide_ranked(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    successful: &[Uuid],
    at: DateTime<Utc>,
) -> Result<Vec<LotResults>> {
    conn.transaction(async |conn| {
        let competition = competitions::load_managed(conn, user, id).await?;
        if competition.opened_at.is_none() {
            return Err(EvaluationError::refused(
                Refusal::NotOpened,
                "Open and evaluate the submissions before deciding.",
            ));
        }
        if competition.decided_at.is_some() || competition.cancelled_at.is_some() {
            return Err(EvaluationError::refused(
                Refusal::Decided,
                "It has already been decided or was cancelled.",
            ));
        }
        let mut results = compute(conn, &competition).await?;
        if results.iter().any(|r| !r.bids.is_empty() && !r.complete) {
            return Err(EvaluationError::refused(
                Refusal::ModerationIncomplete,
                "Moderate every scored question of every submission before awarding.",
            ));
        }
        let mut errors = Vec::new();
        if successful.is_empty() {
            errors.push(FieldError::new(
                "successful",
                "Choose at least one successful bidder",
            ));
        }
        for s in successful {
            match results
                .iter()
                .flat_map(|r| &r.bids)
                .find(|b| b.submission_id == *s)
            {
                None => errors.push(FieldError::new(
                    "successful",
                    "Choose from these submissions",
                )),
                Some(b) if b.abnormally_low && b.price_check.is_none() => {
                    errors.push(FieldError::new(
                        "successful",
                        format!(
                            "{}'s price is abnormally low: record your check that it is sustainable before awarding to them",
                            b.organisation_name
                        ),
                    ))
                }
                Some(b) if b.excluded.is_some() => errors.push(FieldError::new(
                    "successful",
                    format!(
                        "{} is excluded: {}",
                        b.organisation_name,
                        b.excluded.clone().unwrap_or_default()
                    ),
                )),
                _ => {}
            }
        }
        let mut unique = successful.to_vec();
        unique.sort();
        unique.dedup();
        if unique.len() != successful.len() {
            errors.push(FieldError::new("successful", "Choose each bidder once"));
        }
        if !errors.is_empty() {
            return Err(EvaluationError::invalid(errors));
        }
        competitions::mark_decided(conn, user, id, at).await?;
        for lot in &mut results {
            let in_lot: Vec<Uuid> = lot.bids.iter().map(|b| b.submission_id).collect();
            for bid in &mut lot.bids {
                // Rank among this lot's successful bids, in the order chosen.
                let position = successful
                    .iter()
                    .filter(|s| in_lot.contains(s))
                    .position(|s| *s == bid.submission_id);
                let outcome = if position.is_some() {
                    SubmissionOutcome::Successful
                } else {
                    SubmissionOutcome::Unsuccessful
                };
                diesel::update(submissions::table.find(bid.submission_id))
                    .set((
                        submissions::outcome.eq(outcome),
                        submissions::award_rank.eq(position.map(|p| p as i32 + 1)),
                        submissions::decided_at.eq(at),
                        submissions::decided_by.eq(user.id),
                    ))
                    .execute(conn)
                    .await?;
                bid.outcome = Some(outcome);
                bid.award_rank = position.map(|p| p as u32 + 1);
            }
        }
        audit::record(
            conn,
            &user.actor(),
            Entry::new("competition.decided", "competition", id)
                .with_details(serde_json::json!({"successful": successful})),
        )
        .await?;
        Ok(results)
    })
    .await
}
