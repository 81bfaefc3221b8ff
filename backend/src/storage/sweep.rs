//! Removing what no one refers to: file rows no draft, sealed bid or document names any
//! more, and objects in the store with no row (left by a transaction that rolled back after
//! its upload, or by the rows just removed). Only what is older than `cutoff` goes, so an
//! upload whose transaction is still running is never touched.

use super::{FileStore, PREFIX};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use std::collections::HashSet;

/// Whether file `f` is referred to: by a draft's evidence, a tender's documents, what a
/// bidder submitted (a sealed bid keeps a file the bidder has since removed from the draft),
/// or a provider's insurance certificate.
/// A context that keeps files adds its reference here.
pub(super) const REFERENCED: &str = "\
    EXISTS (SELECT 1 FROM submission_files r WHERE r.file_id = f.id) \
    OR EXISTS (SELECT 1 FROM procurement_documents r WHERE r.file_id = f.id) \
    OR EXISTS (SELECT 1 FROM insurances r WHERE r.certificate_file_id = f.id) \
    OR EXISTS (SELECT 1 FROM submissions s WHERE s.sealed IS NOT NULL \
        AND jsonb_path_exists(s.sealed, '$.files[*][1] ? (@ == $id)', jsonb_build_object('id', f.id::text)))";

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// File rows nothing referred to.
    pub rows: usize,
    /// Objects deleted from the store.
    pub objects: usize,
    /// Their bytes.
    pub bytes: u64,
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    object_key: String,
}

/// Removes unreferenced file rows created before `cutoff`, then every object under the
/// uploads prefix last modified before `cutoff` that no row names.
pub async fn sweep(
    conn: &mut AsyncPgConnection,
    files: &FileStore,
    cutoff: DateTime<Utc>,
) -> anyhow::Result<Swept> {
    let gone: Vec<Key> = diesel::sql_query(format!(
        "DELETE FROM stored_files f WHERE f.created_at < $1 AND NOT ({REFERENCED}) RETURNING f.object_key"
    ))
    .bind::<Timestamptz, _>(cutoff)
    .load(conn)
    .await?;
    let mut swept = Swept {
        rows: gone.len(),
        ..Default::default()
    };
    // Keys still in use; objects are listed afterwards, so one stored in between is either
    // newer than the cutoff or already has its row.
    let kept: HashSet<String> = diesel::sql_query("SELECT object_key FROM stored_files")
        .load::<Key>(conn)
        .await?
        .into_iter()
        .map(|k| k.object_key)
        .collect();
    let store = files.backend();
    let prefix = object_store::path::Path::from(PREFIX);
    let mut listing = store.list(Some(&prefix));
    let mut stale = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta?;
        if meta.last_modified < cutoff && !kept.contains(meta.location.as_ref()) {
            stale.push(meta);
        }
    }
    for meta in stale {
        match store.delete(&meta.location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                swept.objects += 1;
                swept.bytes += meta.size;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(swept)
}
