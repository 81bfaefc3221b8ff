//! The engine's words as stored and shown: competitions and their lots, questionnaires,
//! answers, submissions and their statuses and outcomes.

use crate::db::schema::{competition_lots, competitions, submissions};
use crate::storage::FileView;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

crate::pg_enum! {
    /// How a competition's outcomes are decided (DOMAIN.md, "The evaluation engine").
    pub enum OutcomeModel: crate::db::schema::sql_types::OutcomeModel {
        /// Scored, weighted and ranked; the best bids are successful (tenders, call-offs).
        Ranked => "ranked",
        /// Pass or fail per lot; each application is admitted or not, and the council may
        /// ask for clarification, which stops the decision clock (DPS applications).
        Admission => "admission",
    }
}

crate::pg_enum! {
    /// What was decided about a submission.
    pub enum SubmissionOutcome: crate::db::schema::sql_types::SubmissionOutcome {
        Successful => "successful",
        Unsuccessful => "unsuccessful",
        Admitted => "admitted",
        NotAdmitted => "not_admitted",
    }
}

impl SubmissionOutcome {
    /// As the provider reads it.
    pub fn label(self) -> &'static str {
        match self {
            SubmissionOutcome::Successful => "Successful",
            SubmissionOutcome::Unsuccessful => "Not successful",
            SubmissionOutcome::Admitted => "Admitted",
            SubmissionOutcome::NotAdmitted => "Not admitted",
        }
    }
}

/// A competition as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = competitions)]
pub struct Competition {
    pub id: Uuid,
    pub council_id: Uuid,
    pub reference: String,
    pub title: String,
    pub outcome_model: OutcomeModel,
    pub submission_deadline: DateTime<Utc>,
    pub decision_working_days: Option<i32>,
    pub published_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
}

/// Where a competition is, derived from its timestamps (never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompetitionStatus {
    /// Being prepared; nobody outside the council can see it.
    Draft,
    /// Published and taking submissions.
    Open,
    /// The deadline has passed; submissions are still sealed.
    Closed,
    /// Submissions are open to the panel.
    Opened,
    /// The ranked decision has been made.
    Decided,
    /// Abandoned.
    Cancelled,
}

/// A new competition, as its owner describes it.
#[derive(Debug, Clone)]
pub struct NewCompetition<'a> {
    /// The id to use: an owner that owns exactly one competition shares its id.
    pub id: Uuid,
    pub reference: &'a str,
    pub title: &'a str,
    pub outcome_model: OutcomeModel,
    pub submission_deadline: DateTime<Utc>,
    /// Admission only: working days after the deadline to decide each application in.
    pub decision_working_days: Option<i32>,
    pub lots: &'a [LotInput],
}

/// A lot as its owner describes it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct LotInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A lot of a competition.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = competition_lots)]
pub struct Lot {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub description: String,
}

/// The kinds of question (DOMAIN.md, "The evaluation engine").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Yes or no; the wrong answer excludes the bid.
    PassFail,
    /// A written answer marked 0–5 and weighted.
    Scored,
    /// A total price in pence.
    Price,
    /// Rates per band, priced as the weighted basket of rates.
    PriceSchedule,
    /// A written social value answer, marked 0–5 and weighted.
    SocialValue,
    /// Information the council needs but does not mark.
    Information,
    /// One or more uploaded files.
    Evidence,
    /// A written answer or evidence an evaluator judges pass or fail (admission).
    Judged,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 8] = [
        QuestionKind::PassFail,
        QuestionKind::Scored,
        QuestionKind::Price,
        QuestionKind::PriceSchedule,
        QuestionKind::SocialValue,
        QuestionKind::Information,
        QuestionKind::Evidence,
        QuestionKind::Judged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::PassFail => "pass_fail",
            QuestionKind::Scored => "scored",
            QuestionKind::Price => "price",
            QuestionKind::PriceSchedule => "price_schedule",
            QuestionKind::SocialValue => "social_value",
            QuestionKind::Information => "information",
            QuestionKind::Evidence => "evidence",
            QuestionKind::Judged => "judged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::PassFail => "Pass or fail",
            QuestionKind::Scored => "Scored quality question",
            QuestionKind::Price => "Price",
            QuestionKind::PriceSchedule => "Price schedule (rates per band)",
            QuestionKind::SocialValue => "Social value (scored)",
            QuestionKind::Information => "Information (not scored)",
            QuestionKind::Evidence => "Evidence (file upload)",
            QuestionKind::Judged => "Judged pass or fail by the panel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Marked 0–5 by evaluators.
    pub fn is_scored(self) -> bool {
        matches!(self, QuestionKind::Scored | QuestionKind::SocialValue)
    }

    /// Marked by evaluators at all: a score, or a pass/fail verdict.
    pub fn is_marked(self) -> bool {
        self.is_scored() || self == QuestionKind::Judged
    }

    /// Carries a weight in the total.
    pub fn is_weighted(self) -> bool {
        matches!(
            self,
            QuestionKind::Scored
                | QuestionKind::SocialValue
                | QuestionKind::Price
                | QuestionKind::PriceSchedule
        )
    }

    /// Answered in words (so word limits apply).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            QuestionKind::Scored
                | QuestionKind::SocialValue
                | QuestionKind::Information
                | QuestionKind::Judged
        )
    }

    pub fn is_price(self) -> bool {
        matches!(self, QuestionKind::Price | QuestionKind::PriceSchedule)
    }

    /// Allowed in a questionnaire decided this way: admission decides pass or fail, so it
    /// has no scores, weights or prices; a ranked competition has no judged questions.
    pub fn fits(self, model: OutcomeModel) -> bool {
        match model {
            OutcomeModel::Ranked => self != QuestionKind::Judged,
            OutcomeModel::Admission => !self.is_weighted(),
        }
    }
}

/// One band of a price schedule: a rate the bidder quotes, and the council's expected
/// volume that weights it in the basket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Band {
    pub label: String,
    /// Expected units (for example hours a week) that weight this rate.
    pub volume: i64,
}

/// A question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Question {
    /// Stable within a competition across versions ("Q1", "Q2", ...). Assigned when absent.
    #[serde(default)]
    pub id: String,
    pub kind: QuestionKind,
    pub title: String,
    /// What a good answer covers, shown to bidders and evaluators.
    #[serde(default)]
    pub guidance: String,
    /// For written answers: the most words allowed.
    #[serde(default)]
    pub word_limit: Option<u32>,
    /// Percentage points of the total (scored, social value and price questions).
    #[serde(default)]
    pub weight: Option<u32>,
    /// For pass/fail questions: the answer that passes (`true` is "Yes").
    #[serde(default)]
    pub pass_answer: Option<bool>,
    /// For price schedules: the bands.
    #[serde(default)]
    pub bands: Vec<Band>,
}

/// A section of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Section {
    pub title: String,
    pub questions: Vec<Question>,
}

/// A questionnaire: sections of questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Questionnaire {
    pub sections: Vec<Section>,
}

impl Questionnaire {
    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }
}

/// A questionnaire version's facts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionnaireVersion {
    /// Identifies this version; a submission names the one it answered.
    #[serde(skip)]
    pub id: Uuid,
    /// The lot this questionnaire is for; `None` for every lot without one of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<Uuid>,
    pub version: i32,
    pub change_note: String,
    pub frozen_at: Option<DateTime<Utc>>,
}

/// A questionnaire with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionnaireView {
    #[serde(flatten)]
    pub version: QuestionnaireVersion,
    pub questionnaire: Questionnaire,
}

/// A bidder's answer to one question. Which fields count depends on the question's kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    /// A written answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A pass/fail answer: `true` is "Yes".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<bool>,
    /// A price in pence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_pence: Option<i64>,
    /// A price schedule's rates in pence, one per band in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates_pence: Option<Vec<i64>>,
}

/// Where a submission is (DOMAIN.md: draft → submitted → opened → evaluated → moderated →
/// successful | unsuccessful; also withdrawn and excluded; at admission, admitted or not
/// admitted, with clarification requested while the council waits on the provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Draft,
    Submitted,
    Withdrawn,
    Opened,
    Evaluated,
    Moderated,
    Excluded,
    Successful,
    Unsuccessful,
    ClarificationRequested,
    Admitted,
    NotAdmitted,
}

impl SubmissionStatus {
    pub fn label(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "Draft, not submitted",
            SubmissionStatus::Submitted => "Submitted",
            SubmissionStatus::Withdrawn => "Withdrawn",
            SubmissionStatus::Opened => "Opened",
            SubmissionStatus::Evaluated => "Evaluated",
            SubmissionStatus::Moderated => "Moderated",
            SubmissionStatus::Excluded => "Excluded",
            SubmissionStatus::Successful => "Successful",
            SubmissionStatus::Unsuccessful => "Unsuccessful",
            SubmissionStatus::ClarificationRequested => "Clarification requested",
            SubmissionStatus::Admitted => "Admitted",
            SubmissionStatus::NotAdmitted => "Not admitted",
        }
    }

    /// The status an outcome gives.
    pub fn of(outcome: SubmissionOutcome) -> Self {
        match outcome {
            SubmissionOutcome::Successful => SubmissionStatus::Successful,
            SubmissionOutcome::Unsuccessful => SubmissionStatus::Unsuccessful,
            SubmissionOutcome::Admitted => SubmissionStatus::Admitted,
            SubmissionOutcome::NotAdmitted => SubmissionStatus::NotAdmitted,
        }
    }
}

/// A submission's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: Uuid,
    pub competition_id: Uuid,
    pub organisation_id: Uuid,
    pub lot_id: Option<Uuid>,
    pub questionnaire_id: Uuid,
    pub answers: serde_json::Value,
    pub sealed: Option<serde_json::Value>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<Uuid>,
    pub digest: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub outcome: Option<SubmissionOutcome>,
    pub outcome_reason: Option<String>,
    pub award_rank: Option<i32>,
    pub updated_at: DateTime<Utc>,
    pub price_check: Option<String>,
}

/// What was sealed on submission.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sealed {
    pub answers: BTreeMap<String, Answer>,
    /// (question id, file id)
    pub files: Vec<(String, Uuid)>,
}

impl SubmissionRow {
    /// The bidder's working copy.
    pub fn working(&self) -> BTreeMap<String, Answer> {
        serde_json::from_value(self.answers.clone()).unwrap_or_default()
    }

    /// What was last submitted, if anything.
    pub fn sealed(&self) -> Option<Sealed> {
        self.sealed
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// Whether the submission is in the competition (submitted and not withdrawn).
    pub fn is_in(&self) -> bool {
        self.submitted_at.is_some() && self.withdrawn_at.is_none()
    }
}

/// What anyone on the council side sees of a submission before opening: that it exists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub lot_id: Option<Uuid>,
    /// The lot's number, for people.
    pub lot: Option<i32>,
    pub status: SubmissionStatus,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// A submission with its content (for its own provider, and for the council after
/// opening).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: Uuid,
    /// The competition it was made in: for a tender, the procurement's id.
    pub competition_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    pub questionnaire_version: i32,
    pub status: SubmissionStatus,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
    pub files: Vec<SubmissionFile>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub digest: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An evidence file attached to an answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionFile {
    pub question_id: String,
    #[serde(flatten)]
    pub file: FileView,
}
