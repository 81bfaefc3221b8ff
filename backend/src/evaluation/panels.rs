//! The evaluation panel: commissioners choose it; each evaluator declares, for every
//! bidder, any interest before seeing any submission. An undeclared evaluator sees nothing;
//! a declared conflict removes the evaluator from that bidder.

use super::competitions::{self, Access};
use super::errors::{EvaluationError, Refusal, Result};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{conflict_declarations, organisations, panel_members, submissions, users};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

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
) -> Result<Vec<PanelMember>> {
    conn.transaction(async |conn| {
        let row = competitions::load_managed(conn, user, id).await?;
        if row.decided_at.is_some() || row.cancelled_at.is_some() {
            return Err(EvaluationError::refused(
                Refusal::Decided,
                "It has been decided or cancelled.",
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
            return Err(EvaluationError::field(
                "evaluator_ids",
                "Choose at least one evaluator; each must be an active evaluator of this council",
            ));
        }
        diesel::delete(
            panel_members::table
                .filter(panel_members::competition_id.eq(id))
                .filter(panel_members::user_id.ne_all(&ids)),
        )
        .execute(conn)
        .await?;
        let rows: Vec<_> = ids
            .iter()
            .map(|u| {
                (
                    panel_members::competition_id.eq(id),
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
            Entry::new("competition.panel_set", "competition", id)
                .with_details(serde_json::json!({"evaluators": ids})),
        )
        .await?;
        Ok(panel(conn, id).await?)
    })
    .await
}

/// The panel and each member's declarations.
pub async fn panel(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<PanelMember>> {
    let members: Vec<(Uuid, String, String, Option<DateTime<Utc>>)> = panel_members::table
        .inner_join(users::table.on(users::id.eq(panel_members::user_id)))
        .filter(panel_members::competition_id.eq(id))
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
        .filter(conflict_declarations::competition_id.eq(id))
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
) -> Result<Vec<Bidder>> {
    let (row, access) = competitions::load(conn, Some(user), id).await?;
    if access != Access::Panel {
        return Err(EvaluationError::Forbidden(
            "Only members of the evaluation panel declare interests.",
        ));
    }
    if row.submission_deadline > competitions::db_now(conn).await? && row.opened_at.is_none() {
        return Err(EvaluationError::refused(
            Refusal::DeadlineNotPassed,
            "You can declare interests once the deadline has passed and the bidders are known.",
        ));
    }
    let orgs: Vec<(Uuid, String)> = submissions::table
        .inner_join(organisations::table)
        .filter(submissions::competition_id.eq(id))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .select((organisations::id, organisations::legal_name))
        .distinct()
        .order(organisations::legal_name)
        .load(conn)
        .await?;
    let declared: Vec<(Uuid, bool, String)> = conflict_declarations::table
        .filter(conflict_declarations::competition_id.eq(id))
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
) -> Result<Vec<Bidder>> {
    conn.transaction(async |conn| {
        let list = bidders(conn, user, id).await?;
        if list.iter().any(|b| b.conflicted.is_some()) {
            return Err(EvaluationError::refused(
                Refusal::AlreadyDeclared,
                "You have already declared your interests. Ask the commissioner if something has changed.",
            ));
        }
        let errors = declaration_errors(&list, input);
        if !errors.is_empty() {
            return Err(EvaluationError::invalid(errors));
        }
        let rows: Vec<_> = input
            .iter()
            .map(|d| {
                (
                    conflict_declarations::competition_id.eq(id),
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
            Entry::new("evaluator.declared", "competition", id)
                .with_details(serde_json::json!({"bidders": input.len(), "conflicts": conflicts})),
        )
        .await?;
        bidders(conn, user, id).await
    })
    .await
}

/// What is wrong with a declaration against these bidders: each bidder needs a yes or
/// no, and a yes needs the conflict described. Every message names the bidder.
fn declaration_errors(list: &[Bidder], input: &[DeclarationInput]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, b) in list.iter().enumerate() {
        match input
            .iter()
            .find(|d| d.organisation_id == b.organisation_id)
        {
            None => errors.push(FieldError::new(
                format!("declarations[{i}]"),
                format!(
                    "Say whether you have a conflict of interest with {}",
                    b.name
                ),
            )),
            Some(d) if d.conflicted && d.details.trim().is_empty() => errors.push(FieldError::new(
                format!("declarations[{i}].details"),
                format!("Describe your conflict of interest with {}", b.name),
            )),
            Some(d) if d.details.len() > 5000 => errors.push(FieldError::new(
                format!("declarations[{i}].details"),
                format!(
                    "Describe your conflict of interest with {} in 5,000 characters or fewer",
                    b.name
                ),
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
            "Declare only against these bidders",
        ));
    }
    errors
}

/// Checks an evaluator's declarations as [`declare`] would, writing nothing: the bidders
/// with the answers given, for the person to check before they confirm.
pub async fn check_declarations(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &[DeclarationInput],
) -> Result<Vec<Bidder>> {
    let list = bidders(conn, user, id).await?;
    if list.iter().any(|b| b.conflicted.is_some()) {
        return Err(EvaluationError::refused(
            Refusal::AlreadyDeclared,
            "You have already declared your interests. Ask the commissioner if something has changed.",
        ));
    }
    let errors = declaration_errors(&list, input);
    if !errors.is_empty() {
        return Err(EvaluationError::invalid(errors));
    }
    Ok(list
        .into_iter()
        .map(|mut b| {
            let d = input
                .iter()
                .find(|d| d.organisation_id == b.organisation_id);
            b.conflicted = d.map(|d| d.conflicted);
            b.details = d
                .filter(|d| d.conflicted)
                .map(|d| d.details.trim().to_string())
                .unwrap_or_default();
            b
        })
        .collect())
}

/// Refuses (403) an evaluator who has not declared, or who declared a conflict with this
/// bidder.
pub async fn check_not_conflicted(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition_id: Uuid,
    organisation_id: Uuid,
) -> Result<()> {
    let declared: Option<Option<DateTime<Utc>>> = panel_members::table
        .find((competition_id, user.id))
        .select(panel_members::declared_at)
        .first(conn)
        .await
        .optional()?;
    match declared {
        None => {
            return Err(EvaluationError::Forbidden(
                "You are not on this evaluation panel.",
            ));
        }
        Some(None) => return Err(EvaluationError::DeclarationRequired),
        Some(Some(_)) => {}
    }
    let conflicted: bool = diesel::select(diesel::dsl::exists(
        conflict_declarations::table
            .filter(conflict_declarations::competition_id.eq(competition_id))
            .filter(conflict_declarations::user_id.eq(user.id))
            .filter(conflict_declarations::organisation_id.eq(organisation_id))
            .filter(conflict_declarations::conflicted.eq(true)),
    ))
    .get_result(conn)
    .await?;
    if conflicted {
        return Err(EvaluationError::Conflicted);
    }
    Ok(())
}

/// Panel members who may score this bidder (not conflicted with it).
pub(super) async fn eligible_evaluators(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
    organisation_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    panel_members::table
        .filter(panel_members::competition_id.eq(competition_id))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            conflict_declarations::table
                .filter(conflict_declarations::competition_id.eq(competition_id))
                .filter(conflict_declarations::user_id.eq(panel_members::user_id))
                .filter(conflict_declarations::organisation_id.eq(organisation_id))
                .filter(conflict_declarations::conflicted.eq(true)),
        )))
        .select(panel_members::user_id)
        .load(conn)
        .await
}

/// Whether the evaluator has declared on this competition's panel, and the bidders they
/// declared a conflict with (both empty when they are not on it).
pub async fn declarations_of(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    competition_id: Uuid,
) -> QueryResult<(bool, HashSet<Uuid>)> {
    let declared: Option<Option<DateTime<Utc>>> = panel_members::table
        .find((competition_id, user.id))
        .select(panel_members::declared_at)
        .first(conn)
        .await
        .optional()?;
    let conflicted = conflict_declarations::table
        .filter(conflict_declarations::competition_id.eq(competition_id))
        .filter(conflict_declarations::user_id.eq(user.id))
        .filter(conflict_declarations::conflicted.eq(true))
        .select(conflict_declarations::organisation_id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .collect();
    Ok((matches!(declared, Some(Some(_))), conflicted))
}

/// Every declared conflict in the competition, as (evaluator, bidder) pairs: the one query
/// marking, moderation and the statuses read them through.
pub async fn conflicts_of(
    conn: &mut AsyncPgConnection,
    competition_id: Uuid,
) -> QueryResult<HashSet<(Uuid, Uuid)>> {
    Ok(conflict_declarations::table
        .filter(conflict_declarations::competition_id.eq(competition_id))
        .filter(conflict_declarations::conflicted.eq(true))
        .select((
            conflict_declarations::user_id,
            conflict_declarations::organisation_id,
        ))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .collect())
}
