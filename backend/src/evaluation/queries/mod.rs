//! Reading submissions: the one door to sealed content ([`read`], through
//! [`council_may_read`]) is here; the lists (the council's, with each submission's derived
//! status, and a provider's own) are in `lists.rs`, and the status rule they share with a
//! single bid in `status.rs`.

mod lists;
mod status;

pub use lists::{MySubmission, list_submissions, list_submissions_in, mine};
use status::StatusFacts;
pub(super) use status::names_of;

use super::competitions::{self, Access};
use super::errors::{EvaluationError, Result};
use super::model::*;
use super::panels;
use crate::auth::{AuthUser, Role};
use crate::db::schema::competitions as competition_table;
use crate::db::schema::{
    competition_lots, organisations, stored_files, submission_files, submissions,
};
use crate::storage::{FileView, StoredFile};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A submission's row, or 404.
pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<SubmissionRow> {
    submissions::table
        .find(id)
        .select(SubmissionRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(EvaluationError::NotFound("Submission"))
}

/// The submissions in the competition (submitted, not withdrawn), earliest first.
pub async fn bids(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
) -> QueryResult<Vec<SubmissionRow>> {
    submissions::table
        .filter(submissions::competition_id.eq(competition_id))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .order((submissions::submitted_at, submissions::id))
        .select(SubmissionRow::as_select())
        .load(conn)
        .await
}

/// How many submissions are in the competition.
pub async fn count_in(conn: &mut AsyncPgConnection, competition_id: Uuid) -> QueryResult<i64> {
    submissions::table
        .filter(submissions::competition_id.eq(competition_id))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Who on the council side may read a bidder's sealed content, and when: never before the
/// submissions are opened; then the competition's commissioners, and panel evaluators who
/// have declared and have no conflict with this bidder. The one check every council read
/// of content goes through.
pub async fn council_may_read(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition: &Competition,
    access: Access,
    organisation_id: Uuid,
) -> Result<()> {
    if competition.opened_at.is_none() {
        return Err(EvaluationError::Sealed);
    }
    match (access, user.role) {
        (Access::Council, Role::Commissioner) => Ok(()),
        (Access::Panel, Role::Evaluator) => {
            panels::check_not_conflicted(conn, user, competition.id, organisation_id).await
        }
        _ => Err(EvaluationError::Forbidden(
            "Only the commissioners and the evaluation panel can read submissions.",
        )),
    }
}

/// Reads a submission: a provider its own working copy; the council the sealed content,
/// after opening, through [`council_may_read`].
pub async fn read(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<SubmissionView> {
    let row = find(conn, id).await?;
    let Ok((competition, access)) = competitions::load(conn, Some(user), row.competition_id).await
    else {
        return Err(EvaluationError::NotFound("Submission"));
    };
    let (answers, files): (BTreeMap<String, Answer>, Vec<(String, StoredFile)>) =
        if user.role == Role::Provider {
            if row.organisation_id != user.organisation_id {
                return Err(EvaluationError::NotFound("Submission"));
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
                return Err(EvaluationError::NotFound("Submission"));
            }
            council_may_read(conn, user, &competition, access, row.organisation_id).await?;
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
            let files = stored
                .into_iter()
                .filter_map(|f| {
                    let question = sealed.files.iter().find(|x| x.1 == f.id)?.0.clone();
                    Some((question, f))
                })
                .collect();
            (sealed.answers, files)
        };
    let (organisation_name, lot): (String, Option<i32>) = organisations::table
        .left_join(competition_lots::table.on(competition_lots::id.nullable().eq(row.lot_id)))
        .filter(organisations::id.eq(row.organisation_id))
        .select((
            organisations::legal_name,
            competition_lots::number.nullable(),
        ))
        .first(conn)
        .await?;
    let facts = StatusFacts::load(conn, &competition, std::slice::from_ref(&row)).await?;
    let version = facts
        .versions
        .get(&row.questionnaire_id)
        .map_or(0, |q| q.version.version);
    Ok(SubmissionView {
        id: row.id,
        competition_id: row.competition_id,
        organisation_id: row.organisation_id,
        organisation_name,
        lot_id: row.lot_id,
        lot,
        questionnaire_version: version,
        status: facts.status(&competition, &row),
        answers,
        files: files
            .into_iter()
            .map(|(q, f)| SubmissionFile {
                question_id: q,
                file: FileView::of(String::new(), f),
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
) -> Result<StoredFile> {
    let view = read(conn, user, id).await?;
    if !view.files.iter().any(|f| f.file.id == file_id) {
        return Err(EvaluationError::NotFound("File"));
    }
    Ok(stored_files::table
        .find(file_id)
        .select(StoredFile::as_select())
        .first(conn)
        .await?)
}

/// The latest deadline among the organisation's submissions (drafts or submitted) still
/// before their deadline by the database clock, if any: until then their content is sealed
/// from everyone but the organisation's own users.
pub async fn latest_open_deadline(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    submissions::table
        .inner_join(competition_table::table)
        .filter(submissions::organisation_id.eq(organisation))
        .filter(competition_table::cancelled_at.is_null())
        .filter(competition_table::submission_deadline.gt(competitions::clock()))
        .select(diesel::dsl::max(competition_table::submission_deadline))
        .first(conn)
        .await
}

/// [`latest_open_deadline`] as an account-recovery hold (`organisations::invitations`).
pub fn recovery_hold(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
) -> futures_util::future::BoxFuture<'_, QueryResult<Option<DateTime<Utc>>>> {
    Box::pin(latest_open_deadline(conn, organisation))
}
