//! Tender documents: added by commissioners until the submissions are opened, public once
//! the procurement is published.

use super::errors::{ProcurementError, Refusal, Result};
use super::procurements::{load, load_managed};
use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::db::schema::{procurement_documents, stored_files};
use crate::evaluation::rules::{TITLE_MAX, is_one_line};
use crate::storage::{self, FileStore, FileView, StoredFile};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Adds a tender document (commissioners).
pub async fn add(
    conn: &mut AsyncPgConnection,
    store: &FileStore,
    user: &AuthUser,
    id: Uuid,
    title: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<FileView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        if row.competition.opened_at.is_some() || row.competition.cancelled_at.is_some() {
            return Err(ProcurementError::refused(
                Refusal::Closed,
                "Documents can be added only before the submissions are opened.",
            ));
        }
        let title = title.trim();
        if title.is_empty() || title.chars().count() > TITLE_MAX || !is_one_line(title) {
            return Err(ProcurementError::field(
                "title",
                "Give the document a title of up to 200 characters, on one line",
            ));
        }
        let file = storage::store(tx, store, user, name, bytes).await?;
        diesel::insert_into(procurement_documents::table)
            .values((
                procurement_documents::procurement_id.eq(id),
                procurement_documents::file_id.eq(file.id),
                procurement_documents::title.eq(title),
            ))
            .execute(tx)
            .await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.document_added", "procurement", id)
                .with_details(serde_json::json!({"file_id": file.id, "title": title})),
        )
        .await?;
        Ok(FileView::of(title.to_string(), file))
    })
    .await
}

/// A tender document's row, if the reader may see the procurement.
pub async fn find(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
    file_id: Uuid,
) -> Result<StoredFile> {
    load(conn, user, id).await?;
    procurement_documents::table
        .inner_join(stored_files::table)
        .filter(procurement_documents::procurement_id.eq(id))
        .filter(procurement_documents::file_id.eq(file_id))
        .select(StoredFile::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ProcurementError::not_found("Document"))
}
