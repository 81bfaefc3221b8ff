//! Request bodies read as they stream, up to a limit: uploads are the one place a body may
//! be larger than the app-wide limit, and they say so per handler rather than per route.

use super::problem::Problem;
use actix_web::http::StatusCode;
use actix_web::web;
use futures_util::StreamExt;

/// The body, if it is at most `limit` bytes; a `413` problem as soon as it is more (so a
/// client cannot make the server hold more than the limit).
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "The request body is too large",
        )
        .with_detail(format!("Send at most {} MB.", limit as f64 / 1_048_576.0))
    };
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| Problem::bad_request(format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
