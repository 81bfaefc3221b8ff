//! The words of the evaluation engine: procurements, questionnaires, answers, statuses, and
//! the views the API and pages show.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The law a procurement runs under (DOMAIN.md, "Procurement procedures").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Procurement Act 2023: procurements started from 24 February 2025.
    Pa2023,
    /// Public Contracts Regulations 2015: procurements started before then.
    Pcr2015,
}

impl Regime {
    pub const ALL: [Regime; 2] = [Regime::Pa2023, Regime::Pcr2015];

    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Pa2023 => "pa2023",
            Regime::Pcr2015 => "pcr2015",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Regime::Pa2023 => "Procurement Act 2023",
            Regime::Pcr2015 => "Public Contracts Regulations 2015",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// How the procurement is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Open procedure: any provider may bid.
    Open,
    /// PA2023 competitive flexible procedure.
    CompetitiveFlexible,
    /// Admission to a dynamic market or DPS.
    DpsAdmission,
    /// A call-off competition among DPS or framework members.
    CallOff,
}

impl Procedure {
    pub const ALL: [Procedure; 4] = [
        Procedure::Open,
        Procedure::CompetitiveFlexible,
        Procedure::DpsAdmission,
        Procedure::CallOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::Open => "open",
            Procedure::CompetitiveFlexible => "competitive_flexible",
            Procedure::DpsAdmission => "dps_admission",
            Procedure::CallOff => "call_off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Procedure::Open => "Open procedure",
            Procedure::CompetitiveFlexible => "Competitive flexible procedure",
            Procedure::DpsAdmission => "Dynamic market admission",
            Procedure::CallOff => "Call-off competition",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where a procurement is, derived from its timestamps and decisions (never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcurementStatus {
    /// Being prepared; nobody outside the council can see it.
    Draft,
    /// Published and taking submissions.
    Open,
    /// The submission deadline has passed; submissions are still sealed.
    Closed,
    /// Submissions are open to the panel.
    InEvaluation,
    /// Awarded; the contract may not be entered into until standstill ends.
    Standstill,
    /// Standstill has ended; the contract may be entered into.
    AwaitingContract,
    /// The contract has been entered into.
    ContractEntered,
    /// Abandoned before award.
    Cancelled,
}

impl ProcurementStatus {
    pub fn label(self) -> &'static str {
        match self {
            ProcurementStatus::Draft => "Draft",
            ProcurementStatus::Open => "Open for bids",
            ProcurementStatus::Closed => "Closed, sealed",
            ProcurementStatus::InEvaluation => "In evaluation",
            ProcurementStatus::Standstill => "Awarded, in standstill",
            ProcurementStatus::AwaitingContract => "Standstill ended",
            ProcurementStatus::ContractEntered => "Contract entered",
            ProcurementStatus::Cancelled => "Cancelled",
        }
    }
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
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 7] = [
        QuestionKind::PassFail,
        QuestionKind::Scored,
        QuestionKind::Price,
        QuestionKind::PriceSchedule,
        QuestionKind::SocialValue,
        QuestionKind::Information,
        QuestionKind::Evidence,
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
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Marked 0–5 by evaluators.
    pub fn is_marked(self) -> bool {
        matches!(self, QuestionKind::Scored | QuestionKind::SocialValue)
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
            QuestionKind::Scored | QuestionKind::SocialValue | QuestionKind::Information
        )
    }

    pub fn is_price(self) -> bool {
        matches!(self, QuestionKind::Price | QuestionKind::PriceSchedule)
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
    /// Stable within a procurement across versions ("Q1", "Q2", ...). Assigned when absent.
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
/// successful | unsuccessful; also withdrawn and excluded).
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
        }
    }
}

/// A lot of a procurement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Lot {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub description: String,
}

/// A file as users see it (never where it is stored).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileView {
    pub id: Uuid,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A procurement as everyone who may see it sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcurementView {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub council_name: String,
    pub service_type: crate::organisations::model::ServiceType,
    pub district_ids: Vec<Uuid>,
    pub district_names: Vec<String>,
    pub estimated_value_pence: i64,
    pub regime: Regime,
    pub light_touch: bool,
    pub procedure: Procedure,
    pub lots: Vec<Lot>,
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    pub standstill_working_days: i32,
    pub status: ProcurementStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub conflicts_assessed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub standstill_ends_at: Option<DateTime<Utc>>,
    pub contract_entered_at: Option<DateTime<Utc>>,
    pub questionnaire_version: i32,
    pub documents: Vec<FileView>,
}

/// A clarification question and its answer. `organisation_name` is only shown to the
/// council and to the provider who asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClarificationView {
    pub id: Uuid,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub published: bool,
    pub organisation_name: Option<String>,
    /// Whether the reader's organisation asked it.
    pub yours: bool,
}

/// What anyone on the council side sees of a submission before opening: that it exists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub lot: Option<i32>,
    pub status: SubmissionStatus,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// A submission with its content (for its own provider, and for the council after
/// opening).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: Uuid,
    pub procurement_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    pub questionnaire_version: i32,
    pub status: SubmissionStatus,
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, Answer>,
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
