//! The signed-in provider's own organisation: its profile and the form to change it.

use super::form::*;
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::organisations::model::OrganisationView;
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render};
use actix_web::{HttpResponse, web};
use serde::Serialize;

#[derive(Serialize)]
struct ProfilePage {
    organisation: OrganisationView,
    rating_labels: Vec<(String, &'static str)>,
    can_edit: bool,
    is_provider_user: bool,
    /// The provider's own insurances (for its users only).
    insurances: Vec<crate::organisations::evidence::model::InsuranceView>,
}

/// GET /organisation: the signed-in user's organisation.
pub async fn own_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let organisation =
        crate::organisations::get_organisation(&mut conn, &user.0, user.0.organisation_id)
            .await
            .map_err(problem_page)?;
    // A provider's own insurances; council staff keep theirs nowhere.
    let evidence = if user.0.role == Role::Provider {
        crate::organisations::evidence::insurances::list(
            &mut conn,
            &user.0,
            user.0.organisation_id,
            crate::organisations::evidence::insurances::today(),
        )
        .await
        .map_err(problem_page)?
    } else {
        Vec::new()
    };
    let rating_labels = organisation
        .cqc_locations
        .iter()
        .map(|l| (l.location_id.clone(), l.rating.label()))
        .collect();
    Ok(render(
        "organisation",
        Layout::new(
            organisation.organisation.legal_name.clone(),
            "/organisation",
            Some(&user.0),
            &csrf,
        ),
        ProfilePage {
            is_provider_user: user.0.role == Role::Provider,
            can_edit: crate::organisations::may_edit(&user.0, user.0.organisation_id),
            organisation,
            rating_labels,
            insurances: evidence,
        },
        &csrf,
    ))
}

/// GET /organisation/edit
pub async fn edit_own_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if !crate::organisations::may_edit(&user.0, user.0.organisation_id) {
        return Err(PageError::Forbidden);
    }
    let mut conn = state.db().await?;
    let view = crate::organisations::get_organisation(&mut conn, &user.0, user.0.organisation_id)
        .await
        .map_err(problem_page)?;
    drop(conn);
    organisation_form_page(
        &state,
        Some(&user.0),
        &csrf,
        FormTarget {
            path: "/organisation/edit",
            heading: "Change your organisation's details",
            mode: FormMode::OwnEdit,
        },
        OrganisationForm::from_view(&view),
        vec![],
    )
    .await
}

/// POST /organisation/edit
pub async fn update_own_organisation(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<OrganisationForm>,
) -> Result<HttpResponse, PageError> {
    let id = user.0.organisation_id;
    save_organisation(
        &state,
        &user.0,
        id,
        form,
        "/organisation/edit",
        "/organisation",
        FormMode::OwnEdit,
    )
    .await
}
