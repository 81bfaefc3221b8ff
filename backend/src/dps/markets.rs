//! Setting up a DPS: created and changed while a draft, each lot given its conditions of
//! membership (a pass/fail questionnaire held by the engine), the notice of intention
//! prepared, and established, which fixes the conditions for the term (DOMAIN.md: they
//! cannot change during it). Each function is one transaction, audited.

use super::errors::{DpsError, Refusal, Result};
use super::model::*;
use super::queries::{self, load, load_managed};
use super::rules;
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{dps, dps_notices, dps_service_types};
use crate::evaluation::{
    self, EvaluationError, NewCompetition, OutcomeModel, QuestionKind, Questionnaire,
    QuestionnaireView, competitions as engine, questionnaires,
};
use crate::http::problem::FieldError;
use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// What the engine is told about the DPS's competition: its lots, decided by admission,
/// open until the end of the term.
fn competition_of(id: Uuid, input: &DpsInput) -> NewCompetition<'_> {
    NewCompetition {
        id,
        reference: &input.reference,
        title: &input.title,
        outcome_model: OutcomeModel::Admission,
        submission_deadline: crate::calendar::start_of_day(input.ends_on + Duration::days(1)),
        decision_working_days: Some(input.decision_working_days),
        lots: &input.lots,
    }
}

/// Checks everything a commissioner sends, in one list: the engine's fields (title,
/// reference, lots, decision period) and the DPS's own.
async fn check_input(conn: &mut AsyncPgConnection, id: Uuid, input: &DpsInput) -> Result<()> {
    let now = engine::db_now(conn).await?;
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    let mut errors: Vec<FieldError> = engine::check(&competition_of(id, input), now)
        .into_iter()
        // The competition's deadline is the end of the term, which is checked below in
        // the DPS's words.
        .filter(|e| e.field != "submission_deadline")
        .collect();
    errors.extend(rules::check_input(input, today));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DpsError::invalid(errors))
    }
}

fn reference_taken(e: EvaluationError) -> DpsError {
    match e {
        EvaluationError::Invalid { errors, .. }
            if errors.iter().any(|e| e.field == "reference") =>
        {
            DpsError::field(
                "reference",
                "Another DPS or procurement already has this reference",
            )
        }
        other => other.into(),
    }
}

/// The DPS's columns a commissioner's input sets, shared by create and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = dps)]
struct Fields<'a> {
    description: &'a str,
    regime: DpsRegime,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    decision_working_days: i32,
    cqc_rule: bool,
    round_schedule: &'a str,
    cutoff_day: i32,
}

impl<'a> From<&'a DpsInput> for Fields<'a> {
    fn from(input: &'a DpsInput) -> Self {
        Self {
            description: input.description.trim(),
            regime: input.regime,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            decision_working_days: input.decision_working_days,
            cqc_rule: input.cqc_rule,
            round_schedule: input.round_schedule.trim(),
            cutoff_day: input.cutoff_day,
        }
    }
}

async fn write_service_types(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &DpsInput,
) -> QueryResult<()> {
    diesel::delete(dps_service_types::table.filter(dps_service_types::dps_id.eq(id)))
        .execute(conn)
        .await?;
    let mut types: Vec<&str> = input.service_types.iter().map(|t| t.as_str()).collect();
    types.sort();
    types.dedup();
    let rows: Vec<_> = types
        .into_iter()
        .map(|t| {
            (
                dps_service_types::dps_id.eq(id),
                dps_service_types::service_type.eq(t),
            )
        })
        .collect();
    diesel::insert_into(dps_service_types::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates a draft DPS and its competition (commissioners).
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    input: &DpsInput,
) -> Result<DpsView> {
    user.require(&[Role::Commissioner])?;
    conn.transaction(async |tx| {
        let id = Uuid::new_v4();
        check_input(tx, id, input).await?;
        engine::create(tx, user, &competition_of(id, input))
            .await
            .map_err(reference_taken)?;
        diesel::insert_into(dps::table)
            .values((
                dps::id.eq(id),
                Fields::from(input),
                dps::council_id.eq(user.organisation_id),
                dps::created_by.eq(user.id),
            ))
            .execute(tx)
            .await?;
        write_service_types(tx, id, input).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("dps.created", "dps", id).with_details(
                serde_json::json!({"reference": input.reference.trim(), "title": input.title.trim()}),
            ),
        )
        .await?;
        let (row, _) = load(tx, Some(user), id).await?;
        queries::view(tx, &row).await
    })
    .await
}

/// Refuses a change once the DPS is established.
fn still_draft(row: &DpsRow) -> Result<()> {
    if row.facts.established_at.is_some() {
        return Err(DpsError::refused(
            Refusal::Established,
            "The DPS is established: its details and conditions of membership are fixed for its term.",
        ));
    }
    Ok(())
}

/// Changes a draft DPS (commissioners).
pub async fn update(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &DpsInput,
) -> Result<DpsView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        still_draft(&row)?;
        check_input(tx, id, input).await?;
        engine::update_draft(tx, &row.competition, &competition_of(id, input))
            .await
            .map_err(reference_taken)?;
        diesel::update(dps::table.find(id))
            .set((Fields::from(input), dps::updated_at.eq(diesel::dsl::now)))
            .execute(tx)
            .await?;
        write_service_types(tx, id, input).await?;
        audit::record(tx, &user.actor(), Entry::new("dps.updated", "dps", id)).await?;
        let (row, _) = load(tx, Some(user), id).await?;
        queries::view(tx, &row).await
    })
    .await
}

/// A lot of the DPS by id, else a 404.
async fn lot_of(
    conn: &mut AsyncPgConnection,
    row: &DpsRow,
    lot_id: Uuid,
) -> Result<evaluation::Lot> {
    engine::lots(conn, row.id())
        .await?
        .into_iter()
        .find(|l| l.id == lot_id)
        .ok_or_else(|| DpsError::not_found("Lot"))
}

/// A lot's conditions of membership as they stand (everyone who may see the DPS).
pub async fn conditions(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
    lot_id: Uuid,
) -> Result<QuestionnaireView> {
    let (row, _) = load(conn, user, id).await?;
    lot_of(conn, &row, lot_id).await?;
    Ok(questionnaires::current(conn, id, Some(lot_id)).await?)
}

/// Replaces a lot's conditions of membership while the DPS is a draft. Conditions are
/// pass or fail only: questions answered yes or no, written answers or evidence the panel
/// judges, and information; never scores, weights or prices (the engine's admission rule).
pub async fn replace_conditions(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    lot_id: Uuid,
    document: Questionnaire,
) -> Result<QuestionnaireView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        still_draft(&row)?;
        lot_of(tx, &row, lot_id).await?;
        let replaced =
            questionnaires::replace(tx, user, &row.competition, Some(lot_id), document, "").await?;
        Ok(replaced.view)
    })
    .await
}

/// Why the DPS cannot be established yet, each problem with the field it concerns
/// (`lots[n]` for a lot without conditions).
async fn establish_problems(conn: &mut AsyncPgConnection, view: &DpsView) -> Result<()> {
    let mut errors = Vec::new();
    for (i, lot) in view.lots.iter().enumerate() {
        let q = questionnaires::current(conn, view.id, Some(lot.lot.id)).await?;
        let deciding = q
            .questionnaire
            .questions()
            .any(|q| matches!(q.kind, QuestionKind::PassFail | QuestionKind::Judged));
        if !deciding {
            errors.push(FieldError::new(
                format!("lots[{i}]"),
                format!(
                    "Lot {} ({}) needs at least one condition of membership that applicants pass or fail",
                    lot.lot.number, lot.lot.title
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DpsError::invalid(errors))
    }
}

/// Prepares a notice as data and keeps it.
async fn prepare_notice(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    view: &DpsView,
    kind: DpsNoticeKind,
) -> Result<DpsNotice> {
    let now = engine::db_now(conn).await?;
    let notice = rules::notice(
        kind,
        &rules::NoticeFacts {
            council_name: &view.council_name,
            view,
        },
        now,
    );
    let inserted = diesel::insert_into(dps_notices::table)
        .values((
            dps_notices::dps_id.eq(view.id),
            dps_notices::kind.eq(kind),
            dps_notices::notice.eq(serde_json::to_value(&notice).map_err(anyhow::Error::from)?),
            dps_notices::prepared_by.eq(user.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 {
        return Err(DpsError::refused(
            Refusal::NoticePrepared,
            format!(
                "The {} has already been prepared.",
                kind.label().to_lowercase()
            ),
        ));
    }
    audit::record(
        conn,
        &user.actor(),
        Entry::new("dps.notice_prepared", "dps", view.id)
            .with_details(serde_json::json!({"kind": kind})),
    )
    .await?;
    Ok(notice)
}

/// Prepares the notice of intention to establish the DPS, while it is a draft.
pub async fn prepare_intention(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<DpsNotice> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        still_draft(&row)?;
        let view = queries::view(tx, &row).await?;
        prepare_notice(tx, user, &view, DpsNoticeKind::Intention).await
    })
    .await
}

/// Establishes the DPS: refused while a lot has no pass/fail condition; publishes its
/// competition (which freezes every lot's conditions), records who and when, and prepares
/// the notice of establishment. From now on providers can see it and apply.
pub async fn establish(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<DpsView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        still_draft(&row)?;
        let view = queries::view(tx, &row).await?;
        establish_problems(tx, &view).await?;
        engine::publish(tx, &row.competition).await?;
        let established = diesel::update(dps::table.find(id).filter(dps::established_at.is_null()))
            .set((
                dps::established_at.eq(diesel::dsl::now),
                dps::established_by.eq(user.id),
                dps::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        if established == 0 {
            return Err(DpsError::refused(
                Refusal::Established,
                "It is already established.",
            ));
        }
        let (row, _) = load(tx, Some(user), id).await?;
        let view = queries::view(tx, &row).await?;
        prepare_notice(tx, user, &view, DpsNoticeKind::Established).await?;
        audit::record(tx, &user.actor(), Entry::new("dps.established", "dps", id)).await?;
        Ok(view)
    })
    .await
}

/// Ends an established DPS before its term is up (commissioners): records why, closes its
/// competition, and prepares the notice of cessation. Refused for a draft (never
/// published, so there is nothing to end) and a second time.
pub async fn cease(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &CeaseInput,
) -> Result<DpsView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        if row.facts.established_at.is_none() {
            return Err(DpsError::refused(
                Refusal::Draft,
                "Only an established DPS can cease; a draft was never published.",
            ));
        }
        let reason = input.reason.trim();
        if reason.is_empty() || reason.len() > crate::evaluation::rules::TEXT_MAX {
            return Err(DpsError::field(
                "reason",
                "Say why the DPS is ending, in words providers will understand",
            ));
        }
        let ceased = diesel::update(dps::table.find(id).filter(dps::ceased_at.is_null()))
            .set((
                dps::ceased_at.eq(diesel::dsl::now),
                dps::ceased_by.eq(user.id),
                dps::cease_reason.eq(reason),
                dps::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        if ceased == 0 {
            return Err(DpsError::refused(Refusal::Ceased, "It has already ceased."));
        }
        engine::cancel(tx, &row.competition).await?;
        let (row, _) = load(tx, Some(user), id).await?;
        let view = queries::view(tx, &row).await?;
        prepare_notice(tx, user, &view, DpsNoticeKind::Ceased).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("dps.ceased", "dps", id).with_details(serde_json::json!({"reason": reason})),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// The notices prepared for a DPS (its council's staff).
pub async fn notices(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<DpsNotice>> {
    user.require(&[Role::Commissioner, Role::Admin, Role::ContractManager])?;
    match load(conn, Some(user), id).await? {
        (_, evaluation::Access::Council) => queries::notices(conn, id).await,
        _ => Err(DpsError::not_found("DPS")),
    }
}
