//! Admission (DOMAIN.md, "Dynamic purchasing system"): each application is decided on its
//! own, admitted or not admitted with reasons, within a number of working days of the
//! deadline. The council may ask the applicant to clarify; the decision clock stops from
//! the asking until the answer.

use super::competitions;
use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::{marking, questionnaires, rules, submissions};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::db::schema::{clarification_requests, moderated_scores, submissions as submission_rows};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A question the council asked an applicant, and the answer.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = clarification_requests)]
pub struct ClarificationRequest {
    pub id: Uuid,
    pub submission_id: Uuid,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
}

fn admission_only(competition: &Competition) -> Result<()> {
    if competition.outcome_model == OutcomeModel::Admission {
        Ok(())
    } else {
        Err(EvaluationError::NotFound("Application"))
    }
}

/// The requests on a submission, oldest first.
pub async fn requests(
    conn: &mut AsyncPgConnection,
    submission_id: Uuid,
) -> QueryResult<Vec<ClarificationRequest>> {
    clarification_requests::table
        .filter(clarification_requests::submission_id.eq(submission_id))
        .order(clarification_requests::asked_at)
        .select(ClarificationRequest::as_select())
        .load(conn)
        .await
}

/// Asks the applicant to clarify (commissioners): stops the decision clock until they
/// answer. One request waits at a time. The owner tells the applicant.
pub async fn request_clarification(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    question: &str,
) -> Result<ClarificationRequest> {
    conn.transaction(async |conn| {
        let (_, competition) = marking::under_evaluation(conn, user, submission_id).await?;
        admission_only(&competition)?;
        let question = question.trim();
        if question.is_empty() || question.len() > rules::TEXT_MAX {
            return Err(EvaluationError::field(
                "question",
                "Write what the applicant needs to clarify, in up to 20,000 characters",
            ));
        }
        let asked: Option<ClarificationRequest> =
            diesel::insert_into(clarification_requests::table)
                .values((
                    clarification_requests::submission_id.eq(submission_id),
                    clarification_requests::question.eq(question),
                    clarification_requests::asked_by.eq(user.id),
                ))
                .on_conflict_do_nothing()
                .returning(ClarificationRequest::as_returning())
                .get_result(conn)
                .await
                .optional()?;
        let asked = asked.ok_or_else(|| {
            EvaluationError::refused(
                Refusal::ClarificationPending,
                "The applicant has not yet answered the last request. Wait for their answer.",
            )
        })?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new(
                "submission.clarification_requested",
                "submission",
                submission_id,
            )
            .with_details(serde_json::json!({"request_id": asked.id})),
        )
        .await?;
        Ok(asked)
    })
    .await
}

/// The applicant answers the waiting request (providers): the decision clock starts again.
pub async fn respond(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    response: &str,
) -> Result<ClarificationRequest> {
    conn.transaction(async |conn| {
        let (row, competition) = submissions::own(conn, user, submission_id).await?;
        admission_only(&competition)?;
        let response = response.trim();
        if response.is_empty() || response.len() > rules::TEXT_MAX {
            return Err(EvaluationError::field(
                "response",
                "Write your answer, in up to 20,000 characters",
            ));
        }
        let answered: Option<ClarificationRequest> = diesel::update(
            clarification_requests::table
                .filter(clarification_requests::submission_id.eq(row.id))
                .filter(clarification_requests::responded_at.is_null()),
        )
        .set((
            clarification_requests::response.eq(response),
            clarification_requests::responded_by.eq(user.id),
            clarification_requests::responded_at.eq(diesel::dsl::now),
        ))
        .returning(ClarificationRequest::as_returning())
        .get_result(conn)
        .await
        .optional()?;
        let answered = answered.ok_or_else(|| {
            EvaluationError::refused(
                Refusal::NoClarificationPending,
                "Nothing is waiting for your answer.",
            )
        })?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("submission.clarified", "submission", submission_id)
                .for_organisation(user.organisation_id)
                .with_details(serde_json::json!({"request_id": answered.id})),
        )
        .await?;
        Ok(answered)
    })
    .await
}

/// When the clock stopped, and started again (if it has).
type Stop = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The decision clocks of a competition's submissions, in one statement whatever their
/// number.
pub async fn clocks(
    conn: &mut AsyncPgConnection,
    competition: &Competition,
    submission_ids: &[Uuid],
) -> Result<HashMap<Uuid, rules::DecisionClock>> {
    admission_only(competition)?;
    let days = competition.decision_working_days.unwrap_or(0).max(0) as u32;
    let mut stops: HashMap<Uuid, Vec<Stop>> = HashMap::new();
    for (sid, asked, answered) in clarification_requests::table
        .filter(clarification_requests::submission_id.eq_any(submission_ids))
        .select((
            clarification_requests::submission_id,
            clarification_requests::asked_at,
            clarification_requests::responded_at,
        ))
        .load::<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)>(conn)
        .await?
    {
        stops.entry(sid).or_default().push((asked, answered));
    }
    let now = competitions::db_now(conn).await?;
    submission_ids
        .iter()
        .map(|id| {
            rules::decision_clock(
                Calendar::uk(),
                competition.submission_deadline,
                days,
                stops.get(id).map_or(&[][..], Vec::as_slice),
                now,
            )
            .map(|c| (*id, c))
            .map_err(EvaluationError::Internal)
        })
        .collect()
}

/// An admission decision.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Decision {
    /// Whether the applicant is admitted to the lot.
    pub admitted: bool,
    /// Why, as the applicant will read it: required when not admitted.
    #[serde(default)]
    pub reason: String,
}

/// Decides an application (commissioners): refused while a clarification request waits,
/// or before every judged question is moderated (unless a pass/fail answer already fails
/// it). An application that fails anything cannot be admitted; one not admitted needs the
/// reason.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    decision: &Decision,
) -> Result<SubmissionOutcome> {
    conn.transaction(async |conn| {
        let (row, competition) = marking::under_evaluation(conn, user, submission_id).await?;
        admission_only(&competition)?;
        let pending: bool = diesel::select(diesel::dsl::exists(
            clarification_requests::table
                .filter(clarification_requests::submission_id.eq(submission_id))
                .filter(clarification_requests::responded_at.is_null()),
        ))
        .get_result(conn)
        .await?;
        if pending {
            return Err(EvaluationError::refused(
                Refusal::ClarificationPending,
                "The applicant has not answered your clarification request yet.",
            ));
        }
        let questionnaire = questionnaires::by_id(conn, row.questionnaire_id).await?;
        let sealed = row.sealed().unwrap_or_default();
        let failed_answers: Vec<&Question> = questionnaire
            .questionnaire
            .questions()
            .filter(|q| !rules::passes(q, sealed.answers.get(&q.id)))
            .collect();
        let verdicts: HashMap<String, Option<bool>> = moderated_scores::table
            .filter(moderated_scores::submission_id.eq(submission_id))
            .select((moderated_scores::question_id, moderated_scores::verdict))
            .load::<(String, Option<bool>)>(conn)
            .await?
            .into_iter()
            .collect();
        let judged: Vec<&Question> = questionnaire
            .questionnaire
            .questions()
            .filter(|q| q.kind == QuestionKind::Judged)
            .collect();
        if failed_answers.is_empty() && judged.iter().any(|q| !verdicts.contains_key(&q.id)) {
            return Err(EvaluationError::refused(
                Refusal::ModerationIncomplete,
                "Agree the panel's verdict on every judged question before deciding.",
            ));
        }
        let failed = !failed_answers.is_empty()
            || judged
                .iter()
                .any(|q| verdicts.get(&q.id) == Some(&Some(false)));
        let reason = decision.reason.trim();
        let mut errors = Vec::new();
        if decision.admitted && failed {
            errors.push(FieldError::new(
                "admitted",
                "This application fails at least one question, so it cannot be admitted",
            ));
        }
        if !decision.admitted && reason.is_empty() {
            errors.push(FieldError::new(
                "reason",
                "Say why the application is not admitted; the applicant will read it",
            ));
        }
        if reason.len() > rules::TEXT_MAX {
            errors.push(FieldError::new("reason", "Use 20,000 characters or fewer"));
        }
        if !errors.is_empty() {
            return Err(EvaluationError::invalid(errors));
        }
        let outcome = if decision.admitted {
            SubmissionOutcome::Admitted
        } else {
            SubmissionOutcome::NotAdmitted
        };
        let n = diesel::update(
            submission_rows::table
                .find(submission_id)
                .filter(submission_rows::outcome.is_null()),
        )
        .set((
            submission_rows::outcome.eq(outcome),
            submission_rows::outcome_reason.eq((!reason.is_empty()).then_some(reason)),
            submission_rows::decided_at.eq(diesel::dsl::now),
            submission_rows::decided_by.eq(user.id),
        ))
        .execute(conn)
        .await?;
        if n == 0 {
            return Err(EvaluationError::refused(
                Refusal::AlreadyDecided,
                "This application has already been decided.",
            ));
        }
        audit::record(
            conn,
            &user.actor(),
            Entry::new("submission.decided", "submission", submission_id)
                .for_organisation(row.organisation_id)
                .with_details(
                    serde_json::json!({"outcome": outcome, "competition_id": competition.id}),
                ),
        )
        .await?;
        Ok(outcome)
    })
    .await
}
