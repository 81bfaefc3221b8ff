//! The organisation form, shared by registration, the provider's own profile and the
//! administrator's organisation pages: parsing, rendering with errors, saving.

use crate::auth::AuthUser;
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::http::problem::FieldError;
use crate::organisations::model::{CqcRating, OrganisationView};
use crate::organisations::queries::{self};
use crate::organisations::rules::{CqcLocationInput, OrganisationInput};
use crate::organisations::{OrganisationError, field_errors};
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render_status, see_other};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How many CQC location rows the organisation form offers.
pub(super) const LOCATION_ROWS: usize = 5;

/// The organisation form as posted (repeated fields for districts and CQC locations).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrganisationForm {
    pub(super) legal_name: String,
    pub(super) companies_house_number: String,
    pub(super) charity_number: String,
    pub(super) address_line1: String,
    pub(super) address_line2: String,
    pub(super) town: String,
    pub(super) postcode: String,
    pub(super) district_ids: Vec<String>,
    pub(super) cqc_location_id: Vec<String>,
    pub(super) cqc_name: Vec<String>,
    pub(super) cqc_rating: Vec<String>,
    pub(super) cqc_rating_date: Vec<String>,
    pub(super) kind: String,
    pub(super) active: String,
    // registration only
    pub(super) email: String,
    pub(super) name: String,
    #[serde(skip_serializing)]
    pub(super) password: String,
}

impl OrganisationForm {
    pub(super) fn from_view(view: &OrganisationView) -> Self {
        let o = &view.organisation;
        let mut form = Self {
            legal_name: o.legal_name.clone(),
            companies_house_number: o.companies_house_number.clone().unwrap_or_default(),
            charity_number: o.charity_number.clone().unwrap_or_default(),
            address_line1: o.address_line1.clone(),
            address_line2: o.address_line2.clone(),
            town: o.town.clone(),
            postcode: o.postcode.clone(),
            district_ids: view.districts.iter().map(|d| d.id.to_string()).collect(),
            kind: o.kind.as_str().into(),
            active: if o.active {
                "true".into()
            } else {
                "false".into()
            },
            ..Default::default()
        };
        for l in &view.cqc_locations {
            form.cqc_location_id.push(l.location_id.clone());
            form.cqc_name.push(l.name.clone());
            form.cqc_rating.push(l.rating.as_str().into());
            form.cqc_rating_date
                .push(l.rating_date.map(|d| d.to_string()).unwrap_or_default());
        }
        form
    }

    /// Turns the form into the shared input, collecting errors for fields only forms have.
    pub(super) fn to_input(&self, errors: &mut Vec<FieldError>) -> OrganisationInput {
        let mut district_ids = Vec::new();
        for id in &self.district_ids {
            match id.parse::<Uuid>() {
                Ok(id) => district_ids.push(id),
                Err(_) => errors.push(FieldError::new(
                    "district_ids",
                    "Choose districts from the list",
                )),
            }
        }
        let mut cqc_locations = Vec::new();
        for i in 0..self.cqc_location_id.len().min(LOCATION_ROWS * 4) {
            let get = |v: &Vec<String>| v.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            let (location_id, name, rating, date) = (
                get(&self.cqc_location_id),
                get(&self.cqc_name),
                get(&self.cqc_rating),
                get(&self.cqc_rating_date),
            );
            if location_id.is_empty() && name.is_empty() {
                continue;
            }
            let rating = if rating.is_empty() {
                None
            } else {
                rating.parse::<CqcRating>().ok()
            };
            let rating_date = if date.is_empty() {
                None
            } else {
                match chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("cqc_locations[{}].rating_date", cqc_locations.len()),
                            "Enter the rating date as year-month-day, like 2024-03-27",
                        ));
                        None
                    }
                }
            };
            cqc_locations.push(CqcLocationInput {
                location_id,
                name,
                rating,
                rating_date,
            });
        }
        OrganisationInput {
            legal_name: self.legal_name.clone(),
            companies_house_number: self.companies_house_number.clone(),
            charity_number: self.charity_number.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            district_ids,
            cqc_locations,
        }
    }
}

#[derive(Serialize)]
pub(super) struct LocationRow {
    pub(super) index: usize,
    pub(super) number: usize,
    pub(super) location_id: String,
    pub(super) name: String,
    pub(super) date: String,
    pub(super) ratings: Vec<Choice>,
}

#[derive(Serialize)]
pub(super) struct Choice {
    pub(super) value: String,
    pub(super) text: String,
    pub(super) selected: bool,
}

#[derive(Serialize)]
pub(super) struct OrganisationFormPage {
    pub(super) form: OrganisationForm,
    pub(super) errors: Vec<FieldError>,
    pub(super) districts: Vec<Choice>,
    pub(super) locations: Vec<LocationRow>,
    pub(super) kinds: Vec<Choice>,
    pub(super) action: String,
    pub(super) heading: String,
    pub(super) is_admin: bool,
    pub(super) is_new: bool,
    pub(super) is_registration: bool,
    pub(super) show_active: bool,
    pub(super) active: bool,
}

/// Where an organisation form posts, its heading, and which variant it is.
pub(super) struct FormTarget<'a> {
    pub(super) path: &'a str,
    pub(super) heading: &'a str,
    pub(super) mode: FormMode,
}

pub(super) async fn organisation_form_page(
    state: &AppState,
    user: Option<&AuthUser>,
    csrf: &CsrfToken,
    target: FormTarget<'_>,
    form: OrganisationForm,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let FormTarget {
        path,
        heading,
        mode,
    } = target;
    let mut conn = state.db().await?;
    let districts = queries::list_districts(&mut conn)
        .await?
        .into_iter()
        .map(|d| Choice {
            selected: form.district_ids.contains(&d.id.to_string()),
            value: d.id.to_string(),
            text: d.name,
        })
        .collect();
    let locations = (0..LOCATION_ROWS
        .max(form.cqc_location_id.len() + 1)
        .min(LOCATION_ROWS * 2))
        .map(|i| {
            let get = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
            let rating = get(&form.cqc_rating);
            LocationRow {
                index: i,
                number: i + 1,
                location_id: get(&form.cqc_location_id),
                name: get(&form.cqc_name),
                date: get(&form.cqc_rating_date),
                ratings: CqcRating::ALL
                    .iter()
                    .map(|r| Choice {
                        value: r.as_str().into(),
                        text: r.label().into(),
                        selected: rating == r.as_str(),
                    })
                    .collect(),
            }
        })
        .collect();
    let kinds = [("provider", "Care provider"), ("council", "Council")]
        .iter()
        .map(|(v, t)| Choice {
            value: (*v).into(),
            text: (*t).into(),
            selected: form.kind == *v,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = heading.to_string();
    let active = form.active != "false";
    Ok(render_status(
        status,
        "organisation_form",
        back_from(Layout::new(title, path, user, csrf), path),
        OrganisationFormPage {
            errors,
            districts,
            locations,
            kinds,
            action: path.to_string(),
            heading: heading.to_string(),
            is_admin: user.is_some_and(|u| u.role == Role::Admin),
            is_new: matches!(mode, FormMode::New | FormMode::Registration),
            is_registration: matches!(mode, FormMode::Registration),
            show_active: matches!(mode, FormMode::AdminEdit),
            active,
            form,
        },
        csrf,
    ))
}

#[derive(Clone, Copy)]
pub(super) enum FormMode {
    Registration,
    New,
    AdminEdit,
    OwnEdit,
}

/// The way back from an organisation form: to the list (administrators) or the profile
/// (a provider); registering has no page before it.
fn back_from(layout: Layout, path: &str) -> Layout {
    if path.starts_with("/admin") {
        layout.back_to("/admin/organisations")
    } else if path.starts_with("/organisation") {
        layout.back_to("/organisation")
    } else {
        layout
    }
}

pub(super) async fn save_organisation(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    form: CsrfForm<OrganisationForm>,
    path: &str,
    done: &str,
    mode: FormMode,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut errors = Vec::new();
    let input = form.to_input(&mut errors);
    let active = matches!(mode, FormMode::AdminEdit).then(|| form.active != "false");
    if errors.is_empty() {
        let mut conn = state.db().await?;
        let result = conn
            .transaction::<_, OrganisationError, _>(async move |tx| {
                crate::organisations::update_organisation(tx, user, id, &input, active).await
            })
            .await;
        match result {
            Ok(_) => return Ok(see_other(done)),
            Err(e) => errors = field_errors(&e).ok_or_else(|| problem_page(e))?,
        }
    }
    let heading = if matches!(mode, FormMode::OwnEdit) {
        "Change your organisation's details"
    } else {
        "Change organisation"
    };
    organisation_form_page(
        state,
        Some(user),
        &csrf,
        FormTarget {
            path,
            heading,
            mode,
        },
        form,
        errors,
    )
    .await
}

pub(crate) fn problem_page(e: OrganisationError) -> PageError {
    PageError::from(crate::http::problem::Problem::from(e))
}
