//! Each submission's status, derived from the facts loaded with it: one place for the
//! rule that the list, a single bid and moderation all show.

use crate::db::schema::{
    clarification_requests, moderated_scores, organisations, panel_members, score_sheets,
};
use crate::evaluation::errors::Result;
use crate::evaluation::model::*;
use crate::evaluation::{panels, questionnaires, rules};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// What the statuses of a competition's submissions are derived from, loaded in a fixed
/// number of statements whatever the number of submissions.
pub(in crate::evaluation) struct StatusFacts {
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
pub(in crate::evaluation) struct StatusInputs<'a> {
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
pub(in crate::evaluation) fn status_of(
    competition: &Competition,
    row: &StatusInputs<'_>,
) -> SubmissionStatus {
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
pub(in crate::evaluation) async fn names_of(
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
