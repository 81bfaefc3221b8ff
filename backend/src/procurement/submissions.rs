//! Sealed submissions (DOMAIN.md, "Sealed bids"). A provider works on `answers` (autosaved
//! drafts) and submits; submitting copies exactly what was submitted into `sealed`, checked
//! against the deadline by the database clock inside the writing statement. The council
//! reads only `sealed`, and only after the submissions are opened ([`read`] is the one door).

use super::model::*;
use super::{Access, ProcurementRow, conflict, load, rules};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::db::schema::{
    organisations, procurement_interests, procurement_lots, stored_files, submission_files,
    submissions,
};
use crate::http::problem::{FieldError, Problem};
use crate::mail::{self, Email, MailContext};
use crate::storage::{self, FileStore, StoredFile};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A submission's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: Uuid,
    pub procurement_id: Uuid,
    pub organisation_id: Uuid,
    pub lot_id: Option<Uuid>,
    pub questionnaire_version: i32,
    pub answers: serde_json::Value,
    pub sealed: Option<serde_json::Value>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub digest: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub award_rank: Option<i32>,
    pub assessment_summary: Option<serde_json::Value>,
    pub updated_at: DateTime<Utc>,
    pub price_check: Option<String>,
}

/// What was sealed on submission.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sealed {
    pub answers: BTreeMap<String, Answer>,
    /// (question id, file id)
    pub files: Vec<(String, Uuid)>,
}

impl SubmissionRow {
    /// The bidder's working copy.
    pub fn working(&self) -> BTreeMap<String, Answer> {
        serde_json::from_value(self.answers.clone()).unwrap_or_default()
    }

    /// What was last submitted, if anything.
    pub fn sealed(&self) -> Option<Sealed> {
        self.sealed
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// Whether the submission is in the competition (submitted and not withdrawn).
    pub fn is_in(&self) -> bool {
        self.submitted_at.is_some() && self.withdrawn_at.is_none()
    }
}

/// A submission's row, or 404.
pub(super) async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<SubmissionRow, Problem> {
    submissions::table
        .find(id)
        .select(SubmissionRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| Problem::not_found("Submission"))
}

/// The provider's own submission, else 404 (another organisation's id reveals nothing).
pub async fn own(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<(SubmissionRow, ProcurementRow), Problem> {
    user.require(&[Role::Provider])?;
    // One query: the bid, scoped to the provider's organisation, with its procurement,
    // which a provider sees only once published (as `load` decides for them).
    use crate::db::schema::procurements;
    let found: Option<(SubmissionRow, ProcurementRow)> = submissions::table
        .inner_join(procurements::table)
        .filter(submissions::id.eq(id))
        .filter(submissions::organisation_id.eq(user.organisation_id))
        .filter(procurements::published_at.is_not_null())
        .select((SubmissionRow::as_select(), ProcurementRow::as_select()))
        .first(conn)
        .await
        .optional()?;
    found.ok_or_else(|| Problem::not_found("Submission"))
}

/// Starts (or returns) the provider's submission for a procurement and lot. Registers
/// interest too. Only while the procurement is open, by the database clock.
pub async fn start(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    procurement_id: Uuid,
    lot_id: Option<Uuid>,
) -> Result<SubmissionView, Problem> {
    user.require(&[Role::Provider])?;
    let (procurement, access) = load(conn, Some(user), procurement_id).await?;
    if access != Access::Public {
        return Err(Problem::not_found("Procurement"));
    }
    let lots = super::lots(conn, procurement_id).await?;
    match (lots.is_empty(), lot_id) {
        (true, Some(_)) => {
            return Err(Problem::validation(vec![FieldError::new(
                "lot_id",
                "This procurement has no lots",
            )]));
        }
        (false, None) => {
            return Err(Problem::validation(vec![FieldError::new(
                "lot_id",
                "Choose the lot you are bidding for",
            )]));
        }
        (false, Some(l)) if !lots.iter().any(|x| x.id == l) => {
            return Err(Problem::validation(vec![FieldError::new(
                "lot_id",
                "Choose one of this procurement's lots",
            )]));
        }
        _ => {}
    }
    let mut existing = submissions::table
        .filter(submissions::procurement_id.eq(procurement_id))
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
        return read(conn, user, id).await;
    }
    if procurement.status(super::db_now(conn).await?) != ProcurementStatus::Open {
        return Err(conflict(
            "deadline-passed",
            "This opportunity is no longer open for bids.",
        ));
    }
    still_open(conn, procurement_id).await?;
    let version = super::latest_version(conn, procurement_id).await?;
    let id: Option<Uuid> = diesel::insert_into(submissions::table)
        .values((
            submissions::procurement_id.eq(procurement_id),
            submissions::organisation_id.eq(user.organisation_id),
            submissions::lot_id.eq(lot_id),
            submissions::questionnaire_version.eq(version),
        ))
        .on_conflict_do_nothing()
        .returning(submissions::id)
        .get_result(conn)
        .await
        .optional()?;
    let Some(id) = id else {
        // Another request started it at the same moment.
        return Err(conflict(
            "submission-exists",
            "You have already started this bid; open it from your bids.",
        ));
    };
    diesel::insert_into(procurement_interests::table)
        .values((
            procurement_interests::procurement_id.eq(procurement_id),
            procurement_interests::organisation_id.eq(user.organisation_id),
            procurement_interests::user_id.eq(user.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("submission.started", "submission", id)
            .for_organisation(user.organisation_id)
            .with_details(serde_json::json!({"procurement_id": procurement_id})),
    )
    .await?;
    read(conn, user, id).await
}

/// Refuses a change once the deadline has passed (database clock), or when withdrawn.
async fn still_open(conn: &mut AsyncPgConnection, procurement_id: Uuid) -> Result<(), Problem> {
    let open: bool =
        diesel::select(diesel::dsl::exists(
            crate::db::schema::procurements::table
                .find(procurement_id)
                .filter(crate::db::schema::procurements::published_at.is_not_null())
                .filter(crate::db::schema::procurements::cancelled_at.is_null())
                .filter(crate::db::schema::procurements::submission_deadline.gt(
                    diesel::dsl::sql::<diesel::sql_types::Timestamptz>("clock_timestamp()"),
                )),
        ))
        .get_result(conn)
        .await?;
    if open {
        Ok(())
    } else {
        Err(conflict(
            "deadline-passed",
            "The submission deadline has passed, so this bid can no longer change.",
        ))
    }
}

/// Saves draft answers, merged into the working copy question by question. Word limits
/// are checked on submission, so work in progress can always be saved.
///
/// The merge is one statement (`answers || new`) under the row's lock, and it re-checks the
/// deadline by the database clock: concurrent saves of different questions all keep their
/// answers (reading, merging in Rust and writing back lost most of them, issue 9), and a
/// save that changed nothing is never reported as saved.
pub async fn save_answers(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    answers: BTreeMap<String, Answer>,
) -> Result<SubmissionView, Problem> {
    let (_, procurement) = own(conn, user, id).await?;
    still_open(conn, procurement.id).await?;
    // The working copy always answers the newest version (a submitted bid keeps the
    // version it answered until it is submitted again).
    let (_, questionnaire) = super::questionnaire(conn, procurement.id, None).await?;
    let mut errors = Vec::new();
    for (qid, answer) in &answers {
        match questionnaire.question(qid) {
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
        return Err(Problem::validation(errors));
    }
    let saved = diesel::sql_query(
        "UPDATE submissions s SET answers = s.answers || $2, updated_at = now()
           FROM procurements p
          WHERE s.id = $1 AND p.id = s.procurement_id
            AND p.published_at IS NOT NULL AND p.cancelled_at IS NULL
            AND clock_timestamp() < p.submission_deadline",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Jsonb, _>(serde_json::to_value(&answers).map_err(Problem::internal)?)
    .execute(conn)
    .await?;
    if saved != 1 {
        return Err(conflict(
            "deadline-passed",
            "The submission deadline has passed, so this bid can no longer change.",
        ));
    }
    read(conn, user, id).await
}

/// One press of a button on the bid page: the answers as typed, any files chosen (question
/// id, file name, bytes), a file to remove, and whether to submit.
#[derive(Debug, Default)]
pub struct BidChange {
    pub answers: BTreeMap<String, Answer>,
    pub uploads: Vec<(String, String, Vec<u8>)>,
    pub remove: Option<Uuid>,
    pub submit: bool,
}

/// What came of a [`BidChange`]: problems to show against questions (keyed by question id,
/// or `main-content`), and the receipt when the bid was submitted.
#[derive(Debug, Default)]
pub struct BidOutcome {
    pub errors: Vec<FieldError>,
    pub receipt: Option<Receipt>,
}

/// Applies a [`BidChange`] in one transaction. The answers are always saved first; a file
/// that is refused, or a submission that is not complete, is undone on its own (a
/// savepoint) and reported, so nothing the bidder typed is ever lost to it.
pub async fn change(
    conn: &mut AsyncPgConnection,
    store: &FileStore,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    change: BidChange,
) -> Result<BidOutcome, Problem> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, Problem, _>(async |tx| {
        save_answers(tx, user, id, change.answers).await?;
        let mut outcome = BidOutcome::default();
        let refused = |p: &Problem| matches!(p.status, 413 | 422 | 507);
        for (question, name, bytes) in change.uploads {
            let attached = tx
                .transaction::<_, Problem, _>(async |sp| {
                    attach(sp, store, user, id, &question, &name, bytes).await
                })
                .await;
            match attached {
                Ok(_) => {}
                Err(p) if refused(&p) => outcome.errors.push(FieldError::new(
                    question.clone(),
                    <[FieldError]>::first(&p.errors)
                        .map(|e| e.message.clone())
                        .or(p.detail.clone())
                        .unwrap_or(p.title),
                )),
                Err(p) => return Err(p),
            }
        }
        if let Some(file) = change.remove {
            detach(tx, user, id, file).await?;
        }
        if change.submit && outcome.errors.is_empty() {
            let submitted = tx
                .transaction::<_, Problem, _>(async |sp| submit(sp, mail_context, user, id).await)
                .await;
            match submitted {
                Ok(receipt) => outcome.receipt = Some(receipt),
                Err(p) if p.status == 422 => outcome.errors.extend(p.errors),
                Err(p) => return Err(p),
            }
        }
        Ok(outcome)
    })
    .await
}

/// What a provider gets back on submitting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub submission_id: Uuid,
    pub reference: String,
    pub submitted_at: DateTime<Utc>,
    /// SHA-256 of exactly what was submitted (answers and file digests).
    pub digest: String,
    pub questions_answered: usize,
    pub files: usize,
}

#[derive(QueryableByName)]
struct SubmittedAt {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    submitted_at: DateTime<Utc>,
}

/// Submits (or resubmits) the working copy: refused if incomplete, or if the database
/// clock inside this statement is at or past the deadline. Seals it, writes a receipt and
/// an audit row (with the digest, never content) and emails the submitter a receipt.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<Receipt, Problem> {
    let (row, procurement) = own(conn, user, id).await?;
    // A resubmission answers the newest version of the questionnaire.
    let (latest, questionnaire) = super::questionnaire(conn, procurement.id, None).await?;
    let version = latest.version;
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
        .filter(|(q, _, _)| questionnaire.question(q).is_some())
        .collect();
    let errors = rules::incomplete(&questionnaire, &working, |q| {
        attached.iter().filter(|(x, _, _)| x == q).count()
    });
    if !errors.is_empty() {
        return Err(Problem::validation(errors)
            .with_detail("Your bid is not complete. Nothing was submitted."));
    }
    // Only answers to this version's questions are sealed.
    let answers: BTreeMap<String, Answer> = working
        .into_iter()
        .filter(|(q, _)| questionnaire.question(q).is_some())
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
                  questionnaire_version = $5, withdrawn_at = NULL, updated_at = now()
             FROM procurements p
            WHERE s.id = $1 AND p.id = s.procurement_id
              AND p.published_at IS NOT NULL AND p.cancelled_at IS NULL
              AND clock_timestamp() < p.submission_deadline
        RETURNING s.id, s.submitted_at, s.submitted_by, s.digest)
         INSERT INTO submission_receipts (submission_id, submitted_at, submitted_by, digest)
         SELECT id, submitted_at, submitted_by, digest FROM sealed
         RETURNING submitted_at",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Uuid, _>(user.id)
    .bind::<diesel::sql_types::Jsonb, _>(serde_json::to_value(&sealed).map_err(Problem::internal)?)
    .bind::<diesel::sql_types::Text, _>(&digest)
    .bind::<diesel::sql_types::Integer, _>(version)
    .get_result(conn)
    .await
    .optional()?;
    let Some(SubmittedAt { submitted_at }) = accepted else {
        return Err(conflict(
            "deadline-passed",
            format!(
                "The submission deadline was {}. Your bid was not submitted.",
                crate::calendar::london_time(procurement.submission_deadline)
            ),
        ));
    };
    let resubmission = row.submitted_at.is_some();
    let receipt = Receipt {
        submission_id: id,
        reference: procurement.reference.clone(),
        submitted_at,
        digest,
        questions_answered: sealed.answers.len(),
        files: sealed.files.len(),
    };
    let lot = lot_label(conn, row.lot_id).await?;
    mail::enqueue(
        conn,
        mail_context,
        Email {
            template: "submission_receipt",
            to_address: user.email.clone(),
            to_name: user.name.clone(),
            user_id: Some(user.id),
            reason: format!(
                "You received this email because you submitted a bid for {} on behalf of {}.",
                procurement.reference, user.organisation_name
            ),
            optional_kind: None,
            // A receipt carries no content: an administrator can read the outbox, and the
            // bid stays sealed until the deadline.
            data: serde_json::json!({
                "reference": procurement.reference,
                "title": procurement.title,
                "lot": lot,
                "organisation_name": user.organisation_name,
                "when": crate::calendar::london_time(submitted_at),
                "deadline": crate::calendar::london_time(procurement.submission_deadline),
                "digest": receipt.digest,
                "questions_answered": receipt.questions_answered,
                "files": receipt.files,
                "resubmission": resubmission,
                "link": format!("{}/bids/{}", mail_context.public_url, id),
            }),
        },
    )
    .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new(
            if resubmission { "submission.resubmitted" } else { "submission.submitted" },
            "submission",
            id,
        )
        .for_organisation(user.organisation_id)
        .with_details(serde_json::json!({"procurement_id": procurement.id, "digest": receipt.digest, "version": version})),
    )
    .await?;
    Ok(receipt)
}

async fn lot_label(conn: &mut AsyncPgConnection, lot: Option<Uuid>) -> QueryResult<Option<String>> {
    match lot {
        None => Ok(None),
        Some(l) => procurement_lots::table
            .find(l)
            .select((procurement_lots::number, procurement_lots::title))
            .first::<(i32, String)>(conn)
            .await
            .map(|(n, t)| Some(format!("Lot {n}: {t}"))),
    }
}

/// Withdraws a submitted bid before the deadline (database clock). The working copy stays,
/// so the provider may submit again before the deadline.
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Problem> {
    let (row, procurement) = own(conn, user, id).await?;
    if row.submitted_at.is_none() {
        return Err(conflict(
            "not-submitted",
            "Only a submitted bid can be withdrawn.",
        ));
    }
    still_open(conn, procurement.id).await?;
    diesel::update(submissions::table.find(id))
        .set((
            submissions::withdrawn_at.eq(diesel::dsl::now),
            submissions::submitted_at.eq(None::<DateTime<Utc>>),
            submissions::sealed.eq(None::<serde_json::Value>),
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
) -> Result<SubmissionFile, Problem> {
    let (_, procurement) = own(conn, user, id).await?;
    still_open(conn, procurement.id).await?;
    let (_, questionnaire) = super::questionnaire(conn, procurement.id, None).await?;
    if questionnaire.question(question_id).map(|q| q.kind) != Some(QuestionKind::Evidence) {
        return Err(Problem::validation(vec![FieldError::new(
            "question_id",
            "Attach files to an evidence question",
        )]));
    }
    let count: i64 = submission_files::table
        .filter(submission_files::submission_id.eq(id))
        .count()
        .get_result(conn)
        .await?;
    if count >= 20 {
        return Err(Problem::validation(vec![FieldError::new(
            "file",
            "A bid can have at most 20 files; remove one first",
        )]));
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
        file: super::file_view(String::new(), file),
    })
}

/// Removes an evidence file from the working copy (a sealed submission keeps it until the
/// bid is submitted again).
pub async fn detach(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_id: Uuid,
) -> Result<(), Problem> {
    let (_, procurement) = own(conn, user, id).await?;
    still_open(conn, procurement.id).await?;
    let n = diesel::delete(
        submission_files::table
            .filter(submission_files::submission_id.eq(id))
            .filter(submission_files::file_id.eq(file_id)),
    )
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(Problem::not_found("File"));
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

/// The one refusal every council read of bids gets before they are opened.
pub fn sealed() -> Problem {
    Problem::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "sealed",
        "Submissions are sealed",
    )
    .with_detail("Nobody at the council can read a submission before the deadline has passed and the submissions have been opened. After the deadline, a commissioner opens them from the procurement's page.")
}

/// Who on the council side may read a bidder's sealed content, and when: never before the
/// submissions are opened; then the procurement's commissioners, and panel evaluators who
/// have declared and have no conflict with this bidder. The one check every council read
/// of content goes through.
pub async fn council_may_read(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    procurement: &ProcurementRow,
    access: Access,
    organisation_id: Uuid,
) -> Result<(), Problem> {
    if procurement.opened_at.is_none() {
        return Err(sealed());
    }
    match (access, user.role) {
        (Access::Council, Role::Commissioner) => Ok(()),
        (Access::Panel, Role::Evaluator) => {
            super::evaluation::check_not_conflicted(conn, user, procurement.id, organisation_id)
                .await
        }
        _ => Err(Problem::forbidden(
            "Only the procurement's commissioners and its evaluation panel can read submissions.",
        )),
    }
}

/// Reads a submission: a provider its own working copy; the council the sealed content,
/// after opening, through [`council_may_read`].
pub async fn read(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<SubmissionView, Problem> {
    let row = find(conn, id).await?;
    let (procurement, access) = match load(conn, Some(user), row.procurement_id).await {
        Ok(x) => x,
        Err(_) => return Err(Problem::not_found("Submission")),
    };
    let org_name: String = organisations::table
        .find(row.organisation_id)
        .select(organisations::legal_name)
        .first(conn)
        .await?;
    let lot = match row.lot_id {
        Some(l) => Some(
            procurement_lots::table
                .find(l)
                .select(procurement_lots::number)
                .first::<i32>(conn)
                .await?,
        ),
        None => None,
    };
    let status = super::evaluation::submission_status(conn, &procurement, &row).await?;
    let (answers, rows): (BTreeMap<String, Answer>, Vec<(String, StoredFile)>) =
        if user.role == Role::Provider {
            if row.organisation_id != user.organisation_id {
                return Err(Problem::not_found("Submission"));
            }
            let working = submission_files::table
                .inner_join(stored_files::table)
                .filter(submission_files::submission_id.eq(id))
                .order(stored_files::created_at)
                .select((submission_files::question_id, StoredFile::as_select()))
                .load(conn)
                .await?;
            (row.working(), working)
        } else {
            if !row.is_in() {
                return Err(Problem::not_found("Submission"));
            }
            council_may_read(conn, user, &procurement, access, row.organisation_id).await?;
            // The sealed list names the files, so a file the bidder removed from their
            // draft afterwards is still part of what they submitted.
            let sealed = row.sealed().unwrap_or_default();
            let ids: Vec<Uuid> = sealed.files.iter().map(|f| f.1).collect();
            let stored: Vec<StoredFile> = stored_files::table
                .filter(stored_files::id.eq_any(&ids))
                .order(stored_files::created_at)
                .select(StoredFile::as_select())
                .load(conn)
                .await?;
            let rows = stored
                .into_iter()
                .filter_map(|f| {
                    let question = sealed.files.iter().find(|x| x.1 == f.id)?.0.clone();
                    Some((question, f))
                })
                .collect();
            (sealed.answers, rows)
        };
    Ok(SubmissionView {
        id: row.id,
        procurement_id: row.procurement_id,
        organisation_id: row.organisation_id,
        organisation_name: org_name,
        lot_id: row.lot_id,
        lot,
        questionnaire_version: row.questionnaire_version,
        status,
        answers,
        files: rows
            .into_iter()
            .map(|(q, f)| SubmissionFile {
                question_id: q,
                file: super::file_view(String::new(), f),
            })
            .collect(),
        submitted_at: row.submitted_at,
        digest: row.digest,
        withdrawn_at: row.withdrawn_at,
        updated_at: row.updated_at,
    })
}

/// A file of a submission, with the same access rule as its content.
pub async fn file(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_id: Uuid,
) -> Result<StoredFile, Problem> {
    let view = read(conn, user, id).await?;
    if !view.files.iter().any(|f| f.file.id == file_id) {
        return Err(Problem::not_found("File"));
    }
    stored_files::table
        .find(file_id)
        .select(StoredFile::as_select())
        .first(conn)
        .await
        .map_err(Into::into)
}

/// [`latest_open_deadline`] as an account-recovery hold (`organisations::invitations`).
pub fn recovery_hold(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
) -> futures_util::future::BoxFuture<'_, QueryResult<Option<DateTime<Utc>>>> {
    Box::pin(latest_open_deadline(conn, organisation))
}

/// The latest deadline among the organisation's bids (drafts or submitted) that are still
/// before their deadline by the database clock, if any: until then their content is sealed
/// from everyone but the organisation's own users.
pub async fn latest_open_deadline(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    use crate::db::schema::procurements;
    submissions::table
        .inner_join(procurements::table)
        .filter(submissions::organisation_id.eq(organisation))
        .filter(procurements::cancelled_at.is_null())
        .filter(procurements::submission_deadline.gt(diesel::dsl::sql::<
            diesel::sql_types::Timestamptz,
        >("clock_timestamp()")))
        .select(diesel::dsl::max(procurements::submission_deadline))
        .first(conn)
        .await
}

/// A provider's bids, newest first.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct MyBid {
    pub id: Uuid,
    pub procurement_id: Uuid,
    pub reference: String,
    pub title: String,
    pub lot: Option<i32>,
    pub submission_deadline: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

/// The provider organisation's bids.
pub async fn mine(conn: &mut AsyncPgConnection, user: &AuthUser) -> Result<Vec<MyBid>, Problem> {
    user.require(&[Role::Provider])?;
    use crate::db::schema::procurements;
    let rows: Vec<MyBid> = submissions::table
        .inner_join(procurements::table)
        .left_join(
            procurement_lots::table.on(submissions::lot_id.eq(procurement_lots::id.nullable())),
        )
        .filter(submissions::organisation_id.eq(user.organisation_id))
        .order(procurements::submission_deadline.desc())
        .limit(200)
        .select((
            submissions::id,
            procurements::id,
            procurements::reference,
            procurements::title,
            procurement_lots::number.nullable(),
            procurements::submission_deadline,
            submissions::submitted_at,
            submissions::withdrawn_at,
            submissions::outcome,
        ))
        .load(conn)
        .await?;
    Ok(rows)
}

/// The frozen assessment summary of a provider's own submission, once awarded.
pub async fn assessment_summary(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<serde_json::Value, Problem> {
    let (row, _) = own(conn, user, id).await?;
    row.assessment_summary.ok_or_else(|| {
        conflict(
            "not-awarded",
            "The assessment summary is sent when the contract is awarded.",
        )
    })
}
