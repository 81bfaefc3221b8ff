//! Procurements: created, changed while a draft, assessed for conflicts, published (with
//! opening notices), their timetable moved later, their questionnaire versioned, cancelled;
//! who may see one and how; and the providers who follow one.

mod interests;
mod lifecycle;
mod versions;

use super::emails::{ProcurementCancelled, QuestionnaireChanged, TenderOpened, TimetableChanged};
use super::errors::{ProcurementError, Refusal, Result};
use super::model::*;
use super::rules;
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{
    competitions, districts, organisations, procurement_districts, procurement_documents,
    procurement_interests, procurements, stored_files, submissions, users,
};
use crate::evaluation::{
    self, Access, Competition, NewCompetition, OutcomeModel, Questionnaire, QuestionnaireView,
    competitions as engine, questionnaires,
};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::FieldError;
use crate::mail::{self, Email, MailContext, Recipient};
use crate::money::Pence;
use crate::organisations::model::ServiceType;
use crate::storage::{FileView, StoredFile};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
pub(in crate::procurement) use interests::note_interest;
use interests::tell_bidders;
pub use interests::{has_interest, interested_users, register_interest};
pub use lifecycle::{
    PublishFix, PublishProblem, cancel, change_timetable, publish, publish_problems,
    record_conflicts_assessment,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;
pub use versions::{QuestionnaireInput, VersionQuery, questionnaire, replace_questionnaire};

/// A procurement by id, or 404.
async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<ProcurementRow> {
    rows()
        .filter(procurements::id.eq(id))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ProcurementError::not_found("Procurement"))
}

/// Loads a procurement the reader may see, and how they see it (the engine's rule for its
/// competition). Anything else is a 404, so a draft's existence is not revealed.
pub async fn load(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<(ProcurementRow, Access)> {
    let row = find(conn, id).await?;
    match engine::access(conn, user, &row.competition).await? {
        Some(access) => Ok((row, access)),
        None => Err(ProcurementError::not_found("Procurement")),
    }
}

/// Loads a procurement the user manages (its council's commissioners), else 404 or 403.
pub async fn load_managed(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<ProcurementRow> {
    user.require(&[Role::Commissioner])?;
    match load(conn, Some(user), id).await? {
        (row, Access::Council) => Ok(row),
        _ => Err(ProcurementError::not_found("Procurement")),
    }
}

/// What the engine is told about the tender's competition.
fn competition_of<'a>(id: Uuid, input: &'a ProcurementInput) -> NewCompetition<'a> {
    NewCompetition {
        id,
        reference: &input.reference,
        title: &input.title,
        outcome_model: OutcomeModel::Ranked,
        submission_deadline: input.submission_deadline,
        decision_working_days: None,
        lots: &input.lots,
    }
}

/// Checks everything a commissioner sends, in one list: the competition's fields, the
/// procedure's and the districts.
async fn check_input(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &ProcurementInput,
) -> Result<()> {
    let now = engine::db_now(conn).await?;
    let mut errors = engine::check(&competition_of(id, input), now);
    errors.extend(rules::check_procurement(input));
    let mut ids = input.district_ids.clone();
    ids.sort();
    ids.dedup();
    let known = crate::organisations::queries::count_districts(conn, &ids).await?;
    if ids.is_empty() || known != ids.len() as i64 {
        errors.push(FieldError::new(
            "district_ids",
            "Choose at least one district, from the list of districts",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ProcurementError::invalid(errors))
    }
}

/// The procedure's columns a commissioner's input sets, shared by create and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = procurements)]
struct Fields<'a> {
    description: &'a str,
    service_type: ServiceType,
    estimated_value_pence: i64,
    regime: Regime,
    light_touch: bool,
    procedure: Procedure,
    clarification_deadline: chrono::DateTime<Utc>,
    planned_award_date: chrono::NaiveDate,
    standstill_working_days: i32,
}

impl<'a> From<&'a ProcurementInput> for Fields<'a> {
    fn from(input: &'a ProcurementInput) -> Self {
        Self {
            description: input.description.trim(),
            service_type: input.service_type,
            estimated_value_pence: input.estimated_value_pence,
            regime: input.regime,
            light_touch: input.light_touch,
            procedure: input.procedure,
            clarification_deadline: input.clarification_deadline,
            planned_award_date: input.planned_award_date,
            standstill_working_days: input.standstill_working_days,
        }
    }
}

fn reference_taken(e: evaluation::EvaluationError) -> ProcurementError {
    match e {
        evaluation::EvaluationError::Invalid { errors, .. }
            if errors.iter().any(|e| e.field == "reference") =>
        {
            ProcurementError::field(
                "reference",
                "Another procurement already has this reference",
            )
        }
        other => other.into(),
    }
}

async fn write_districts(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    district_ids: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(
        procurement_districts::table.filter(procurement_districts::procurement_id.eq(id)),
    )
    .execute(conn)
    .await?;
    let mut ids = district_ids.to_vec();
    ids.sort();
    ids.dedup();
    let rows: Vec<_> = ids
        .iter()
        .map(|d| {
            (
                procurement_districts::procurement_id.eq(id),
                procurement_districts::district_id.eq(*d),
            )
        })
        .collect();
    diesel::insert_into(procurement_districts::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates a draft procurement and its competition, with an empty questionnaire
/// (commissioners). One transaction.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    input: &ProcurementInput,
) -> Result<ProcurementView> {
    user.require(&[Role::Commissioner])?;
    conn.transaction(async |tx| {
        let id = Uuid::new_v4();
        check_input(tx, id, input).await?;
        engine::create(tx, user, &competition_of(id, input))
            .await
            .map_err(reference_taken)?;
        diesel::insert_into(procurements::table)
            .values((
                procurements::id.eq(id),
                Fields::from(input),
                procurements::council_id.eq(user.organisation_id),
                procurements::created_by.eq(user.id),
            ))
            .execute(tx)
            .await?;
        write_districts(tx, id, &input.district_ids).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.created", "procurement", id).with_details(
                serde_json::json!({"reference": input.reference.trim(), "title": input.title.trim()}),
            ),
        )
        .await?;
        let (row, _) = load(tx, Some(user), id).await?;
        view(tx, &row).await
    })
    .await
}

/// Changes a draft procurement (commissioners). Published procurements change only
/// through questionnaire versions, the timetable and clarifications.
pub async fn update(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &ProcurementInput,
) -> Result<ProcurementView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        if row.competition.published_at.is_some() {
            return Err(ProcurementError::refused(
                Refusal::Published,
                "A published procurement cannot be edited. Change the questionnaire (bidders are told) or answer a clarification instead.",
            ));
        }
        check_input(tx, id, input).await?;
        engine::update_draft(tx, &row.competition, &competition_of(id, input))
            .await
            .map_err(reference_taken)?;
        diesel::update(procurements::table.find(id))
            .set((Fields::from(input), procurements::updated_at.eq(diesel::dsl::now)))
            .execute(tx)
            .await?;
        write_districts(tx, id, &input.district_ids).await?;
        audit::record(tx, &user.actor(), Entry::new("procurement.updated", "procurement", id))
            .await?;
        let (row, _) = load(tx, Some(user), id).await?;
        view(tx, &row).await
    })
    .await
}

/// What readers see of a procurement.
pub async fn view(conn: &mut AsyncPgConnection, row: &ProcurementRow) -> Result<ProcurementView> {
    Ok(views(conn, std::slice::from_ref(row)).await?.remove(0))
}

/// What readers see of several procurements, in a fixed number of statements whatever
/// their number.
pub async fn views(
    conn: &mut AsyncPgConnection,
    rows: &[ProcurementRow],
) -> Result<Vec<ProcurementView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id()).collect();
    let councils: HashMap<Uuid, String> = organisations::table
        .filter(
            organisations::id.eq_any(
                rows.iter()
                    .map(|r| r.competition.council_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .select((organisations::id, organisations::legal_name))
        .load::<(Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut districts_of: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for (pid, did, name) in procurement_districts::table
        .inner_join(districts::table)
        .filter(procurement_districts::procurement_id.eq_any(&ids))
        .order(districts::name)
        .select((
            procurement_districts::procurement_id,
            districts::id,
            districts::name,
        ))
        .load::<(Uuid, Uuid, String)>(conn)
        .await?
    {
        districts_of.entry(pid).or_default().push((did, name));
    }
    let mut lots_of: HashMap<Uuid, Vec<evaluation::Lot>> = HashMap::new();
    for (cid, lot) in crate::db::schema::competition_lots::table
        .filter(crate::db::schema::competition_lots::competition_id.eq_any(&ids))
        .order(crate::db::schema::competition_lots::number)
        .select((
            crate::db::schema::competition_lots::competition_id,
            evaluation::Lot::as_select(),
        ))
        .load::<(Uuid, evaluation::Lot)>(conn)
        .await?
    {
        lots_of.entry(cid).or_default().push(lot);
    }
    let mut documents_of: HashMap<Uuid, Vec<FileView>> = HashMap::new();
    for (pid, title, file) in procurement_documents::table
        .inner_join(stored_files::table)
        .filter(procurement_documents::procurement_id.eq_any(&ids))
        .order(stored_files::created_at)
        .select((
            procurement_documents::procurement_id,
            procurement_documents::title,
            StoredFile::as_select(),
        ))
        .load::<(Uuid, String, StoredFile)>(conn)
        .await?
    {
        documents_of
            .entry(pid)
            .or_default()
            .push(FileView::of(title, file));
    }
    let versions: HashMap<Uuid, i32> = crate::db::schema::questionnaire_versions::table
        .filter(crate::db::schema::questionnaire_versions::competition_id.eq_any(&ids))
        .filter(crate::db::schema::questionnaire_versions::lot_id.is_null())
        .group_by(crate::db::schema::questionnaire_versions::competition_id)
        .select((
            crate::db::schema::questionnaire_versions::competition_id,
            diesel::dsl::max(crate::db::schema::questionnaire_versions::version),
        ))
        .load::<(Uuid, Option<i32>)>(conn)
        .await?
        .into_iter()
        .map(|(id, v)| (id, v.unwrap_or(1)))
        .collect();
    let now = Utc::now();
    Ok(rows
        .iter()
        .map(|row| {
            let id = row.id();
            let c = &row.competition;
            let p = &row.procedure;
            let districts = districts_of.remove(&id).unwrap_or_default();
            ProcurementView {
                id,
                reference: c.reference.clone(),
                title: c.title.clone(),
                description: p.description.clone(),
                council_name: councils.get(&c.council_id).cloned().unwrap_or_default(),
                service_type: p.service_type,
                district_ids: districts.iter().map(|d| d.0).collect(),
                district_names: districts.into_iter().map(|d| d.1).collect(),
                estimated_value_pence: p.estimated_value_pence,
                regime: p.regime,
                light_touch: p.light_touch,
                procedure: p.procedure,
                lots: lots_of.remove(&id).unwrap_or_default(),
                clarification_deadline: p.clarification_deadline,
                submission_deadline: c.submission_deadline,
                planned_award_date: p.planned_award_date,
                standstill_working_days: p.standstill_working_days,
                status: row.status(now),
                published_at: c.published_at,
                conflicts_assessed_at: p.conflicts_assessed_at,
                opened_at: c.opened_at,
                awarded_at: c.decided_at,
                standstill_ends_at: p.standstill_ends_at,
                contract_entered_at: p.contract_entered_at,
                questionnaire_version: versions.get(&id).copied().unwrap_or(1),
                documents: documents_of.remove(&id).unwrap_or_default(),
            }
        })
        .collect())
}

/// Procurements the reader may see: the public and providers see published ones, the
/// council sees its own, evaluators those on whose panel they sit. Newest deadline first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    filter: &ProcurementFilter,
    page: PageRequest,
) -> Result<Paged<ProcurementView>> {
    use crate::db::schema::panel_members;
    let mut query = procurements::table
        .inner_join(competitions::table)
        .into_boxed();
    let mut count = procurements::table
        .inner_join(competitions::table)
        .into_boxed();
    macro_rules! both {
        ($f:expr) => {{
            query = query.filter($f);
            count = count.filter($f);
        }};
    }
    match user {
        Some(u) if u.is_council() && u.role != Role::Evaluator => {
            both!(competitions::council_id.eq(u.organisation_id))
        }
        Some(u) if u.role == Role::Evaluator => both!(
            procurements::id.eq_any(
                panel_members::table
                    .filter(panel_members::user_id.eq(u.id))
                    .select(panel_members::competition_id)
            )
        ),
        _ => both!(competitions::published_at.is_not_null()),
    }
    if let Some(s) = filter.service_type {
        both!(procurements::service_type.eq(s));
    }
    if let Some(d) = filter.district_id {
        both!(
            procurements::id.eq_any(
                procurement_districts::table
                    .filter(procurement_districts::district_id.eq(d))
                    .select(procurement_districts::procurement_id)
            )
        );
    }
    if filter.open == Some(true) {
        both!(competitions::published_at.is_not_null());
        both!(competitions::submission_deadline.gt(diesel::dsl::now));
        both!(competitions::cancelled_at.is_null());
    }
    let total: i64 = count.count().get_result(conn).await?;
    let rows: Vec<ProcurementRow> = query
        .order((competitions::submission_deadline.desc(), procurements::id))
        .limit(page.limit())
        .offset(page.offset())
        .select(ProcurementRow::as_select())
        .load(conn)
        .await?;
    let items = views(conn, &rows).await?;
    Ok(Paged::new(items, total, page))
}
