//! `Idempotency-Key` for creating POSTs, after zero2prod: the key, scoped to the caller, is
//! inserted first in the same transaction as the change; the answer is saved there too. A
//! repeat waits for the first to commit, then gets the saved answer; the same key with a
//! different body is refused with 422.

use crate::db::schema::idempotency_keys;
use crate::http::problem::{FieldError, Problem};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

/// A validated key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Reads the optional header; a malformed one is a 400.
    pub fn from_request(req: &HttpRequest) -> Result<Option<Self>, Problem> {
        let Some(value) = req.headers().get("Idempotency-Key") else {
            return Ok(None);
        };
        let text = value.to_str().unwrap_or_default();
        if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            let mut p = Problem::bad_request(
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
            );
            p.errors = vec![FieldError::new(
                "Idempotency-Key",
                "Use a UUID or another unique string",
            )];
            return Err(p);
        }
        Ok(Some(Self(text.to_string())))
    }
}

/// Claims the key for this request (`None`: go ahead), or returns the saved answer.
async fn start(
    tx: &mut AsyncPgConnection,
    scope: &str,
    key: &IdempotencyKey,
    body: &[u8],
) -> Result<Option<Created>, Problem> {
    let hash = Sha256::digest(body).to_vec();
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(&key.0),
            idempotency_keys::request_hash.eq(&hash),
        ))
        .on_conflict_do_nothing()
        .execute(tx)
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let (saved_hash, status, response): (Vec<u8>, Option<i16>, Option<Vec<u8>>) =
        idempotency_keys::table
            .find((scope, &key.0))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::response_status,
                idempotency_keys::response_body,
            ))
            .first(tx)
            .await?;
    if saved_hash != hash {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different request",
        )
        .with_detail("Use a new key for a new request."));
    }
    match (status, response) {
        (Some(status), Some(body)) => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            Ok(Some(Created {
                status,
                body,
                replayed: true,
            }))
        }
        _ => Err(Problem::conflict(
            "idempotency-in-progress",
            "A request with this Idempotency-Key is still being processed",
        )),
    }
}

/// Saves the answer to a keyed request (inside the transaction that made the change).
async fn save(
    tx: &mut AsyncPgConnection,
    scope: &str,
    key: &IdempotencyKey,
    status: StatusCode,
    body: &[u8],
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, &key.0)))
        .set((
            idempotency_keys::response_status.eq(status.as_u16() as i16),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(tx)
        .await
        .map(|_| ())
}

/// The answer to a creating request, built inside its transaction (and so `Send`).
pub struct Created {
    status: StatusCode,
    body: Vec<u8>,
    replayed: bool,
}

impl Created {
    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.body(self.body)
    }
}

/// First step of a creating request, inside its transaction: claims the key, or returns the
/// first answer to send again.
async fn begin(
    tx: &mut AsyncPgConnection,
    scope: &str,
    key: Option<&IdempotencyKey>,
    body: &[u8],
) -> Result<Option<Created>, Problem> {
    let Some(key) = key else { return Ok(None) };
    start(tx, scope, key, body).await
}

/// Last step of a creating request, inside its transaction: serialises the answer as
/// `201 Created` and saves it against the key.
async fn finish<T: serde::Serialize>(
    tx: &mut AsyncPgConnection,
    scope: &str,
    key: Option<&IdempotencyKey>,
    value: &T,
) -> Result<Created, Problem> {
    let body = serde_json::to_vec(value).map_err(Problem::internal)?;
    if let Some(key) = key {
        save(tx, scope, key, StatusCode::CREATED, &body).await?;
    }
    Ok(Created {
        status: StatusCode::CREATED,
        body,
        replayed: false,
    })
}

/// A creating `POST` with a JSON body: the body read once as bytes (whose hash the key is
/// kept with), the input parsed from it, and the optional `Idempotency-Key`. The one way
/// the API creates things ([`CreateRequest::once`]).
pub struct CreateRequest<T> {
    pub input: T,
    key: Option<IdempotencyKey>,
    body: actix_web::web::Bytes,
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for CreateRequest<T> {
    type Error = Problem;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let key = IdempotencyKey::from_request(req);
        let body = actix_web::web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let key = key?;
            let body = body.await.map_err(|e| {
                Problem::for_status(actix_web::ResponseError::status_code(e.as_response_error()))
            })?;
            let input = parse_json(&req, &body)?;
            Ok(Self { input, key, body })
        })
    }
}

impl<T: Sync> CreateRequest<T> {
    /// Runs `create` once per key, in one transaction on `conn`: claims the key (a repeat
    /// gets the first answer again, a different body with the same key is refused),
    /// creates, and keeps the `201 Created` answer against the key.
    pub async fn once<V, E, F>(
        &self,
        conn: &mut AsyncPgConnection,
        scope: &str,
        create: F,
    ) -> Result<HttpResponse, Problem>
    where
        V: serde::Serialize + Send + Sync,
        E: Into<Problem> + Send,
        F: for<'r> FnOnce(
                &'r mut AsyncPgConnection,
            ) -> futures_util::future::BoxFuture<'r, Result<V, E>>
            + Send,
    {
        use diesel_async::AsyncConnection;
        let key = self.key.as_ref();
        let created = conn
            .transaction::<_, Problem, _>(async |tx| {
                if let Some(replay) = begin(tx, scope, key, &self.body).await? {
                    return Ok(replay);
                }
                let value = create(tx).await.map_err(Into::into)?;
                finish(tx, scope, key, &value).await
            })
            .await?;
        Ok(created.into_response())
    }
}

/// Parses a JSON body read as bytes (so that its hash can be kept for idempotency).
pub fn parse_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, Problem> {
    let content_type = req
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send JSON with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("The JSON body could not be read: {e}")))
}
