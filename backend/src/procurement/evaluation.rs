//! After the deadline: opening, the evaluation panel and its conflict declarations,
//! individual scores, moderation, the automatic results, award with assessment summaries,
//! standstill and contract entry (DOMAIN.md, "The evaluation engine").

use super::model::*;
use super::scoring::{self, Bid, Kind, Mark, Score};
use super::submissions::SubmissionRow;
use super::{Access, ProcurementRow, conflict, load, load_managed, rules};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::db::schema::{
    conflict_declarations, evaluator_scores, moderated_scores, organisations, panel_members,
    procurement_lots, procurements, score_sheets, submissions, users,
};
use crate::http::problem::{FieldError, Problem};
use crate::mail::{self, Email, MailContext};
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// Opens the sealed submissions once the deadline has passed (database clock); audited.
pub async fn open(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<i64, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.opened_at.is_some() {
        return Err(conflict(
            "already-opened",
            "The submissions are already open.",
        ));
    }
    let n = diesel::update(
        procurements::table
            .find(id)
            .filter(procurements::opened_at.is_null())
            .filter(procurements::published_at.is_not_null())
            .filter(procurements::cancelled_at.is_null())
            .filter(procurements::submission_deadline.le(diesel::dsl::now)),
    )
    .set((
        procurements::opened_at.eq(diesel::dsl::now),
        procurements::opened_by.eq(user.id),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(conflict(
            "deadline-not-passed",
            format!(
                "Submissions stay sealed until the deadline, {}.",
                crate::calendar::london_time(row.submission_deadline)
            ),
        ));
    }
    let count = bids(conn, id).await?.len() as i64;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.opened", "procurement", id)
            .with_details(serde_json::json!({"submissions": count})),
    )
    .await?;
    Ok(count)
}

/// The submissions in the competition (submitted, not withdrawn).
pub async fn bids(
    conn: &mut AsyncPgConnection,
    procurement_id: Uuid,
) -> QueryResult<Vec<SubmissionRow>> {
    submissions::table
        .filter(submissions::procurement_id.eq(procurement_id))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .order(submissions::submitted_at)
        .select(SubmissionRow::as_select())
        .load(conn)
        .await
}

/// A panel member as the commissioner sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PanelMember {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub declared_at: Option<DateTime<Utc>>,
    /// Bidders this evaluator declared a conflict with (names).
    pub conflicts: Vec<String>,
}

/// Sets the panel (commissioners): evaluators of the same council. Members who already
/// declared keep their declarations.
pub async fn assign_panel(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    evaluator_ids: &[Uuid],
) -> Result<Vec<PanelMember>, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.awarded_at.is_some() {
        return Err(conflict(
            "procurement-awarded",
            "The procurement has been awarded.",
        ));
    }
    let mut ids = evaluator_ids.to_vec();
    ids.sort();
    ids.dedup();
    let valid: i64 = users::table
        .filter(users::id.eq_any(&ids))
        .filter(users::role.eq(Role::Evaluator))
        .filter(users::active.eq(true))
        .filter(users::organisation_id.eq(row.council_id))
        .count()
        .get_result(conn)
        .await?;
    if ids.is_empty() || valid != ids.len() as i64 {
        return Err(Problem::validation(vec![FieldError::new(
            "evaluator_ids",
            "Choose at least one evaluator; each must be an active evaluator of this council",
        )]));
    }
    diesel::delete(
        panel_members::table
            .filter(panel_members::procurement_id.eq(id))
            .filter(panel_members::user_id.ne_all(&ids)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = ids
        .iter()
        .map(|u| {
            (
                panel_members::procurement_id.eq(id),
                panel_members::user_id.eq(*u),
                panel_members::assigned_by.eq(user.id),
            )
        })
        .collect();
    diesel::insert_into(panel_members::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.panel_set", "procurement", id)
            .with_details(serde_json::json!({"evaluators": ids})),
    )
    .await?;
    panel(conn, id).await.map_err(Into::into)
}

/// The panel and each member's declarations.
pub async fn panel(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<PanelMember>> {
    let members: Vec<(Uuid, String, String, Option<DateTime<Utc>>)> = panel_members::table
        .inner_join(users::table)
        .filter(panel_members::procurement_id.eq(id))
        .order(users::name)
        .select((
            users::id,
            users::name,
            users::email,
            panel_members::declared_at,
        ))
        .load(conn)
        .await?;
    let conflicts: Vec<(Uuid, String)> = conflict_declarations::table
        .inner_join(
            organisations::table.on(organisations::id.eq(conflict_declarations::organisation_id)),
        )
        .filter(conflict_declarations::procurement_id.eq(id))
        .filter(conflict_declarations::conflicted.eq(true))
        .select((conflict_declarations::user_id, organisations::legal_name))
        .load(conn)
        .await?;
    Ok(members
        .into_iter()
        .map(|(user_id, name, email, declared_at)| PanelMember {
            conflicts: conflicts
                .iter()
                .filter(|c| c.0 == user_id)
                .map(|c| c.1.clone())
                .collect(),
            user_id,
            name,
            email,
            declared_at,
        })
        .collect())
}

/// A bidder an evaluator must declare against.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bidder {
    pub organisation_id: Uuid,
    pub name: String,
    /// The evaluator's declaration, if made.
    pub conflicted: Option<bool>,
    pub details: String,
}

/// The bidders an evaluator on the panel declares against: every organisation with a bid
/// in, known once the deadline has passed.
pub async fn bidders(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<Bidder>, Problem> {
    let (row, access) = load(conn, Some(user), id).await?;
    if access != Access::Panel {
        return Err(Problem::forbidden(
            "Only members of the evaluation panel declare interests.",
        ));
    }
    if row.submission_deadline > super::db_now(conn).await? && row.opened_at.is_none() {
        return Err(conflict(
            "deadline-not-passed",
            "You can declare interests once the deadline has passed and the bidders are known.",
        ));
    }
    let orgs: Vec<(Uuid, String)> = submissions::table
        .inner_join(organisations::table)
        .filter(submissions::procurement_id.eq(id))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .select((organisations::id, organisations::legal_name))
        .distinct()
        .order(organisations::legal_name)
        .load(conn)
        .await?;
    let declared: Vec<(Uuid, bool, String)> = conflict_declarations::table
        .filter(conflict_declarations::procurement_id.eq(id))
        .filter(conflict_declarations::user_id.eq(user.id))
        .select((
            conflict_declarations::organisation_id,
            conflict_declarations::conflicted,
            conflict_declarations::details,
        ))
        .load(conn)
        .await?;
    Ok(orgs
        .into_iter()
        .map(|(organisation_id, name)| {
            let d = declared.iter().find(|d| d.0 == organisation_id);
            Bidder {
                organisation_id,
                name,
                conflicted: d.map(|d| d.1),
                details: d.map(|d| d.2.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

/// One line of an evaluator's declaration.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct DeclarationInput {
    pub organisation_id: Uuid,
    /// Whether the evaluator has any interest in this bidder.
    pub conflicted: bool,
    /// The interest, when there is one.
    #[serde(default)]
    pub details: String,
}

/// Records an evaluator's declarations: one for every bidder, made once. A declared
/// conflict removes the evaluator from that bidder's submission.
pub async fn declare(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &[DeclarationInput],
) -> Result<Vec<Bidder>, Problem> {
    let list = bidders(conn, user, id).await?;
    if list.iter().any(|b| b.conflicted.is_some()) {
        return Err(conflict(
            "already-declared",
            "You have already declared your interests for this procurement. Ask the commissioner if something has changed.",
        ));
    }
    let mut errors = Vec::new();
    for (i, b) in list.iter().enumerate() {
        match input
            .iter()
            .find(|d| d.organisation_id == b.organisation_id)
        {
            None => errors.push(FieldError::new(
                format!("declarations[{i}]"),
                format!("Say whether you have an interest in {}", b.name),
            )),
            Some(d) if d.conflicted && d.details.trim().is_empty() => errors.push(FieldError::new(
                format!("declarations[{i}].details"),
                format!("Describe your interest in {}", b.name),
            )),
            Some(d) if d.details.len() > 5000 => errors.push(FieldError::new(
                format!("declarations[{i}].details"),
                "Use 5,000 characters or fewer",
            )),
            _ => {}
        }
    }
    if input
        .iter()
        .any(|d| !list.iter().any(|b| b.organisation_id == d.organisation_id))
    {
        errors.push(FieldError::new(
            "declarations",
            "Declare only against this procurement's bidders",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let rows: Vec<_> = input
        .iter()
        .map(|d| {
            (
                conflict_declarations::procurement_id.eq(id),
                conflict_declarations::user_id.eq(user.id),
                conflict_declarations::organisation_id.eq(d.organisation_id),
                conflict_declarations::conflicted.eq(d.conflicted),
                conflict_declarations::details.eq(d.details.trim()),
            )
        })
        .collect();
    diesel::insert_into(conflict_declarations::table)
        .values(rows)
        .execute(conn)
        .await?;
    diesel::update(panel_members::table.find((id, user.id)))
        .set(panel_members::declared_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    let conflicts: Vec<Uuid> = input
        .iter()
        .filter(|d| d.conflicted)
        .map(|d| d.organisation_id)
        .collect();
    audit::record(
        conn,
        &user.actor(),
        Entry::new("evaluator.declared", "procurement", id)
            .with_details(serde_json::json!({"bidders": input.len(), "conflicts": conflicts})),
    )
    .await?;
    bidders(conn, user, id).await
}

/// Refuses (403) an evaluator who has not declared, or who declared a conflict with this
/// bidder.
pub async fn check_not_conflicted(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    procurement_id: Uuid,
    organisation_id: Uuid,
) -> Result<(), Problem> {
    let declared: Option<Option<DateTime<Utc>>> = panel_members::table
        .find((procurement_id, user.id))
        .select(panel_members::declared_at)
        .first(conn)
        .await
        .optional()?;
    match declared {
        None => {
            return Err(Problem::forbidden(
                "You are not on this procurement's evaluation panel.",
            ));
        }
        Some(None) => {
            return Err(Problem::new(StatusCode::FORBIDDEN, "declaration-required", "Declare your interests first")
                .with_detail("Before you can see any submission, declare for each bidder whether you have a conflict of interest."));
        }
        Some(Some(_)) => {}
    }
    let conflicted: bool = diesel::select(diesel::dsl::exists(
        conflict_declarations::table
            .filter(conflict_declarations::procurement_id.eq(procurement_id))
            .filter(conflict_declarations::user_id.eq(user.id))
            .filter(conflict_declarations::organisation_id.eq(organisation_id))
            .filter(conflict_declarations::conflicted.eq(true)),
    ))
    .get_result(conn)
    .await?;
    if conflicted {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "conflict-of-interest",
            "You declared a conflict with this bidder",
        )
        .with_detail("Another evaluator will assess this submission."));
    }
    Ok(())
}

/// The bidders' names, in one query.
async fn names_of(
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

/// The questionnaire versions these bids answered, each loaded once.
async fn versions_of(
    conn: &mut AsyncPgConnection,
    procurement_id: Uuid,
    rows: impl Iterator<Item = &SubmissionRow>,
) -> Result<HashMap<i32, Questionnaire>, Problem> {
    let mut versions = HashMap::new();
    for r in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            versions.entry(r.questionnaire_version)
        {
            let (_, q) =
                super::questionnaire(conn, procurement_id, Some(r.questionnaire_version)).await?;
            slot.insert(q);
        }
    }
    Ok(versions)
}

/// What the statuses of a procurement's bids are derived from, loaded in a few queries
/// whatever the number of bids.
struct StatusFacts {
    versions: HashMap<i32, Questionnaire>,
    moderated: HashMap<Uuid, HashSet<String>>,
    sheets_done: HashMap<Uuid, HashSet<Uuid>>,
    panel: Vec<Uuid>,
    conflicts: HashSet<(Uuid, Uuid)>,
}

impl StatusFacts {
    async fn load(
        conn: &mut AsyncPgConnection,
        procurement_id: Uuid,
        rows: &[SubmissionRow],
    ) -> Result<Self, Problem> {
        let versions = versions_of(conn, procurement_id, rows.iter()).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut moderated: HashMap<Uuid, HashSet<String>> = HashMap::new();
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
        let mut sheets_done: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        for (sid, user) in score_sheets::table
            .filter(score_sheets::submission_id.eq_any(&ids))
            .filter(score_sheets::submitted_at.is_not_null())
            .select((score_sheets::submission_id, score_sheets::user_id))
            .load::<(Uuid, Uuid)>(conn)
            .await?
        {
            sheets_done.entry(sid).or_default().insert(user);
        }
        let panel = panel_members::table
            .filter(panel_members::procurement_id.eq(procurement_id))
            .select(panel_members::user_id)
            .load(conn)
            .await?;
        let conflicts = conflict_declarations::table
            .filter(conflict_declarations::procurement_id.eq(procurement_id))
            .filter(conflict_declarations::conflicted.eq(true))
            .select((
                conflict_declarations::user_id,
                conflict_declarations::organisation_id,
            ))
            .load::<(Uuid, Uuid)>(conn)
            .await?
            .into_iter()
            .collect();
        Ok(Self {
            versions,
            moderated,
            sheets_done,
            panel,
            conflicts,
        })
    }

    /// A bid's status (DOMAIN.md's states).
    fn status(&self, procurement: &ProcurementRow, row: &SubmissionRow) -> SubmissionStatus {
        match (
            row.outcome.as_deref(),
            row.withdrawn_at,
            row.submitted_at,
            procurement.opened_at,
        ) {
            (Some("successful"), _, _, _) => SubmissionStatus::Successful,
            (Some(_), _, _, _) => SubmissionStatus::Unsuccessful,
            (_, Some(_), _, _) => SubmissionStatus::Withdrawn,
            (_, _, None, _) => SubmissionStatus::Draft,
            (_, _, Some(_), None) => SubmissionStatus::Submitted,
            _ => {
                let Some(q) = self.versions.get(&row.questionnaire_version) else {
                    return SubmissionStatus::Opened;
                };
                let sealed = row.sealed().unwrap_or_default();
                if q.questions()
                    .any(|x| !rules::passes(x, sealed.answers.get(&x.id)))
                {
                    return SubmissionStatus::Excluded;
                }
                let none = HashSet::new();
                let moderated = self.moderated.get(&row.id).unwrap_or(&none);
                if q.questions()
                    .filter(|x| x.kind.is_marked())
                    .all(|x| moderated.contains(&x.id))
                {
                    return SubmissionStatus::Moderated;
                }
                let eligible: Vec<&Uuid> = self
                    .panel
                    .iter()
                    .filter(|u| !self.conflicts.contains(&(**u, row.organisation_id)))
                    .collect();
                let no_sheets = HashSet::new();
                let done = self.sheets_done.get(&row.id).unwrap_or(&no_sheets);
                if !eligible.is_empty() && eligible.iter().all(|u| done.contains(u)) {
                    SubmissionStatus::Evaluated
                } else {
                    SubmissionStatus::Opened
                }
            }
        }
    }
}

/// A submission's status (DOMAIN.md's states), derived.
pub async fn submission_status(
    conn: &mut AsyncPgConnection,
    procurement: &ProcurementRow,
    row: &SubmissionRow,
) -> Result<SubmissionStatus, Problem> {
    let facts = StatusFacts::load(conn, procurement.id, std::slice::from_ref(row)).await?;
    Ok(facts.status(procurement, row))
}

/// Panel members who may score this bidder (not conflicted with it).
async fn eligible_evaluators(
    conn: &mut AsyncPgConnection,
    procurement_id: Uuid,
    organisation_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    panel_members::table
        .filter(panel_members::procurement_id.eq(procurement_id))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            conflict_declarations::table
                .filter(conflict_declarations::procurement_id.eq(procurement_id))
                .filter(conflict_declarations::user_id.eq(panel_members::user_id))
                .filter(conflict_declarations::organisation_id.eq(organisation_id))
                .filter(conflict_declarations::conflicted.eq(true)),
        )))
        .select(panel_members::user_id)
        .load(conn)
        .await
}

/// What the council sees of the submissions: that each exists, and where it is.
pub async fn list_submissions(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<SubmissionSummary>, Problem> {
    let (row, access) = load(conn, Some(user), id).await?;
    let rows = match access {
        Access::Council => bids(conn, id).await?,
        Access::Panel => {
            let mut visible = Vec::new();
            for b in bids(conn, id).await? {
                if check_not_conflicted(conn, user, id, b.organisation_id)
                    .await
                    .is_ok()
                {
                    visible.push(b);
                }
            }
            visible
        }
        Access::Public => return Err(Problem::not_found("Procurement")),
    };
    let lots = super::lots(conn, id).await?;
    let facts = StatusFacts::load(conn, id, &rows).await?;
    let names = names_of(conn, rows.iter()).await?;
    Ok(rows
        .iter()
        .map(|s| SubmissionSummary {
            id: s.id,
            organisation_id: s.organisation_id,
            organisation_name: names.get(&s.organisation_id).cloned().unwrap_or_default(),
            lot: s
                .lot_id
                .and_then(|l| lots.iter().find(|x| x.id == l).map(|x| x.number)),
            status: facts.status(&row, s),
            submitted_at: s.submitted_at,
        })
        .collect())
}

/// One evaluator's mark for one question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreInput {
    pub question_id: String,
    /// 0 to 5; empty while drafting.
    pub score: Option<i32>,
    #[serde(default)]
    pub reason: String,
}

/// Another evaluator's mark, shown once the reader has submitted their own sheet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluatorMark {
    pub evaluator: String,
    pub question_id: String,
    pub score: Option<i32>,
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

async fn marked_questions(
    conn: &mut AsyncPgConnection,
    row: &SubmissionRow,
) -> Result<Vec<Question>, Problem> {
    let (_, q) =
        super::questionnaire(conn, row.procurement_id, Some(row.questionnaire_version)).await?;
    Ok(q.questions()
        .filter(|x| x.kind.is_marked())
        .cloned()
        .collect())
}

async fn sheet_access(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<(SubmissionRow, ProcurementRow), Problem> {
    user.require(&[Role::Evaluator])?;
    let row = super::submissions::find(conn, submission_id).await?;
    let (procurement, access) = load(conn, Some(user), row.procurement_id)
        .await
        .map_err(|_| Problem::not_found("Submission"))?;
    if !row.is_in() {
        return Err(Problem::not_found("Submission"));
    }
    super::submissions::council_may_read(conn, user, &procurement, access, row.organisation_id)
        .await?;
    Ok((row, procurement))
}

/// The evaluator's sheet for a submission.
pub async fn score_sheet(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<ScoreSheet, Problem> {
    sheet_access(conn, user, submission_id).await?;
    let submitted_at: Option<DateTime<Utc>> = score_sheets::table
        .find((submission_id, user.id))
        .select(score_sheets::submitted_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()?
        .flatten();
    let all: Vec<(Uuid, String, String, Option<i32>, String)> = evaluator_scores::table
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
            reason: r.4.clone(),
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
                reason: r.4.clone(),
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
) -> Result<ScoreSheet, Problem> {
    let (row, procurement) = sheet_access(conn, user, submission_id).await?;
    if procurement.awarded_at.is_some() {
        return Err(conflict(
            "procurement-awarded",
            "The procurement has been awarded.",
        ));
    }
    let questions = marked_questions(conn, &row).await?;
    let mut errors = Vec::new();
    for s in scores {
        if !questions.iter().any(|q| q.id == s.question_id) {
            errors.push(FieldError::new(
                s.question_id.clone(),
                format!("{} is not a scored question", s.question_id),
            ));
        }
        if let Some(v) = s.score
            && let Err(e) = Score::new(v)
        {
            errors.push(FieldError::new(
                s.question_id.clone(),
                format!("{}: {e}", s.question_id),
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
        return Err(Problem::validation(errors));
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
        return Err(conflict(
            "sheet-submitted",
            "You have submitted your scores for this submission; they can no longer change.",
        ));
    }
    for s in scores {
        diesel::insert_into(evaluator_scores::table)
            .values((
                evaluator_scores::submission_id.eq(submission_id),
                evaluator_scores::user_id.eq(user.id),
                evaluator_scores::question_id.eq(&s.question_id),
                evaluator_scores::score.eq(s.score),
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
                    s.question_id == q.id && s.score.is_some() && !s.reason.trim().is_empty()
                })
            })
            .map(|q| {
                FieldError::new(
                    q.id.clone(),
                    format!("{}: give a score from 0 to 5 and the reason for it", q.id),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(Problem::validation(missing).with_detail("Your scores were not submitted."));
        }
        diesel::update(score_sheets::table.find((submission_id, user.id)))
            .set(score_sheets::submitted_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("evaluation.scores_submitted", "submission", submission_id)
                .with_details(serde_json::json!({"procurement_id": row.procurement_id})),
        )
        .await?;
    }
    score_sheet(conn, user, submission_id).await
}

/// One question of one submission at moderation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationItem {
    pub question_id: String,
    pub question: String,
    pub weight: u32,
    pub individual: Vec<EvaluatorMark>,
    pub moderated_score: Option<i32>,
    pub moderated_reason: Option<String>,
}

/// A procurement the user manages whose bids are open; before opening, the "sealed" 403.
async fn load_opened(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<ProcurementRow, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.opened_at.is_none() {
        return Err(super::submissions::sealed());
    }
    Ok(row)
}

/// A submission at moderation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationSubmission {
    pub submission_id: Uuid,
    pub organisation_name: String,
    pub lot: Option<i32>,
    /// Evaluators who may score it and have not yet submitted.
    pub waiting_for: Vec<String>,
    pub items: Vec<ModerationItem>,
}

/// Individual scores side by side with reasons, and the moderated scores (commissioners).
pub async fn moderation(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<ModerationSubmission>, Problem> {
    load_opened(conn, user, id).await?;
    let lots = super::lots(conn, id).await?;
    let mut out = Vec::new();
    for s in bids(conn, id).await? {
        let questions = marked_questions(conn, &s).await?;
        let name: String = organisations::table
            .find(s.organisation_id)
            .select(organisations::legal_name)
            .first(conn)
            .await?;
        let eligible = eligible_evaluators(conn, id, s.organisation_id).await?;
        let marks: Vec<(String, String, Option<i32>, String)> = evaluator_scores::table
            .inner_join(users::table.on(users::id.eq(evaluator_scores::user_id)))
            .inner_join(
                score_sheets::table.on(score_sheets::submission_id
                    .eq(evaluator_scores::submission_id)
                    .and(score_sheets::user_id.eq(evaluator_scores::user_id))),
            )
            .filter(evaluator_scores::submission_id.eq(s.id))
            .filter(score_sheets::submitted_at.is_not_null())
            // Only current panel members: someone removed from the panel no longer counts.
            .filter(evaluator_scores::user_id.eq_any(&eligible))
            .order(users::name)
            .select((
                users::name,
                evaluator_scores::question_id,
                evaluator_scores::score,
                evaluator_scores::reason,
            ))
            .load(conn)
            .await?;
        let moderated: Vec<(String, i32, String)> = moderated_scores::table
            .filter(moderated_scores::submission_id.eq(s.id))
            .select((
                moderated_scores::question_id,
                moderated_scores::score,
                moderated_scores::reason,
            ))
            .load(conn)
            .await?;
        let waiting: Vec<String> = users::table
            .filter(users::id.eq_any(&eligible))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                score_sheets::table
                    .filter(score_sheets::submission_id.eq(s.id))
                    .filter(score_sheets::user_id.eq(users::id))
                    .filter(score_sheets::submitted_at.is_not_null()),
            )))
            .order(users::name)
            .select(users::name)
            .load(conn)
            .await?;
        out.push(ModerationSubmission {
            submission_id: s.id,
            organisation_name: name,
            lot: s
                .lot_id
                .and_then(|l| lots.iter().find(|x| x.id == l).map(|x| x.number)),
            waiting_for: waiting,
            items: questions
                .iter()
                .map(|q| {
                    let m = moderated.iter().find(|m| m.0 == q.id);
                    ModerationItem {
                        question_id: q.id.clone(),
                        question: q.title.clone(),
                        weight: q.weight.unwrap_or(0),
                        individual: marks
                            .iter()
                            .filter(|x| x.1 == q.id)
                            .map(|x| EvaluatorMark {
                                evaluator: x.0.clone(),
                                question_id: x.1.clone(),
                                score: x.2,
                                reason: x.3.clone(),
                            })
                            .collect(),
                        moderated_score: m.map(|m| m.1),
                        moderated_reason: m.map(|m| m.2.clone()),
                    }
                })
                .collect(),
        });
    }
    Ok(out)
}

/// A bid its commissioner may still judge: opened, in the competition, not yet awarded.
/// Anything else about the bid is a 404, so ids reveal nothing.
async fn bid_under_evaluation(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<(SubmissionRow, ProcurementRow), Problem> {
    user.require(&[Role::Commissioner])?;
    let row = super::submissions::find(conn, submission_id).await?;
    let procurement = load_managed(conn, user, row.procurement_id)
        .await
        .map_err(|_| Problem::not_found("Submission"))?;
    if procurement.opened_at.is_none() || !row.is_in() {
        return Err(Problem::not_found("Submission"));
    }
    if procurement.awarded_at.is_some() {
        return Err(conflict(
            "procurement-awarded",
            "The procurement has been awarded.",
        ));
    }
    Ok((row, procurement))
}

/// Records the agreed score and reason for one question of one submission
/// (commissioners), once every eligible evaluator has submitted.
pub async fn moderate(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    question_id: &str,
    score: i32,
    reason: &str,
) -> Result<(), Problem> {
    let (row, _) = bid_under_evaluation(conn, user, submission_id).await?;
    let questions = marked_questions(conn, &row).await?;
    let mut errors = Vec::new();
    if !questions.iter().any(|q| q.id == question_id) {
        errors.push(FieldError::new("question_id", "Choose a scored question"));
    }
    if let Err(e) = Score::new(score) {
        errors.push(FieldError::new("score", e.to_string()));
    }
    if reason.trim().is_empty() || reason.len() > rules::TEXT_MAX {
        errors.push(FieldError::new(
            "reason",
            "Give the reason for the agreed score; the bidder will read it",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let eligible = eligible_evaluators(conn, row.procurement_id, row.organisation_id).await?;
    let done: i64 = score_sheets::table
        .filter(score_sheets::submission_id.eq(submission_id))
        .filter(score_sheets::user_id.eq_any(&eligible))
        .filter(score_sheets::submitted_at.is_not_null())
        .count()
        .get_result(conn)
        .await?;
    if eligible.is_empty() || done < eligible.len() as i64 {
        return Err(conflict(
            "evaluation-incomplete",
            "Every evaluator on the panel must submit their scores for this submission before moderation.",
        ));
    }
    diesel::insert_into(moderated_scores::table)
        .values((
            moderated_scores::submission_id.eq(submission_id),
            moderated_scores::question_id.eq(question_id),
            moderated_scores::score.eq(score),
            moderated_scores::reason.eq(reason.trim()),
            moderated_scores::moderated_by.eq(user.id),
        ))
        .on_conflict((
            moderated_scores::submission_id,
            moderated_scores::question_id,
        ))
        .do_update()
        .set((
            moderated_scores::score.eq(score),
            moderated_scores::reason.eq(reason.trim()),
            moderated_scores::moderated_by.eq(user.id),
            moderated_scores::moderated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("evaluation.moderated", "submission", submission_id)
            .with_details(serde_json::json!({"question_id": question_id, "score": score})),
    )
    .await?;
    Ok(())
}

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
    pub total: String,
    /// Why the bid is excluded, in words; `None` when it is compliant.
    pub excluded: Option<String>,
    pub abnormally_low: bool,
    /// The commissioner's record of checking an abnormally low price.
    pub price_check: Option<String>,
    /// After award: `successful` or `unsuccessful`.
    pub outcome: Option<String>,
    pub rank: Option<u32>,
    /// The working behind every figure.
    pub working: Vec<String>,
    /// Moderated marks per question: (question id, title, weight, score, reason).
    #[serde(skip)]
    pub marks: Vec<(String, String, u32, i32, String)>,
}

/// The results of one lot (or of the whole procurement when it has no lots).
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
) -> Result<Vec<LotResults>, Problem> {
    load_opened(conn, user, id).await?;
    compute_results(conn, id).await
}

async fn compute_results(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Vec<LotResults>, Problem> {
    let lots = super::lots(conn, id).await?;
    let all = bids(conn, id).await?;
    let latest = super::latest_version(conn, id).await?;
    let (_, latest_q) = super::questionnaire(conn, id, Some(latest)).await?;
    let quality_weight: u32 = latest_q
        .questions()
        .filter(|q| q.kind == QuestionKind::Scored)
        .filter_map(|q| q.weight)
        .sum();
    let price_weight: u32 = latest_q
        .questions()
        .filter(|q| q.kind.is_price())
        .filter_map(|q| q.weight)
        .sum();
    let priced = price_weight > 0;
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
    let versions = versions_of(conn, id, groups.iter().flat_map(|g| &g.1)).await?;
    let ids: Vec<Uuid> = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|s| s.id))
        .collect();
    let mut all_moderated: HashMap<Uuid, HashMap<String, (i32, String)>> = HashMap::new();
    for (sid, q, score, reason) in moderated_scores::table
        .filter(moderated_scores::submission_id.eq_any(&ids))
        .select((
            moderated_scores::submission_id,
            moderated_scores::question_id,
            moderated_scores::score,
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
    let names = names_of(conn, groups.iter().flat_map(|g| &g.1)).await?;
    let no_marks = HashMap::new();
    let mut out = Vec::new();
    for (lot_id, rows) in groups.drain(..) {
        let mut complete = true;
        let mut input = Vec::new();
        let mut meta = Vec::new();
        for s in &rows {
            let q = &versions[&s.questionnaire_version];
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
                            score: Score::new(*score).map_err(Problem::internal)?,
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
        let evaluations =
            scoring::evaluate(&input, quality_weight, price_weight).map_err(Problem::internal)?;
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
                        total: e.total.to_2dp(),
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
                    b.outcome = r.outcome.clone();
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
) -> Result<(), Problem> {
    let (row, _) = bid_under_evaluation(conn, user, submission_id).await?;
    let note = note.trim();
    if note.is_empty() || note.len() > rules::TEXT_MAX {
        return Err(Problem::validation(vec![FieldError::new(
            "note",
            "Record what you checked (for example the bidder's explanation of its costs against the council's cost model) and what you concluded",
        )]));
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
            .with_details(serde_json::json!({"procurement_id": row.procurement_id})),
    )
    .await?;
    Ok(())
}

/// The award decision: the successful submissions in ranked order (one or several per lot).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AwardInput {
    pub successful: Vec<Uuid>,
}

/// Awards (commissioners): every score moderated; successful bids compliant. Freezes each
/// bidder's assessment summary, emails it, prepares the contract award notice data and
/// starts standstill (DOMAIN.md: the 8 working days beginning with the day of publication).
pub async fn award(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    input: &AwardInput,
) -> Result<ProcurementView, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.opened_at.is_none() {
        return Err(conflict(
            "not-opened",
            "Open and evaluate the submissions before awarding.",
        ));
    }
    if row.awarded_at.is_some() || row.cancelled_at.is_some() {
        return Err(conflict(
            "procurement-awarded",
            "The procurement has already been awarded or was cancelled.",
        ));
    }
    let results = compute_results(conn, id).await?;
    if results.iter().any(|r| !r.bids.is_empty() && !r.complete) {
        return Err(conflict(
            "moderation-incomplete",
            "Moderate every scored question of every submission before awarding.",
        ));
    }
    let mut errors = Vec::new();
    if input.successful.is_empty() {
        errors.push(FieldError::new(
            "successful",
            "Choose at least one successful bidder",
        ));
    }
    for s in &input.successful {
        match results
            .iter()
            .flat_map(|r| &r.bids)
            .find(|b| b.submission_id == *s)
        {
            None => errors.push(FieldError::new(
                "successful",
                "Choose from this procurement's submissions",
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
    let mut unique = input.successful.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != input.successful.len() {
        errors.push(FieldError::new("successful", "Choose each bidder once"));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let now = super::db_now(conn).await?;
    // No standstill (0 days) ends at once; otherwise the calendar counts working days.
    let ends = if row.standstill_working_days == 0 {
        now
    } else {
        crate::calendar::Calendar::uk()
            .standstill_ends(now, row.standstill_working_days as u32)
            .map_err(|e| {
                conflict(
                    "calendar",
                    format!("Standstill cannot be computed: {e}. An administrator must add the bank holidays for the coming years."),
                )
            })?
    };
    let ends_text = crate::calendar::london_time(ends);
    let mut winners = Vec::new();
    for lot in &results {
        // The successful tender this lot's bidders are compared with: the first chosen.
        let first = input
            .successful
            .iter()
            .find_map(|s| lot.bids.iter().find(|b| b.submission_id == *s));
        for bid in &lot.bids {
            // Rank among this lot's successful bids, in the order chosen.
            let position = input
                .successful
                .iter()
                .filter(|s| lot.bids.iter().any(|b| b.submission_id == **s))
                .position(|s| *s == bid.submission_id);
            let successful = position.is_some();
            let summary = summary(&row, lot, bid, first, successful, &ends_text);
            diesel::update(submissions::table.find(bid.submission_id))
                .set((
                    submissions::outcome.eq(if successful {
                        "successful"
                    } else {
                        "unsuccessful"
                    }),
                    submissions::award_rank.eq(position.map(|p| p as i32 + 1)),
                    submissions::assessment_summary.eq(&summary),
                ))
                .execute(conn)
                .await?;
            if successful {
                winners.push(bid.clone());
            }
            let recipients: Vec<(String, String, Uuid)> = users::table
                .inner_join(
                    submissions::table.on(submissions::submitted_by.eq(users::id.nullable())),
                )
                .filter(submissions::id.eq(bid.submission_id))
                .filter(users::active.eq(true))
                .select((users::email, users::name, users::id))
                .load(conn)
                .await?;
            for (to_address, to_name, user_id) in recipients {
                mail::enqueue(
                    conn,
                    mail_context,
                    Email {
                        template: "assessment_summary",
                        to_address,
                        to_name,
                        user_id: Some(user_id),
                        reason: format!(
                            "You received this email because you submitted {}'s bid for {}.",
                            bid.organisation_name, row.reference
                        ),
                        optional_kind: None,
                        data: summary.clone(),
                    },
                )
                .await?;
            }
        }
    }
    let notice = award_notice(conn, &row, &results, &winners, now, ends).await?;
    let n = diesel::update(
        procurements::table
            .find(id)
            .filter(procurements::awarded_at.is_null()),
    )
    .set((
        procurements::awarded_at.eq(now),
        procurements::awarded_by.eq(user.id),
        procurements::award_notice.eq(&notice),
        procurements::standstill_ends_at.eq(ends),
        procurements::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(conflict(
            "procurement-awarded",
            "The procurement has already been awarded.",
        ));
    }
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.awarded", "procurement", id).with_details(serde_json::json!({
            "successful": input.successful,
            "standstill_ends_at": ends,
        })),
    )
    .await?;
    let (row, _) = load(conn, Some(user), id).await?;
    super::view(conn, &row).await
}

/// A bidder's assessment summary: its own scores and reasons per criterion and, for each,
/// the successful tender's score and reasons; nothing of any other bidder.
fn summary(
    procurement: &ProcurementRow,
    lot: &LotResults,
    bid: &BidResult,
    winner: Option<&BidResult>,
    successful: bool,
    standstill_ends: &str,
) -> serde_json::Value {
    let criteria: Vec<serde_json::Value> = bid
        .marks
        .iter()
        .map(|(qid, title, weight, score, reason)| {
            let w = winner
                .filter(|w| w.submission_id != bid.submission_id)
                .and_then(|w| w.marks.iter().find(|m| m.0 == *qid));
            serde_json::json!({
                "question_id": qid,
                "question": title,
                "weight": weight,
                "your_score": score,
                "your_score_meaning": Score::new(*score).map(|s| s.meaning()).unwrap_or(""),
                "your_reason": reason,
                "has_winner": w.is_some(),
                "winning_score": w.map(|m| m.3),
                "winning_score_meaning": w.and_then(|m| Score::new(m.3).ok()).map(|s| s.meaning()),
                "winning_reason": w.map(|m| m.4.clone()),
            })
        })
        .collect();
    serde_json::json!({
        "reference": procurement.reference,
        "title": procurement.title,
        "lot": lot.lot.map(|n| format!("Lot {n}: {}", lot.lot_title.clone().unwrap_or_default())),
        "organisation_name": bid.organisation_name,
        "successful": successful,
        "excluded": bid.excluded,
        "your_quality": bid.quality,
        "your_social_value": bid.social_value,
        "your_price_score": bid.price_score,
        "your_total": bid.total,
        "your_price": bid.price_pence.map(rules::pounds),
        "winning_total": winner.filter(|w| w.submission_id != bid.submission_id).map(|w| w.total.clone()),
        "winning_price_score": winner.filter(|w| w.submission_id != bid.submission_id).and_then(|w| w.price_score.clone()),
        "criteria": criteria,
        "standstill_ends": standstill_ends,
    })
}

/// The contract award notice's data (UK6 on Find a Tender), ready for publication.
async fn award_notice(
    conn: &mut AsyncPgConnection,
    row: &ProcurementRow,
    results: &[LotResults],
    winners: &[BidResult],
    awarded_at: DateTime<Utc>,
    standstill_ends: DateTime<Utc>,
) -> Result<serde_json::Value, Problem> {
    let mut suppliers = Vec::new();
    for w in winners {
        let (name, ch, town, postcode): (String, Option<String>, String, String) =
            organisations::table
                .find(w.organisation_id)
                .select((
                    organisations::legal_name,
                    organisations::companies_house_number,
                    organisations::town,
                    organisations::postcode,
                ))
                .first(conn)
                .await?;
        let lot = results
            .iter()
            .find(|r| r.bids.iter().any(|b| b.submission_id == w.submission_id))
            .and_then(|r| r.lot);
        suppliers.push(serde_json::json!({
            "name": name, "companies_house_number": ch, "town": town, "postcode": postcode,
            "lot": lot, "price_pence": w.price_pence, "total_score": w.total,
        }));
    }
    let lot_titles: BTreeMap<i32, String> = procurement_lots::table
        .filter(procurement_lots::procurement_id.eq(row.id))
        .select((procurement_lots::number, procurement_lots::title))
        .load::<(i32, String)>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(serde_json::json!({
        "notice_type": "UK6",
        "notice_name": "Contract award notice",
        "procurement_reference": row.reference,
        "title": row.title,
        "regime": row.regime,
        "light_touch": row.light_touch,
        "procedure": row.procedure,
        "estimated_value_pence": row.estimated_value_pence,
        "lots": lot_titles,
        "tenders_received": results.iter().map(|r| r.bids.len()).sum::<usize>(),
        "suppliers": suppliers,
        "award_decision_date": awarded_at,
        "standstill_working_days": row.standstill_working_days,
        "standstill_ends_at": standstill_ends,
    }))
}

/// Records that the contract was entered into: refused before standstill ends, by the
/// database clock.
pub async fn enter_contract(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Problem> {
    let row = load_managed(conn, user, id).await?;
    let Some(ends) = row.standstill_ends_at else {
        return Err(conflict("not-awarded", "Award the contract first."));
    };
    if row.contract_entered_at.is_some() {
        return Err(conflict(
            "contract-entered",
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
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(conflict(
            "standstill",
            format!(
                "The contract cannot be entered into during standstill, which ends at {}.",
                crate::calendar::london_time(ends)
            ),
        ));
    }
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.contract_entered", "procurement", id),
    )
    .await?;
    Ok(())
}

/// The award notice data, for the council.
pub async fn notice(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<serde_json::Value, Problem> {
    let row = load_managed(conn, user, id).await?;
    row.award_notice.ok_or_else(|| {
        conflict(
            "not-awarded",
            "The notice is prepared when the contract is awarded.",
        )
    })
}
