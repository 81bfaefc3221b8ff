//! The route table, and the middleware and error handlers every route shares.

use super::AppState;
use super::problem::Problem;
use crate::web::PageError;
use crate::{audit, auth, organisations, web as pages};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, web};
use tracing::Instrument;

/// Registers every route, with JSON/form/query error handlers that answer problem+json.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(super::JSON_LIMIT)
            .error_handler(|err, _| json_error(&err).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        Problem::bad_request(format!("The query string could not be read: {err}")).into()
    }))
    .app_data(
        web::PathConfig::default().error_handler(|_, _| Problem::not_found("Resource").into()),
    )
    .app_data(web::PayloadConfig::default().limit(pages::forms::FORM_LIMIT))
    // API
    .service(
        web::scope("/api/v1")
            .service(resource("/auth/token").route(web::post().to(auth::api::issue_token)))
            .service(resource("/auth/logout").route(web::post().to(auth::api::revoke_token)))
            .service(resource("/me").route(web::get().to(auth::api::get_me)))
            .service(resource("/openapi.json").route(web::get().to(super::openapi::openapi_json)))
            .service(resource("/audit/verify").route(web::get().to(audit::api::verify_audit)))
            .service(resource("/audit").route(web::get().to(audit::api::list_audit)))
            .configure(organisations::api::configure)
            .configure(crate::mail::api::configure)
            .configure(crate::worker::api::configure)
            .configure(crate::procurement::api::configure),
    )
    .service(resource("/api/docs").route(web::get().to(super::openapi::api_reference_page)))
    .service(resource("/api/docs/explorer").route(web::get().to(super::openapi::api_docs_page)))
    .service(resource("/healthz").route(web::get().to(healthz)))
    .service(resource("/metrics").route(web::get().to(metrics)))
    .service(resource("/static/{path:.*}").route(web::get().to(static_file)))
    // Pages
    .service(resource("/").route(web::get().to(pages::pages::start_page)))
    .service(resource("/accessibility").route(web::get().to(pages::pages::accessibility_page)))
    .service(resource("/dashboard").route(web::get().to(pages::pages::dashboard_page)))
    .service(
        resource("/login")
            .route(web::get().to(auth::pages::login_form))
            .route(web::post().to(auth::pages::login)),
    )
    .service(resource("/logout").route(web::post().to(auth::pages::logout)))
    .service(
        resource("/forgot-password")
            .route(web::get().to(auth::pages::forgot_password_form))
            .route(web::post().to(auth::pages::request_password_reset)),
    )
    .service(
        resource("/reset-password")
            .route(web::get().to(auth::pages::reset_password_form))
            .route(web::post().to(auth::pages::reset_password)),
    )
    .service(resource("/verify-email").route(web::get().to(auth::pages::verify_email)))
    .service(
        resource("/verify-email/resend").route(web::post().to(auth::pages::resend_verification)),
    )
    .service(resource("/admin/audit").route(web::get().to(audit::pages::audit_page)))
    .configure(organisations::pages::configure)
    .configure(organisations::people_pages::configure)
    .configure(crate::mail::pages::configure)
    .configure(crate::worker::pages::configure)
    .configure(crate::procurement::pages::configure);
}

/// A resource that answers 405 problem+json to methods it does not route.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
    )
    .with_detail(format!("{} is not supported here.", req.method()))
    .error_response()
}

/// Unknown routes: an HTML page for browsers outside the API, problem+json otherwise.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let wants_html = !req.path().starts_with("/api/")
        && req
            .headers()
            .get("Accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        PageError::NotFound.error_response()
    } else {
        Problem::not_found("Page")
            .with_detail(format!("Nothing is at {}.", req.path()))
            .error_response()
    }
}

fn json_error(err: &actix_web::error::JsonPayloadError) -> Problem {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "The request body is too large",
        )
        .with_detail(format!(
            "Send at most {} KiB of JSON.",
            super::JSON_LIMIT / 1024
        )),
        E::ContentType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send JSON with Content-Type: application/json",
        ),
        E::Deserialize(e) => Problem::bad_request(format!("The JSON body could not be read: {e}")),
        other => Problem::bad_request(format!("The JSON body could not be read: {other}")),
    }
}

async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    use diesel_async::RunQueryDsl;
    let mut conn = state.db().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})))
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.pool))
}

async fn static_file(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match pages::static_file(&path) {
        Some(bytes) => {
            let content_type = match path.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("ico") => "image/x-icon",
                Some("json") => "application/json",
                Some("txt") => "text/plain; charset=utf-8",
                Some("woff2") => "font/woff2",
                _ => "application/octet-stream",
            };
            HttpResponse::Ok()
                .content_type(content_type)
                .insert_header(("Cache-Control", "public, max-age=3600"))
                .body(bytes)
        }
        None => Problem::not_found("File").error_response(),
    }
}

/// Gives each request an id (from `X-Request-Id` when sane, else new), logs it in a span,
/// returns it in the response, and records the request in the metrics. Any error answer that
/// is neither problem+json nor an HTML page (such as actix's own plain-text "payload reached
/// size limit") is rewritten as a problem with the same status.
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
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let writes = !matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
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
    let micros = started.elapsed().as_micros() as u64;
    if let Some(state) = &state {
        state.metrics.observe(status, micros);
        // A request that may have changed who can do what (signing out, deactivating,
        // a new password) empties this instance's cache at once; other instances hear of
        // it through NOTIFY.
        if writes {
            state.auth_cache.clear();
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
