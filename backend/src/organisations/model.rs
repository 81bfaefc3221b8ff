//! Organisations, users, districts and CQC locations as stored.

use crate::auth::{OrganisationKind, Role};
use crate::db::schema::{cqc_locations, districts, organisations};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::pg_enum! {
    /// The Care Quality Commission's overall rating of a location.
    pub enum CqcRating: crate::db::schema::sql_types::CqcRating {
        Outstanding => "outstanding",
        Good => "good",
        RequiresImprovement => "requires_improvement",
        Inadequate => "inadequate",
        NotYetRated => "not_yet_rated",
    }
}

crate::pg_enum! {
    /// The market segments the council commissions (DOMAIN.md, "Service types").
    pub enum ServiceType: diesel::sql_types::Text {
        Residential => "residential",
        ResidentialDementia => "residential_dementia",
        Nursing => "nursing",
        NursingDementia => "nursing_dementia",
        Domiciliary => "domiciliary",
        Reablement => "reablement",
        SupportedLiving => "supported_living",
        ExtraCare => "extra_care",
        DayOpportunities => "day_opportunities",
        ShortBreaks => "short_breaks",
        SharedLives => "shared_lives",
        ReplacementCare => "replacement_care",
    }
}

impl ServiceType {
    /// The name commissioners use.
    pub fn label(self) -> &'static str {
        match self {
            ServiceType::Residential => "Residential care",
            ServiceType::ResidentialDementia => "Residential dementia care",
            ServiceType::Nursing => "Nursing care",
            ServiceType::NursingDementia => "Nursing dementia care",
            ServiceType::Domiciliary => "Home care (domiciliary)",
            ServiceType::Reablement => "Reablement",
            ServiceType::SupportedLiving => "Supported living",
            ServiceType::ExtraCare => "Extra care housing",
            ServiceType::DayOpportunities => "Day opportunities",
            ServiceType::ShortBreaks => "Short breaks",
            ServiceType::SharedLives => "Shared lives",
            ServiceType::ReplacementCare => "Replacement (respite) care",
        }
    }
}

impl CqcRating {
    /// The rating as CQC writes it.
    pub fn label(self) -> &'static str {
        match self {
            CqcRating::Outstanding => "Outstanding",
            CqcRating::Good => "Good",
            CqcRating::RequiresImprovement => "Requires improvement",
            CqcRating::Inadequate => "Inadequate",
            CqcRating::NotYetRated => "Not yet rated",
        }
    }
}

/// An organisation as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, ToSchema)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: Uuid,
    pub kind: OrganisationKind,
    pub legal_name: String,
    pub companies_house_number: Option<String>,
    pub charity_number: Option<String>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new organisation.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation {
    pub kind: OrganisationKind,
    pub legal_name: String,
    pub companies_house_number: Option<String>,
    pub charity_number: Option<String>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
}

/// A change to an organisation's profile.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true)]
pub struct OrganisationChanges {
    pub legal_name: String,
    pub companies_house_number: Option<String>,
    pub charity_number: Option<String>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
}

/// A district (locality) the council plans services by.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = districts)]
pub struct District {
    pub id: Uuid,
    pub name: String,
}

/// A CQC-registered location of a provider.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = cqc_locations)]
pub struct CqcLocation {
    pub id: Uuid,
    #[serde(skip)]
    pub organisation_id: Uuid,
    /// CQC's location ID, e.g. `1-123456789`.
    pub location_id: String,
    pub name: String,
    pub rating: CqcRating,
    pub rating_date: Option<NaiveDate>,
}

/// A new CQC location.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cqc_locations)]
pub struct NewCqcLocation {
    pub organisation_id: Uuid,
    pub location_id: String,
    pub name: String,
    pub rating: CqcRating,
    pub rating_date: Option<NaiveDate>,
}

/// A user as shown to others (no secrets).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub created_at: DateTime<Utc>,
}

/// An organisation with its districts and CQC locations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationView {
    #[serde(flatten)]
    pub organisation: Organisation,
    pub districts: Vec<District>,
    pub cqc_locations: Vec<CqcLocation>,
}
