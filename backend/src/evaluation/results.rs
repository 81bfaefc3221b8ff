//! Ranked results: price and total scores, exclusions, abnormally low prices, ranking with
//! the tie-break and the working behind every figure; the commissioner's check of an
//! abnormally low price; and the ranked decision (which bids are successful), the engine's
//! part of an award.

use super::competitions;
use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::scoring::{self, Bid, Kind, Mark, Score};
use super::{marking, queries, questionnaires, rules};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::db::schema::{moderated_scores, submissions};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::HashMap;
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
    /// The ranking by the scores (compliant bids only).
    pub rank: Option<u32>,
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

/// The results, computed in a fixed number of statements whatever the number of bids.
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
    let lots = competitions::lots(conn, id).await?;
    let all = queries::bids(conn, id).await?;
    let mut groups: Vec<(Option<Uuid>, Vec<SubmissionRow>)> = if lots.is_empty() {
        vec![(None, all)]
    } else {
        lots.iter()
            .map(|l| {
                (
                    Some(l.id),
                    all.iter()
                        .filter(|s| s.lot_id == Some(l.id))
                        .cloned()
                        .collect(),
                )
            })
            .collect()
    };
    // A handful of queries whatever the number of bids: every version, every moderated
    // score and every bidder's name at once (docs/performance.md).
    let mut version_ids: Vec<Uuid> = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|s| s.questionnaire_id))
        .collect();
    version_ids.sort();
    version_ids.dedup();
    let versions = questionnaires::by_ids(conn, &version_ids).await?;
    let ids: Vec<Uuid> = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|s| s.id))
        .collect();
    let mut all_moderated: HashMap<Uuid, HashMap<String, (i32, String)>> = HashMap::new();
    for (sid, q, score, reason) in moderated_scores::table
        .filter(moderated_scores::submission_id.eq_any(&ids))
        .filter(moderated_scores::score.is_not_null())
        .select((
            moderated_scores::submission_id,
            moderated_scores::question_id,
            moderated_scores::score.assume_not_null(),
            moderated_scores::reason,
        ))
        .load::<(Uuid, String, i32, String)>(conn)
        .await?
    {
        all_moderated
            .entry(sid)
            .or_default()
            .insert(q, (score, reason));
    }
    let names = queries::names_of(conn, groups.iter().flat_map(|g| &g.1)).await?;
    let mut latest: HashMap<Option<Uuid>, (u32, u32)> = HashMap::new();
    for (lot, _) in &groups {
        let q = questionnaires::current(conn, id, *lot).await?;
        latest.insert(*lot, weights(&q.questionnaire));
    }
    let no_marks = HashMap::new();
    let mut out = Vec::new();
    for (lot_id, rows) in groups.drain(..) {
        let (quality_weight, price_weight) = latest[&lot_id];
        let priced = price_weight > 0;
        let mut complete = true;
        let mut input = Vec::new();
        let mut meta = Vec::new();
        for s in &rows {
            let q = &versions
                .get(&s.questionnaire_id)
                .ok_or(EvaluationError::NotFound("Questionnaire"))?
                .questionnaire;
            let sealed = s.sealed().unwrap_or_default();
            let moderated = all_moderated.get(&s.id).unwrap_or(&no_marks);
            let failed = q
                .questions()
                .any(|x| !rules::passes(x, sealed.answers.get(&x.id)));
            let mut marks = Vec::new();
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
                    None => complete = false,
                }
            }
            let price = if priced {
                rules::bid_price(q, &sealed.answers)
            } else {
                Some(1)
            };
            let name = names.get(&s.organisation_id).cloned().unwrap_or_default();
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
            ));
        }
        let evaluations = scoring::evaluate(&input, quality_weight, price_weight)
            .map_err(|e| EvaluationError::Internal(anyhow::anyhow!(e)))?;
        let bids = evaluations
            .into_iter()
            .zip(meta)
            .map(
                |(e, (submission_id, organisation_id, organisation_name, price_pence, marks))| {
                    BidResult {
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
                        total: e.total.map(|t| t.to_2dp()),
                        excluded: e.excluded.map(|x| match x {
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
                        rank: e.rank,
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
            .map(|mut b: BidResult| {
                if let Some(r) = rows.iter().find(|r| r.id == b.submission_id) {
                    b.price_check = r.price_check.clone();
                    b.outcome = r.outcome;
                    b.award_rank = r.award_rank.map(|r| r as u32);
                }
                b
            })
            .collect::<Vec<_>>();
        let lot = lot_id.and_then(|l| lots.iter().find(|x| x.id == l));
        out.push(LotResults {
            lot_id,
            lot: lot.map(|l| l.number),
            lot_title: lot.map(|l| l.title.clone()),
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
