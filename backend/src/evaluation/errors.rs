//! What can go wrong in the engine. Each variant is answered in one way (`From` below),
//! with a stable problem `type` (`urn:commissioning:problem:<slug>`, listed in
//! docs/api.md), so owners and clients can tell refusals apart without reading the words.

use crate::http::problem::{FieldError, Problem};
use actix_web::http::StatusCode;

/// Why a change is refused in the competition's or submission's present state (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The deadline has passed (database clock): nothing sealed may change.
    DeadlinePassed,
    /// The deadline has not passed: submissions stay sealed.
    DeadlineNotPassed,
    /// Published: the draft-only change cannot be made.
    Published,
    /// Not published: the change needs a published competition.
    NotPublished,
    /// The submissions are already open.
    AlreadyOpened,
    /// The submissions are not open yet.
    NotOpened,
    /// The competition has been decided (or cancelled).
    Decided,
    /// The provider already has a submission for this lot.
    SubmissionExists,
    /// Only a submitted submission can be withdrawn.
    NotSubmitted,
    /// The evaluator has already declared.
    AlreadyDeclared,
    /// The evaluator's sheet is submitted and final.
    SheetSubmitted,
    /// Not every eligible evaluator has submitted their marks.
    EvaluationIncomplete,
    /// Not every marked question of every submission is moderated.
    ModerationIncomplete,
    /// This submission already has its outcome.
    AlreadyDecided,
    /// A clarification request is waiting for the provider.
    ClarificationPending,
    /// There is no clarification request waiting.
    NoClarificationPending,
}

impl Refusal {
    /// The stable slug of the problem's `type`.
    pub fn slug(self) -> &'static str {
        match self {
            Refusal::DeadlinePassed => "deadline-passed",
            Refusal::DeadlineNotPassed => "deadline-not-passed",
            Refusal::Published => "published",
            Refusal::NotPublished => "not-published",
            Refusal::AlreadyOpened => "already-opened",
            Refusal::NotOpened => "not-opened",
            Refusal::Decided => "decided",
            Refusal::SubmissionExists => "submission-exists",
            Refusal::NotSubmitted => "not-submitted",
            Refusal::AlreadyDeclared => "already-declared",
            Refusal::SheetSubmitted => "sheet-submitted",
            Refusal::EvaluationIncomplete => "evaluation-incomplete",
            Refusal::ModerationIncomplete => "moderation-incomplete",
            Refusal::AlreadyDecided => "already-decided",
            Refusal::ClarificationPending => "clarification-pending",
            Refusal::NoClarificationPending => "no-clarification-pending",
        }
    }
}

/// The engine's errors.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// 404: it does not exist, or the reader may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 403, with the reason.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 403 `sealed`: nobody at the council reads a submission before opening.
    #[error("submissions are sealed")]
    Sealed,
    /// 403 `declaration-required`: an evaluator sees nothing before declaring.
    #[error("the evaluator has not declared their interests")]
    DeclarationRequired,
    /// 403 `conflict-of-interest`: an evaluator never sees a bidder they declared against.
    #[error("the evaluator declared a conflict with this bidder")]
    Conflicted,
    /// 422: fields to correct, and perhaps a sentence about them all.
    #[error("validation failed")]
    Invalid {
        errors: Vec<FieldError>,
        detail: Option<String>,
    },
    /// 409: not now, and why.
    #[error("{detail}")]
    Refused { refusal: Refusal, detail: String },
    /// A refusal from the plumbing (a role check, an upload's type, size or quota), passed
    /// on as it is.
    #[error(transparent)]
    Plumbing(#[from] Problem),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl EvaluationError {
    /// A 409 with a sentence saying why and what to do.
    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> Self {
        EvaluationError::Refused {
            refusal,
            detail: detail.into(),
        }
    }

    /// A 422 for these fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        EvaluationError::Invalid {
            errors,
            detail: None,
        }
    }

    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// Whether a person can act on it where they are (a page shows it in its error
    /// summary rather than as an error page).
    pub fn is_actionable(&self) -> bool {
        matches!(
            self,
            EvaluationError::Invalid { .. } | EvaluationError::Refused { .. }
        ) || matches!(self, EvaluationError::Plumbing(p) if matches!(p.status, 409 | 413 | 422 | 507))
    }
}

impl From<EvaluationError> for Problem {
    fn from(e: EvaluationError) -> Self {
        match e {
            EvaluationError::NotFound(what) => Problem::not_found(what),
            EvaluationError::Forbidden(why) => Problem::forbidden(why),
            EvaluationError::Sealed => Problem::new(
                StatusCode::FORBIDDEN,
                "sealed",
                "Submissions are sealed",
            )
            .with_detail("Nobody at the council can read a submission before the deadline has passed and the submissions have been opened. After the deadline, a commissioner opens them."),
            EvaluationError::DeclarationRequired => Problem::new(
                StatusCode::FORBIDDEN,
                "declaration-required",
                "Declare your interests first",
            )
            .with_detail("Before you can see any submission, declare for each bidder whether you have a conflict of interest."),
            EvaluationError::Conflicted => Problem::new(
                StatusCode::FORBIDDEN,
                "conflict-of-interest",
                "You declared a conflict with this bidder",
            )
            .with_detail("Another evaluator will assess this submission."),
            EvaluationError::Invalid { errors, detail } => {
                let p = Problem::validation(errors);
                match detail {
                    Some(d) => p.with_detail(d),
                    None => p,
                }
            }
            EvaluationError::Refused { refusal, detail } => Problem::conflict(
                refusal.slug(),
                "This cannot be done now",
            )
            .with_detail(detail),
            EvaluationError::Plumbing(p) => p,
            EvaluationError::Database(e) => e.into(),
            EvaluationError::Internal(e) => e.into(),
        }
    }
}

/// The engine's results.
pub type Result<T, E = EvaluationError> = std::result::Result<T, E>;

impl From<EvaluationError> for crate::web::PageError {
    fn from(e: EvaluationError) -> Self {
        Problem::from(e).into()
    }
}
