//! Questionnaires, one per lot, versioned. A competition's own questionnaire (`lot_id`
//! null) is answered on every lot without one of its own. Before publication a draft
//! changes in place; afterwards every change is a new version, drafts move to it, and a
//! submitted bid keeps the version it answered until it is submitted again.

use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::rules;
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::db::schema::{competition_lots, competitions, questionnaire_versions, submissions};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

type Row = (
    Uuid,
    Option<Uuid>,
    i32,
    serde_json::Value,
    String,
    Option<DateTime<Utc>>,
);

fn columns() -> (
    questionnaire_versions::id,
    questionnaire_versions::lot_id,
    questionnaire_versions::version,
    questionnaire_versions::document,
    questionnaire_versions::change_note,
    questionnaire_versions::frozen_at,
) {
    (
        questionnaire_versions::id,
        questionnaire_versions::lot_id,
        questionnaire_versions::version,
        questionnaire_versions::document,
        questionnaire_versions::change_note,
        questionnaire_versions::frozen_at,
    )
}

fn view((id, lot_id, version, document, change_note, frozen_at): Row) -> Result<QuestionnaireView> {
    Ok(QuestionnaireView {
        version: QuestionnaireVersion {
            id,
            lot_id,
            version,
            change_note,
            frozen_at,
        },
        questionnaire: serde_json::from_value(document)
            .map_err(|e| EvaluationError::Internal(e.into()))?,
    })
}

/// A questionnaire version by id.
pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> Result<QuestionnaireView> {
    let row: Row = questionnaire_versions::table
        .find(id)
        .select(columns())
        .first(conn)
        .await?;
    view(row)
}

/// Several versions by id, each loaded once (for lists of submissions).
pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, QuestionnaireView>> {
    let rows: Vec<Row> = questionnaire_versions::table
        .filter(questionnaire_versions::id.eq_any(ids))
        .select(columns())
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|r| view(r).map(|v| (v.version.id, v)))
        .collect()
}

/// Every version of every questionnaire of the competition, in one statement (a handful:
/// one scope per lot at most, a version per change).
pub async fn all_of(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
) -> Result<Vec<QuestionnaireView>> {
    let rows: Vec<Row> = questionnaire_versions::table
        .filter(questionnaire_versions::competition_id.eq(competition_id))
        .order(questionnaire_versions::version)
        .select(columns())
        .load(conn)
        .await?;
    rows.into_iter().map(view).collect()
}

/// Among `all` (a competition's versions, [`all_of`]), the one a submission on `lot`
/// answers now: as [`current`], without a query.
pub fn current_among(all: &[QuestionnaireView], lot: Option<Uuid>) -> Option<&QuestionnaireView> {
    let newest = |scope: Option<Uuid>| {
        all.iter()
            .filter(|v| v.version.lot_id == scope)
            .max_by_key(|v| v.version.version)
    };
    lot.and_then(|l| newest(Some(l))).or_else(|| newest(None))
}

/// The newest version of exactly this scope (`lot` `None`: the competition's own), if it
/// has one.
pub async fn latest_of_scope(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
    lot: Option<Uuid>,
) -> Result<Option<QuestionnaireView>> {
    let mut query = questionnaire_versions::table
        .filter(questionnaire_versions::competition_id.eq(competition_id))
        .into_boxed();
    query = match lot {
        Some(l) => query.filter(questionnaire_versions::lot_id.eq(l)),
        None => query.filter(questionnaire_versions::lot_id.is_null()),
    };
    let row: Option<Row> = query
        .order(questionnaire_versions::version.desc())
        .select(columns())
        .first(conn)
        .await
        .optional()?;
    row.map(view).transpose()
}

/// The questionnaire a submission on `lot` answers now: the lot's own newest version if it
/// has one, else the competition's.
pub async fn current(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
    lot: Option<Uuid>,
) -> Result<QuestionnaireView> {
    if let Some(l) = lot
        && let Some(own) = latest_of_scope(conn, competition_id, Some(l)).await?
    {
        return Ok(own);
    }
    latest_of_scope(conn, competition_id, None)
        .await?
        .ok_or(EvaluationError::NotFound("Questionnaire"))
}

/// Question ids used by any version of any of the competition's questionnaires: a removed
/// question's id is never reused for a different question.
async fn used_ids(conn: &mut AsyncPgConnection, competition_id: Uuid) -> QueryResult<Vec<String>> {
    let documents: Vec<serde_json::Value> = questionnaire_versions::table
        .filter(questionnaire_versions::competition_id.eq(competition_id))
        .select(questionnaire_versions::document)
        .load(conn)
        .await?;
    Ok(documents
        .into_iter()
        .filter_map(|d| serde_json::from_value::<Questionnaire>(d).ok())
        .flat_map(|q| q.questions().map(|q| q.id.clone()).collect::<Vec<_>>())
        .collect())
}

/// Whether every questionnaire a submission could answer is complete for the outcome
/// model (weights add up, every question has its details); else 422 saying which.
pub async fn check_ready(conn: &mut AsyncPgConnection, competition: &Competition) -> Result<()> {
    let lots = super::competitions::lots(conn, competition.id).await?;
    let mut scopes: Vec<(Option<&Lot>, QuestionnaireView)> = Vec::new();
    if lots.is_empty() {
        scopes.push((None, current(conn, competition.id, None).await?));
    } else {
        for lot in &lots {
            scopes.push((
                Some(lot),
                current(conn, competition.id, Some(lot.id)).await?,
            ));
        }
    }
    let mut errors = Vec::new();
    for (lot, mut q) in scopes {
        if let Err(e) =
            rules::normalise_questionnaire(&mut q.questionnaire, &[], competition.outcome_model)
        {
            let prefix = lot
                .map(|l| format!("Lot {}: ", l.number))
                .unwrap_or_default();
            errors.extend(
                e.into_iter()
                    .map(|e| FieldError::new(e.field, format!("{prefix}{}", e.message))),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EvaluationError::Invalid {
            errors,
            detail: Some(match competition.outcome_model {
                OutcomeModel::Ranked => "Finish the questionnaire before publishing: every question needs its details, and the weights must add up to 100%.".into(),
                OutcomeModel::Admission => "Finish the questionnaire before publishing: every question needs its details.".into(),
            }),
        })
    }
}

/// What came of replacing a questionnaire.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub view: QuestionnaireView,
    /// Whether it made a new version (the competition is published), so bidders should
    /// be told.
    pub versioned: bool,
}

/// Replaces the questionnaire of a scope (`lot` `None`: the competition's own). Before
/// publication the draft changes in place and may be incomplete (but its ids must be well
/// formed); afterwards, and only before the deadline and opening, the change becomes a
/// new version with a change note, and the drafts that answered the old one move to it.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition: &Competition,
    lot: Option<Uuid>,
    mut document: Questionnaire,
    change_note: &str,
) -> Result<Replaced> {
    conn.transaction(async |conn| {
        if let Some(l) = lot {
            let ours: bool = diesel::select(diesel::dsl::exists(
                competition_lots::table
                    .find(l)
                    .filter(competition_lots::competition_id.eq(competition.id)),
            ))
            .get_result(conn)
            .await?;
            if !ours {
                return Err(EvaluationError::field(
                    "lot_id",
                    "Choose one of this competition's lots",
                ));
            }
        }
        let taken = used_ids(conn, competition.id).await?;
        let current = latest_of_scope(conn, competition.id, lot).await?;
        let encode = |d: &Questionnaire| {
            serde_json::to_value(d).map_err(|e| EvaluationError::Internal(e.into()))
        };
        if competition.published_at.is_none() {
            if let Err(errors) =
                rules::normalise_questionnaire(&mut document, &taken, competition.outcome_model)
            {
                let structural: Vec<_> = errors
                    .into_iter()
                    // A draft may be incomplete, but not malformed: ids, sizes and
                    // kinds the outcome model does not use are refused at once.
                    .filter(|e| {
                        e.field.ends_with(".id")
                            || e.field.ends_with(".kind")
                            || e.message.contains("at most")
                    })
                    .collect();
                if !structural.is_empty() {
                    return Err(EvaluationError::invalid(structural));
                }
            }
            let version = match &current {
                Some(c) => {
                    diesel::update(questionnaire_versions::table.find(c.version.id))
                        .set(questionnaire_versions::document.eq(encode(&document)?))
                        .execute(conn)
                        .await?;
                    c.version.version
                }
                None => {
                    diesel::insert_into(questionnaire_versions::table)
                        .values((
                            questionnaire_versions::competition_id.eq(competition.id),
                            questionnaire_versions::lot_id.eq(lot),
                            questionnaire_versions::version.eq(1),
                            questionnaire_versions::document.eq(encode(&document)?),
                            questionnaire_versions::created_by.eq(user.id),
                        ))
                        .execute(conn)
                        .await?;
                    1
                }
            };
            audit::record(
                conn,
                &user.actor(),
                Entry::new("questionnaire.saved", "competition", competition.id)
                    .with_details(serde_json::json!({"version": version, "lot_id": lot})),
            )
            .await?;
            let view = latest_of_scope(conn, competition.id, lot)
                .await?
                .ok_or(EvaluationError::NotFound("Questionnaire"))?;
            return Ok(Replaced {
                view,
                versioned: false,
            });
        }
        rules::normalise_questionnaire(&mut document, &taken, competition.outcome_model)
            .map_err(EvaluationError::invalid)?;
        let note = change_note.trim();
        if note.is_empty() || note.len() > rules::TEXT_MAX {
            return Err(EvaluationError::field(
                "change_note",
                "Say what changed, in words bidders will understand",
            ));
        }
        let next = current.as_ref().map_or(1, |c| c.version.version + 1);
        // The deadline is read by the database in the writing statement.
        let inserted: Option<Uuid> = competitions::table
            .find(competition.id)
            .filter(competitions::submission_deadline.gt(diesel::dsl::now))
            .filter(competitions::opened_at.is_null())
            .filter(competitions::cancelled_at.is_null())
            .select(competitions::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if inserted.is_none() {
            return Err(EvaluationError::refused(
                Refusal::DeadlinePassed,
                "The submission deadline has passed, so the questionnaire can no longer change.",
            ));
        }
        let new_id: Uuid = diesel::insert_into(questionnaire_versions::table)
            .values((
                questionnaire_versions::competition_id.eq(competition.id),
                questionnaire_versions::lot_id.eq(lot),
                questionnaire_versions::version.eq(next),
                questionnaire_versions::document.eq(encode(&document)?),
                questionnaire_versions::change_note.eq(note),
                questionnaire_versions::frozen_at.eq(diesel::dsl::now),
                questionnaire_versions::created_by.eq(user.id),
            ))
            .returning(questionnaire_versions::id)
            .get_result(conn)
            .await?;
        // Drafts (never submitted) that answer this scope follow the new version; answers
        // carry over by question id. The competition's own questionnaire is answered on the
        // lots that have none of their own.
        let mut drafts = diesel::update(submissions::table)
            .filter(submissions::competition_id.eq(competition.id))
            .filter(submissions::submitted_at.is_null())
            .into_boxed();
        drafts = match lot {
            Some(l) => drafts.filter(submissions::lot_id.eq(l)),
            None => drafts.filter(
                submissions::questionnaire_id.eq_any(
                    questionnaire_versions::table
                        .filter(questionnaire_versions::competition_id.eq(competition.id))
                        .filter(questionnaire_versions::lot_id.is_null())
                        .select(questionnaire_versions::id),
                ),
            ),
        };
        drafts
            .set(submissions::questionnaire_id.eq(new_id))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("questionnaire.versioned", "competition", competition.id)
                .with_details(serde_json::json!({"version": next, "lot_id": lot})),
        )
        .await?;
        Ok(Replaced {
            view: by_id(conn, new_id).await?,
            versioned: true,
        })
    })
    .await
}
