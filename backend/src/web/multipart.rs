//! `PageForm`: a form posted as `multipart/form-data` (forms with a file input) or as
//! `application/x-www-form-urlencoded` (the same form sent by the page's script), read as a
//! stream with the CSRF check first and a limit on the whole body.
//!
//! A multipart form must carry `_csrf` as its first field (every template puts it first):
//! it is checked before anything else is read, so a forged post is refused after a few
//! hundred bytes rather than after its uploads (issue 9 measured 215 MB held for a 403).
//! Bytes are counted as they arrive; past [`TOTAL_LIMIT`] reading stops with a 413 page.

use super::PageError;
use crate::auth::csrf::CsrfToken;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

/// Everything a page form may send, files included: one largest file and the form's text.
pub const TOTAL_LIMIT: usize = crate::storage::MAX_FILE_BYTES + TEXT_LIMIT;
/// All of a form's text fields together (a long bid's answers fit easily).
pub const TEXT_LIMIT: usize = 1024 * 1024;
/// Fields in one form.
const MAX_FIELDS: usize = 2_000;

/// A file from a form's file input.
#[derive(Debug)]
pub struct Upload {
    /// The input's name.
    pub field: String,
    /// The name the browser gave (for display only, after cleaning).
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A form that passed the CSRF check: its text fields in order, its files, and the CSRF
/// token for re-rendering.
pub struct PageForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
    pub csrf: CsrfToken,
}

impl PageForm {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn too_large() -> PageError {
    PageError::TooLarge(format!(
        "A form can send at most {} MB, and each file can be up to {} MB. Upload one file at a time.",
        TOTAL_LIMIT / (1024 * 1024),
        crate::storage::MAX_FILE_BYTES / (1024 * 1024)
    ))
}

fn unreadable() -> PageError {
    PageError::BadRequest("The form could not be read.".into())
}

impl FromRequest for PageForm {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let csrf = CsrfToken::from_request(&req, &mut Payload::None)
                .await
                .map_err(|_| PageError::Csrf)?;
            let declared = req
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > TOTAL_LIMIT) {
                return Err(too_large());
            }
            let content_type = req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let (fields, files) = if content_type.starts_with("multipart/form-data") {
                read_multipart(&req, payload, &csrf).await?
            } else if content_type.starts_with("application/x-www-form-urlencoded") {
                (read_urlencoded(payload, &csrf).await?, Vec::new())
            } else {
                return Err(PageError::BadRequest(
                    "Send the form as the page does (a web form).".into(),
                ));
            };
            Ok(PageForm {
                fields,
                files,
                csrf,
            })
        })
    }
}

async fn read_urlencoded(
    mut payload: Payload,
    csrf: &CsrfToken,
) -> Result<Vec<(String, String)>, PageError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if body.len() + chunk.len() > TEXT_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let pairs: Vec<(String, String)> =
        serde_html_form::from_bytes(&body).map_err(|_| unreadable())?;
    super::forms::check_token(csrf, &pairs)?;
    Ok(pairs.into_iter().filter(|(k, _)| k != "_csrf").collect())
}

async fn read_multipart(
    req: &HttpRequest,
    payload: Payload,
    csrf: &CsrfToken,
) -> Result<(Vec<(String, String)>, Vec<Upload>), PageError> {
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let (mut total, mut text) = (0_usize, 0_usize);
    let mut checked = false;
    while let Some(item) = multipart.next().await {
        let mut field = item.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or("").to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(String::from);
        if !checked && name != "_csrf" {
            // Nothing is read until the form has shown it is ours.
            return Err(PageError::Csrf);
        }
        if fields.len() + files.len() >= MAX_FIELDS {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            total += chunk.len();
            if total > TOTAL_LIMIT {
                return Err(too_large());
            }
            if file_name.is_none() {
                text += chunk.len();
                if text > TEXT_LIMIT || (!checked && bytes.len() + chunk.len() > 256) {
                    return Err(too_large());
                }
            }
            bytes.extend_from_slice(&chunk);
        }
        if !checked {
            if !csrf.matches(std::str::from_utf8(&bytes).unwrap_or("")) {
                return Err(PageError::Csrf);
            }
            checked = true;
            continue;
        }
        match file_name {
            Some(file_name) => {
                // An empty file input sends a part with no name and no bytes.
                if !bytes.is_empty() || !file_name.is_empty() {
                    files.push(Upload {
                        field: name,
                        file_name,
                        bytes,
                    });
                }
            }
            None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    if !checked {
        return Err(PageError::Csrf);
    }
    Ok((fields, files))
}
