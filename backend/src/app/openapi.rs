//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Care commissioning API", version = "1",
        description = "Dynamic purchasing, frameworks, tenders, fee consultations and outcome-based contracts for adult social care. Errors are application/problem+json (RFC 9457). Creating POSTs accept an Idempotency-Key header. Lists take ?page= and ?per_page= (at most 100)."),
    paths(
        crate::accounts::api::issue_token,
        crate::accounts::api::revoke_token,
        crate::accounts::api::get_me,
        crate::admin::api::audit::verify_audit,
        crate::admin::api::audit::list_audit,
        crate::organisations::api::register_provider,
        crate::organisations::api::confirm_registration,
        crate::organisations::api::accept_invitation,
        crate::organisations::api::list_people,
        crate::organisations::api::remove_person,
        crate::organisations::api::list_invitations,
        crate::organisations::api::invite,
        crate::organisations::api::cancel_invitation,
        crate::organisations::api::recover_account,
        crate::organisations::api::list_users,
        crate::organisations::api::create_user,
        crate::organisations::api::get_user,
        crate::organisations::api::update_user,
        crate::organisations::api::list_organisations,
        crate::organisations::api::create_organisation,
        crate::organisations::api::get_organisation,
        crate::organisations::api::update_organisation,
        crate::organisations::api::list_districts,
        crate::admin::api::outbox::list_outbox,
        crate::admin::api::outbox::get_outbox_message,
        crate::admin::api::outbox::resend_outbox_message,
        crate::admin::api::jobs::list_jobs,
        crate::admin::api::jobs::list_job_runs,
        crate::admin::api::jobs::run_job_now,
        crate::procurement::api::procurements::create_procurement,
        crate::procurement::api::procurements::update_procurement,
        crate::procurement::api::procurements::record_conflicts_assessment,
        crate::procurement::api::procurements::publish,
        crate::procurement::api::procurements::cancel,
        crate::procurement::api::procurements::change_timetable,
        crate::procurement::api::procurements::replace_questionnaire,
        crate::procurement::api::procurements::add_document,
        crate::procurement::api::procurements::register_interest,
        crate::procurement::api::clarifications::list_clarifications,
        crate::procurement::api::clarifications::ask_clarification,
        crate::procurement::api::clarifications::answer_clarification,
        crate::procurement::api::evaluation::list_submissions,
        crate::procurement::api::bids::start_submission,
        crate::procurement::api::evaluation::open_submissions,
        crate::procurement::api::evaluation::get_panel,
        crate::procurement::api::evaluation::set_panel,
        crate::procurement::api::evaluation::get_declarations,
        crate::procurement::api::evaluation::declare,
        crate::procurement::api::evaluation::get_moderation,
        crate::procurement::api::evaluation::get_results,
        crate::procurement::api::award::award,
        crate::procurement::api::award::get_award_notice,
        crate::procurement::api::award::enter_contract,
        crate::procurement::api::bids::my_submissions,
        crate::procurement::api::bids::get_submission,
        crate::procurement::api::bids::save_answers,
        crate::procurement::api::bids::submit,
        crate::procurement::api::bids::withdraw,
        crate::procurement::api::bids::attach_file,
        crate::procurement::api::bids::download_submission_file,
        crate::procurement::api::bids::detach_file,
        crate::procurement::api::bids::get_assessment_summary,
        crate::procurement::api::evaluation::get_scores,
        crate::procurement::api::evaluation::save_scores,
        crate::procurement::api::evaluation::moderate,
        crate::procurement::api::evaluation::record_price_check,
        crate::procurement::api::procurements::list_procurements,
        crate::procurement::api::procurements::get_procurement,
        crate::procurement::api::procurements::get_questionnaire,
        crate::procurement::api::procurements::download_document,
    ),
    components(schemas(
        crate::http::problem::Problem,
        crate::http::problem::FieldError,
        crate::auth::AuthUser,
        crate::auth::Role,
        crate::organisations::model::CqcRating,
        crate::auth::OrganisationKind,
    )),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Tokens and the signed-in user"),
         (name = "organisations", description = "Organisations, users and districts"),
         (name = "audit", description = "The audit log"),
         (name = "email", description = "The email outbox"),
         (name = "jobs", description = "Scheduled jobs"),
         (name = "procurement", description = "Tenders and the evaluation engine: procurements, questionnaires, clarifications, sealed submissions, panels, scores, moderation, award"))
)]
pub struct ApiDoc;

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
    HttpResponse::Ok().json(ApiDoc::openapi())
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
    let spec = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
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
