//! Uploaded files (tender documents and bidders' evidence). Bytes go to an `object_store`
//! backend under a random key, outside any folder the web server serves; the database keeps
//! the key, a cleaned display name, the type found by reading the content, the size and a
//! SHA-256 digest. A user's file name is never used to store, find or type a file.

use super::rules::clean_file_name;
use crate::db::schema::stored_files;
use crate::http::problem::{FieldError, Problem};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Where files are kept.
#[derive(Clone)]
pub struct FileStore(Arc<dyn ObjectStore>);

impl FileStore {
    /// Files in a local folder (`DATA_DIR/files` by default). Several instances need a
    /// shared backend (an S3-compatible store), which `object_store` also provides.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self(Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(dir)?,
        )))
    }

    /// Any backend (tests use the in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self(store)
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.0
            .put(&StorePath::from(key), bytes.into())
            .await
            .map(|_| ())
            .map_err(Into::into)
    }

    /// A file's bytes.
    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let result = self.0.get(&StorePath::from(key)).await?;
        Ok(result.bytes().await?.to_vec())
    }
}

/// The content types accepted, found by reading the file (never from its name or the
/// browser's claim): PDF, Word and Excel (OOXML), OpenDocument text, PNG, JPEG, and plain
/// text or CSV.
pub fn sniff(bytes: &[u8], name: &str) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("The file is empty".into());
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err("The file must be 10 MB or smaller".into());
    }
    let accepted = [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
    ];
    if let Some(kind) = infer::get(bytes) {
        return accepted
            .iter()
            .find(|t| **t == kind.mime_type())
            .copied()
            .ok_or_else(|| {
                format!(
                    "Files of type {} are not accepted: upload a PDF, Word, Excel, OpenDocument, PNG, JPEG, text or CSV file",
                    kind.extension()
                )
            });
    }
    let lower = name.to_ascii_lowercase();
    let texty = std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0);
    match (texty, lower.ends_with(".csv")) {
        (true, true) => Ok("text/csv"),
        (true, false) => Ok("text/plain"),
        _ => Err("The file's type could not be recognised: upload a PDF, Word, Excel, OpenDocument, PNG, JPEG, text or CSV file".into()),
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

/// Checks and stores a file, and records it on the caller's connection. Returns its row.
pub async fn store(
    conn: &mut AsyncPgConnection,
    files: &FileStore,
    uploaded_by: Uuid,
    name: &str,
    bytes: Vec<u8>,
) -> Result<StoredFile, Problem> {
    let content_type =
        sniff(&bytes, name).map_err(|m| Problem::validation(vec![FieldError::new("file", m)]))?;
    let id = Uuid::new_v4();
    let key = format!("uploads/{}/{}", &id.simple().to_string()[..2], id.simple());
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    files.put(&key, bytes).await.map_err(Problem::from)?;
    let row = diesel::insert_into(stored_files::table)
        .values((
            stored_files::id.eq(id),
            stored_files::object_key.eq(&key),
            stored_files::display_name.eq(clean_file_name(name)),
            stored_files::content_type.eq(content_type),
            stored_files::size_bytes.eq(size),
            stored_files::sha256.eq(&sha256),
            stored_files::uploaded_by.eq(uploaded_by),
        ))
        .returning(StoredFile::as_returning())
        .get_result(conn)
        .await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "x.exe"), Ok("application/pdf"));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "policy.pdf"),
            Ok("image/png")
        );
        assert_eq!(sniff(b"a,b\n1,2\n", "rates.csv"), Ok("text/csv"));
        assert_eq!(sniff(b"plain words", "notes"), Ok("text/plain"));
        // A Windows program renamed to .pdf is refused.
        assert!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", "policy.pdf").is_err());
        assert!(sniff(b"\0\x01\x02binary", "x.txt").is_err());
        // Office documents are ZIP files: the first entry's name says which kind.
        let zip = |first_entry: &[u8]| {
            let mut b = b"PK\x03\x04".to_vec();
            b.resize(30, 0);
            b.extend_from_slice(first_entry);
            b.resize(600, 0);
            b
        };
        assert_eq!(
            sniff(&zip(b"word/document.xml"), "bid.zip"),
            Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            sniff(&zip(b"xl/workbook.xml"), "rates.docx"),
            Ok("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert_eq!(
            sniff(
                &zip(b"mimetypeapplication/vnd.oasis.opendocument.text"),
                "policy.odt"
            ),
            Ok("application/vnd.oasis.opendocument.text")
        );
        // Any other ZIP archive is refused, whatever it is called.
        assert!(sniff(&zip(b"payload/run.exe"), "policy.docx").is_err());
        assert!(sniff(b"", "x.txt").is_err());
        assert!(sniff(&vec![b'a'; MAX_FILE_BYTES + 1], "big.txt").is_err());
    }
}
