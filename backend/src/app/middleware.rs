//! The middleware every request passes through: a request id, metrics and the problem+json
//! rewrite of bare errors (`request_context`), and the security headers on every answer.

use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use tracing::Instrument;

/// Gives each request an id (from `X-Request-Id` when sane, else new), logs it in a span,
/// returns it in the response, and records the request in the metrics under the route
/// pattern it matched. Any error answer that is neither problem+json nor an HTML page (such
/// as actix's own plain-text "payload reached size limit") is rewritten as a problem with
/// the same status.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let id = req
        .headers()
        .get("X-Request-Id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // PostgreSQL text cannot hold NUL, so a filter carrying one could only fail deep in a
    // query; it is refused here, once, for every page and operation.
    if req.query_string().to_ascii_lowercase().contains("%00") {
        let problem = Problem::bad_request(
            "The address contains a NUL character (%00), which no search or filter accepts.",
        );
        let mut response = req
            .into_response(problem.error_response())
            .map_into_right_body();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-request-id"),
                value,
            );
        }
        return Ok(response);
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let writes = !matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let method = req.method().clone();
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    // The pattern that matched (`/api/v1/procurements/{id}`), never the path itself; for
    // a method the API does not allow on a path it has, the path's template.
    let route = response.request().match_pattern().or_else(|| {
        response
            .response()
            .extensions()
            .get::<super::routes::Template>()
            .map(|t| t.0.clone())
    });
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut response = if status >= 400
        && !content_type.starts_with("application/problem+json")
        && !content_type.starts_with("text/html")
    {
        let (req, res) = response.into_parts();
        let replacement = Problem::for_status(res.status()).error_response();
        ServiceResponse::new(req, replacement).map_into_right_body()
    } else {
        response.map_into_left_body()
    };
    let took = started.elapsed();
    let micros = took.as_micros() as u64;
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(method.as_str(), route.as_deref(), status, took);
        // A request that may have changed who can do what (signing out, deactivating,
        // a new password) empties this instance's cache at once; other instances hear of
        // it through NOTIFY.
        if writes {
            state.gate.cache.clear();
        }
    }
    span.in_scope(|| tracing::info!(status, micros, "answered"));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    Ok(response)
}

/// Security headers on every response, errors included (this runs outside every other
/// middleware, so a response replaced on the way out still gets them). Anything not
/// cacheable by choice is `no-store`: signed-in pages and API answers carry bids and
/// personal data, and a shared computer's cache must not keep them. HSTS is sent when the
/// service is published over HTTPS.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::http::header::{self, HeaderValue};
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.public_url.starts_with("https://"));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(response)
}
