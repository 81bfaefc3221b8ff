//! Errors as `application/problem+json` (RFC 9457). Each context's error enum converts into
//! a `Problem` with a stable `type`, the right status and a human title. Anything unexpected
//! is logged with its cause chain and answered with an opaque 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as sent (for JSON, the property; for forms, the input name).
    pub field: String,
    /// What is wrong, written for the person who filled it in.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:commissioning:problem:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before trying again (sent as `Retry-After` too).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of the given status, slug and title.
    pub fn new(status: StatusCode, slug: &str, title: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:commissioning:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// Adds a detail sentence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// A problem for a bare status, used when a lower layer answered an error without one.
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, title) = match status.as_u16() {
            400 => ("bad-request", "The request could not be read"),
            404 => ("not-found", "Not found"),
            405 => ("method-not-allowed", "Method not allowed"),
            413 => ("payload-too-large", "The request body is too large"),
            415 => (
                "unsupported-media-type",
                "The request body's type is not supported",
            ),
            s if s >= 500 => ("internal", "Sorry, something went wrong on our side"),
            _ => (
                "http-error",
                status.canonical_reason().unwrap_or("Request failed"),
            ),
        };
        Self::new(status, slug, title)
    }

    /// 400: the request could not be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request could not be read",
        )
        .with_detail(detail)
    }

    /// 422: the request was read but some fields are not acceptable.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Some details need correcting",
        );
        p.errors = errors;
        p
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "You need to sign in",
        )
        .with_detail(detail)
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You do not have permission to do this",
        )
        .with_detail(detail)
    }

    /// 404: nothing here, or nothing this user may know exists.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{what} not found"),
        )
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(slug: &str, title: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, slug, title)
    }

    /// 500 for an unexpected failure: logs the cause chain and tells the caller nothing more.
    pub fn internal(error: impl std::fmt::Display + std::fmt::Debug) -> Self {
        tracing::error!(error = %error, cause = ?error, "unexpected error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Sorry, something went wrong on our side",
        )
        .with_detail("The error has been logged. Try again later.")
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)
    }
}

/// So that a context's error enum can carry a plumbing refusal (an upload's size or type,
/// say) through unchanged.
impl std::error::Error for Problem {}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(self)
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => Problem::not_found("Record"),
            other => Problem::internal(other),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for Problem {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is busy or its database is unavailable",
        );
        tracing::error!(error = %error, "database pool");
        p.retry_after = Some(5);
        p
    }
}

impl Problem {
    /// 503 with `Retry-After`: the service is busy; the request changed nothing.
    pub fn busy(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "The service is busy",
        )
        .with_detail(detail);
        p.retry_after = Some(retry_after);
        p
    }
}

/// A refusal because the service is momentarily overloaded, worth retrying after a pause:
/// answered 503 with `Retry-After`. Found anywhere in an error's chain (so a context's error
/// that wraps it still answers 503, not 500).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct Busy {
    /// Written for the person who will retry.
    pub detail: &'static str,
    pub retry_after_seconds: u64,
}

impl From<Busy> for Problem {
    fn from(busy: Busy) -> Self {
        Problem::busy(busy.detail, busy.retry_after_seconds)
    }
}

impl From<anyhow::Error> for Problem {
    fn from(error: anyhow::Error) -> Self {
        // A busy password hasher (or any other `Busy`) may reach here through any
        // context's error chain.
        if let Some(busy) = error.chain().find_map(|e| e.downcast_ref::<Busy>()) {
            return busy.clone().into();
        }
        Problem::internal(format!("{error:#}"))
    }
}
