//! The form that adds or changes an insurance: what was typed is saved as a draft, and the
//! check-your-answers page saves it. A certificate uploaded with a form that had other
//! errors is kept and carried, so nobody has to choose the file again.

use super::insurances::require_provider;
use crate::auth::csrf::CsrfToken;
use crate::http::problem::{FieldError, Problem};
use crate::money::Pence;
use crate::organisations::OrganisationError;
use crate::organisations::evidence::insurances::{self, DraftOf};
use crate::organisations::evidence::model::{InsuranceInput, InsuranceKind, InsuranceView};
use crate::organisations::evidence::rules;
use crate::organisations::pages::problem_page;
use crate::state::AppState;
use crate::web::date_input::{DateInput, DateParts};
use crate::web::multipart::PageForm;
use crate::web::page::{page_errors, shown_on_page};
use crate::web::{Feedback, Layout, PageError, PageUser, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct KindChoice {
    value: &'static str,
    text: &'static str,
    checked: bool,
}

/// The form as shown: what was typed (or stored), and the certificate already uploaded.
#[derive(Serialize, Default)]
struct FormView {
    action: String,
    heading: String,
    kinds: Vec<KindChoice>,
    description: String,
    insurer: String,
    cover: String,
    starts_on: DateParts,
    expires_on: DateParts,
    certificate_file_id: String,
    certificate_name: String,
}

fn kinds(chosen: &str) -> Vec<KindChoice> {
    InsuranceKind::ALL
        .iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            text: k.label(),
            checked: k.as_str() == chosen,
        })
        .collect()
}

impl FormView {
    fn of(view: &InsuranceView) -> Self {
        Self {
            kinds: kinds(view.kind.as_str()),
            description: view.description.clone(),
            insurer: view.insurer.clone(),
            cover: Pence(view.cover_pence).for_input(),
            starts_on: DateParts::of_date(view.starts_on),
            expires_on: DateParts::of_date(view.expires_on),
            certificate_file_id: view.certificate.id.to_string(),
            certificate_name: view.certificate.file_name.clone(),
            ..Default::default()
        }
    }

    fn posted(form: &PageForm) -> Self {
        let get = |name: &str| form.get(name).unwrap_or_default().to_string();
        let date = |name: &str| DateParts {
            day: get(&format!("{name}_day")),
            month: get(&format!("{name}_month")),
            year: get(&format!("{name}_year")),
            time: String::new(),
        };
        Self {
            kinds: kinds(&get("kind")),
            description: get("description"),
            insurer: get("insurer"),
            cover: get("cover"),
            starts_on: date("starts_on"),
            expires_on: date("expires_on"),
            certificate_file_id: get("certificate_file_id"),
            certificate_name: get("certificate_name"),
            ..Default::default()
        }
    }

    /// The input the form holds, or the errors in reading it.
    fn input(&self) -> Result<InsuranceInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = self
            .kinds
            .iter()
            .find(|k| k.checked)
            .and_then(|k| k.value.parse::<InsuranceKind>().ok());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose the kind of insurance"));
        }
        // The words are checked here too, so that one post shows every problem.
        errors.extend(rules::text_errors(
            kind,
            self.description.trim(),
            self.insurer.trim(),
        ));
        let cover = match Pence::parse_pounds(&self.cover) {
            Ok(Some(p)) => Some(p.0),
            Ok(None) => {
                errors.push(FieldError::new(
                    "cover",
                    "Enter the limit of cover in pounds",
                ));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(
                    "cover",
                    "Enter the limit of cover in pounds, like 5,000,000",
                ));
                None
            }
        };
        let mut date = |name: &'static str, label: &'static str, parts: &DateParts| {
            DateInput {
                name,
                label,
                day: &parts.day,
                month: &parts.month,
                year: &parts.year,
            }
            .date()
            .map_err(|e| errors.push(e))
            .ok()
        };
        let starts_on = date("starts_on", "The start date", &self.starts_on);
        let expires_on = date("expires_on", "The expiry date", &self.expires_on);
        let certificate = self.certificate_file_id.parse::<Uuid>().ok();
        if certificate.is_none() {
            errors.push(FieldError::new(
                "certificate",
                "Choose the insurance certificate to upload",
            ));
        }
        match (kind, cover, starts_on, expires_on, certificate) {
            (Some(kind), Some(cover_pence), Some(starts_on), Some(expires_on), Some(file))
                if errors.is_empty() =>
            {
                Ok(InsuranceInput {
                    kind,
                    description: self.description.clone(),
                    insurer: self.insurer.clone(),
                    cover_pence,
                    starts_on,
                    expires_on,
                    certificate_file_id: file,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The page's input for an API field.
fn input_for(field: &str) -> String {
    match field {
        "cover_pence" => "cover".into(),
        "starts_on" => "starts_on_date".into(),
        "expires_on" => "expires_on_date".into(),
        "certificate_file_id" | "file" => "certificate".into(),
        other => other.into(),
    }
}

fn show(
    user: &PageUser,
    csrf: &CsrfToken,
    mut view: FormView,
    target: Option<Uuid>,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let (action, heading) = match target {
        None => (
            "/organisation/insurances/new".to_string(),
            "Add an insurance",
        ),
        Some(id) => (
            format!("/organisation/insurances/{id}/edit"),
            "Change an insurance",
        ),
    };
    view.action = action;
    view.heading = heading.into();
    let layout = Layout::new(heading, "/organisation", Some(&user.0), csrf)
        .back_to("/organisation/insurances");
    render_page(
        "evidence/insurance_form",
        layout,
        &view,
        Feedback::errors(errors),
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    )
}

/// GET /organisation/insurances/new
pub async fn new_page(user: PageUser, csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    require_provider(&user)?;
    let view = FormView {
        kinds: kinds(""),
        ..Default::default()
    };
    Ok(show(&user, &csrf, view, None, Vec::new()))
}

/// GET /organisation/insurances/{id}/edit: a saved insurance or a draft, filled in.
pub async fn edit_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let org = require_provider(&user)?;
    let mut conn = state.db().await?;
    let view = insurances::get(&mut conn, &user.0, org, *id, insurances::today())
        .await
        .map_err(problem_page)?;
    Ok(show(
        &user,
        &csrf,
        FormView::of(&view),
        Some(*id),
        Vec::new(),
    ))
}

/// POST /organisation/insurances/new
pub async fn save_new(
    state: web::Data<AppState>,
    user: PageUser,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    save(&state, &user, form, None).await
}

/// POST /organisation/insurances/{id}/edit
pub async fn save_edit(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    save(&state, &user, form, Some(*id)).await
}

async fn save(
    state: &AppState,
    user: &PageUser,
    form: PageForm,
    target: Option<Uuid>,
) -> Result<HttpResponse, PageError> {
    let org = require_provider(user)?;
    let mut view = FormView::posted(&form);
    let mut errors = Vec::new();
    let mut conn = state.db().await?;
    // The file is stored on its own, before the rest is checked, so that it survives a
    // form shown again with errors (its id is carried in a hidden field).
    if let Some(upload) = form.files.into_iter().find(|f| f.field == "certificate") {
        let stored = conn
            .transaction::<_, Problem, _>(async |tx| {
                insurances::upload_certificate(
                    tx,
                    &state.files,
                    &user.0,
                    org,
                    &upload.file_name,
                    upload.bytes,
                )
                .await
            })
            .await;
        match stored {
            Ok(file) => {
                view.certificate_file_id = file.id.to_string();
                view.certificate_name = file.file_name;
            }
            Err(p) if shown_on_page(&p) => errors.extend(page_errors(&p, input_for)),
            Err(p) => return Err(p.into()),
        }
    }
    let input = view.input();
    if let (Ok(input), true) = (&input, errors.is_empty()) {
        let of = target.map_or(DraftOf::New, DraftOf::Existing);
        let saved = conn
            .transaction::<_, OrganisationError, _>(async |tx| {
                insurances::save_draft(tx, &user.0, org, of, input).await
            })
            .await;
        match saved {
            Ok(draft) => {
                return Ok(see_other(&format!(
                    "/organisation/insurances/{draft}/check"
                )));
            }
            Err(e) => {
                let p = Problem::from(e);
                if !shown_on_page(&p) {
                    return Err(p.into());
                }
                errors.extend(page_errors(&p, input_for));
            }
        }
    } else if let Err(read) = input {
        // A file refused just now is named once, not also as missing.
        let refused = errors.iter().any(|e| e.field == "certificate");
        errors.extend(
            read.into_iter()
                .filter(|e| !(refused && e.field == "certificate")),
        );
    }
    Ok(show(user, &form.csrf, view, target, errors))
}
