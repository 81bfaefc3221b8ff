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
        crate::auth::api::issue_token,
        crate::auth::api::revoke_token,
        crate::auth::api::get_me,
        crate::audit::api::verify_audit,
        crate::audit::api::list_audit,
        crate::organisations::api::register_provider,
        crate::organisations::api::list_users,
        crate::organisations::api::create_user,
        crate::organisations::api::get_user,
        crate::organisations::api::update_user,
        crate::organisations::api::list_organisations,
        crate::organisations::api::create_organisation,
        crate::organisations::api::get_organisation,
        crate::organisations::api::update_organisation,
        crate::organisations::api::list_districts,
        crate::mail::api::list_outbox,
        crate::mail::api::get_outbox_message,
        crate::mail::api::resend_outbox_message,
        crate::worker::api::list_jobs,
        crate::worker::api::list_job_runs,
        crate::worker::api::run_job_now,
    ),
    components(schemas(
        crate::http::problem::Problem,
        crate::http::problem::FieldError,
        crate::auth::AuthUser,
        crate::organisations::model::Role,
        crate::organisations::model::CqcRating,
        crate::organisations::model::OrganisationKind,
    )),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Tokens and the signed-in user"),
         (name = "organisations", description = "Organisations, users and districts"),
         (name = "audit", description = "The audit log"),
         (name = "email", description = "The email outbox"),
         (name = "jobs", description = "Scheduled jobs"))
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

/// GET /api/docs: the API reference, Swagger UI served from the vendored npm package.
/// Swagger UI sets inline styles and starts a worker, so this one page relaxes the CSP for
/// those (scripts stay same-origin only).
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
            service_name: crate::web::SERVICE_NAME,
        },
    };
    match crate::web::templates().render("api_docs", &page) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
            ))
            .body(html),
        Err(e) => actix_web::ResponseError::error_response(&crate::http::problem::Problem::internal(e)),
    }
}
