//! The route table: the plumbing's own routes (health, metrics, static files, the API
//! reference) and every context's, each registered by the context itself.

use crate::http::problem::Problem;
use crate::http::routing::resource;
use crate::state::AppState;
use crate::web::PageError;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

/// Registers every route: the plumbing's own (health, metrics, static files, the API
/// reference) and every context's (`super::contexts`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let contexts = super::contexts();
    crate::http::routing::extractor_settings(cfg, crate::web::forms::FORM_LIMIT);
    cfg.app_data(web::Data::new(super::recovery_holds()));
    cfg.service(api_scope(&contexts.api))
        .service(resource("/api/docs").route(web::get().to(super::openapi::api_reference_page)))
        .service(resource("/api/docs/explorer").route(web::get().to(super::openapi::api_docs_page)))
        .service(resource("/healthz").route(web::get().to(healthz)))
        .service(resource("/metrics").route(web::get().to(metrics)))
        .service(resource("/static/{path:.*}").route(web::get().to(static_file)));
    for routes in &contexts.pages {
        cfg.configure(routes);
    }
}

/// `/api/v1` with every context's operations: the routes the server answers, and (in
/// `openapi::document`) the paths the document lists. The document itself is served here
/// too, and anything else under `/api/v1` gets [`api_fallback`].
pub fn api_scope(
    api: &[crate::registry::ApiRoutes],
) -> impl actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static {
    let api = api.to_vec();
    utoipa_actix_web::scope("/api/v1")
        .configure(move |cfg| {
            for routes in api {
                routes(cfg);
            }
        })
        .route("/openapi.json", web::get().to(super::openapi::openapi_json))
        .default_service(web::to(api_fallback))
}

/// A request under `/api/v1` that no operation answered: `405` with `Allow` when the path is
/// one the API has with other methods, else `404`.
async fn api_fallback(req: HttpRequest) -> HttpResponse {
    let Some((template, allowed)) = super::openapi::methods_for(req.path()) else {
        return not_found(req).await;
    };
    let mut response = Problem::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
    )
    .with_detail(format!(
        "{} is not supported here; use {}.",
        req.method(),
        allowed.join(", ")
    ))
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response.extensions_mut().insert(Template(template));
    response
}

/// The API path template a `405` answered for (the metrics label it by this, as they
/// label every answer by its route, never its path).
#[derive(Clone)]
pub struct Template(pub String);

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

async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    use diesel_async::RunQueryDsl;
    let mut conn = state.db().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})))
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(crate::http::metrics::CONTENT_TYPE)
        .body(state.metrics.render(&state.pool))
}

async fn static_file(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match crate::assets::static_file(&path) {
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
