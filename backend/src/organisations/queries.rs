//! Queries on organisations, users, districts and CQC locations. Every query that returns a
//! provider's data takes the organisation it is scoped to, or is called only for council staff.

use super::model::*;
use super::rules::CqcLocationInput;
use crate::auth::{OrganisationKind, Role, User};
use crate::db::schema::{cqc_locations, districts, organisation_districts, organisations, users};
use crate::http::pagination::{PageRequest, Paged, escape_like};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

type UserRow = (User, String);

fn view((user, organisation_name): UserRow) -> UserView {
    UserView {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        active: user.active,
        organisation_id: user.organisation_id,
        organisation_name,
        created_at: user.created_at,
    }
}

/// A user with their organisation's name.
pub async fn find_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserView>> {
    users::table
        .inner_join(organisations::table)
        .filter(users::id.eq(id))
        .select((User::as_select(), organisations::legal_name))
        .first::<UserRow>(conn)
        .await
        .optional()
        .map(|row| row.map(view))
}

/// Inserts a validated organisation with its districts and CQC locations.
pub async fn insert_organisation(
    tx: &mut AsyncPgConnection,
    valid: &super::rules::ValidOrganisation,
) -> QueryResult<Organisation> {
    let organisation: Organisation = diesel::insert_into(organisations::table)
        .values(&valid.organisation)
        .returning(Organisation::as_returning())
        .get_result(tx)
        .await?;
    replace_coverage(
        tx,
        organisation.id,
        &valid.district_ids,
        &valid.cqc_locations,
    )
    .await?;
    Ok(organisation)
}

/// An organisation's users, active first, by name.
pub async fn organisation_users(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
) -> QueryResult<Vec<UserView>> {
    users::table
        .inner_join(organisations::table)
        .filter(users::organisation_id.eq(organisation))
        .order((users::active.desc(), users::name))
        .limit(500)
        .select((User::as_select(), organisations::legal_name))
        .load::<UserRow>(conn)
        .await
        .map(|rows| rows.into_iter().map(view).collect())
}

/// Filters for the user list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct UserFilter {
    /// Part of a name or email address.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    /// `true` for active users only, `false` for deactivated only.
    pub active: Option<bool>,
}

/// A page of users, by name.
pub async fn list_users(
    conn: &mut AsyncPgConnection,
    filter: &UserFilter,
    page: PageRequest,
) -> QueryResult<Paged<UserView>> {
    let query = || {
        let mut q = users::table.inner_join(organisations::table).into_boxed();
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                users::name
                    .ilike(pattern.clone())
                    .or(users::email.ilike(pattern)),
            );
        }
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role));
        }
        if let Some(org) = filter.organisation_id {
            q = q.filter(users::organisation_id.eq(org));
        }
        if let Some(active) = filter.active {
            q = q.filter(users::active.eq(active));
        }
        q
    };
    let total = query().count().get_result(conn).await?;
    let rows: Vec<UserRow> = query()
        .order((users::name.asc(), users::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .select((User::as_select(), organisations::legal_name))
        .load(conn)
        .await?;
    Ok(Paged::new(
        rows.into_iter().map(view).collect(),
        total,
        page,
    ))
}

/// Filters for the organisation list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct OrganisationFilter {
    /// Part of the legal name, or a registration number.
    pub q: Option<String>,
    pub kind: Option<OrganisationKind>,
    pub active: Option<bool>,
}

/// A page of organisations, by name.
pub async fn list_organisations(
    conn: &mut AsyncPgConnection,
    filter: &OrganisationFilter,
    page: PageRequest,
) -> QueryResult<Paged<Organisation>> {
    let query = || {
        let mut q = organisations::table.into_boxed();
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                organisations::legal_name
                    .ilike(pattern.clone())
                    .or(organisations::companies_house_number.ilike(pattern.clone()))
                    .or(organisations::charity_number.ilike(pattern)),
            );
        }
        if let Some(kind) = filter.kind {
            q = q.filter(organisations::kind.eq(kind));
        }
        if let Some(active) = filter.active {
            q = q.filter(organisations::active.eq(active));
        }
        q
    };
    let total = query().count().get_result(conn).await?;
    let items = query()
        .order((organisations::legal_name.asc(), organisations::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(Organisation::as_select())
        .load(conn)
        .await?;
    Ok(Paged::new(items, total, page))
}

/// An organisation with its districts and CQC locations.
pub async fn find_organisation(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<OrganisationView>> {
    let Some(organisation) = organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let districts = organisation_districts::table
        .inner_join(districts::table)
        .filter(organisation_districts::organisation_id.eq(id))
        .order(districts::name.asc())
        .select(District::as_select())
        .load(conn)
        .await?;
    let cqc_locations = cqc_locations::table
        .filter(cqc_locations::organisation_id.eq(id))
        .order(cqc_locations::name.asc())
        .select(CqcLocation::as_select())
        .load(conn)
        .await?;
    Ok(Some(OrganisationView {
        organisation,
        districts,
        cqc_locations,
    }))
}

/// The kind of an organisation, if it exists.
pub async fn organisation_kind(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<OrganisationKind>> {
    organisations::table
        .find(id)
        .select(organisations::kind)
        .first(conn)
        .await
        .optional()
}

/// Every district, by name.
pub async fn list_districts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<District>> {
    districts::table
        .order(districts::name.asc())
        .select(District::as_select())
        .load(conn)
        .await
}

/// How many of `ids` are real districts.
pub async fn count_districts(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<i64> {
    districts::table
        .filter(districts::id.eq_any(ids))
        .count()
        .get_result(conn)
        .await
}

/// Replaces an organisation's districts and CQC locations.
pub async fn replace_coverage(
    conn: &mut AsyncPgConnection,
    organisation: Uuid,
    district_ids: &[Uuid],
    locations: &[CqcLocationInput],
) -> QueryResult<()> {
    diesel::delete(
        organisation_districts::table
            .filter(organisation_districts::organisation_id.eq(organisation)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = district_ids
        .iter()
        .map(|d| {
            (
                organisation_districts::organisation_id.eq(organisation),
                organisation_districts::district_id.eq(*d),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(organisation_districts::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    // Locations kept keep their row (and id: what the rating history, and a concern's
    // `record_id`, name); those no longer listed go; new ones are inserted, where one
    // another organisation holds fails on its unique key as before.
    let listed: Vec<&str> = locations.iter().map(|l| l.location_id.as_str()).collect();
    diesel::delete(
        cqc_locations::table
            .filter(cqc_locations::organisation_id.eq(organisation))
            .filter(cqc_locations::location_id.ne_all(&listed)),
    )
    .execute(conn)
    .await?;
    let kept: Vec<String> = cqc_locations::table
        .filter(cqc_locations::organisation_id.eq(organisation))
        .select(cqc_locations::location_id)
        .load(conn)
        .await?;
    let mut rows = Vec::new();
    for l in locations {
        let rating = l.rating.unwrap_or(CqcRating::NotYetRated);
        if kept.contains(&l.location_id) {
            diesel::update(
                cqc_locations::table
                    .filter(cqc_locations::organisation_id.eq(organisation))
                    .filter(cqc_locations::location_id.eq(&l.location_id)),
            )
            .set((
                cqc_locations::name.eq(&l.name),
                cqc_locations::rating.eq(rating),
                cqc_locations::rating_date.eq(l.rating_date),
            ))
            .execute(conn)
            .await?;
        } else {
            rows.push(NewCqcLocation {
                organisation_id: organisation,
                location_id: l.location_id.clone(),
                name: l.name.clone(),
                rating,
                rating_date: l.rating_date,
            });
        }
    }
    if !rows.is_empty() {
        diesel::insert_into(cqc_locations::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}
