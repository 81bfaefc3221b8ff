//! The sign-in page and signing out, for browsers.

use super::LoginError;
use super::csrf::CsrfToken;
use super::extract::{MaybePageUser, PageUser, SESSION_COOKIE};
use super::token::TokenType;
use crate::audit::{self, Actor};
use crate::http::AppState;
use crate::http::problem::FieldError;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render_status, safe_next, see_other};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// `?next=` on the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    #[serde(skip_serializing)]
    password: String,
    next: String,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    form: &'a LoginForm,
    errors: Vec<FieldError>,
    demo_accounts: Vec<&'static str>,
}

fn login_page(
    state: &AppState,
    form: &LoginForm,
    errors: Vec<FieldError>,
    csrf: &CsrfToken,
    status: StatusCode,
) -> HttpResponse {
    let demo_accounts = if state.settings.demo_mode {
        crate::seed::DEMO_EMAILS.to_vec()
    } else {
        Vec::new()
    };
    let title = if errors.is_empty() {
        "Sign in"
    } else {
        "Error: Sign in"
    };
    render_status(
        status,
        "login",
        Layout::new(title, "/login", None, csrf),
        LoginPage {
            form,
            errors,
            demo_accounts,
        },
        csrf,
    )
}

/// GET /login
pub async fn login_form(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    if user.0.is_some() {
        return see_other(&safe_next(query.next.as_deref()));
    }
    let form = LoginForm {
        next: safe_next(query.next.as_deref()),
        ..Default::default()
    };
    login_page(&state, &form, Vec::new(), &csrf, StatusCode::OK)
}

/// POST /login
pub async fn login(
    state: web::Data<AppState>,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut errors = Vec::new();
    if form.email.trim().is_empty() {
        errors.push(FieldError::new("email", "Enter your email address"));
    }
    if form.password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    if !errors.is_empty() {
        return Ok(login_page(
            &state,
            &form,
            errors,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let mut conn = state.db().await?;
    let user = match super::authenticate(&mut conn, &form.email, &form.password).await {
        Ok(user) => user,
        Err(LoginError::Invalid) => {
            let errors = vec![FieldError::new(
                "email",
                "Enter a correct email address and password",
            )];
            return Ok(login_page(
                &state,
                &form,
                errors,
                &csrf,
                StatusCode::UNAUTHORIZED,
            ));
        }
        Err(LoginError::Locked {
            retry_after_seconds,
        }) => {
            let minutes = (retry_after_seconds + 59) / 60;
            let errors = vec![FieldError::new(
                "email",
                format!(
                    "This account is locked after too many failed attempts. Try again in {minutes} minute(s)."
                ),
            )];
            return Ok(login_page(
                &state,
                &form,
                errors,
                &csrf,
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        Err(LoginError::Database(e)) => return Err(e.into()),
        Err(LoginError::Internal(e)) => return Err(e.into()),
    };
    let issued = state.tokens.issue(
        user.id,
        user.organisation_id,
        user.role,
        TokenType::Session,
        chrono::Utc::now().timestamp_millis(),
    )?;
    audit::record(
        &mut conn,
        &Actor::user(user.id, &user.email),
        audit::Entry::new("user.signed_in", "user", user.id).for_organisation(user.organisation_id),
    )
    .await?;
    let cookie = Cookie::build(SESSION_COOKIE, issued.token)
        .path("/")
        .http_only(true)
        .secure(state.settings.public_url.starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            issued.expires_in,
        ))
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", safe_next(Some(&form.next))))
        .cookie(cookie)
        .finish())
}

/// The sign-out form carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// POST /logout: revokes the session and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    user: PageUser,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    super::revoke(&mut conn, &user.0).await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?signed_out=1"))
        .cookie(gone)
        .finish())
}
