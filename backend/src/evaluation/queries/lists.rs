//! The council's list of a competition's submissions and a provider's own list, each in a
//! fixed number of statements whatever its length (decision 0020).

use super::status::{StatusInputs, status_of};
use crate::auth::{AuthUser, Role};
use crate::db::schema::competitions as competition_table;
use crate::db::schema::{competition_lots, submissions};
use crate::db::statement::{Param, Statement};
use crate::evaluation::competitions::{self, Access};
use crate::evaluation::errors::{EvaluationError, Result};
use crate::evaluation::model::*;
use crate::evaluation::questionnaires;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

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
