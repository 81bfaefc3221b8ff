//! Reads, scoped to who is reading: a DPS the reader may see ([`load`]), the views of
//! several in a fixed number of statements ([`views`]) and the list ([`list`]).

use super::errors::{DpsError, Result};
use super::model::*;
use super::rules;
use crate::auth::{AuthUser, Role};
use crate::calendar::Calendar;
use crate::db::schema::{
    competition_lots, competitions, dps, dps_notices, organisations, questionnaire_versions,
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

/// The council's name and the service types beside a DPS's row, read with it.
pub struct Beside {
    pub council_name: String,
    pub service_types: Vec<String>,
}

/// A listed row: the DPS, its council's name, its service types, the database clock and
/// the list's total.
type ListedRow = (DpsRow, String, Vec<String>, DateTime<Utc>, i64);

/// The service types of the DPS in the row (one array per row, inside the same
/// statement).
fn service_types_of_row()
-> diesel::expression::SqlLiteral<diesel::sql_types::Array<diesel::sql_types::Text>> {
    diesel::dsl::sql(
        "(SELECT COALESCE(array_agg(t.service_type), '{}') FROM dps_service_types t WHERE t.dps_id = dps.id)",
    )
}

/// What readers see of several DPSs, in three statements whatever their number.
pub async fn views(
    conn: &mut AsyncPgConnection,
    rows: &[DpsRow],
    now: DateTime<Utc>,
) -> Result<Vec<DpsView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id()).collect();
    let mut beside: HashMap<Uuid, Beside> = dps::table
        .inner_join(competitions::table.inner_join(organisations::table))
        .filter(dps::id.eq_any(&ids))
        .select((dps::id, organisations::legal_name, service_types_of_row()))
        .load::<(Uuid, String, Vec<String>)>(conn)
        .await?
        .into_iter()
        .map(|(id, council_name, service_types)| {
            (
                id,
                Beside {
                    council_name,
                    service_types,
                },
            )
        })
        .collect();
    let listed: Vec<(DpsRow, Beside)> = rows
        .iter()
        .map(|r| {
            let b = beside.remove(&r.id()).unwrap_or(Beside {
                council_name: String::new(),
                service_types: Vec::new(),
            });
            (r.clone(), b)
        })
        .collect();
    views_beside(conn, listed, now).await
}

/// What readers see of DPSs read with their council and service types: two more
/// statements (the lots, and their conditions) whatever their number.
async fn views_beside(
    conn: &mut AsyncPgConnection,
    rows: Vec<(DpsRow, Beside)>,
    now: DateTime<Utc>,
) -> Result<Vec<DpsView>> {
    let ids: Vec<Uuid> = rows.iter().map(|(r, _)| r.id()).collect();
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
        .map(|(row, beside)| {
            let id = row.id();
            let c = &row.competition;
            let f = &row.facts;
            let term = (f.starts_on, f.ends_on);
            let mut service_types: Vec<ServiceType> = beside
                .service_types
                .iter()
                .filter_map(|t| t.parse().ok())
                .collect();
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
                council_name: beside.council_name.clone(),
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
    // Three statements whatever the page's length: the page's rows with their council,
    // service types, the database clock and the total (a window count, taken before the
    // limit); then the lots and their conditions.
    let mut query = dps::table
        .inner_join(competitions::table.inner_join(organisations::table))
        .select((
            DpsRow::as_select(),
            organisations::legal_name,
            service_types_of_row(),
            engine::clock(),
            diesel::dsl::sql::<diesel::sql_types::BigInt>("count(*) OVER ()"),
        ))
        .into_boxed();
    match user {
        Some(u) if u.is_council() && u.role != Role::Evaluator => {
            query = query.filter(competitions::council_id.eq(u.organisation_id));
        }
        _ => {
            query = query.filter(dps::established_at.is_not_null());
        }
    }
    let found: Vec<ListedRow> = query
        .order((dps::created_at.desc(), dps::id))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)
        .await?;
    // A page past the end has no rows to carry the total: it says none (as an empty page
    // of any list does).
    let total = <[ListedRow]>::first(&found).map_or(0, |f| f.4);
    let now = <[ListedRow]>::first(&found).map_or_else(Utc::now, |f| f.3);
    let rows = found
        .into_iter()
        .map(|(row, council_name, service_types, _, _)| {
            (
                row,
                Beside {
                    council_name,
                    service_types,
                },
            )
        })
        .collect();
    let items = views_beside(conn, rows, now).await?;
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
