//! Sealed submissions, the provider's side (DOMAIN.md, "Sealed bids"). A provider works on
//! `answers` (autosaved drafts) and submits; submitting copies exactly what was submitted
//! into `sealed`, checked against the deadline by the database clock inside the writing
//! statement. The council reads only `sealed`, and only after opening (`queries::read` is
//! the one door).

use super::competitions::{self, Access, clock};
use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::{queries, questionnaires, rules};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{
    competitions as competitions_table, stored_files, submission_files, submissions,
};
use crate::http::problem::FieldError;
use crate::storage::{self, FileStore, FileView};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most evidence files on one submission.
pub const FILES_MAX: i64 = 20;

/// The provider's own submission, with its competition, else 404 (another organisation's
/// id reveals nothing). One query.
pub async fn own(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<(SubmissionRow, Competition)> {
    user.require(&[Role::Provider])?;
    let found: Option<(SubmissionRow, Competition)> = submissions::table
        .inner_join(competitions_table::table)
        .filter(submissions::id.eq(id))
        .filter(submissions::organisation_id.eq(user.organisation_id))
        .filter(competitions_table::published_at.is_not_null())
        .select((SubmissionRow::as_select(), Competition::as_select()))
        .first(conn)
        .await
        .optional()?;
    found.ok_or(EvaluationError::NotFound("Submission"))
}

/// Starts the provider's submission for a competition and lot, or finds the one it has.
/// Only while the competition is open, by the database clock. Returns the submission and
/// whether it was created now.
pub async fn start(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition_id: Uuid,
    lot_id: Option<Uuid>,
) -> Result<(SubmissionView, bool)> {
    user.require(&[Role::Provider])?;
    let (competition, access) = competitions::load(conn, Some(user), competition_id).await?;
    if access != Access::Public {
        return Err(EvaluationError::NotFound("Competition"));
    }
    let lots = competitions::lots(conn, competition_id).await?;
    match (lots.is_empty(), lot_id) {
        (true, Some(_)) => return Err(EvaluationError::field("lot_id", "This has no lots")),
        (false, None) => {
            return Err(EvaluationError::field(
                "lot_id",
                "Choose the lot you are bidding for",
            ));
        }
        (false, Some(l)) if !lots.iter().any(|x| x.id == l) => {
            return Err(EvaluationError::field("lot_id", "Choose one of its lots"));
        }
        _ => {}
    }
    let mut existing = submissions::table
        .filter(submissions::competition_id.eq(competition_id))
        .filter(submissions::organisation_id.eq(user.organisation_id))
        .into_boxed();
    existing = match lot_id {
        Some(l) => existing.filter(submissions::lot_id.eq(l)),
        None => existing.filter(submissions::lot_id.is_null()),
    };
    let existing: Option<Uuid> = existing
        .select(submissions::id)
        .first(conn)
        .await
        .optional()?;
    if let Some(id) = existing {
        return Ok((queries::read(conn, user, id).await?, false));
    }
    let now = competitions::db_now(conn).await?;
    if rules::status(&(&competition).into(), now) != CompetitionStatus::Open {
        return Err(EvaluationError::refused(
            Refusal::DeadlinePassed,
            "This is no longer open for bids.",
        ));
    }
    still_open(conn, competition_id).await?;
    let questionnaire = questionnaires::current(conn, competition_id, lot_id).await?;
    let id: Option<Uuid> = diesel::insert_into(submissions::table)
        .values((
            submissions::competition_id.eq(competition_id),
            submissions::organisation_id.eq(user.organisation_id),
            submissions::lot_id.eq(lot_id),
            submissions::questionnaire_id.eq(questionnaire.version.id),
        ))
        .on_conflict_do_nothing()
        .returning(submissions::id)
        .get_result(conn)
        .await
        .optional()?;
    let Some(id) = id else {
        // Another request started it at the same moment.
        return Err(EvaluationError::refused(
            Refusal::SubmissionExists,
            "You have already started this bid; open it from your bids.",
        ));
    };
    audit::record(
        conn,
        &user.actor(),
        Entry::new("submission.started", "submission", id)
            .for_organisation(user.organisation_id)
            .with_details(serde_json::json!({"competition_id": competition_id})),
    )
    .await?;
    Ok((queries::read(conn, user, id).await?, true))
}

/// Refuses a change once the deadline has passed (database clock), or when cancelled.
async fn still_open(conn: &mut AsyncPgConnection, competition_id: Uuid) -> Result<()> {
    let open: bool = diesel::select(diesel::dsl::exists(
        competitions_table::table
            .find(competition_id)
            .filter(competitions_table::published_at.is_not_null())
            .filter(competitions_table::cancelled_at.is_null())
            .filter(competitions_table::submission_deadline.gt(clock())),
    ))
    .get_result(conn)
    .await?;
    if open { Ok(()) } else { Err(deadline_passed()) }
}

fn deadline_passed() -> EvaluationError {
    EvaluationError::refused(
        Refusal::DeadlinePassed,
        "The submission deadline has passed, so this bid can no longer change.",
    )
}

/// Saves draft answers, merged into the working copy question by question. Word limits
/// are checked on submission, so work in progress can always be saved.
///
/// The merge is one statement (`answers || new`) under the row's lock, and it re-checks the
/// deadline by the database clock: concurrent saves of different questions all keep their
/// answers, and a save that changed nothing is never reported as saved.
pub async fn save_answers(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    answers: BTreeMap<String, Answer>,
) -> Result<()> {
    let (row, competition) = own(conn, user, id).await?;
    still_open(conn, competition.id).await?;
    // The working copy always answers the newest version (a submitted bid keeps the
    // version it answered until it is submitted again).
    let questionnaire = questionnaires::current(conn, competition.id, row.lot_id).await?;
    let mut errors = Vec::new();
    for (qid, answer) in &answers {
        match questionnaire.questionnaire.question(qid) {
            None => errors.push(FieldError::new(
                qid.clone(),
                format!("{qid} is not a question of this questionnaire"),
            )),
            Some(q) => {
                if let Err(m) = rules::check_answer_shape(q, answer) {
                    errors.push(FieldError::new(qid.clone(), format!("{qid}: {m}")));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(EvaluationError::invalid(errors));
    }
    let saved = diesel::sql_query(
        "UPDATE submissions s SET answers = s.answers || $2, updated_at = now()
           FROM competitions c
          WHERE s.id = $1 AND c.id = s.competition_id
            AND c.published_at IS NOT NULL AND c.cancelled_at IS NULL
            AND clock_timestamp() < c.submission_deadline",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Jsonb, _>(
        serde_json::to_value(&answers).map_err(|e| EvaluationError::Internal(e.into()))?,
    )
    .execute(conn)
    .await?;
    if saved != 1 {
        return Err(deadline_passed());
    }
    Ok(())
}

/// One press of a button on the bid page: the answers as typed, any files chosen (question
/// id, file name, bytes), a file to remove, and whether to submit.
#[derive(Debug, Default)]
pub struct Change {
    pub answers: BTreeMap<String, Answer>,
    pub uploads: Vec<(String, String, Vec<u8>)>,
    pub remove: Option<Uuid>,
    pub submit: bool,
}

/// What came of a [`Change`]: problems to show against questions (keyed by question id),
/// and what was submitted, when it was.
#[derive(Debug, Default)]
pub struct ChangeOutcome {
    pub errors: Vec<FieldError>,
    pub submitted: Option<Submitted>,
}

/// Applies a [`Change`] on the caller's transaction. The answers are always saved first; a
/// file that is refused, or a submission that is not complete, is undone on its own (a
/// savepoint) and reported, so nothing the bidder typed is ever lost to it.
pub async fn change(
    tx: &mut AsyncPgConnection,
    store: &FileStore,
    user: &AuthUser,
    id: Uuid,
    change: Change,
) -> Result<ChangeOutcome> {
    save_answers(tx, user, id, change.answers).await?;
    let mut outcome = ChangeOutcome::default();
    for (question, name, bytes) in change.uploads {
        let attached = tx
            .transaction::<_, EvaluationError, _>(async |sp| {
                attach(sp, store, user, id, &question, &name, bytes).await
            })
            .await;
        match attached {
            Ok(_) => {}
            Err(e) if e.is_actionable() => outcome
                .errors
                .push(FieldError::new(question.clone(), first_message(e))),
            Err(e) => return Err(e),
        }
    }
    if let Some(file) = change.remove {
        detach(tx, user, id, file).await?;
    }
    if change.submit && outcome.errors.is_empty() {
        let submitted = tx
            .transaction::<_, EvaluationError, _>(async |sp| submit(sp, user, id).await)
            .await;
        match submitted {
            Ok(s) => outcome.submitted = Some(s),
            Err(EvaluationError::Invalid { errors, .. }) => outcome.errors.extend(errors),
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

/// The first thing to tell the person about a refusal.
fn first_message(e: EvaluationError) -> String {
    let p = crate::http::problem::Problem::from(e);
    <[FieldError]>::first(&p.errors)
        .map(|e| e.message.clone())
        .or(p.detail.clone())
        .unwrap_or(p.title)
}

/// What a provider gets back on submitting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub submission_id: Uuid,
    /// The competition's reference.
    pub reference: String,
    pub submitted_at: DateTime<Utc>,
    /// SHA-256 of exactly what was submitted (answers and file digests).
    pub digest: String,
    pub questions_answered: usize,
    pub files: usize,
}

/// A submission just sealed, with what its owner needs to tell the provider.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub receipt: Receipt,
    pub competition: Competition,
    pub lot: Option<Lot>,
    /// Whether it replaced an earlier submission.
    pub resubmission: bool,
    pub questionnaire_version: i32,
}

#[derive(QueryableByName)]
struct SubmittedAt {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    submitted_at: DateTime<Utc>,
}

/// Submits (or resubmits) the working copy: refused if incomplete, or if the database
/// clock inside this statement is at or past the deadline. Seals it and writes a receipt
/// and an audit row (with the digest, never content). The owner tells the provider.
pub async fn submit(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<Submitted> {
    let (row, competition) = own(conn, user, id).await?;
    // A resubmission answers the newest version of the questionnaire.
    let questionnaire = questionnaires::current(conn, competition.id, row.lot_id).await?;
    let version = questionnaire.version.version;
    let questions = &questionnaire.questionnaire;
    let working = row.working();
    let attached: Vec<(String, Uuid, String)> = submission_files::table
        .inner_join(stored_files::table)
        .filter(submission_files::submission_id.eq(id))
        .select((
            submission_files::question_id,
            stored_files::id,
            stored_files::sha256,
        ))
        .load(conn)
        .await?;
    let attached: Vec<_> = attached
        .into_iter()
        .filter(|(q, _, _)| questions.question(q).is_some())
        .collect();
    let errors = rules::incomplete(questions, &working, |q| {
        attached.iter().filter(|(x, _, _)| x == q).count()
    });
    if !errors.is_empty() {
        return Err(EvaluationError::Invalid {
            errors,
            detail: Some("Your bid is not complete. Nothing was submitted.".into()),
        });
    }
    // Only answers to this version's questions are sealed.
    let answers: BTreeMap<String, Answer> = working
        .into_iter()
        .filter(|(q, _)| questions.question(q).is_some())
        .collect();
    let digest = rules::digest(
        version,
        &answers,
        &attached
            .iter()
            .map(|(q, _, sha)| (q.clone(), sha.clone()))
            .collect::<Vec<_>>(),
    );
    let sealed = Sealed {
        answers,
        files: attached.iter().map(|(q, f, _)| (q.clone(), *f)).collect(),
    };
    // Sealing and the receipt are one statement: the deadline is read by the database's
    // clock as the row is written, and the receipt exists exactly when the seal does.
    let accepted: Option<SubmittedAt> = diesel::sql_query(
        "WITH sealed AS (
           UPDATE submissions s
              SET submitted_at = clock_timestamp(), submitted_by = $2, sealed = $3, digest = $4,
                  questionnaire_id = $5, deciding_answers = $6, withdrawn_at = NULL,
                  updated_at = now()
             FROM competitions c
            WHERE s.id = $1 AND c.id = s.competition_id
              AND c.published_at IS NOT NULL AND c.cancelled_at IS NULL
              AND clock_timestamp() < c.submission_deadline
        RETURNING s.id, s.submitted_at, s.submitted_by, s.digest)
         INSERT INTO submission_receipts (submission_id, submitted_at, submitted_by, digest)
         SELECT id, submitted_at, submitted_by, digest FROM sealed
         RETURNING submitted_at",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Uuid, _>(user.id)
    .bind::<diesel::sql_types::Jsonb, _>(
        serde_json::to_value(&sealed).map_err(|e| EvaluationError::Internal(e.into()))?,
    )
    .bind::<diesel::sql_types::Text, _>(&digest)
    .bind::<diesel::sql_types::Uuid, _>(questionnaire.version.id)
    .bind::<diesel::sql_types::Jsonb, _>(
        serde_json::to_value(rules::deciding_answers(questions, &sealed.answers))
            .map_err(|e| EvaluationError::Internal(e.into()))?,
    )
    .get_result(conn)
    .await
    .optional()?;
    let Some(SubmittedAt { submitted_at }) = accepted else {
        return Err(EvaluationError::refused(
            Refusal::DeadlinePassed,
            format!(
                "The submission deadline was {}. Your bid was not submitted.",
                crate::calendar::london_time(competition.submission_deadline)
            ),
        ));
    };
    let resubmission = row.submitted_at.is_some();
    let receipt = Receipt {
        submission_id: id,
        reference: competition.reference.clone(),
        submitted_at,
        digest,
        questions_answered: sealed.answers.len(),
        files: sealed.files.len(),
    };
    audit::record(
        conn,
        &user.actor(),
        Entry::new(
            if resubmission {
                "submission.resubmitted"
            } else {
                "submission.submitted"
            },
            "submission",
            id,
        )
        .for_organisation(user.organisation_id)
        .with_details(serde_json::json!({
            "competition_id": competition.id, "digest": receipt.digest, "version": version,
        })),
    )
    .await?;
    let lot = match row.lot_id {
        Some(l) => competitions::lots(conn, competition.id)
            .await?
            .into_iter()
            .find(|x| x.id == l),
        None => None,
    };
    Ok(Submitted {
        receipt,
        competition,
        lot,
        resubmission,
        questionnaire_version: version,
    })
}

/// Withdraws a submitted bid before the deadline (database clock). The working copy stays,
/// so the provider may submit again before the deadline.
pub async fn withdraw(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<()> {
    let (row, competition) = own(conn, user, id).await?;
    if row.submitted_at.is_none() {
        return Err(EvaluationError::refused(
            Refusal::NotSubmitted,
            "Only a submitted bid can be withdrawn.",
        ));
    }
    still_open(conn, competition.id).await?;
    diesel::update(submissions::table.find(id))
        .set((
            submissions::withdrawn_at.eq(diesel::dsl::now),
            submissions::submitted_at.eq(None::<DateTime<Utc>>),
            submissions::sealed.eq(None::<serde_json::Value>),
            submissions::deciding_answers.eq(None::<serde_json::Value>),
            submissions::digest.eq(None::<String>),
            submissions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("submission.withdrawn", "submission", id).for_organisation(user.organisation_id),
    )
    .await?;
    Ok(())
}

/// Attaches an evidence file to an answer (before the deadline).
pub async fn attach(
    conn: &mut AsyncPgConnection,
    store: &FileStore,
    user: &AuthUser,
    id: Uuid,
    question_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<SubmissionFile> {
    let (row, competition) = own(conn, user, id).await?;
    still_open(conn, competition.id).await?;
    let questionnaire = questionnaires::current(conn, competition.id, row.lot_id).await?;
    if questionnaire
        .questionnaire
        .question(question_id)
        .map(|q| q.kind)
        != Some(QuestionKind::Evidence)
    {
        return Err(EvaluationError::field(
            "question_id",
            "Attach files to an evidence question",
        ));
    }
    let count: i64 = submission_files::table
        .filter(submission_files::submission_id.eq(id))
        .count()
        .get_result(conn)
        .await?;
    if count >= FILES_MAX {
        return Err(EvaluationError::field(
            "file",
            format!("A bid can have at most {FILES_MAX} files; remove one first"),
        ));
    }
    let file = storage::store(conn, store, user, name, bytes).await?;
    diesel::insert_into(submission_files::table)
        .values((
            submission_files::submission_id.eq(id),
            submission_files::question_id.eq(question_id),
            submission_files::file_id.eq(file.id),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("submission.file_attached", "submission", id)
            .for_organisation(user.organisation_id)
            .with_details(serde_json::json!({"file_id": file.id, "question_id": question_id})),
    )
    .await?;
    Ok(SubmissionFile {
        question_id: question_id.to_string(),
        file: FileView::of(String::new(), file),
    })
}

/// Removes an evidence file from the working copy (a sealed submission keeps it until the
/// bid is submitted again).
pub async fn detach(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_id: Uuid,
) -> Result<()> {
    let (_, competition) = own(conn, user, id).await?;
    still_open(conn, competition.id).await?;
    let n = diesel::delete(
        submission_files::table
            .filter(submission_files::submission_id.eq(id))
            .filter(submission_files::file_id.eq(file_id)),
    )
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(EvaluationError::NotFound("File"));
    }
    // Unless a sealed bid still holds it, it stops counting against the quota now.
    storage::release_if_unreferenced(conn, file_id).await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("submission.file_removed", "submission", id)
            .for_organisation(user.organisation_id)
            .with_details(serde_json::json!({"file_id": file_id})),
    )
    .await?;
    Ok(())
}
