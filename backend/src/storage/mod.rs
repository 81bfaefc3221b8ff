//! Uploaded files (tender documents, bidders' evidence), for every context. Bytes go to an
//! `object_store` backend (a local folder by default, or an S3-compatible bucket that
//! several instances share, [`s3`]) under a random key, outside any folder the web server serves;
//! the database keeps the key, a cleaned display name, the type found by reading the
//! content ([`sniff`]), the size, a SHA-256 digest and the organisation the upload counts
//! against. A user's file name is never used to store, find or type a file.
//!
//! Each organisation has a quota (`UPLOAD_QUOTA_MB`). Files nothing refers to any more, and
//! objects left behind by a transaction that rolled back, are removed by [`sweep`] in the
//! nightly housekeeping.

pub mod builtin;
mod s3;
mod sniff;
pub mod sweep;

pub use sniff::{MAX_FILE_BYTES, sniff};
pub use sweep::sweep;

use crate::auth::AuthUser;
use crate::config::{FileStorage, Settings};
use crate::db::schema::stored_files;
use crate::http::problem::{FieldError, Problem};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// Where files are kept, and how much each organisation may keep.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    quota_bytes: i64,
    /// Where the files are, for messages (`s3://bucket/prefix`, a folder).
    place: String,
}

/// The prefix every upload's key starts with.
pub const PREFIX: &str = "uploads";

impl FileStore {
    /// The store the settings name: `FILES_S3_BUCKET`'s bucket, or else the folder
    /// `DATA_DIR/files`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let quota = settings.security.upload_quota_bytes;
        match &settings.file_storage {
            FileStorage::Local => Self::local(&settings.data_dir.join("files"), quota),
            FileStorage::S3(s3) => Self::s3(s3, quota),
        }
    }

    /// Files in a local folder (`DATA_DIR/files` by default), for one instance; several
    /// need an S3-compatible bucket ([`FileStore::s3`]) or a folder they all share.
    pub fn local(dir: &std::path::Path, quota_bytes: i64) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating the files folder {}: {e}", dir.display()))?;
        Ok(Self::new(
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?),
            quota_bytes,
        )
        .with_place(dir.display().to_string()))
    }

    /// Any backend.
    pub fn new(store: Arc<dyn ObjectStore>, quota_bytes: i64) -> Self {
        Self {
            place: store.to_string(),
            store,
            quota_bytes,
        }
    }

    fn with_place(self, place: String) -> Self {
        Self { place, ..self }
    }

    /// Where the files are (`s3://bucket/prefix at endpoint`, or a folder), for messages.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Lists the uploads prefix once, so that a wrong bucket, address or key stops the
    /// service at start with a message saying so, rather than failing the first upload.
    pub async fn check(&self) -> anyhow::Result<()> {
        let prefix = StorePath::from(PREFIX);
        match self.store.list(Some(&prefix)).next().await {
            Some(Err(e)) => Err(anyhow::anyhow!(
                "the uploaded files' store {} cannot be listed: {e}",
                self.place
            )),
            _ => Ok(()),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&StorePath::from(key), bytes.into())
            .await
            .map(|_| ())
            .map_err(Into::into)
    }

    /// A file's bytes.
    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        if let Some(bytes) = builtin::bytes(key) {
            return Ok(bytes.to_vec());
        }
        let result = self.store.get(&StorePath::from(key)).await?;
        Ok(result.bytes().await?.to_vec())
    }

    pub(crate) fn backend(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }
}

/// A stored file's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stored_files)]
pub struct StoredFile {
    pub id: Uuid,
    pub object_key: String,
    pub display_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A file as users see it (never where it is stored).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: Uuid,
    /// What the file is, as whoever attached it described it (empty for evidence).
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl FileView {
    /// What users see of `file`, under `title`.
    pub fn of(title: String, file: StoredFile) -> Self {
        Self {
            id: file.id,
            title,
            file_name: file.display_name,
            content_type: file.content_type,
            size_bytes: file.size_bytes,
            sha256: file.sha256,
        }
    }
}

/// "1.2 MB" for the quota message.
fn megabytes(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// Checks and stores a file uploaded by `uploader`, counted against their organisation's
/// quota, and records it on the caller's connection (inside its transaction). Returns its
/// row. Uploads by one organisation queue behind each other here, so two at once cannot
/// both slip under the quota.
pub async fn store(
    conn: &mut AsyncPgConnection,
    files: &FileStore,
    uploader: &AuthUser,
    name: &str,
    bytes: Vec<u8>,
) -> Result<StoredFile, Problem> {
    let content_type =
        sniff(&bytes, name).map_err(|m| Problem::validation(vec![FieldError::new("file", m)]))?;
    let size = bytes.len() as i64;
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('upload-quota:' || $1, 0))")
        .bind::<diesel::sql_types::Text, _>(uploader.organisation_id.to_string())
        .execute(conn)
        .await?;
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = diesel::sql_types::Int8)]
        used: i64,
    }
    let Used { used } = diesel::sql_query(
        "SELECT coalesce(sum(size_bytes), 0)::bigint AS used FROM stored_files WHERE organisation_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(uploader.organisation_id)
    .get_result(conn)
    .await?;
    if used + size > files.quota_bytes {
        return Err(Problem::new(
            actix_web::http::StatusCode::INSUFFICIENT_STORAGE,
            "quota-exceeded",
            "Your organisation's file storage is full",
        )
        .with_detail(format!(
            "Your organisation has used {} of its {}. Remove files you no longer need from your drafts, then upload this one ({}) again.",
            megabytes(used),
            megabytes(files.quota_bytes),
            megabytes(size)
        )));
    }
    let id = Uuid::new_v4();
    let key = format!("{PREFIX}/{}/{}", &id.simple().to_string()[..2], id.simple());
    let sha256 = hex::encode(Sha256::digest(&bytes));
    files.put(&key, bytes).await.map_err(Problem::from)?;
    let row = diesel::insert_into(stored_files::table)
        .values((
            stored_files::id.eq(id),
            stored_files::object_key.eq(&key),
            stored_files::display_name.eq(clean_file_name(name)),
            stored_files::content_type.eq(content_type),
            stored_files::size_bytes.eq(size),
            stored_files::sha256.eq(&sha256),
            stored_files::uploaded_by.eq(uploader.id),
            stored_files::organisation_id.eq(uploader.organisation_id),
        ))
        .returning(StoredFile::as_returning())
        .get_result(conn)
        .await?;
    Ok(row)
}

/// A file name safe to show and to offer as a download name: the last path part, only
/// letters, digits, spaces, dots, hyphens and underscores, at most 100 characters.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned.to_string()
    }
}

/// `Content-Disposition` for downloading a file by its display name: an ASCII fallback for
/// old clients and the exact name, UTF-8 and percent-encoded, in `filename*` (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

/// Sends a stored file as a download, named safely, never rendered inline, never cached
/// by a shared cache.
pub async fn send(files: &FileStore, file: StoredFile) -> Result<actix_web::HttpResponse, Problem> {
    let bytes = files.get(&file.object_key).await.map_err(Problem::from)?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((
            "Content-Disposition",
            content_disposition(&file.display_name),
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}

/// Forgets a file no draft, sealed bid or document refers to any more, so that it stops
/// counting against the quota at once; its bytes go in the next [`sweep`].
pub async fn release_if_unreferenced(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let removed = diesel::sql_query(format!(
        "DELETE FROM stored_files f WHERE f.id = $1 AND NOT ({})",
        sweep::REFERENCED
    ))
    .bind::<diesel::sql_types::Uuid, _>(id)
    .execute(conn)
    .await?;
    Ok(removed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_never_trusted() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            clean_file_name("C:\\Users\\me\\Policy v2.pdf"),
            "Policy v2.pdf"
        );
        assert_eq!(clean_file_name("<script>.pdf"), "_script_.pdf");
        assert_eq!(clean_file_name("..."), "file");
        assert_eq!(clean_file_name(&"a".repeat(500)).len(), 100);
    }

    #[test]
    fn downloads_name_the_file_exactly_and_safely() {
        assert_eq!(
            content_disposition("Policy v2.pdf"),
            "attachment; filename=\"Policy v2.pdf\"; filename*=UTF-8''Policy%20v2.pdf"
        );
        let d = content_disposition("Décision finale ő.pdf");
        assert!(d.is_ascii(), "{d}");
        assert!(d.contains("filename=\"D_cision finale _.pdf\""), "{d}");
        assert!(
            d.contains("filename*=UTF-8''D%C3%A9cision%20finale%20%C5%91.pdf"),
            "{d}"
        );
    }
}
