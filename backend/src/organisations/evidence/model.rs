//! Insurances and CQC rating changes as stored, and as people and API clients see them.

use super::rules::InsuranceStatus;
use crate::db::schema::{cqc_rating_changes, insurances};
use crate::organisations::model::CqcRating;
use crate::storage::FileView;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

crate::pg_enum! {
    /// What an insurance covers.
    pub enum InsuranceKind: diesel::sql_types::Text {
        PublicLiability => "public_liability",
        EmployersLiability => "employers_liability",
        ProfessionalIndemnity => "professional_indemnity",
        Other => "other",
    }
}

impl InsuranceKind {
    /// The name a provider's office manager knows it by.
    pub fn label(self) -> &'static str {
        match self {
            InsuranceKind::PublicLiability => "Public liability",
            InsuranceKind::EmployersLiability => "Employers' liability",
            InsuranceKind::ProfessionalIndemnity => "Professional indemnity",
            InsuranceKind::Other => "Other",
        }
    }
}

/// An insurance as stored (a draft has no `saved_at`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = insurances)]
pub struct InsuranceRow {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: InsuranceKind,
    pub description: String,
    pub insurer: String,
    pub cover_pence: i64,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_file_id: Uuid,
    pub saved_at: Option<DateTime<Utc>>,
    pub replaces_id: Option<Uuid>,
}

impl InsuranceRow {
    /// "Public liability", or what an "other" insurance covers.
    pub fn name(&self) -> String {
        name(self.kind, &self.description)
    }
}

/// "Public liability insurance", or "Other insurance: what it covers".
pub fn name(kind: InsuranceKind, description: &str) -> String {
    match kind {
        InsuranceKind::Other => format!("Other insurance: {description}"),
        kind => format!("{} insurance", kind.label()),
    }
}

/// A new insurance (saved at once by the API, or a draft from the pages).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = insurances)]
pub struct NewInsurance {
    pub organisation_id: Uuid,
    pub kind: InsuranceKind,
    pub description: String,
    pub insurer: String,
    pub cover_pence: i64,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_file_id: Uuid,
    pub saved_at: Option<DateTime<Utc>>,
    pub replaces_id: Option<Uuid>,
    pub created_by: Uuid,
}

/// A change to an insurance's details.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = insurances)]
pub struct InsuranceChanges {
    pub kind: InsuranceKind,
    pub description: String,
    pub insurer: String,
    pub cover_pence: i64,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_file_id: Uuid,
}

/// An insurance as sent to the API (and as the pages' form is read into).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct InsuranceInput {
    pub kind: InsuranceKind,
    /// What an `other` insurance covers (required for `other`, ignored for the rest).
    #[serde(default)]
    pub description: String,
    /// The insurance company.
    pub insurer: String,
    /// The limit of cover, in pence (£5,000,000 is `500000000`).
    pub cover_pence: i64,
    pub starts_on: NaiveDate,
    /// The last day the policy covers.
    pub expires_on: NaiveDate,
    /// The certificate, uploaded first with `POST /organisations/{id}/certificates`.
    pub certificate_file_id: Uuid,
}

/// An insurance as people and API clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InsuranceView {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: InsuranceKind,
    pub description: String,
    /// "Public liability insurance", or "Other insurance: …".
    pub name: String,
    pub insurer: String,
    pub cover_pence: i64,
    /// The cover in pounds, as people read it: "£5,000,000.00".
    pub cover: String,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    /// The expiry date as people read it: "31 March 2027".
    pub expiry: String,
    pub status: InsuranceStatus,
    /// "Valid", "Expires in 20 days", "Expired", "Starts on 1 January 2027".
    pub status_words: String,
    pub certificate: FileView,
    /// A page draft not yet confirmed (never listed).
    pub draft: bool,
}

/// A CQC rating recorded by the council, with the one it replaced.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = cqc_rating_changes)]
pub struct RatingChange {
    pub id: Uuid,
    #[serde(skip)]
    pub organisation_id: Uuid,
    /// CQC's location ID, e.g. `1-123456789`.
    pub location_id: String,
    pub location_name: String,
    pub previous_rating: CqcRating,
    pub rating: CqcRating,
    /// The date of CQC's report.
    pub report_date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

/// A rating as recorded by a commissioner or administrator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingInput {
    pub rating: CqcRating,
    /// The date of CQC's report (today or earlier).
    pub report_date: NaiveDate,
}
