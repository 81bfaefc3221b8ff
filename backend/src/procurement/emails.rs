//! The tender procedure's emails: one typed message per template under `frontend/emails`,
//! each with a realistic sample for previews and the snapshot tests. Times and money are
//! written here as people read them; the templates only place them.

use crate::mail::Message;
use serde::Serialize;

/// A new opportunity, to providers who asked for opening notices of its type of service.
#[derive(Debug, Clone, Serialize)]
pub struct TenderOpened {
    pub reference: String,
    pub title: String,
    pub council: String,
    pub service: String,
    pub districts: String,
    pub value: String,
    pub clarification_deadline: String,
    pub deadline: String,
    pub link: String,
}

impl Message for TenderOpened {
    const TEMPLATE: &'static str = "tender_opened";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            council: "Wyvern County Council".into(),
            service: "Home care (domiciliary)".into(),
            districts: "Severnside, Wyre Forest".into(),
            value: "£2,400,000.00".into(),
            clarification_deadline: "8 January 2027 at 5:00pm".into(),
            deadline: "15 January 2027 at midday".into(),
            link: "https://care.example/opportunities/0b7e".into(),
        }
    }
}

/// Deadlines moved later, to everyone interested or bidding.
#[derive(Debug, Clone, Serialize)]
pub struct TimetableChanged {
    pub reference: String,
    pub title: String,
    pub why: String,
    pub old_deadline: String,
    pub deadline: String,
    pub clarification_deadline: String,
    pub link: String,
}

impl Message for TimetableChanged {
    const TEMPLATE: &'static str = "timetable_changed";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            why: "Providers asked for more time after the clarification about TUPE.".into(),
            old_deadline: "8 January 2027 at midday".into(),
            deadline: "15 January 2027 at midday".into(),
            clarification_deadline: "8 January 2027 at 5:00pm".into(),
            link: "https://care.example/opportunities/0b7e".into(),
        }
    }
}

/// A new version of the questions, to everyone interested or bidding.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionnaireChanged {
    pub reference: String,
    pub title: String,
    pub version: i32,
    pub change_note: String,
    pub link: String,
}

impl Message for QuestionnaireChanged {
    const TEMPLATE: &'static str = "questionnaire_changed";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            version: 2,
            change_note: "Question Q4 now asks for two examples, not one.".into(),
            link: "https://care.example/opportunities/0b7e".into(),
        }
    }
}

/// The procurement is cancelled, to everyone interested or bidding.
#[derive(Debug, Clone, Serialize)]
pub struct ProcurementCancelled {
    pub reference: String,
    pub title: String,
    /// Whether bids had been opened (then they were read; otherwise never).
    pub opened: bool,
    pub link: String,
}

impl Message for ProcurementCancelled {
    const TEMPLATE: &'static str = "procurement_cancelled";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            opened: false,
            link: "https://care.example/bids".into(),
        }
    }
}

/// An answer to a clarification: to who asked, and, when published, to every bidder.
#[derive(Debug, Clone, Serialize)]
pub struct ClarificationAnswered {
    pub reference: String,
    pub title: String,
    pub question: String,
    pub answer: String,
    pub published: bool,
    pub link: String,
}

impl Message for ClarificationAnswered {
    const TEMPLATE: &'static str = "clarification_answered";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            question: "Can we bid for both lots?".into(),
            answer: "Yes: submit one bid for each lot.".into(),
            published: true,
            link: "https://care.example/opportunities/0b7e".into(),
        }
    }
}

/// A provider's clarification question, to the commissioners of the council that runs
/// the procurement (they may turn these off).
#[derive(Debug, Clone, Serialize)]
pub struct ClarificationAsked {
    pub reference: String,
    pub title: String,
    pub question: String,
    pub clarification_deadline: String,
    pub link: String,
}

impl Message for ClarificationAsked {
    const TEMPLATE: &'static str = "clarification_asked";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            question: "Is travel time between calls paid within the hourly rate?".into(),
            clarification_deadline: "8 January 2027 at 5:00pm".into(),
            link: "https://care.example/procurements/0b7e/clarifications".into(),
        }
    }
}

/// A receipt for a submitted bid, to who submitted it. It carries no content: an
/// administrator can read the outbox, and the bid stays sealed until the deadline.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionReceipt {
    pub reference: String,
    pub title: String,
    pub lot: Option<String>,
    pub organisation_name: String,
    pub when: String,
    pub deadline: String,
    pub digest: String,
    pub questions_answered: usize,
    pub files: usize,
    pub resubmission: bool,
    pub link: String,
}

impl Message for SubmissionReceipt {
    const TEMPLATE: &'static str = "submission_receipt";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            lot: Some("Lot 1: Severnside".into()),
            organisation_name: "Bright Care Services Ltd".into(),
            when: "1 December 2026 at 09:00".into(),
            deadline: "15 January 2027 at midday".into(),
            digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            questions_answered: 6,
            files: 1,
            resubmission: false,
            link: "https://care.example/bids/3c1d".into(),
        }
    }
}

/// One question of an assessment summary, as the bidder reads it.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryCriterion {
    pub question_id: String,
    pub question: String,
    pub weight: u32,
    pub your_score: i32,
    pub your_score_meaning: &'static str,
    pub your_reason: String,
    pub has_winner: bool,
    pub winning_score: Option<i32>,
    pub winning_score_meaning: Option<&'static str>,
    pub winning_reason: Option<String>,
}

/// A bidder's assessment summary, to who submitted the bid.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentSummaryEmail {
    pub reference: String,
    pub title: String,
    pub lot: Option<String>,
    pub organisation_name: String,
    pub successful: bool,
    /// Why the bid was excluded; then it has no total.
    pub excluded: Option<String>,
    pub your_quality: String,
    pub your_social_value: String,
    /// Whether the questionnaire asked about social value (no "0.00 out of 0").
    pub has_social_value: bool,
    pub your_price_score: Option<String>,
    pub your_total: Option<String>,
    pub your_price: Option<String>,
    pub winning_total: Option<String>,
    pub winning_price_score: Option<String>,
    pub criteria: Vec<SummaryCriterion>,
    pub standstill_ends: String,
    /// Who to ask about the decision before standstill ends.
    pub contact: String,
}

impl Message for AssessmentSummaryEmail {
    const TEMPLATE: &'static str = "assessment_summary";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            lot: Some("Lot 1: Severnside".into()),
            organisation_name: "Bright Care Services Ltd".into(),
            successful: false,
            excluded: None,
            your_quality: "42.00 out of 60".into(),
            your_social_value: "8.00 out of 10".into(),
            has_social_value: true,
            your_price_score: Some("21.00 out of 30".into()),
            your_total: Some("71.00".into()),
            your_price: Some("£1,050.00".into()),
            winning_total: Some("84.50".into()),
            winning_price_score: Some("30.00".into()),
            criteria: vec![SummaryCriterion {
                question_id: "Q2".into(),
                question: "Safeguarding".into(),
                weight: 30,
                your_score: 3,
                your_score_meaning: "acceptable",
                your_reason: "Sound policy; few examples.".into(),
                has_winner: true,
                winning_score: Some(4),
                winning_score_meaning: Some("good"),
                winning_reason: Some("Clear escalation with examples.".into()),
            }],
            standstill_ends: "midnight at the end of 8 February 2027".into(),
            contact: "Priya Patel at Worcestershire County Council (priya.patel@council.example)"
                .into(),
        }
    }
}

/// Standstill has ended, to the commissioners who created and awarded the procurement.
#[derive(Debug, Clone, Serialize)]
pub struct StandstillEnded {
    pub reference: String,
    pub title: String,
    pub when: String,
    pub link: String,
}

impl Message for StandstillEnded {
    const TEMPLATE: &'static str = "standstill_ended";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            when: "midnight at the end of 8 February 2027".into(),
            link: "https://care.example/procurements/0b7e".into(),
        }
    }
}

/// A bid started and not submitted, days before the deadline.
#[derive(Debug, Clone, Serialize)]
pub struct BidDeadlineReminder {
    pub reference: String,
    pub title: String,
    pub deadline: String,
    pub link: String,
}

impl Message for BidDeadlineReminder {
    const TEMPLATE: &'static str = "bid_deadline_reminder";
    fn sample() -> Self {
        Self {
            reference: "WCC-2026-014".into(),
            title: "Home care in Severnside".into(),
            deadline: "15 January 2027 at midday".into(),
            link: "https://care.example/bids/3c1d".into(),
        }
    }
}

/// Every message of this context, with its sample (for the snapshot tests).
pub fn samples() -> Vec<(&'static str, serde_json::Value)> {
    use crate::mail::sample;
    vec![
        sample::<TenderOpened>(),
        sample::<TimetableChanged>(),
        sample::<QuestionnaireChanged>(),
        sample::<ProcurementCancelled>(),
        sample::<ClarificationAnswered>(),
        sample::<ClarificationAsked>(),
        sample::<SubmissionReceipt>(),
        sample::<AssessmentSummaryEmail>(),
        sample::<StandstillEnded>(),
        sample::<BidDeadlineReminder>(),
    ]
}
