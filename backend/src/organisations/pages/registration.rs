//! Provider registration: the form, the emailed link's confirmation page.

use super::form::*;
use crate::auth::csrf::CsrfToken;
use crate::organisations::{NewUserInput, OrganisationError, RegistrationInput, field_errors};
use crate::state::AppState;
use crate::web::MaybePageUser;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};

/// GET /register
pub async fn register_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if user.0.is_some() {
        return Ok(see_other("/dashboard"));
    }
    organisation_form_page(
        &state,
        None,
        &csrf,
        FormTarget {
            path: "/register",
            heading: "Register your organisation",
            mode: FormMode::Registration,
        },
        OrganisationForm::default(),
        vec![],
    )
    .await
}

/// POST /register: the same answer whether or not the address has an account
/// (`registration`).
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<OrganisationForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    state
        .rate_limits
        .check(crate::auth::throttle::Door::Registration, &req)?;
    let mut errors = Vec::new();
    let input = RegistrationInput {
        organisation: form.to_input(&mut errors),
        user: NewUserInput {
            email: form.email.clone(),
            name: form.name.clone(),
            password: form.password.clone(),
            role: None,
            organisation_id: None,
        },
    };
    if errors.is_empty() {
        let mut conn = state.db().await?;
        let mail = &state.mail;
        let result = conn
            .transaction::<_, OrganisationError, _>(async move |tx| {
                crate::organisations::registration::request(tx, mail, &input).await
            })
            .await;
        match result {
            Ok(()) => {
                return Ok(crate::web::message_page(
                    StatusCode::OK,
                    &csrf,
                    None,
                    "Check your email",
                    vec![
                        format!(
                            "We have sent an email to {}. Open the link in it to finish registering {}.",
                            form.email.trim(),
                            form.legal_name.trim()
                        ),
                        format!(
                            "The link works for {} hours. Until you open it, nothing is registered and you cannot sign in.",
                            crate::organisations::registration::CONFIRM_HOURS
                        ),
                        "If nothing arrives within a few minutes, check your spam folder.".into(),
                    ],
                    None,
                ));
            }
            Err(e) => {
                errors = field_errors(&e)
                    .ok_or_else(|| PageError::from(crate::http::problem::Problem::from(e)))?
            }
        }
    }
    organisation_form_page(
        &state,
        None,
        &csrf,
        FormTarget {
            path: "/register",
            heading: "Register your organisation",
            mode: FormMode::Registration,
        },
        form,
        errors,
    )
    .await
}

/// `?token=` on an emailed link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    token: &'a str,
}

fn dead_registration_link(csrf: &CsrfToken) -> HttpResponse {
    crate::web::message_page(
        StatusCode::BAD_REQUEST,
        csrf,
        None,
        "This link has expired or has already been used",
        vec![format!(
            "Registration links work once, for {} hours. If you have already finished registering, sign in. Otherwise, register again.",
            crate::organisations::registration::CONFIRM_HOURS
        )],
        Some(("/register", "Register your organisation")),
    )
}

/// GET /register/confirm?token=…: a button, so that a mail scanner opening the link does
/// not finish the registration for you.
pub async fn confirm_registration_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    if !crate::organisations::registration::is_live(&mut conn, &query.token).await? {
        return Ok(dead_registration_link(&csrf));
    }
    Ok(render(
        "register_confirm",
        Layout::new("Finish registering", "/register", None, &csrf),
        ConfirmPage {
            token: &query.token,
        },
        &csrf,
    ))
}

/// POST /register/confirm: creates the organisation and its first user.
pub async fn confirm_registration(
    state: web::Data<AppState>,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            crate::organisations::registration::confirm(tx, &form.token).await
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/login?registered=1")),
        Err(OrganisationError::InvalidLink) => Ok(dead_registration_link(&csrf)),
        Err(OrganisationError::Invalid(errors)) => Ok(crate::web::message_page(
            StatusCode::CONFLICT,
            &csrf,
            None,
            "Your organisation could not be registered",
            errors.into_iter().map(|e| e.message).collect(),
            Some(("/login", "Sign in")),
        )),
        Err(e) => Err(problem_page(e)),
    }
}
