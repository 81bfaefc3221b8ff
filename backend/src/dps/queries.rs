//! Reads, scoped to who is reading: a DPS the reader may see ([`load`]), the views of
//! several in a fixed number of statements ([`views`]) and the list ([`list`]).

use super::errors::{DpsError, Result};
use super::model::*;
use super::rules;
use crate::auth::{AuthUser, Role};
use crate::calendar::Calendar;
use crate::db::schema::{
    competition_lots, competitions, dps, dps_notices, dps_service_types, organisations,
    questionnaire_versions,
};
use crate::evaluation::{Access, Lot, Questionnaire, competitions as engine};
use crate::http::pagination::{PageRequest, Paged};
use crate::organisations::model::ServiceType;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use uuid::Uuid;

/// A DPS by id, or 404.
async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<DpsRow> {
    rows()
        .filter(dps::id.eq(id))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| DpsError::not_found("DPS"))
}

/// Loads a DPS the reader may see, and how (the engine's rule for its competition: the
/// council's staff always, everyone once established). Anything else is a 404, so a
/// draft's existence is not revealed.
pub async fn load(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<(DpsRow, Access)> {
    let row = find(conn, id).await?;
    match engine::access(conn, user, &row.competition).await? {
        Some(access) => Ok((row, access)),
        None => Err(DpsError::not_found("DPS")),
    }
}

/// Loads a DPS the user manages (its council's commissioners), else 404 or 403.
pub async fn load_managed(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<DpsRow> {
    user.require(&[Role::Commissioner])?;
    match load(conn, Some(user), id).await? {
        (row, Access::Council) => Ok(row),
        _ => Err(DpsError::not_found("DPS")),
    }
}

/// What readers see of a DPS.
pub async fn view(conn: &mut AsyncPgConnection, row: &DpsRow) -> Result<DpsView> {
    let now = engine::db_now(conn).await?;
    Ok(views(conn, std::slice::from_ref(row), now).await?.remove(0))
}

/// What readers see of several DPSs, in four statements whatever their number.
pub async fn views(
    conn: &mut AsyncPgConnection,
    rows: &[DpsRow],
    now: DateTime<Utc>,
) -> Result<Vec<DpsView>> {
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
    let mut types_of: HashMap<Uuid, Vec<ServiceType>> = HashMap::new();
    for (id, t) in dps_service_types::table
        .filter(dps_service_types::dps_id.eq_any(&ids))
        .select((dps_service_types::dps_id, dps_service_types::service_type))
        .load::<(Uuid, String)>(conn)
        .await?
    {
        if let Ok(t) = t.parse::<ServiceType>() {
            types_of.entry(id).or_default().push(t);
        }
    }
    let mut lots_of: HashMap<Uuid, Vec<Lot>> = HashMap::new();
    for (cid, lot) in competition_lots::table
        .filter(competition_lots::competition_id.eq_any(&ids))
        .order(competition_lots::number)
        .select((competition_lots::competition_id, Lot::as_select()))
        .load::<(Uuid, Lot)>(conn)
        .await?
    {
        lots_of.entry(cid).or_default().push(lot);
    }
    // Each lot's newest conditions: the count of its questions.
    let mut conditions: HashMap<Uuid, (i32, usize)> = HashMap::new();
    for (lot, version, document) in questionnaire_versions::table
        .filter(questionnaire_versions::competition_id.eq_any(&ids))
        .filter(questionnaire_versions::lot_id.is_not_null())
        .select((
            questionnaire_versions::lot_id.assume_not_null(),
            questionnaire_versions::version,
            questionnaire_versions::document,
        ))
        .load::<(Uuid, i32, serde_json::Value)>(conn)
        .await?
    {
        let count = serde_json::from_value::<Questionnaire>(document)
            .map(|q| q.questions().count())
            .unwrap_or(0);
        let entry = conditions.entry(lot).or_insert((version, count));
        if version >= entry.0 {
            *entry = (version, count);
        }
    }
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    Ok(rows
        .iter()
        .map(|row| {
            let id = row.id();
            let c = &row.competition;
            let f = &row.facts;
            let term = (f.starts_on, f.ends_on);
            let mut service_types = types_of.remove(&id).unwrap_or_default();
            service_types.sort_by_key(|t| ServiceType::ALL.iter().position(|a| a == t));
            // A ceased DPS takes no more applications.
            let schedule = rules::schedule(&f.round_schedule)
                .ok()
                .filter(|_| f.ceased_at.is_none());
            let next_round = schedule.and_then(|s| {
                rules::round_taking(&s, f.cutoff_day, term, now, Calendar::uk())
                    .ok()
                    .flatten()
            });
            DpsView {
                id,
                reference: c.reference.clone(),
                title: c.title.clone(),
                description: f.description.clone(),
                council_name: councils.get(&c.council_id).cloned().unwrap_or_default(),
                regime: f.regime,
                starts_on: f.starts_on,
                ends_on: f.ends_on,
                service_types,
                decision_working_days: f.decision_working_days,
                cqc_rule: f.cqc_rule,
                round_schedule_words: rules::schedule_words(&f.round_schedule),
                round_schedule: f.round_schedule.clone(),
                cutoff_day: f.cutoff_day,
                lots: lots_of
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|lot| DpsLot {
                        conditions: conditions.get(&lot.id).map_or(0, |c| c.1),
                        lot,
                    })
                    .collect(),
                status: rules::status(
                    f.established_at.is_some(),
                    f.ceased_at.is_some(),
                    term,
                    today,
                ),
                established_at: f.established_at,
                ceased_at: f.ceased_at,
                cease_reason: f.cease_reason.clone(),
                next_round,
            }
        })
        .collect())
}

/// DPSs the reader may see: the council's staff see their council's, everyone else the
/// established ones. Newest first, a page at a time.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    page: PageRequest,
) -> Result<Paged<DpsView>> {
    let mut query = rows().into_boxed();
    let mut count = dps::table.inner_join(competitions::table).into_boxed();
    match user {
        Some(u) if u.is_council() && u.role != Role::Evaluator => {
            query = query.filter(competitions::council_id.eq(u.organisation_id));
            count = count.filter(competitions::council_id.eq(u.organisation_id));
        }
        _ => {
            query = query.filter(dps::established_at.is_not_null());
            count = count.filter(dps::established_at.is_not_null());
        }
    }
    let total: i64 = count.count().get_result(conn).await?;
    let rows: Vec<DpsRow> = query
        .order((dps::created_at.desc(), dps::id))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)
        .await?;
    let now = engine::db_now(conn).await?;
    let items = views(conn, &rows, now).await?;
    Ok(Paged::new(items, total, page))
}

/// The notices prepared for a DPS, oldest first.
pub async fn notices(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Vec<DpsNotice>> {
    let stored: Vec<serde_json::Value> = dps_notices::table
        .filter(dps_notices::dps_id.eq(id))
        .order(dps_notices::prepared_at)
        .select(dps_notices::notice)
        .load(conn)
        .await?;
    stored
        .into_iter()
        .map(|n| serde_json::from_value(n).map_err(|e| anyhow::Error::from(e).into()))
        .collect()
}
