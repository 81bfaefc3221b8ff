//! Marking: each evaluator marks alone, with a reason (a score 0 to 5, or a pass/fail
//! verdict on a judged question), and sees the others' marks only after submitting their
//! own; the commissioner then agrees one mark per question with a reason (moderation),
//! keeping the individual marks.

mod moderation;

use super::competitions;
use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::scoring::Score;
use super::{panels, queries, questionnaires, rules};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{evaluator_scores, moderated_scores, panel_members, score_sheets, users};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
pub use moderation::{Agreed, ModerationItem, ModerationSubmission, moderate, moderation};
pub(in crate::evaluation) use moderation::{load_opened, under_evaluation};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// One evaluator's mark for one question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreInput {
    pub question_id: String,
    /// 0 to 5, for a scored question; empty while drafting.
    #[serde(default)]
    pub score: Option<i32>,
    /// Pass (`true`) or fail, for a judged question; empty while drafting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<bool>,
    #[serde(default)]
    pub reason: String,
}

/// Another evaluator's mark, shown once the reader has submitted their own sheet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluatorMark {
    pub evaluator: String,
    pub question_id: String,
    pub score: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<bool>,
    pub reason: String,
}

/// An evaluator's score sheet for one submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreSheet {
    pub submission_id: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub scores: Vec<ScoreInput>,
    /// Other evaluators' submitted marks: empty until this sheet is submitted.
    pub others: Vec<EvaluatorMark>,
}

/// The questions evaluators mark in the version this submission answered.
pub(super) async fn marked_questions(
    conn: &mut AsyncPgConnection,
    row: &SubmissionRow,
) -> Result<Vec<Question>> {
    let q = questionnaires::by_id(conn, row.questionnaire_id).await?;
    Ok(q.questionnaire
        .questions()
        .filter(|x| x.kind.is_marked())
        .cloned()
        .collect())
}

async fn sheet_access(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<(SubmissionRow, Competition)> {
    user.require(&[Role::Evaluator])?;
    let row = queries::find(conn, submission_id).await?;
    let (competition, access) = competitions::load(conn, Some(user), row.competition_id)
        .await
        .map_err(|_| EvaluationError::NotFound("Submission"))?;
    if !row.is_in() {
        return Err(EvaluationError::NotFound("Submission"));
    }
    queries::council_may_read(conn, user, &competition, access, row.organisation_id).await?;
    Ok((row, competition))
}

/// The evaluator's sheet for a submission.
pub async fn score_sheet(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<ScoreSheet> {
    sheet_access(conn, user, submission_id).await?;
    let submitted_at: Option<DateTime<Utc>> = score_sheets::table
        .find((submission_id, user.id))
        .select(score_sheets::submitted_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()?
        .flatten();
    // (evaluator, name, question, score, verdict, reason)
    type Row = (Uuid, String, String, Option<i32>, Option<bool>, String);
    let all: Vec<Row> = evaluator_scores::table
        .inner_join(users::table.on(users::id.eq(evaluator_scores::user_id)))
        .inner_join(
            score_sheets::table.on(score_sheets::submission_id
                .eq(evaluator_scores::submission_id)
                .and(score_sheets::user_id.eq(evaluator_scores::user_id))),
        )
        .filter(evaluator_scores::submission_id.eq(submission_id))
        .filter(
            evaluator_scores::user_id
                .eq(user.id)
                .or(score_sheets::submitted_at.is_not_null()),
        )
        .order((users::name, evaluator_scores::question_id))
        .select((
            evaluator_scores::user_id,
            users::name,
            evaluator_scores::question_id,
            evaluator_scores::score,
            evaluator_scores::verdict,
            evaluator_scores::reason,
        ))
        .load(conn)
        .await?;
    let scores = all
        .iter()
        .filter(|r| r.0 == user.id)
        .map(|r| ScoreInput {
            question_id: r.2.clone(),
            score: r.3,
            verdict: r.4,
            reason: r.5.clone(),
        })
        .collect();
    // DOMAIN.md: each evaluator scores alone; others' marks appear only after submitting.
    let others = if submitted_at.is_some() {
        all.iter()
            .filter(|r| r.0 != user.id)
            .map(|r| EvaluatorMark {
                evaluator: r.1.clone(),
                question_id: r.2.clone(),
                score: r.3,
                verdict: r.4,
                reason: r.5.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ScoreSheet {
        submission_id,
        submitted_at,
        scores,
        others,
    })
}

/// Saves an evaluator's marks; with `submit`, every marked question needs a score and a
/// reason, and the sheet is then final.
pub async fn save_scores(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    scores: &[ScoreInput],
    submit: bool,
) -> Result<ScoreSheet> {
    conn.transaction(async |conn| {
        let (row, competition) = sheet_access(conn, user, submission_id).await?;
        if competition.decided_at.is_some() || row.outcome.is_some() {
            return Err(EvaluationError::refused(
                Refusal::Decided,
                "It has been decided, so marks can no longer change.",
            ));
        }
        let questions = marked_questions(conn, &row).await?;
        let mut errors = Vec::new();
        for s in scores {
            let Some(question) = questions.iter().find(|q| q.id == s.question_id) else {
                errors.push(FieldError::new(
                    s.question_id.clone(),
                    format!("{} is not a question you mark", s.question_id),
                ));
                continue;
            };
            if let Some(v) = s.score
                && let Err(e) = Score::new(v)
            {
                errors.push(FieldError::new(
                    s.question_id.clone(),
                    format!("{}: {e}", s.question_id),
                ));
            }
            let scored = question.kind.is_scored();
            if (s.score.is_some() && !scored) || (s.verdict.is_some() && scored) {
                errors.push(FieldError::new(
                    s.question_id.clone(),
                    format!(
                        "{}: {}",
                        s.question_id,
                        if scored {
                            "give a score from 0 to 5"
                        } else {
                            "say whether it passes"
                        }
                    ),
                ));
            }
            if s.reason.len() > rules::TEXT_MAX {
                errors.push(FieldError::new(
                    s.question_id.clone(),
                    "Reasons must be 20,000 characters or fewer",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(EvaluationError::invalid(errors));
        }
        let inserted = diesel::insert_into(score_sheets::table)
            .values((
                score_sheets::submission_id.eq(submission_id),
                score_sheets::user_id.eq(user.id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let _ = inserted;
        let locked: Option<Option<DateTime<Utc>>> = score_sheets::table
            .find((submission_id, user.id))
            .select(score_sheets::submitted_at)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if matches!(locked, Some(Some(_))) {
            return Err(EvaluationError::refused(
                Refusal::SheetSubmitted,
                "You have submitted your marks for this submission; they can no longer change.",
            ));
        }
        for s in scores {
            diesel::insert_into(evaluator_scores::table)
                .values((
                    evaluator_scores::submission_id.eq(submission_id),
                    evaluator_scores::user_id.eq(user.id),
                    evaluator_scores::question_id.eq(&s.question_id),
                    evaluator_scores::score.eq(s.score),
                    evaluator_scores::verdict.eq(s.verdict),
                    evaluator_scores::reason.eq(s.reason.trim()),
                ))
                .on_conflict((
                    evaluator_scores::submission_id,
                    evaluator_scores::user_id,
                    evaluator_scores::question_id,
                ))
                .do_update()
                .set((
                    evaluator_scores::score.eq(s.score),
                    evaluator_scores::verdict.eq(s.verdict),
                    evaluator_scores::reason.eq(s.reason.trim()),
                    evaluator_scores::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
        }
        if submit {
            let saved = score_sheet(conn, user, submission_id).await?;
            let missing: Vec<FieldError> = questions
                .iter()
                .filter(|q| {
                    !saved.scores.iter().any(|s| {
                        s.question_id == q.id
                            && (s.score.is_some() || s.verdict.is_some())
                            && !s.reason.trim().is_empty()
                    })
                })
                .map(|q| {
                    FieldError::new(
                        q.id.clone(),
                        if q.kind.is_scored() {
                            format!("{}: give a score from 0 to 5 and the reason for it", q.id)
                        } else {
                            format!("{}: say whether it passes, and why", q.id)
                        },
                    )
                })
                .collect();
            if !missing.is_empty() {
                return Err(EvaluationError::Invalid {
                    errors: missing,
                    detail: Some("Your marks were not submitted.".into()),
                });
            }
            diesel::update(score_sheets::table.find((submission_id, user.id)))
                .set(score_sheets::submitted_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            audit::record(
                conn,
                &user.actor(),
                Entry::new("evaluation.scores_submitted", "submission", submission_id)
                    .with_details(serde_json::json!({"competition_id": row.competition_id})),
            )
            .await?;
        }
        score_sheet(conn, user, submission_id).await
    })
    .await
}

/// One press of "submit" on a score sheet page, in one transaction: the marks as typed are
/// saved, then the sheet is submitted if it is complete (a savepoint). The marks are kept
/// either way; what is missing comes back to be shown.
pub async fn save_then_submit(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    scores: &[ScoreInput],
) -> Result<Vec<FieldError>> {
    conn.transaction(async |tx| {
        save_scores(tx, user, submission_id, scores, false).await?;
        let submitted = tx
            .transaction(async |sp| save_scores(sp, user, submission_id, &[], true).await)
            .await;
        match submitted {
            Ok(_) => Ok(Vec::new()),
            Err(EvaluationError::Invalid { errors, .. }) => Ok(errors),
            Err(e) => Err(e),
        }
    })
    .await
}

/// A marked question the evaluator has not finished: what it still needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub question_id: String,
    /// No score (or, for a pass/fail question, no verdict) yet.
    pub mark: bool,
    /// No reason yet.
    pub reason: bool,
}

/// The marked questions of the evaluator's sheet that still need a mark or a reason
/// before it can be submitted (none: it is ready to check and submit). Writes nothing.
pub async fn unfinished(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<Vec<Unfinished>> {
    let (row, _) = sheet_access(conn, user, submission_id).await?;
    let questions = marked_questions(conn, &row).await?;
    let sheet = score_sheet(conn, user, submission_id).await?;
    Ok(questions
        .iter()
        .filter_map(|q| {
            let mine = sheet.scores.iter().find(|s| s.question_id == q.id);
            let mark = mine.is_none_or(|s| s.score.is_none() && s.verdict.is_none());
            let reason = mine.is_none_or(|s| s.reason.trim().is_empty());
            (mark || reason).then(|| Unfinished {
                question_id: q.id.clone(),
                mark,
                reason,
            })
        })
        .collect())
}
