//! The organisation record: creating one, who may view and edit it, reading it with its
//! districts and CQC locations, and changing it.

use super::*;

/// An administrator creates an organisation (council or provider). Call inside a transaction.
pub async fn create_organisation(
    tx: &mut AsyncPgConnection,
    actor: &AuthUser,
    kind: OrganisationKind,
    input: &OrganisationInput,
) -> Result<OrganisationView, OrganisationError> {
    let valid = rules::organisation(kind, input).map_err(OrganisationError::Invalid)?;
    let mut errors = Vec::new();
    check_districts(tx, &valid, &mut errors).await?;
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let organisation = queries::insert_organisation(tx, &valid).await?;
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new("organisation.created", "organisation", organisation.id)
            .for_organisation(organisation.id)
            .with_details(serde_json::json!({"legal_name": organisation.legal_name, "kind": kind})),
    )
    .await?;
    queries::find_organisation(tx, organisation.id)
        .await?
        .ok_or(OrganisationError::NotFound)
}

/// Whether `viewer` may see organisation `id`: council staff see every organisation, a
/// provider user only their own.
pub fn may_view(viewer: &AuthUser, id: Uuid) -> bool {
    viewer.is_council() || viewer.organisation_id == id
}

/// Whether `editor` may change organisation `id`: administrators any, a provider user only
/// their own.
pub fn may_edit(editor: &AuthUser, id: Uuid) -> bool {
    editor.role == Role::Admin || (editor.role == Role::Provider && editor.organisation_id == id)
}

/// An organisation as `viewer` may see it; not found when they may not.
pub async fn get_organisation(
    conn: &mut AsyncPgConnection,
    viewer: &AuthUser,
    id: Uuid,
) -> Result<OrganisationView, OrganisationError> {
    if !may_view(viewer, id) {
        return Err(OrganisationError::NotFound);
    }
    queries::find_organisation(conn, id)
        .await?
        .ok_or(OrganisationError::NotFound)
}

/// Updates an organisation's profile (administrators, or a provider user for their own).
/// An administrator may also activate or deactivate it. Call inside a transaction.
pub async fn update_organisation(
    tx: &mut AsyncPgConnection,
    editor: &AuthUser,
    id: Uuid,
    input: &OrganisationInput,
    active: Option<bool>,
) -> Result<OrganisationView, OrganisationError> {
    if !may_view(editor, id) {
        return Err(OrganisationError::NotFound);
    }
    if !may_edit(editor, id) || (active.is_some() && editor.role != Role::Admin) {
        return Err(OrganisationError::Forbidden);
    }
    let before = queries::find_organisation(tx, id)
        .await?
        .ok_or(OrganisationError::NotFound)?;
    let mut valid =
        rules::organisation(before.organisation.kind, input).map_err(OrganisationError::Invalid)?;
    if editor.role == Role::Provider {
        let recorded = last_recorded_ratings(tx, id).await?;
        keep_recorded_ratings(&mut valid, &before, &recorded);
    }
    let mut errors = Vec::new();
    check_districts(tx, &valid, &mut errors).await?;
    if active == Some(false) && id == editor.organisation_id {
        errors.push(FieldError::new(
            "active",
            "You cannot deactivate your own organisation",
        ));
    }
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    let o = &valid.organisation;
    diesel::update(organisations::table.find(id))
        .set((
            OrganisationChanges {
                legal_name: o.legal_name.clone(),
                companies_house_number: o.companies_house_number.clone(),
                charity_number: o.charity_number.clone(),
                address_line1: o.address_line1.clone(),
                address_line2: o.address_line2.clone(),
                town: o.town.clone(),
                postcode: o.postcode.clone(),
            },
            organisations::active.eq(active.unwrap_or(before.organisation.active)),
            organisations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(tx)
        .await?;
    queries::replace_coverage(tx, id, &valid.district_ids, &valid.cqc_locations).await?;
    let action = match (before.organisation.active, active) {
        (true, Some(false)) => "organisation.deactivated",
        (false, Some(true)) => "organisation.reactivated",
        _ => "organisation.updated",
    };
    audit::record(
        tx,
        &editor.actor(),
        audit::Entry::new(action, "organisation", id)
            .for_organisation(id)
            .with_details(serde_json::json!({
                "legal_name": o.legal_name,
                "districts": valid.district_ids.len(),
                "cqc_locations": valid.cqc_locations.len(),
            })),
    )
    .await?;
    queries::find_organisation(tx, id)
        .await?
        .ok_or(OrganisationError::NotFound)
}

/// The last rating the council recorded for each of the organisation's CQC location ids
/// (`evidence::ratings`), whether or not the location is still on its profile.
async fn last_recorded_ratings(
    tx: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Vec<(String, CqcRating, chrono::NaiveDate)>> {
    use crate::db::schema::cqc_rating_changes as changes;
    changes::table
        .filter(changes::organisation_id.eq(id))
        .distinct_on(changes::location_id)
        .order((changes::location_id, changes::recorded_at.desc()))
        .select((changes::location_id, changes::rating, changes::report_date))
        .load(tx)
        .await
}

/// A provider's own edit keeps the ratings its existing locations have: those are CQC's,
/// recorded by the council (`evidence::ratings`), and a provider's suspension can hang on
/// them. A location removed and added again keeps the rating the council last recorded
/// for it, so an Inadequate rating cannot be shed that way. A location new to the council
/// keeps the rating the provider declares, as at registration.
fn keep_recorded_ratings(
    valid: &mut ValidOrganisation,
    before: &OrganisationView,
    recorded: &[(String, CqcRating, chrono::NaiveDate)],
) {
    for location in &mut valid.cqc_locations {
        if let Some(stored) = before
            .cqc_locations
            .iter()
            .find(|l| l.location_id == location.location_id)
        {
            location.rating = Some(stored.rating);
            location.rating_date = stored.rating_date;
        } else if let Some((_, rating, date)) =
            recorded.iter().find(|(l, _, _)| *l == location.location_id)
        {
            location.rating = Some(*rating);
            location.rating_date = Some(*date);
        }
    }
}
