//! The OpenAPI document. Every operation is declared once, on its handler (`#[utoipa::path]`
//! above the actix route attribute); `utoipa-actix-web` collects them as the contexts'
//! API routes are registered ([`document`]), so the routes the server answers and the
//! paths the document lists cannot drift apart. The answers every operation may give for
//! the same reasons (a malformed request, no token, a path that names nothing, a busy
//! service) are added here once ([`common_answers`]), as `application/problem+json`.

use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

/// What the document says besides its operations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Care commissioning API", version = "1",
        description = "Dynamic purchasing, frameworks, tenders, fee consultations and outcome-based contracts for adult social care. Errors are application/problem+json (RFC 9457). Creating POSTs accept an Idempotency-Key header. Lists take ?page= and ?per_page= (at most 100). Money is in whole pence; times are RFC 3339 instants. See docs/api.md for the conventions."),
    components(schemas(
        crate::http::problem::Problem,
        crate::http::problem::FieldError,
    )),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Tokens and the signed-in user"),
         (name = "organisations", description = "Organisations, users and districts"),
         (name = "audit", description = "The audit log"),
         (name = "email", description = "The email outbox"),
         (name = "jobs", description = "Scheduled jobs"),
         (name = "procurement", description = "Tenders, and the evaluation engine they use: procurements, questionnaires, clarifications, sealed submissions, panels, marks, moderation, results, award"),
         (name = "dps", description = "Dynamic purchasing systems and dynamic markets: set-up, lots and their conditions of membership, establishment, notices"))
)]
pub struct ApiDoc;

/// The whole document: [`ApiDoc`] with every context's operations, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, operations) = actix_web::App::new()
            .into_utoipa_app()
            .service(super::routes::api_scope(&super::contexts().api))
            .split_for_parts();
        let mut document = ApiDoc::openapi();
        document.merge(operations);
        common_answers(&mut document);
        document
    })
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Adds to every operation the answers it can give for reasons common to all, and makes
/// every error answer `application/problem+json` (what the server sends).
pub fn common_answers(document: &mut Document) {
    for (path, item) in document.paths.paths.iter_mut() {
        let templated = path.contains('{');
        for op in operations(item) {
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            let has_body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let responses = &mut op.responses.responses;
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| problem(description));
            };
            if has_query || has_body || templated {
                add("400", "The request could not be read");
            }
            if secured {
                add("401", "No valid token: sign in");
                add("403", "The token's user may not do this");
            }
            if templated {
                add("404", "Nothing here, or nothing this user may know exists");
            }
            if has_body {
                add("413", "The request body is too large");
                add("415", "The request body's type is not supported");
                add("422", "Some details need correcting");
            }
            add("503", "The service is busy; nothing changed: try again");
            // Error answers are problem documents, whatever the attribute said.
            for (code, response) in responses.iter_mut() {
                if let (true, RefOr::T(r)) =
                    (code.starts_with('4') || code.starts_with('5'), response)
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content.insert("application/problem+json".into(), content);
                }
            }
        }
    }
}

/// The template and methods the document has for a request path (for `405` with
/// `Allow`), matching templated segments (`{id}`) to any one segment; `None` when the API
/// has no such path.
pub fn methods_for(request_path: &str) -> Option<(String, Vec<&'static str>)> {
    let wanted: Vec<&str> = request_path.trim_end_matches('/').split('/').collect();
    let mut methods = Vec::new();
    let mut found = None;
    for (template, item) in &document().paths.paths {
        let parts: Vec<&str> = template.split('/').collect();
        let matches = parts.len() == wanted.len()
            && parts
                .iter()
                .zip(&wanted)
                .all(|(t, w)| (t.starts_with('{') && !w.is_empty()) || t == w);
        if !matches {
            continue;
        }
        found.get_or_insert_with(|| template.clone());
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() && !methods.contains(&method) {
                methods.push(method);
            }
        }
    }
    found.map(|t| (t, methods))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// GET /api/v1/openapi.json
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// One operation of the API, as the reference page lists it.
#[derive(serde::Serialize)]
struct OperationView {
    method: String,
    path: String,
    summary: String,
    auth: bool,
    parameters: Vec<String>,
    body: Option<String>,
    responses: Vec<String>,
}

#[derive(serde::Serialize)]
struct TagView {
    name: String,
    description: String,
    id: String,
    operations: Vec<OperationView>,
}

/// The schema name a `$ref` points at.
fn schema_name(value: &serde_json::Value) -> Option<String> {
    let schema = &value["content"]["application/json"]["schema"];
    schema["$ref"]
        .as_str()
        .or_else(|| schema["items"]["$ref"].as_str())
        .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
}

/// The operations of the OpenAPI document grouped by tag, for the reference page.
fn reference() -> Vec<TagView> {
    let spec = serde_json::to_value(document()).unwrap_or_default();
    let mut tags: Vec<TagView> = spec["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let name = t["name"].as_str().unwrap_or_default().to_string();
            TagView {
                id: format!("tag-{name}"),
                description: t["description"].as_str().unwrap_or_default().into(),
                name,
                operations: Vec::new(),
            }
        })
        .collect();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{} ({}{}){}",
                        p["name"].as_str().unwrap_or_default(),
                        p["in"].as_str().unwrap_or_default(),
                        if p["required"].as_bool() == Some(true) {
                            ", required"
                        } else {
                            ""
                        },
                        p["description"]
                            .as_str()
                            .map(|d| format!(": {d}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, r)| match schema_name(r) {
                    Some(schema) => format!("{code}: {schema}"),
                    None => {
                        let reason = code
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| actix_web::http::StatusCode::from_u16(c).ok())
                            .and_then(|c| c.canonical_reason())
                            .unwrap_or("");
                        let description = r["description"]
                            .as_str()
                            .filter(|d| !d.is_empty())
                            .unwrap_or(reason);
                        format!("{code}: {description}")
                    }
                })
                .collect();
            let view = OperationView {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: op["summary"]
                    .as_str()
                    .or(op["description"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                auth: op["security"].is_array(),
                parameters,
                body: schema_name(&op["requestBody"]),
                responses,
            };
            let tag = op["tags"][0].as_str().unwrap_or_default();
            if let Some(t) = tags.iter_mut().find(|t| t.name == tag) {
                t.operations.push(view);
            }
        }
    }
    tags
}

/// GET /api/docs: the API reference as an ordinary page (accessible, no script), built
/// from the same OpenAPI document as `/api/v1/openapi.json`.
pub async fn api_reference_page(
    user: crate::web::MaybePageUser,
    csrf: crate::auth::csrf::CsrfToken,
) -> HttpResponse {
    #[derive(serde::Serialize)]
    struct Page {
        tags: Vec<TagView>,
    }
    crate::web::render(
        "api_reference",
        crate::web::Layout::new("API reference", "/api/docs", user.0.as_ref(), &csrf),
        Page { tags: reference() },
        &csrf,
    )
}

/// GET /api/docs/explorer: Swagger UI, served from the vendored npm package, for trying
/// requests. `static/api-explorer.css` and the plugin in `static/api-docs.js` make it pass
/// axe's WCAG 2.2 AA rules (checked in `frontend/tests/foundation.test.mjs`). It runs under
/// the service's usual Content-Security-Policy (`security_headers`): no inline script or
/// style, no worker, nothing from another origin.
pub async fn api_docs_page() -> HttpResponse {
    #[derive(serde::Serialize)]
    struct Page {
        layout: Layout,
    }
    #[derive(serde::Serialize)]
    struct Layout {
        service_name: &'static str,
    }
    let page = Page {
        layout: Layout {
            service_name: crate::assets::SERVICE_NAME,
        },
    };
    match crate::web::templates().render("api_docs", &page) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            actix_web::ResponseError::error_response(&crate::http::problem::Problem::internal(e))
        }
    }
}
