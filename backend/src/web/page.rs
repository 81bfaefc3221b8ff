//! The one shape of a page with a form, written once. `GET` renders the page's typed view
//! with any [`Feedback`] ([`render_page`]); `POST` calls one domain function and then [`after_post`]: on
//! success it redirects (Post/Redirect/Get, with a fixed `?done=` key the page turns into
//! its notice), and when the person can act on the refusal it shows the page again with
//! the errors against the inputs they concern; anything else is an error page.

use super::{Layout, PageError, render_status, see_other};
use crate::auth::csrf::CsrfToken;
use crate::http::problem::{FieldError, Problem};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

/// What a page shows besides its own view: a success notice and errors to correct.
#[derive(Debug, Default, Clone)]
pub struct Feedback {
    pub notice: Option<&'static str>,
    pub errors: Vec<FieldError>,
}

impl Feedback {
    /// A page shown after a redirect with this notice (or none).
    pub fn notice(notice: Option<&'static str>) -> Self {
        Self {
            notice,
            errors: Vec::new(),
        }
    }

    /// A page shown again with these errors.
    pub fn errors(errors: Vec<FieldError>) -> Self {
        Self {
            notice: None,
            errors,
        }
    }
}

#[derive(Serialize)]
struct WithFeedback<'a, V> {
    #[serde(flatten)]
    view: &'a V,
    notice: Option<&'static str>,
    errors: &'a [FieldError],
}

/// Renders `template` with `view` and the feedback: `200`, or `failed` (usually `422`)
/// when there are errors to correct.
pub fn render_page<V: Serialize>(
    template: &str,
    layout: Layout,
    view: &V,
    feedback: Feedback,
    failed: StatusCode,
    csrf: &CsrfToken,
) -> HttpResponse {
    let status = if feedback.errors.is_empty() {
        StatusCode::OK
    } else {
        failed
    };
    render_status(
        status,
        template,
        layout,
        WithFeedback {
            view,
            notice: feedback.notice,
            errors: &feedback.errors,
        },
        csrf,
    )
}

/// Whether a refusal is one to show on the page (validation, a refused change, an upload
/// too large or over the quota) rather than as an error page.
pub fn shown_on_page(p: &Problem) -> bool {
    matches!(p.status, 409 | 413 | 422 | 507)
}

/// A refusal's errors for the error summary: its own, with `field` mapping an API field
/// name to the page's input id, or its detail as one message.
pub fn page_errors(p: &Problem, field: impl Fn(&str) -> String) -> Vec<FieldError> {
    if p.errors.is_empty() {
        vec![FieldError::new(
            "main-content",
            p.detail.clone().unwrap_or_else(|| p.title.clone()),
        )]
    } else {
        p.errors
            .iter()
            .map(|e| FieldError::new(field(&e.field), e.message.clone()))
            .collect()
    }
}

/// After a form's domain call: redirect to `done(value)` on success; show the page again
/// (`show_again`) with the errors when the person can act on them; else an error page.
pub async fn after_post<T, E>(
    result: Result<T, E>,
    done: impl FnOnce(T) -> String,
    field: impl Fn(&str) -> String,
    show_again: impl AsyncFnOnce(Vec<FieldError>) -> Result<HttpResponse, PageError>,
) -> Result<HttpResponse, PageError>
where
    E: Into<Problem>,
{
    match result {
        Ok(value) => Ok(see_other(&done(value))),
        Err(e) => {
            let p: Problem = e.into();
            if shown_on_page(&p) {
                show_again(page_errors(&p, field)).await
            } else {
                Err(p.into())
            }
        }
    }
}
