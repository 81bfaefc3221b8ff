//! What can go wrong with organisations and users, and the one place each is mapped to
//! problem+json (`type` slugs in docs/api.md): `validation`, `not-found`, `forbidden`,
//! `invalid-link`, and `already-exists` for a unique detail taken.

use crate::http::problem::{FieldError, Problem};
use actix_web::http::StatusCode;

/// What can go wrong with organisations and users.
#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// A record of this context other than an organisation or user ("Insurance").
    #[error("{0} not found")]
    Missing(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// An emailed link (registration, invitation) that has expired, been used or is not ours.
    #[error("the link has expired, has been used, or is not one of ours")]
    InvalidLink,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Problem> for OrganisationError {
    fn from(p: Problem) -> Self {
        OrganisationError::Internal(anyhow::anyhow!("{p}"))
    }
}

impl From<OrganisationError> for Problem {
    fn from(e: OrganisationError) -> Self {
        match e {
            OrganisationError::Invalid(errors) => Problem::validation(errors),
            OrganisationError::NotFound => Problem::not_found("Organisation or user"),
            OrganisationError::Missing(what) => Problem::not_found(what),
            OrganisationError::Forbidden => {
                Problem::forbidden("You may change only your own organisation.")
            }
            OrganisationError::InvalidLink => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-link",
                "This link has expired or has already been used",
            )
            .with_detail("Links in our emails work once, for a limited time. Ask for a new one."),
            OrganisationError::Database(e) => unique_violation(&e).unwrap_or_else(|| e.into()),
            OrganisationError::Internal(e) => e.into(),
        }
    }
}

/// Turns a unique-constraint failure into a field error a person can act on.
pub(super) fn unique_violation(e: &diesel::result::Error) -> Option<Problem> {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = e else {
        return None;
    };
    let (field, message) = match info.constraint_name()? {
        "users_email_key" => ("email", "An account with this email address already exists"),
        "organisations_companies_house_number_key" => (
            "companies_house_number",
            "An organisation with this Companies House number is already registered",
        ),
        "organisations_charity_number_key" => (
            "charity_number",
            "An organisation with this charity number is already registered",
        ),
        "cqc_locations_location_id_key" => (
            "cqc_locations",
            "One of these CQC locations is already registered to an organisation",
        ),
        _ => return None,
    };
    let mut p = Problem::new(
        StatusCode::CONFLICT,
        "already-exists",
        "This is already registered",
    );
    p.errors = vec![FieldError::new(field, message)];
    Some(p)
}

/// The field errors of a unique-constraint failure, for forms.
pub fn field_errors(e: &OrganisationError) -> Option<Vec<FieldError>> {
    match e {
        OrganisationError::Invalid(errors) => Some(errors.clone()),
        OrganisationError::Database(db) => unique_violation(db).map(|p| p.errors),
        _ => None,
    }
}
