//! Server-rendered pages: the handlebars registry (strict mode, templates embedded from
//! `frontend/templates`), the shared layout, navigation per role, HTML error pages and the
//! static assets (GOV.UK Frontend styles built into `frontend/static`).

pub mod confirm;
pub mod date_input;
pub mod extract;
pub mod forms;
pub mod multipart;
pub mod page;
pub mod pagination;
pub mod tasks;

pub use extract::{MaybePageUser, PageUser};
pub use page::{Feedback, after_post, render_page};
pub use pagination::Pagination;

use crate::auth::AuthUser;
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use handlebars::Handlebars;
use serde::Serialize;
use std::sync::OnceLock;

use crate::assets::{self, SERVICE_NAME};

/// The template registry, built once from the embedded templates. Templates are immutable
/// data compiled into the binary, so a process-wide registry is safe.
pub fn templates() -> &'static Handlebars<'static> {
    static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_helper("eq", Box::new(eq_helper));
        hb.register_helper("concat", Box::new(concat_helper));
        hb.register_helper("error_for", Box::new(error_for_helper));
        hb.register_helper("has_error", Box::new(has_error_helper));
        hb.register_helper("error_href", Box::new(href_helper));
        for (path, bytes) in assets::TEMPLATES {
            let Some(name) = path.strip_suffix(".hbs") else {
                continue;
            };
            let source = std::str::from_utf8(bytes).expect("templates are UTF-8");
            let result = match name.strip_prefix("partials/") {
                Some(partial) => hb.register_partial(partial, source),
                None => hb.register_template_string(name, source),
            };
            if let Err(e) = result {
                panic!("template {path} does not compile: {e}");
            }
        }
        hb
    })
}

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);
handlebars::handlebars_helper!(concat_helper: |*args| args
    .iter()
    .map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
    .collect::<String>());

/// The parts of a date input ([`date_input`]) an error may name: one box, or the date.
const DATE_PARTS: [&str; 5] = ["day", "month", "year", "time", "date"];

/// The field a date input's error names, without its part (`submission_month` →
/// `submission`); any other field as it is.
fn input_of(field: &str) -> &str {
    field
        .rsplit_once('_')
        .filter(|(_, part)| DATE_PARTS.contains(part))
        .map_or(field, |(input, _)| input)
}

// `(error_for errors name)`: the message of the first error about the input `name` (or one
// of its date parts), or nothing.
handlebars::handlebars_helper!(error_for_helper: |errors: Json, name: str| errors
    .as_array()
    .and_then(|all| all.iter().find(|e| {
        let field = e["field"].as_str().unwrap_or_default();
        field == name || input_of(field) == name
    }))
    .map(|e| e["message"].clone())
    .unwrap_or(serde_json::Value::Null));
// `(has_error errors "a" "b")`: whether any error is about exactly one of these fields.
handlebars::handlebars_helper!(has_error_helper: |*args| {
    let fields: Vec<&str> = args.iter().skip(1).filter_map(|v| v.as_str()).collect();
    args.first()
        .and_then(|e| e.as_array())
        .is_some_and(|all| all.iter().any(|e| fields.contains(&e["field"].as_str().unwrap_or_default())))
});
// `(error_href field)`: where an error summary's link goes: the input on this page
// (`#` and its anchor), or, for a field that is a path ("/bids/1/sections/2#answer-Q3"),
// the input on another page (check your answers links to each question's own page).
handlebars::handlebars_helper!(href_helper: |field: str| if field.starts_with('/') {
    field.to_string()
} else {
    format!("#{}", match field.strip_suffix("_date") {
        Some(input) if input_of(field) == input => format!("{input}_day"),
        _ => field.to_string(),
    })
});

/// A link in the header navigation.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub current: bool,
}

/// What every page's layout needs.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub service_name: &'static str,
    pub title: String,
    pub user: Option<AuthUser>,
    pub role_label: Option<&'static str>,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    /// The GOV.UK back link above the page: where the person came from in a journey.
    pub back: Option<String>,
}

impl Layout {
    /// A layout for a page at `path` seen by `user`.
    pub fn new(
        title: impl Into<String>,
        path: &str,
        user: Option<&AuthUser>,
        csrf: &CsrfToken,
    ) -> Self {
        Self {
            service_name: SERVICE_NAME,
            title: title.into(),
            role_label: user.map(|u| u.role.label()),
            nav: nav_for(user.map(|u| u.role), path),
            user: user.cloned(),
            csrf_token: csrf.value().to_string(),
            back: None,
        }
    }

    /// With a back link to `href` (the page before this one in the journey, never
    /// the browser's history, which may be another site).
    pub fn back_to(mut self, href: impl Into<String>) -> Self {
        self.back = Some(href.into());
        self
    }
}

fn nav_for(role: Option<Role>, path: &str) -> Vec<NavItem> {
    let items: &[(&'static str, &'static str)] = match role {
        None => &[
            ("/", "Home"),
            ("/opportunities", "Opportunities"),
            ("/register", "Register your organisation"),
            ("/login", "Sign in"),
        ],
        Some(Role::Admin) => &[
            ("/dashboard", "Dashboard"),
            ("/admin/users", "Users"),
            ("/admin/organisations", "Organisations"),
            ("/admin/audit", "Audit log"),
            ("/admin/jobs", "Jobs"),
            ("/admin/outbox", "Email"),
        ],
        Some(Role::Provider) => &[
            ("/dashboard", "Dashboard"),
            ("/opportunities", "Opportunities"),
            ("/bids", "Your bids"),
            ("/organisation", "Your organisation"),
            ("/account/notifications", "Email notifications"),
        ],
        Some(_) => &[
            ("/dashboard", "Dashboard"),
            ("/procurements", "Procurements"),
            ("/dps", "Dynamic purchasing"),
            ("/account/notifications", "Email notifications"),
        ],
    };
    items
        .iter()
        .map(|(href, text)| NavItem {
            href,
            text,
            current: if *href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            },
        })
        .collect()
}

/// A file for the browser to save rather than show (a CSV, a notice's JSON), named
/// `{stem}-{reference}.{extension}` with the reference cut down to letters, digits and
/// hyphens, so a council's reference can never break the header.
pub fn attachment(
    content_type: &str,
    stem: &str,
    reference: &str,
    extension: &str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    let reference: String = reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "{stem}-{reference}.{extension}"
            ))],
        })
        .body(body)
}

/// Renders a template with its data and the layout; sets the CSRF cookie if it is new.
pub fn render(
    template: &str,
    layout: Layout,
    data: impl Serialize,
    csrf: &CsrfToken,
) -> HttpResponse {
    render_status(StatusCode::OK, template, layout, data, csrf)
}

/// As [`render`], with another status (e.g. 422 for a form with errors).
pub fn render_status(
    status: StatusCode,
    template: &str,
    mut layout: Layout,
    data: impl Serialize,
    csrf: &CsrfToken,
) -> HttpResponse {
    let mut context = match serde_json::to_value(data) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(serde_json::Value::Null) => serde_json::Map::new(),
        Ok(other) => {
            let mut map = serde_json::Map::new();
            map.insert("data".into(), other);
            map
        }
        Err(e) => return PageError::Internal(e.to_string()).error_response(),
    };
    // A page shown again with errors says so first in its title, which is what a
    // screen reader announces (GOV.UK's error pattern); one rule for every page.
    let has_errors = context
        .get("errors")
        .and_then(|e| e.as_array())
        .is_some_and(|e| !e.is_empty());
    if has_errors && !layout.title.starts_with("Error: ") {
        layout.title = format!("Error: {}", layout.title);
    }
    context.insert(
        "layout".into(),
        serde_json::to_value(&layout).unwrap_or_default(),
    );
    match templates().render(template, &context) {
        Ok(html) => {
            let mut response = HttpResponse::build(status);
            response.content_type("text/html; charset=utf-8");
            if let Some(cookie) = csrf.cookie_if_new() {
                response.cookie(cookie);
            }
            response.body(html)
        }
        Err(e) => PageError::Internal(format!("rendering {template}: {e}")).error_response(),
    }
}

#[derive(Serialize)]
struct Message<'a> {
    heading: &'a str,
    paragraphs: Vec<String>,
    link: Option<(&'a str, &'a str)>,
}

/// A page that says one thing: a heading, a few paragraphs and an optional link onward
/// ("Check your email", "This link has expired").
pub fn message_page(
    status: StatusCode,
    csrf: &CsrfToken,
    user: Option<&AuthUser>,
    heading: &str,
    paragraphs: Vec<String>,
    link: Option<(&str, &str)>,
) -> HttpResponse {
    render_status(
        status,
        "message",
        Layout::new(heading, "", user, csrf),
        Message {
            heading,
            paragraphs,
            link,
        },
        csrf,
    )
}

/// A redirect after a successful form (Post/Redirect/Get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// Errors a page handler can end with, rendered as HTML pages.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("sign in needed")]
    SignIn { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the form expired")]
    Csrf,
    #[error("too many requests: {0}")]
    TooMany(String),
    /// The request body was larger than the page accepts (413).
    #[error("too large: {0}")]
    TooLarge(String),
    /// The service is busy; nothing changed (503).
    #[error("busy: {0}")]
    Busy(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => PageError::NotFound,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<crate::http::problem::Problem> for PageError {
    fn from(p: crate::http::problem::Problem) -> Self {
        match p.status {
            401 => PageError::SignIn {
                next: "/dashboard".into(),
            },
            403 => PageError::Forbidden,
            404 => PageError::NotFound,
            413 => PageError::TooLarge(p.detail.unwrap_or_default()),
            429 => PageError::TooMany(p.detail.unwrap_or_default()),
            503 => PageError::Busy(p.detail.unwrap_or_default()),
            400..=499 => PageError::BadRequest(p.detail.unwrap_or(p.title)),
            _ => PageError::Internal(p.title),
        }
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        crate::http::problem::Problem::from(e).into()
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for PageError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        PageError::Internal(e.to_string())
    }
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    heading: &'a str,
    paragraphs: Vec<String>,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, paragraphs): (&str, Vec<String>) = match self {
            PageError::SignIn { next } => {
                let target = format!("/login?next={}", url_encode(next));
                return HttpResponse::SeeOther().insert_header(("Location", target)).finish();
            }
            PageError::Forbidden => (
                "You do not have permission to see this page",
                vec!["Your account does not give access to this page. If you think it should, contact your administrator.".into()],
            ),
            PageError::Csrf => (
                "This form has expired",
                vec!["For your security, forms expire. Go back, reload the page and try again.".into()],
            ),
            PageError::NotFound => (
                "Page not found",
                vec![
                    "If you typed the web address, check it is correct.".into(),
                    "If you pasted the web address, check you copied the entire address.".into(),
                ],
            ),
            PageError::BadRequest(detail) => (
                "Sorry, we could not read that request",
                vec![detail.clone(), "Go back and try again.".into()],
            ),
            PageError::TooMany(detail) => ("Too many attempts", vec![detail.clone()]),
            PageError::TooLarge(detail) => (
                "That was too much to send at once",
                vec![detail.clone(), "Go back and try again. Nothing was saved from this attempt.".into()],
            ),
            PageError::Busy(detail) => (
                "Sorry, the service is busy",
                vec![detail.clone(), "Go back and try again in a moment. Nothing you sent has been lost or changed.".into()],
            ),
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "page failed");
                (
                    "Sorry, there is a problem with the service",
                    vec!["Try again later.".into()],
                )
            }
        };
        let layout = Layout {
            service_name: SERVICE_NAME,
            title: heading.to_string(),
            user: None,
            role_label: None,
            nav: nav_for(None, ""),
            csrf_token: String::new(),
            back: None,
        };
        let mut context = serde_json::to_value(ErrorPage {
            heading,
            paragraphs,
        })
        .unwrap_or_default();
        context["layout"] = serde_json::to_value(layout).unwrap_or_default();
        let html = templates().render("error", &context).unwrap_or_else(|_| {
            format!(
                "<!DOCTYPE html><html lang=\"en\"><title>{heading}</title><h1>{heading}</h1></html>"
            )
        });
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(html)
    }
}

/// Percent-encodes a query value (RFC 3986's unreserved characters and `/` stay).
pub fn url_encode(text: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// Only a path on this site may be redirected to after signing in: printable ASCII with
/// no spaces, control characters or backslashes (browsers drop tabs and newlines and read
/// `\\` as `/`, which turned `/%09/evil.example` into `//evil.example`), not starting `//`,
/// and parsed as a URI with no scheme or host.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/dashboard".into(),
    }
}

fn is_local_path(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && n.len() <= 2048
        && n.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\')
        && n.parse::<actix_web::http::Uri>()
            .is_ok_and(|u| u.scheme().is_none() && u.authority().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let hb = templates();
        for name in ["error", "start", "login", "dashboard", "accessibility"] {
            assert!(hb.has_template(name), "missing template {name}");
        }
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(
            safe_next(Some("/procurements?page=2&status=open")),
            "/procurements?page=2&status=open"
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/\x0b/evil.example",
            "/\x1f/evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/dashboard", "{evil}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }

    #[test]
    fn navigation_depends_on_role() {
        let admin: Vec<_> = nav_for(Some(Role::Admin), "/admin/users")
            .into_iter()
            .map(|n| (n.href, n.current))
            .collect();
        assert!(admin.contains(&("/admin/users", true)));
        assert!(
            nav_for(Some(Role::Provider), "/")
                .iter()
                .all(|n| !n.href.starts_with("/admin"))
        );
    }
}
