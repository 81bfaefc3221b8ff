//! Routing helpers every context uses: a resource that answers 405 as a problem, and the
//! extractor settings that turn unreadable JSON, queries and paths into problems.

use super::problem::Problem;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, web};

/// The JSON, query, path and payload settings every route shares: anything that cannot be
/// read is a problem+json answer, never actix's plain text.
pub fn extractor_settings(cfg: &mut web::ServiceConfig, form_limit: usize) {
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
    .app_data(web::PayloadConfig::default().limit(form_limit));
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
