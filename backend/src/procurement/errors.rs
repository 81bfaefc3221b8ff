//! What can go wrong in the tender procedure: the engine's errors, passed on, and the
//! procedure's own refusals, each with a stable problem `type` (listed in docs/api.md).

use crate::evaluation::EvaluationError;
use crate::http::problem::{FieldError, Problem};

/// Why the procedure refuses a change now (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A published procurement's details cannot be edited.
    Published,
    /// The change needs a published procurement.
    Draft,
    /// Opened, awarded or cancelled: too late for this.
    Closed,
    /// Clarification questions have closed.
    ClarificationDeadlinePassed,
    /// Not open for bids.
    NotOpen,
    /// Already awarded.
    Awarded,
    /// Not awarded yet.
    NotAwarded,
    /// The contract is already recorded as entered into.
    ContractEntered,
    /// Standstill has not ended.
    Standstill,
    /// The bank-holiday data does not reach far enough to count working days.
    Calendar,
}

impl Refusal {
    /// The stable slug of the problem's `type`.
    pub fn slug(self) -> &'static str {
        match self {
            Refusal::Published => "procurement-published",
            Refusal::Draft => "procurement-draft",
            Refusal::Closed => "procurement-closed",
            Refusal::ClarificationDeadlinePassed => "clarification-deadline-passed",
            Refusal::NotOpen => "procurement-not-open",
            Refusal::Awarded => "procurement-awarded",
            Refusal::NotAwarded => "not-awarded",
            Refusal::ContractEntered => "contract-entered",
            Refusal::Standstill => "standstill",
            Refusal::Calendar => "calendar",
        }
    }
}

/// The tender procedure's errors.
#[derive(Debug, thiserror::Error)]
pub enum ProcurementError {
    /// From the engine (not found, forbidden, sealed, validation, its own refusals), or
    /// from the database and the plumbing through it.
    #[error(transparent)]
    Competition(#[from] EvaluationError),
    /// 409: not now, and why.
    #[error("{detail}")]
    Refused { refusal: Refusal, detail: String },
    /// 409 at publishing: every problem that stops it, not only the first met.
    #[error("The procurement cannot be published yet")]
    Unpublishable(Vec<crate::procurement::procurements::PublishProblem>),
}

impl ProcurementError {
    /// A 409 with a sentence saying why and what to do.
    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> Self {
        ProcurementError::Refused {
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

    /// Whether a person can act on it where they are (a page shows it in its error
    /// summary rather than as an error page).
    pub fn is_actionable(&self) -> bool {
        match self {
            ProcurementError::Competition(e) => e.is_actionable(),
            ProcurementError::Refused { .. } | ProcurementError::Unpublishable(_) => true,
        }
    }
}

impl From<diesel::result::Error> for ProcurementError {
    fn from(e: diesel::result::Error) -> Self {
        EvaluationError::from(e).into()
    }
}

impl From<Problem> for ProcurementError {
    fn from(p: Problem) -> Self {
        EvaluationError::from(p).into()
    }
}

impl From<anyhow::Error> for ProcurementError {
    fn from(e: anyhow::Error) -> Self {
        EvaluationError::from(e).into()
    }
}

impl From<ProcurementError> for Problem {
    fn from(e: ProcurementError) -> Self {
        match e {
            ProcurementError::Competition(EvaluationError::NotFound("Competition")) => {
                Problem::not_found("Procurement")
            }
            ProcurementError::Competition(e) => e.into(),
            ProcurementError::Refused { refusal, detail } => {
                Problem::conflict(refusal.slug(), "This cannot be done now").with_detail(detail)
            }
            ProcurementError::Unpublishable(problems) => {
                let mut problem =
                    Problem::conflict("not-ready-to-publish", "This cannot be published yet")
                        .with_detail("Put right each problem in `errors`, then publish again.");
                problem.errors = problems
                    .into_iter()
                    .map(|p| FieldError::new(p.fix.api_field(), p.message))
                    .collect();
                problem
            }
        }
    }
}

impl From<ProcurementError> for crate::web::PageError {
    fn from(e: ProcurementError) -> Self {
        Problem::from(e).into()
    }
}

/// The procedure's results.
pub type Result<T, E = ProcurementError> = std::result::Result<T, E>;
