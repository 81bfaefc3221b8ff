//! A provider's insurances: who may read and manage them, listing, adding, changing and
//! removing (the API saves at once; the pages save a draft first and confirm it from the
//! check-your-answers page), and their certificates.
//!
//! A provider's own users manage its insurances; commissioners and administrators read
//! any provider's; nobody else learns that they exist (another provider gets "not found").

use super::model::*;
use super::rules;
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{insurances, stored_files};
use crate::http::problem::FieldError;
use crate::organisations::OrganisationError;
use crate::storage::{self, FileStore, FileView, StoredFile};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

type Result<T> = std::result::Result<T, OrganisationError>;

/// The most insurances (saved and drafts) one organisation may hold: far more than any
/// provider has, so that a runaway client cannot fill the table.
pub const MAX_INSURANCES: i64 = 200;

/// Whether `user` may read organisation `org`'s insurances: its own provider users, and
/// the council's commissioners and administrators.
pub fn may_read(user: &AuthUser, org: Uuid) -> bool {
    match user.role {
        Role::Provider => user.organisation_id == org,
        Role::Admin | Role::Commissioner => true,
        _ => false,
    }
}

/// Whether `user` may add, change and remove organisation `org`'s insurances: its own
/// provider users only (the council reads them; it does not keep them for the provider).
pub fn may_manage(user: &AuthUser, org: Uuid) -> bool {
    user.role == Role::Provider && user.organisation_id == org
}

fn readable(user: &AuthUser, org: Uuid) -> Result<()> {
    if may_read(user, org) {
        Ok(())
    } else {
        Err(OrganisationError::NotFound)
    }
}

fn manageable(user: &AuthUser, org: Uuid) -> Result<()> {
    readable(user, org)?;
    if may_manage(user, org) {
        Ok(())
    } else {
        Err(OrganisationError::Forbidden)
    }
}

/// The view of a row and its certificate on `today`.
pub fn view(row: InsuranceRow, file: StoredFile, today: NaiveDate) -> InsuranceView {
    let (status, status_words) = rules::status(row.starts_on, row.expires_on, today);
    InsuranceView {
        id: row.id,
        organisation_id: row.organisation_id,
        kind: row.kind,
        name: row.name(),
        description: row.description,
        insurer: row.insurer,
        cover_pence: row.cover_pence,
        cover: crate::money::Pence(row.cover_pence).to_string(),
        starts_on: row.starts_on,
        expires_on: row.expires_on,
        expiry: crate::calendar::long_date(row.expires_on),
        status,
        status_words,
        certificate: FileView::of(String::new(), file),
        draft: row.saved_at.is_none(),
    }
}

/// The London date today: what "expires in N days" counts from.
pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// Organisation `org`'s saved insurances, soonest expiry first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    today: NaiveDate,
) -> Result<Vec<InsuranceView>> {
    readable(user, org)?;
    let rows: Vec<(InsuranceRow, StoredFile)> = insurances::table
        .inner_join(stored_files::table)
        .filter(insurances::organisation_id.eq(org))
        .filter(insurances::saved_at.is_not_null())
        .order((insurances::expires_on.asc(), insurances::id.asc()))
        .limit(MAX_INSURANCES)
        .select((InsuranceRow::as_select(), StoredFile::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(r, f)| view(r, f, today)).collect())
}

/// One insurance of `org` (a draft only for the provider's own users).
pub async fn get(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    id: Uuid,
    today: NaiveDate,
) -> Result<InsuranceView> {
    readable(user, org)?;
    let (row, file): (InsuranceRow, StoredFile) = insurances::table
        .inner_join(stored_files::table)
        .filter(insurances::id.eq(id))
        .filter(insurances::organisation_id.eq(org))
        .select((InsuranceRow::as_select(), StoredFile::as_select()))
        .first(conn)
        .await
        .optional()?
        .ok_or(OrganisationError::Missing("Insurance"))?;
    if row.saved_at.is_none() && !may_manage(user, org) {
        return Err(OrganisationError::Missing("Insurance"));
    }
    Ok(view(row, file, today))
}

/// The certificate of insurance `id` of `org`, for downloading.
pub async fn certificate(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    id: Uuid,
) -> Result<StoredFile> {
    let view = get(conn, user, org, id, today()).await?;
    stored_files::table
        .find(view.certificate.id)
        .select(StoredFile::as_select())
        .first(conn)
        .await
        .map_err(Into::into)
}

/// Stores an uploaded certificate for `org` (its own provider users), with the same type
/// and size checks and quota as every upload. Call inside a transaction.
pub async fn upload_certificate(
    conn: &mut AsyncPgConnection,
    files: &FileStore,
    user: &AuthUser,
    org: Uuid,
    name: &str,
    bytes: Vec<u8>,
) -> std::result::Result<FileView, crate::http::problem::Problem> {
    manageable(user, org)?;
    let file = storage::store(conn, files, user, name, bytes).await?;
    Ok(FileView::of(String::new(), file))
}

/// Checks `input` and that its certificate is a file `org` uploaded.
async fn checked(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    input: &InsuranceInput,
) -> Result<InsuranceInput> {
    let (valid, mut errors) = match rules::insurance(input) {
        Ok(valid) => (Some(valid), Vec::new()),
        Err(errors) => (None, errors),
    };
    let ours: bool = diesel::select(diesel::dsl::exists(
        stored_files::table
            .filter(stored_files::id.eq(input.certificate_file_id))
            .filter(stored_files::organisation_id.eq(org)),
    ))
    .get_result(conn)
    .await?;
    if !ours {
        errors.push(FieldError::new(
            "certificate_file_id",
            "Upload the insurance certificate",
        ));
    }
    match valid {
        Some(valid) if errors.is_empty() => Ok(valid),
        _ => Err(OrganisationError::Invalid(errors)),
    }
}

fn changes(valid: &InsuranceInput) -> InsuranceChanges {
    InsuranceChanges {
        kind: valid.kind,
        description: valid.description.clone(),
        insurer: valid.insurer.clone(),
        cover_pence: valid.cover_pence,
        starts_on: valid.starts_on,
        expires_on: valid.expires_on,
        certificate_file_id: valid.certificate_file_id,
    }
}

async fn record(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    action: &'static str,
    row: &InsuranceRow,
) -> Result<()> {
    audit::record(
        conn,
        &user.actor(),
        Entry::new(action, "organisation", row.organisation_id)
            .for_organisation(row.organisation_id)
            .with_details(serde_json::json!({
                "insurance": row.name(),
                "insurer": row.insurer,
                "cover": crate::money::Pence(row.cover_pence).to_string(),
                "expires_on": row.expires_on,
                "insurance_id": row.id,
            })),
    )
    .await?;
    Ok(())
}

async fn insert(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    valid: &InsuranceInput,
    saved: bool,
    replaces: Option<Uuid>,
) -> Result<InsuranceRow> {
    let held: i64 = insurances::table
        .filter(insurances::organisation_id.eq(org))
        .count()
        .get_result(conn)
        .await?;
    if held >= MAX_INSURANCES {
        return Err(OrganisationError::Invalid(vec![FieldError::new(
            "kind",
            format!("Your organisation has {MAX_INSURANCES} insurances: remove old ones first"),
        )]));
    }
    let c = changes(valid);
    diesel::insert_into(insurances::table)
        .values(NewInsurance {
            organisation_id: org,
            kind: c.kind,
            description: c.description,
            insurer: c.insurer,
            cover_pence: c.cover_pence,
            starts_on: c.starts_on,
            expires_on: c.expires_on,
            certificate_file_id: c.certificate_file_id,
            saved_at: saved.then(chrono::Utc::now),
            replaces_id: replaces,
            created_by: user.id,
        })
        .returning(InsuranceRow::as_returning())
        .get_result(conn)
        .await
        .map_err(Into::into)
}

/// The row `id` of `org`, locked for a change.
async fn row_for_update(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> Result<InsuranceRow> {
    insurances::table
        .filter(insurances::id.eq(id))
        .filter(insurances::organisation_id.eq(org))
        .select(InsuranceRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(OrganisationError::Missing("Insurance"))
}

async fn apply(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    valid: &InsuranceInput,
) -> Result<InsuranceRow> {
    diesel::update(insurances::table.find(id))
        .set((changes(valid), insurances::updated_at.eq(diesel::dsl::now)))
        .returning(InsuranceRow::as_returning())
        .get_result(conn)
        .await
        .map_err(Into::into)
}

/// A certificate nothing holds any more stops counting against the quota at once.
async fn release(conn: &mut AsyncPgConnection, old: Uuid, new: Uuid) -> Result<()> {
    if old != new {
        storage::release_if_unreferenced(conn, old).await?;
    }
    Ok(())
}

/// Adds a saved insurance to `org` (the API). Call inside a transaction.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    input: &InsuranceInput,
) -> Result<InsuranceView> {
    manageable(user, org)?;
    let valid = checked(conn, org, input).await?;
    let row = insert(conn, user, org, &valid, true, None).await?;
    record(conn, user, "insurance.added", &row).await?;
    get(conn, user, org, row.id, today()).await
}

/// Replaces a saved insurance's details (the API). Call inside a transaction.
pub async fn update(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    id: Uuid,
    input: &InsuranceInput,
) -> Result<InsuranceView> {
    manageable(user, org)?;
    let before = row_for_update(conn, org, id).await?;
    if before.saved_at.is_none() {
        return Err(OrganisationError::Missing("Insurance"));
    }
    let valid = checked(conn, org, input).await?;
    let row = apply(conn, id, &valid).await?;
    release(conn, before.certificate_file_id, row.certificate_file_id).await?;
    record(conn, user, "insurance.changed", &row).await?;
    get(conn, user, org, id, today()).await
}

/// Removes an insurance (saved or draft) and any draft change of it. Call inside a
/// transaction.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    id: Uuid,
) -> Result<()> {
    manageable(user, org)?;
    let row = row_for_update(conn, org, id).await?;
    let files: Vec<Uuid> = diesel::delete(
        insurances::table.filter(insurances::id.eq(id).or(insurances::replaces_id.eq(id))),
    )
    .returning(insurances::certificate_file_id)
    .get_results(conn)
    .await?;
    for file in files {
        storage::release_if_unreferenced(conn, file).await?;
    }
    if row.saved_at.is_some() {
        record(conn, user, "insurance.removed", &row).await?;
    }
    Ok(())
}

/// What a page's form saves a draft for.
#[derive(Debug, Clone, Copy)]
pub enum DraftOf {
    /// A new insurance.
    New,
    /// Insurance `id`: a draft already (changed again before it was confirmed), or a
    /// saved one (its change draft is made or replaced).
    Existing(Uuid),
}

/// Saves what the form holds as a draft, to be confirmed from the check-your-answers
/// page. Returns the draft's id. Call inside a transaction.
pub async fn save_draft(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    of: DraftOf,
    input: &InsuranceInput,
) -> Result<Uuid> {
    manageable(user, org)?;
    let valid = checked(conn, org, input).await?;
    let id = match of {
        DraftOf::New => insert(conn, user, org, &valid, false, None).await?.id,
        DraftOf::Existing(id) => {
            let row = row_for_update(conn, org, id).await?;
            if row.saved_at.is_none() {
                let old = row.certificate_file_id;
                apply(conn, id, &valid).await?;
                release(conn, old, valid.certificate_file_id).await?;
                id
            } else {
                let existing: Option<(Uuid, Uuid)> = insurances::table
                    .filter(insurances::replaces_id.eq(id))
                    .select((insurances::id, insurances::certificate_file_id))
                    .first(conn)
                    .await
                    .optional()?;
                match existing {
                    Some((draft, old)) => {
                        apply(conn, draft, &valid).await?;
                        release(conn, old, valid.certificate_file_id).await?;
                        draft
                    }
                    None => insert(conn, user, org, &valid, false, Some(id)).await?.id,
                }
            }
        }
    };
    Ok(id)
}

/// Confirms a draft from the check-your-answers page: a new insurance is saved; a change
/// is copied onto the insurance it changes, and the draft goes. Returns the saved
/// insurance and whether it was a change. Call inside a transaction.
pub async fn confirm_draft(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    org: Uuid,
    draft: Uuid,
) -> Result<(InsuranceView, bool)> {
    manageable(user, org)?;
    let row = row_for_update(conn, org, draft).await?;
    if row.saved_at.is_some() {
        return Err(OrganisationError::Missing("Draft insurance"));
    }
    let input = InsuranceInput {
        kind: row.kind,
        description: row.description.clone(),
        insurer: row.insurer.clone(),
        cover_pence: row.cover_pence,
        starts_on: row.starts_on,
        expires_on: row.expires_on,
        certificate_file_id: row.certificate_file_id,
    };
    let (saved, changed) = match row.replaces_id {
        None => {
            let saved = diesel::update(insurances::table.find(draft))
                .set(insurances::saved_at.eq(diesel::dsl::now))
                .returning(InsuranceRow::as_returning())
                .get_result(conn)
                .await?;
            record(conn, user, "insurance.added", &saved).await?;
            (saved, false)
        }
        Some(target) => {
            let before = row_for_update(conn, org, target).await?;
            diesel::delete(insurances::table.find(draft))
                .execute(conn)
                .await?;
            let saved = apply(conn, target, &input).await?;
            release(conn, before.certificate_file_id, saved.certificate_file_id).await?;
            record(conn, user, "insurance.changed", &saved).await?;
            (saved, true)
        }
    };
    Ok((get(conn, user, org, saved.id, today()).await?, changed))
}
