//! What can go wrong with a DPS: the engine's errors, passed on, and the DPS's own
//! refusals, each with a stable problem `type` (listed in docs/api.md).

use crate::evaluation::EvaluationError;
use crate::http::problem::{FieldError, Problem};

/// Why the DPS refuses a change now (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Established: its details and conditions of membership are fixed for the term.
    Established,
    /// The action needs an established DPS.
    Draft,
    /// The notice has already been prepared.
    NoticePrepared,
    /// The council has ended it.
    Ceased,
}

impl Refusal {
    /// The stable slug of the problem's `type`.
    pub fn slug(self) -> &'static str {
        match self {
            Refusal::Established => "dps-established",
            Refusal::Draft => "dps-draft",
            Refusal::NoticePrepared => "dps-notice-prepared",
            Refusal::Ceased => "dps-ceased",
        }
    }
}

/// The DPS's errors.
#[derive(Debug, thiserror::Error)]
pub enum DpsError {
    /// From the engine (not found, forbidden, validation, its own refusals), or from the
    /// database and the plumbing through it.
    #[error(transparent)]
    Competition(#[from] EvaluationError),
    /// 409: not now, and why.
    #[error("{detail}")]
    Refused { refusal: Refusal, detail: String },
}

impl DpsError {
    /// A 409 with a sentence saying why and what to do.
    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> Self {
        DpsError::Refused {
            refusal,
            detail: detail.into(),
        }
    }

    /// A 422 for these fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        EvaluationError::invalid(errors).into()
    }

    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        EvaluationError::field(field, message).into()
    }

    /// A 404.
    pub fn not_found(what: &'static str) -> Self {
        EvaluationError::NotFound(what).into()
    }
}

impl From<diesel::result::Error> for DpsError {
    fn from(e: diesel::result::Error) -> Self {
        EvaluationError::from(e).into()
    }
}

impl From<Problem> for DpsError {
    fn from(p: Problem) -> Self {
        EvaluationError::from(p).into()
    }
}

impl From<anyhow::Error> for DpsError {
    fn from(e: anyhow::Error) -> Self {
        EvaluationError::from(e).into()
    }
}

impl From<DpsError> for Problem {
    fn from(e: DpsError) -> Self {
        match e {
            // The DPS's competition is the DPS to its readers.
            DpsError::Competition(EvaluationError::NotFound("Competition")) => {
                Problem::not_found("DPS")
            }
            DpsError::Competition(e) => e.into(),
            DpsError::Refused { refusal, detail } => {
                Problem::conflict(refusal.slug(), "This cannot be done now").with_detail(detail)
            }
        }
    }
}

impl From<DpsError> for crate::web::PageError {
    fn from(e: DpsError) -> Self {
        Problem::from(e).into()
    }
}

/// The DPS's results.
pub type Result<T, E = DpsError> = std::result::Result<T, E>;
