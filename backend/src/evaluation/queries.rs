//! Reading submissions: the one door to sealed content ([`read`], through
//! [`council_may_read`]), the council's list with each submission's derived status, and a
//! provider's own list. Lists take a fixed number of statements whatever their length.

use super::competitions::{self, Access};
use super::errors::{EvaluationError, Result};
use super::model::*;
use super::{panels, questionnaires, rules};
use crate::auth::{AuthUser, Role};
use crate::db::schema::competitions as competition_table;
use crate::db::schema::{
    clarification_requests, competition_lots, moderated_scores, organisations, panel_members,
    score_sheets, stored_files, submission_files, submissions,
};
use crate::db::statement::{Param, Statement};
use crate::storage::{FileView, StoredFile};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
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

/// What the statuses of a competition's submissions are derived from, loaded in a fixed
/// number of statements whatever the number of submissions.
pub(super) struct StatusFacts {
    pub versions: HashMap<Uuid, QuestionnaireView>,
    moderated: HashMap<Uuid, HashSet<String>>,
    sheets_done: HashMap<Uuid, HashSet<Uuid>>,
    panel: Vec<Uuid>,
    conflicts: HashSet<(Uuid, Uuid)>,
    waiting: HashSet<Uuid>,
}

impl StatusFacts {
    pub async fn load(
        conn: &mut AsyncPgConnection,
        competition: &Competition,
        rows: &[SubmissionRow],
    ) -> Result<Self> {
        let mut version_ids: Vec<Uuid> = rows.iter().map(|r| r.questionnaire_id).collect();
        version_ids.sort();
        version_ids.dedup();
        let versions = questionnaires::by_ids(conn, &version_ids).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut moderated: HashMap<Uuid, HashSet<String>> = HashMap::new();
        let mut sheets_done: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        let mut waiting = HashSet::new();
        let (mut panel, mut conflicts) = (Vec::new(), HashSet::new());
        // Before opening, nothing but the drafts' and seals' own facts counts.
        if competition.opened_at.is_some() {
            for (sid, q) in moderated_scores::table
                .filter(moderated_scores::submission_id.eq_any(&ids))
                .select((
                    moderated_scores::submission_id,
                    moderated_scores::question_id,
                ))
                .load::<(Uuid, String)>(conn)
                .await?
            {
                moderated.entry(sid).or_default().insert(q);
            }
            for (sid, user) in score_sheets::table
                .filter(score_sheets::submission_id.eq_any(&ids))
                .filter(score_sheets::submitted_at.is_not_null())
                .select((score_sheets::submission_id, score_sheets::user_id))
                .load::<(Uuid, Uuid)>(conn)
                .await?
            {
                sheets_done.entry(sid).or_default().insert(user);
            }
            panel = panel_members::table
                .filter(panel_members::competition_id.eq(competition.id))
                .select(panel_members::user_id)
                .load(conn)
                .await?;
            conflicts = panels::conflicts_of(conn, competition.id).await?;
            if competition.outcome_model == OutcomeModel::Admission {
                waiting = clarification_requests::table
                    .filter(clarification_requests::submission_id.eq_any(&ids))
                    .filter(clarification_requests::responded_at.is_null())
                    .select(clarification_requests::submission_id)
                    .load::<Uuid>(conn)
                    .await?
                    .into_iter()
                    .collect();
            }
        }
        Ok(Self {
            versions,
            moderated,
            sheets_done,
            panel,
            conflicts,
            waiting,
        })
    }

    /// A submission's status (DOMAIN.md's states).
    pub fn status(&self, competition: &Competition, row: &SubmissionRow) -> SubmissionStatus {
        let eligible: Vec<&Uuid> = self
            .panel
            .iter()
            .filter(|u| !self.conflicts.contains(&(**u, row.organisation_id)))
            .collect();
        let no_sheets = HashSet::new();
        let done = self.sheets_done.get(&row.id).unwrap_or(&no_sheets);
        let none = HashSet::new();
        let answers = row.sealed().map(|s| s.answers);
        status_of(
            competition,
            &StatusInputs {
                outcome: row.outcome,
                withdrawn: row.withdrawn_at.is_some(),
                submitted: row.submitted_at.is_some(),
                waiting: self.waiting.contains(&row.id),
                version: self.versions.get(&row.questionnaire_id),
                answers: answers.as_ref(),
                moderated: self.moderated.get(&row.id).unwrap_or(&none),
                eligible_markers: eligible.len(),
                marked_by_eligible: eligible.iter().filter(|u| done.contains(**u)).count(),
            },
        )
    }
}

/// What one submission's status is derived from.
pub(super) struct StatusInputs<'a> {
    pub outcome: Option<SubmissionOutcome>,
    pub withdrawn: bool,
    pub submitted: bool,
    /// A clarification the applicant has not answered yet.
    pub waiting: bool,
    /// The questionnaire version it answered.
    pub version: Option<&'a QuestionnaireView>,
    /// The sealed answers (at least those [`rules::deciding_answers`] keeps).
    pub answers: Option<&'a BTreeMap<String, Answer>>,
    /// The questions with a moderated mark.
    pub moderated: &'a HashSet<String>,
    /// Panel members without a conflict with the bidder, and how many of them have
    /// submitted their marks for it.
    pub eligible_markers: usize,
    pub marked_by_eligible: usize,
}

/// A submission's status (DOMAIN.md's states), from its facts alone.
pub(super) fn status_of(competition: &Competition, row: &StatusInputs<'_>) -> SubmissionStatus {
    if let Some(outcome) = row.outcome {
        return SubmissionStatus::of(outcome);
    }
    if row.withdrawn {
        return SubmissionStatus::Withdrawn;
    }
    if !row.submitted {
        return SubmissionStatus::Draft;
    }
    if competition.opened_at.is_none() {
        return SubmissionStatus::Submitted;
    }
    if row.waiting {
        return SubmissionStatus::ClarificationRequested;
    }
    let Some(q) = row.version else {
        return SubmissionStatus::Opened;
    };
    let q = &q.questionnaire;
    let none = BTreeMap::new();
    let answers = row.answers.unwrap_or(&none);
    if q.questions().any(|x| !rules::passes(x, answers.get(&x.id))) {
        return SubmissionStatus::Excluded;
    }
    if q.questions()
        .filter(|x| x.kind.is_marked())
        .all(|x| row.moderated.contains(&x.id))
    {
        return SubmissionStatus::Moderated;
    }
    if row.eligible_markers > 0 && row.marked_by_eligible == row.eligible_markers {
        SubmissionStatus::Evaluated
    } else {
        SubmissionStatus::Opened
    }
}

/// The bidders' names, in one query.
pub(super) async fn names_of(
    conn: &mut AsyncPgConnection,
    rows: impl Iterator<Item = &SubmissionRow>,
) -> QueryResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = rows.map(|r| r.organisation_id).collect();
    Ok(organisations::table
        .filter(organisations::id.eq_any(&ids))
        .select((organisations::id, organisations::legal_name))
        .load::<(Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect())
}

/// One row of the council's list with every fact its status is derived from.
#[derive(QueryableByName)]
struct Listed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    organisation_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    organisation_name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    lot_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    lot: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    questionnaire_id: Uuid,
    /// The sealed answers that decide exclusion and price (not the long text ones).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    answers: Option<serde_json::Value>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    submitted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::db::schema::sql_types::SubmissionOutcome>)]
    outcome: Option<SubmissionOutcome>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    waiting: bool,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    moderated: Vec<String>,
    /// Evaluators who have submitted their marks for it.
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Uuid>)]
    marked_by: Vec<Uuid>,
    /// Evaluators who declared a conflict with its bidder.
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Uuid>)]
    conflicted: Vec<Uuid>,
    /// The competition's panel.
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Uuid>)]
    panel: Vec<Uuid>,
}

/// The submissions in the competition with their bidder, lot and status facts, in one
/// statement whatever their number: the facts are aggregated once per table and joined
/// (never a subquery per row), and of the sealed bid only the answers that decide
/// exclusion and price (`deciding_answers`, copied when it was sealed) are read. `params.marker` (an evaluator) narrows the list
/// to the bidders they may mark: none until they have declared, never one they are
/// conflicted with. Prepared once per connection ([`Statement`]).
const LISTED: &str = "
, entered AS (
  SELECT s.id, s.organisation_id, s.lot_id, s.questionnaire_id, s.deciding_answers,
         s.submitted_at, s.outcome
    FROM params, submissions s
   WHERE s.competition_id = params.competition
     AND s.submitted_at IS NOT NULL AND s.withdrawn_at IS NULL
     AND (params.marker IS NULL OR (
          EXISTS (SELECT 1 FROM panel_members me
                   WHERE me.competition_id = s.competition_id AND me.user_id = params.marker
                     AND me.declared_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM conflict_declarations d
                           WHERE d.competition_id = s.competition_id
                             AND d.user_id = params.marker
                             AND d.organisation_id = s.organisation_id AND d.conflicted)))
)
SELECT e.id, e.organisation_id, o.legal_name AS organisation_name, e.lot_id, l.number AS lot,
       e.questionnaire_id,
       e.deciding_answers AS answers,
       e.submitted_at, e.outcome,
       w.submission_id IS NOT NULL AS waiting,
       COALESCE(m.questions, '{}') AS moderated,
       COALESCE(sh.users, '{}') AS marked_by,
       COALESCE(cf.users, '{}') AS conflicted,
       pm.users AS panel
  FROM params
 CROSS JOIN entered e
  JOIN organisations o ON o.id = e.organisation_id
  LEFT JOIN competition_lots l ON l.id = e.lot_id
  LEFT JOIN (SELECT DISTINCT c.submission_id FROM clarification_requests c
              WHERE c.responded_at IS NULL AND c.submission_id IN (SELECT id FROM entered)) w
         ON w.submission_id = e.id
  LEFT JOIN (SELECT ms.submission_id, array_agg(ms.question_id) AS questions
               FROM moderated_scores ms WHERE ms.submission_id IN (SELECT id FROM entered)
              GROUP BY 1) m ON m.submission_id = e.id
  LEFT JOIN (SELECT ss.submission_id, array_agg(ss.user_id) AS users
               FROM score_sheets ss
              WHERE ss.submitted_at IS NOT NULL AND ss.submission_id IN (SELECT id FROM entered)
              GROUP BY 1) sh ON sh.submission_id = e.id
  LEFT JOIN (SELECT cd.organisation_id, array_agg(cd.user_id) AS users
               FROM params p, conflict_declarations cd
              WHERE cd.competition_id = p.competition AND cd.conflicted
              GROUP BY 1) cf ON cf.organisation_id = e.organisation_id
 CROSS JOIN (SELECT COALESCE(array_agg(pa.user_id), '{}') AS users
               FROM params p, panel_members pa WHERE pa.competition_id = p.competition) pm
 ORDER BY e.submitted_at, e.id";

/// What the council sees of the submissions: that each exists, and where it is. An
/// evaluator sees only the bidders they may mark.
pub async fn list_submissions(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<SubmissionSummary>> {
    let (competition, access) = competitions::load(conn, Some(user), id).await?;
    list_submissions_in(conn, user, &competition, access).await
}

/// [`list_submissions`] of a competition the owner has already loaded with the reader's
/// access (as a tender's handler does): at most two statements, (once opened) the
/// competition's questionnaire versions, and the rows with every fact their statuses need.
pub async fn list_submissions_in(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition: &Competition,
    access: Access,
) -> Result<Vec<SubmissionSummary>> {
    let marker = match access {
        Access::Council => None,
        Access::Panel => Some(user.id),
        Access::Public => return Err(EvaluationError::NotFound("Competition")),
    };
    // Before opening the statuses need no questionnaire.
    let versions: HashMap<Uuid, QuestionnaireView> = if competition.opened_at.is_some() {
        questionnaires::all_of(conn, competition.id)
            .await?
            .into_iter()
            .map(|v| (v.version.id, v))
            .collect()
    } else {
        HashMap::new()
    };
    let rows: Vec<Listed> = Statement::new(LISTED)
        .bind("competition", Param::Uuid(competition.id))
        .bind("marker", Param::OptionalUuid(marker))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let moderated: HashSet<String> = r.moderated.into_iter().collect();
            let eligible: Vec<&Uuid> = r
                .panel
                .iter()
                .filter(|u| !r.conflicted.contains(u))
                .collect();
            let answers: Option<BTreeMap<String, Answer>> =
                r.answers.and_then(|v| serde_json::from_value(v).ok());
            let status = status_of(
                competition,
                &StatusInputs {
                    outcome: r.outcome,
                    withdrawn: false,
                    submitted: r.submitted_at.is_some(),
                    waiting: r.waiting,
                    version: versions.get(&r.questionnaire_id),
                    answers: answers.as_ref(),
                    moderated: &moderated,
                    eligible_markers: eligible.len(),
                    marked_by_eligible: eligible.iter().filter(|u| r.marked_by.contains(u)).count(),
                },
            );
            SubmissionSummary {
                id: r.id,
                organisation_id: r.organisation_id,
                organisation_name: r.organisation_name,
                lot_id: r.lot_id,
                lot: r.lot,
                status,
                submitted_at: r.submitted_at,
            }
        })
        .collect())
}

/// A provider's submission in its list.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct MySubmission {
    pub id: Uuid,
    pub competition_id: Uuid,
    pub reference: String,
    pub title: String,
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    pub submission_deadline: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub outcome: Option<SubmissionOutcome>,
}

/// The provider organisation's submissions, newest deadline first (at most 200).
pub async fn mine(conn: &mut AsyncPgConnection, user: &AuthUser) -> Result<Vec<MySubmission>> {
    user.require(&[Role::Provider])?;
    Ok(submissions::table
        .inner_join(competition_table::table)
        .left_join(
            competition_lots::table.on(submissions::lot_id.eq(competition_lots::id.nullable())),
        )
        .filter(submissions::organisation_id.eq(user.organisation_id))
        .order((
            competition_table::submission_deadline.desc(),
            submissions::id,
        ))
        .limit(200)
        .select((
            submissions::id,
            competition_table::id,
            competition_table::reference,
            competition_table::title,
            submissions::lot_id,
            competition_lots::number.nullable(),
            competition_table::submission_deadline,
            submissions::submitted_at,
            submissions::withdrawn_at,
            submissions::outcome,
        ))
        .load(conn)
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
