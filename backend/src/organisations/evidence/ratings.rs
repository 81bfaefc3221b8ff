//! CQC ratings recorded by the council: a commissioner or administrator records a new
//! rating for one of a provider's locations, with the date of CQC's report; the location
//! shows it at once and every change is kept. A rating of Inadequate makes the provider
//! one with a concern ([`super::concerns`]), which the DPS context proposes suspending.

use super::model::{RatingChange, RatingInput};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{cqc_locations, cqc_rating_changes};
use crate::http::problem::FieldError;
use crate::organisations::OrganisationError;
use crate::organisations::model::CqcLocation;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

type Result<T> = std::result::Result<T, OrganisationError>;

/// Whether `user` may record CQC ratings: commissioners and administrators.
pub fn may_record(user: &AuthUser) -> bool {
    matches!(user.role, Role::Admin | Role::Commissioner)
}

/// Records `input` as the current rating of location `location` (the row's id) of
/// organisation `org`, as of `today` (London). Call inside a transaction.
pub async fn record(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    location: Uuid,
    input: &RatingInput,
    today: NaiveDate,
) -> Result<CqcLocation> {
    if !crate::organisations::may_view(user, org) {
        return Err(OrganisationError::NotFound);
    }
    if !may_record(user) {
        return Err(OrganisationError::Forbidden);
    }
    let before: CqcLocation = cqc_locations::table
        .filter(cqc_locations::id.eq(location))
        .filter(cqc_locations::organisation_id.eq(org))
        .select(CqcLocation::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(OrganisationError::Missing("CQC location"))?;
    if input.report_date > today {
        return Err(OrganisationError::Invalid(vec![FieldError::new(
            "report_date",
            "The date of the report must be today or in the past",
        )]));
    }
    let after: CqcLocation = diesel::update(cqc_locations::table.find(location))
        .set((
            cqc_locations::rating.eq(input.rating),
            cqc_locations::rating_date.eq(Some(input.report_date)),
        ))
        .returning(CqcLocation::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(cqc_rating_changes::table)
        .values((
            cqc_rating_changes::organisation_id.eq(org),
            cqc_rating_changes::location_id.eq(&before.location_id),
            cqc_rating_changes::location_name.eq(&before.name),
            cqc_rating_changes::previous_rating.eq(before.rating),
            cqc_rating_changes::rating.eq(input.rating),
            cqc_rating_changes::report_date.eq(input.report_date),
            cqc_rating_changes::recorded_by.eq(user.id),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("cqc_rating.recorded", "organisation", org)
            .for_organisation(org)
            .with_details(serde_json::json!({
                "location": format!("{} ({})", before.name, before.location_id),
                "previous_rating": before.rating.label(),
                "rating": input.rating.label(),
                "report_date": input.report_date,
            })),
    )
    .await?;
    Ok(after)
}

/// Every rating the council recorded for `org`'s locations, newest first (its own users
/// and council staff).
pub async fn history(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
) -> Result<Vec<RatingChange>> {
    if !crate::organisations::may_view(user, org) {
        return Err(OrganisationError::NotFound);
    }
    cqc_rating_changes::table
        .filter(cqc_rating_changes::organisation_id.eq(org))
        .order((
            cqc_rating_changes::recorded_at.desc(),
            cqc_rating_changes::id.asc(),
        ))
        .limit(500)
        .select(RatingChange::as_select())
        .load(conn)
        .await
        .map_err(Into::into)
}
