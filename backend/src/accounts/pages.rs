//! The sign-in page and signing out, for browsers.

use crate::audit::{self, Actor};
use crate::auth::LoginError;
use crate::auth::csrf::CsrfToken;
use crate::auth::extract::SESSION_COOKIE;
use crate::auth::token::TokenType;
use crate::http::problem::FieldError;
use crate::state::AppState;
use crate::web::extract::{MaybePageUser, PageUser};
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{Layout, PageError, message_page, render_status, safe_next, see_other};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};

/// `?next=` on the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    registered: Option<String>,
    reset: Option<String>,
    signed_out: Option<String>,
    joined: Option<String>,
}

impl NextQuery {
    /// A line of good news after a redirect here.
    fn notice(&self) -> Option<&'static str> {
        if self.registered.is_some() {
            Some("Your organisation is registered. Sign in to continue.")
        } else if self.reset.is_some() {
            Some("Your password has been changed. Sign in with your new password.")
        } else if self.joined.is_some() {
            Some("Your account has been created. Sign in with your email address and new password.")
        } else if self.signed_out.is_some() {
            Some("You have signed out.")
        } else {
            None
        }
    }
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
    notice: Option<&'static str>,
}

fn login_page(
    state: &AppState,
    form: &LoginForm,
    errors: Vec<FieldError>,
    csrf: &CsrfToken,
    status: StatusCode,
) -> HttpResponse {
    login_page_with(state, form, errors, csrf, status, None)
}

fn login_page_with(
    state: &AppState,
    form: &LoginForm,
    errors: Vec<FieldError>,
    csrf: &CsrfToken,
    status: StatusCode,
    notice: Option<&'static str>,
) -> HttpResponse {
    let demo_accounts = if state.settings.demo_mode {
        super::demo::DEMO_EMAILS.to_vec()
    } else {
        Vec::new()
    };
    let title = "Sign in";
    render_status(
        status,
        "login",
        Layout::new(title, "/login", None, csrf),
        LoginPage {
            form,
            errors,
            demo_accounts,
            notice,
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
    login_page_with(
        &state,
        &form,
        Vec::new(),
        &csrf,
        StatusCode::OK,
        query.notice(),
    )
}

/// POST /login
pub async fn login(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    state
        .rate_limits
        .check(crate::auth::throttle::Door::SignIn, &req)?;
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
    let client = state.rate_limits.client(&req);
    let user = match crate::auth::authenticate(&mut conn, &form.email, &form.password, client).await
    {
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
            let errors = vec![FieldError::new(
                "email",
                LoginError::locked_message(retry_after_seconds),
            )];
            return Ok(login_page(
                &state,
                &form,
                errors,
                &csrf,
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        Err(other) => return Err(crate::http::problem::Problem::from(other).into()),
    };
    let issued = state.gate.tokens.issue(
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
    let secure = state.settings.public_url.starts_with("https://");
    let cookie = Cookie::build(SESSION_COOKIE, issued.token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            issued.expires_in,
        ))
        .finish();
    // A new CSRF cookie with the new session: nothing planted before sign-in carries over.
    let csrf = CsrfToken::rotated(&state.gate.csrf_key, &issued.claims.jti.to_string(), secure);
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", safe_next(Some(&form.next))))
        .cookie(cookie)
        .cookie(csrf.rotated_cookie())
        .finish())
}

/// POST /logout: revokes the session and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    user: PageUser,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    crate::auth::revoke(&mut conn, &user.0).await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?signed_out=1"))
        .cookie(gone)
        .finish())
}

/// The forgotten-password form.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

#[derive(Serialize)]
struct ForgotPage<'a> {
    form: &'a ForgotForm,
    errors: Vec<FieldError>,
}

/// GET /forgot-password
pub async fn forgot_password_form(csrf: CsrfToken) -> HttpResponse {
    render_status(
        StatusCode::OK,
        "forgot_password",
        Layout::new("Reset your password", "/forgot-password", None, &csrf),
        ForgotPage {
            form: &ForgotForm::default(),
            errors: vec![],
        },
        &csrf,
    )
}

/// POST /forgot-password: the same answer whether or not the address has an account.
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    state
        .rate_limits
        .check(crate::auth::throttle::Door::PasswordReset, &req)?;
    let mut errors = Vec::new();
    crate::organisations::rules::email("email", &form.email, &mut errors);
    if !errors.is_empty() {
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "forgot_password",
            Layout::new("Reset your password", "/forgot-password", None, &csrf),
            ForgotPage {
                form: &form,
                errors,
            },
            &csrf,
        ));
    }
    let mut conn = state.db().await?;
    crate::auth::account::request_password_reset(&mut conn, &state.mail, &form.email)
        .await
        .map_err(account_page_error)?;
    Ok(message_page(
        StatusCode::OK,
        &csrf,
        None,
        "Check your email",
        vec![
            format!("If {} has an account, we have sent it a link to reset the password. The link works for 1 hour.", form.email.trim()),
            "If nothing arrives within a few minutes, check your spam folder, or ask your administrator.".into(),
        ],
        Some(("/login", "Back to sign in")),
    ))
}

fn account_page_error(e: crate::auth::account::AccountError) -> PageError {
    match e {
        crate::auth::account::AccountError::Database(e) => e.into(),
        crate::auth::account::AccountError::Internal(e) => e.into(),
        crate::auth::account::AccountError::Busy(e) => {
            crate::http::problem::Problem::from(e).into()
        }
        other => PageError::Internal(other.to_string()),
    }
}

/// `?token=` on emailed links.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The new-password form.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    #[serde(skip_serializing)]
    password: String,
    #[serde(skip_serializing)]
    confirm: String,
}

#[derive(Serialize)]
struct ResetPage<'a> {
    form: &'a ResetForm,
    errors: Vec<FieldError>,
}

fn dead_link(csrf: &CsrfToken) -> HttpResponse {
    message_page(
        StatusCode::BAD_REQUEST,
        csrf,
        None,
        "This link has expired or has already been used",
        vec!["Password reset links work once, for 1 hour. Ask for a new one.".into()],
        Some(("/forgot-password", "Ask for a new link")),
    )
}

/// GET /reset-password?token=…
pub async fn reset_password_form(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    if !crate::auth::account::reset_link_is_live(&mut conn, &query.token).await? {
        return Ok(dead_link(&csrf));
    }
    let form = ResetForm {
        token: query.token.clone(),
        ..Default::default()
    };
    Ok(render_status(
        StatusCode::OK,
        "reset_password",
        Layout::new("Choose a new password", "/reset-password", None, &csrf),
        ResetPage {
            form: &form,
            errors: vec![],
        },
        &csrf,
    ))
}

/// POST /reset-password
pub async fn reset_password(
    state: web::Data<AppState>,
    form: CsrfForm<ResetForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut conn = state.db().await?;
    match crate::auth::account::reset_password(
        &mut conn,
        &state.mail,
        &form.token,
        &form.password,
        &form.confirm,
    )
    .await
    {
        Ok(()) => Ok(see_other("/login?reset=1")),
        Err(crate::auth::account::AccountError::InvalidLink) => Ok(dead_link(&csrf)),
        Err(crate::auth::account::AccountError::Invalid(errors)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reset_password",
            Layout::new("Choose a new password", "/reset-password", None, &csrf),
            ResetPage {
                form: &form,
                errors,
            },
            &csrf,
        )),
        Err(e) => Err(account_page_error(e)),
    }
}

/// GET /verify-email?token=…: confirms an email address. Confirming is harmless to repeat
/// and expected from a link, so it happens on GET.
pub async fn verify_email(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    match crate::auth::account::verify_email(&mut conn, &query.token).await {
        Ok(verified) => {
            // A GET that changes the user: the cache, which empties itself after other
            // methods, must forget them now too.
            state.gate.cache.clear();
            Ok(message_page(
                StatusCode::OK,
                &csrf,
                user.0.as_ref(),
                "Email address confirmed",
                vec![format!(
                    "Thank you. We will send {}'s emails to {}.",
                    verified.name, verified.email
                )],
                Some(if user.0.is_some() {
                    ("/dashboard", "Go to your dashboard")
                } else {
                    ("/login", "Sign in")
                }),
            ))
        }
        Err(crate::auth::account::AccountError::InvalidLink) => Ok(message_page(
            StatusCode::BAD_REQUEST,
            &csrf,
            user.0.as_ref(),
            "This link has expired or has already been used",
            vec!["Sign in and ask for a new confirmation link from your dashboard.".into()],
            Some(("/dashboard", "Go to your dashboard")),
        )),
        Err(e) => Err(account_page_error(e)),
    }
}

/// POST /verify-email/resend: a new confirmation link for the signed-in user.
pub async fn resend_verification(
    state: web::Data<AppState>,
    user: PageUser,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    if u.email_verified {
        return Ok(see_other("/dashboard"));
    }
    let mut conn = state.db().await?;
    let mail = state.mail.clone();
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        crate::auth::account::send_verification(
            tx,
            &mail,
            u.id,
            &u.email,
            &u.name,
            &u.organisation_name,
        )
        .await?;
        crate::audit::record(
            tx,
            &u.actor(),
            crate::audit::Entry::new("user.verification_resent", "user", u.id),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(see_other("/dashboard?verification=sent"))
}
