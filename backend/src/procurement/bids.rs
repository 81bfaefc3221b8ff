//! A provider's bids for a tender: the engine's sealed submissions, with the procedure's
//! part around them (registering interest on starting one, the receipt email, the list
//! of the organisation's bids and the assessment summary after award). Each function is
//! one transaction.

use super::award::AssessmentSummary;
use super::emails::SubmissionReceipt;
use super::errors::{ProcurementError, Refusal, Result};
use super::procurements::{load, note_interest};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{assessment_summaries, procurements};
use crate::evaluation::submissions::{self as engine, Change, ChangeOutcome, Receipt, Submitted};
use crate::evaluation::{Access, Answer, SubmissionOutcome, SubmissionView, queries};
use crate::mail::{self, Email, MailContext};
use crate::storage::{FileStore, StoredFile};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Starts the provider's bid for a procurement and lot (or finds the one it has), and
/// registers the organisation's interest. Returns the bid and whether it is new.
pub async fn start(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    lot_id: Option<Uuid>,
) -> Result<(SubmissionView, bool)> {
    user.require(&[Role::Provider])?;
    conn.transaction(async |tx| {
        let (_, access) = load(tx, Some(user), id).await?;
        if access != Access::Public {
            return Err(ProcurementError::not_found("Procurement"));
        }
        let (bid, created) = engine::start(tx, user, id, lot_id)
            .await
            .map_err(|e| match e {
                crate::evaluation::EvaluationError::Refused {
                    refusal: crate::evaluation::Refusal::DeadlinePassed,
                    ..
                } => ProcurementError::refused(
                    Refusal::NotOpen,
                    "This opportunity is no longer open for bids.",
                ),
                other => other.into(),
            })?;
        if created {
            note_interest(tx, user, id).await?;
        }
        Ok((bid, created))
    })
    .await
}

/// Saves draft answers (merged into the working copy) and returns the bid.
pub async fn save_answers(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    answers: BTreeMap<String, Answer>,
) -> Result<SubmissionView> {
    conn.transaction(async |tx| {
        engine::save_answers(tx, user, id, answers).await?;
        Ok(queries::read(tx, user, id).await?)
    })
    .await
}

/// One press of a button on the bid page, in one transaction: saves the answers, attaches
/// and removes files, and submits, emailing the receipt when it does.
pub async fn change(
    conn: &mut AsyncPgConnection,
    store: &FileStore,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    change: Change,
) -> Result<ChangeOutcome> {
    conn.transaction(async |tx| {
        let outcome = engine::change(tx, store, user, id, change).await?;
        if let Some(submitted) = &outcome.submitted {
            send_receipt(tx, mail_context, user, submitted).await?;
        }
        Ok(outcome)
    })
    .await
}

/// Submits (or resubmits) the bid and emails the receipt.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<Receipt> {
    conn.transaction(async |tx| {
        let submitted = engine::submit(tx, user, id).await?;
        send_receipt(tx, mail_context, user, &submitted).await?;
        Ok(submitted.receipt)
    })
    .await
}

/// The receipt, to who submitted. It carries no content (see `SubmissionReceipt`).
async fn send_receipt(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    submitted: &Submitted,
) -> Result<()> {
    let competition = &submitted.competition;
    let receipt = &submitted.receipt;
    let message = SubmissionReceipt {
        reference: competition.reference.clone(),
        title: competition.title.clone(),
        lot: submitted
            .lot
            .as_ref()
            .map(|l| format!("Lot {}: {}", l.number, l.title)),
        organisation_name: user.organisation_name.clone(),
        when: crate::calendar::london_time(receipt.submitted_at),
        deadline: crate::calendar::london_time(competition.submission_deadline),
        digest: receipt.digest.clone(),
        questions_answered: receipt.questions_answered,
        files: receipt.files,
        resubmission: submitted.resubmission,
        link: format!("{}/bids/{}", mail_context.public_url, receipt.submission_id),
    };
    let email = Email::new(
        &message,
        crate::mail::Recipient {
            address: user.email.clone(),
            name: user.name.clone(),
            user_id: Some(user.id),
        },
        format!(
            "You received this email because you submitted a bid for {} on behalf of {}.",
            competition.reference, user.organisation_name
        ),
    );
    mail::enqueue(conn, mail_context, email).await?;
    Ok(())
}

/// Withdraws a submitted bid before the deadline.
pub async fn withdraw(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<()> {
    conn.transaction(async |tx| Ok(engine::withdraw(tx, user, id).await?))
        .await
}

/// Attaches an evidence file to an answer.
pub async fn attach(
    conn: &mut AsyncPgConnection,
    store: &FileStore,
    user: &AuthUser,
    id: Uuid,
    question_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<crate::evaluation::SubmissionFile> {
    conn.transaction(async |tx| {
        Ok(engine::attach(tx, store, user, id, question_id, name, bytes).await?)
    })
    .await
}

/// Removes an evidence file from the draft.
pub async fn detach(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_id: Uuid,
) -> Result<()> {
    conn.transaction(async |tx| Ok(engine::detach(tx, user, id, file_id).await?))
        .await
}

/// A file of a bid, with the same access rule as its content.
pub async fn file(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_id: Uuid,
) -> Result<StoredFile> {
    Ok(queries::file(conn, user, id, file_id).await?)
}

/// Where a provider's bid is, as its provider sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BidStatus {
    /// Started, not submitted, and the deadline has not passed.
    Draft,
    /// The deadline passed before it was submitted.
    NotSubmitted,
    Submitted,
    Withdrawn,
    Successful,
    Unsuccessful,
}

impl BidStatus {
    /// Where a bid is from its facts: the one rule for the list of bids and the bid page,
    /// so both always use the same words.
    pub fn of(
        outcome: Option<SubmissionOutcome>,
        submitted: bool,
        withdrawn: bool,
        deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        match (outcome, submitted, withdrawn) {
            (Some(SubmissionOutcome::Successful), _, _) => BidStatus::Successful,
            (Some(_), _, _) => BidStatus::Unsuccessful,
            (_, _, true) => BidStatus::Withdrawn,
            (_, true, _) => BidStatus::Submitted,
            _ if deadline <= now => BidStatus::NotSubmitted,
            _ => BidStatus::Draft,
        }
    }

    /// As the provider reads it, and the tag colour.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            BidStatus::Draft => ("Draft", "yellow"),
            BidStatus::NotSubmitted => ("Not submitted", "grey"),
            BidStatus::Submitted => ("Submitted", "blue"),
            BidStatus::Withdrawn => ("Withdrawn", "grey"),
            BidStatus::Successful => ("Successful", "green"),
            BidStatus::Unsuccessful => ("Not successful", "red"),
        }
    }
}

/// One of a provider's bids.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyBid {
    pub id: Uuid,
    pub procurement_id: Uuid,
    pub reference: String,
    pub title: String,
    pub lot_id: Option<Uuid>,
    /// The lot's number, for people.
    pub lot: Option<i32>,
    pub submission_deadline: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub status: BidStatus,
}

/// The provider organisation's tender bids, newest deadline first.
pub async fn mine(conn: &mut AsyncPgConnection, user: &AuthUser) -> Result<Vec<MyBid>> {
    let all = queries::mine(conn, user).await?;
    let ids: Vec<Uuid> = all.iter().map(|b| b.competition_id).collect();
    let tenders: Vec<Uuid> = procurements::table
        .filter(procurements::id.eq_any(&ids))
        .select(procurements::id)
        .load(conn)
        .await?;
    let now = Utc::now();
    Ok(all
        .into_iter()
        .filter(|b| tenders.contains(&b.competition_id))
        .map(|b| MyBid {
            status: BidStatus::of(
                b.outcome,
                b.submitted_at.is_some(),
                b.withdrawn_at.is_some(),
                b.submission_deadline,
                now,
            ),
            id: b.id,
            procurement_id: b.competition_id,
            reference: b.reference,
            title: b.title,
            lot_id: b.lot_id,
            lot: b.lot,
            submission_deadline: b.submission_deadline,
            submitted_at: b.submitted_at,
            withdrawn_at: b.withdrawn_at,
        })
        .collect())
}

/// The assessment summary of a provider's own bid, frozen at award.
pub async fn assessment_summary(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<AssessmentSummary> {
    engine::own(conn, user, id).await?;
    let summary: Option<serde_json::Value> = assessment_summaries::table
        .find(id)
        .select(assessment_summaries::summary)
        .first(conn)
        .await
        .optional()?;
    let summary = summary.ok_or_else(|| {
        ProcurementError::refused(
            Refusal::NotAwarded,
            "The assessment summary is sent when the contract is awarded.",
        )
    })?;
    serde_json::from_value(summary).map_err(|e| ProcurementError::from(anyhow::Error::from(e)))
}

#[cfg(test)]
mod tests {
    use super::BidStatus;
    use crate::evaluation::SubmissionOutcome;
    use chrono::TimeZone;

    #[test]
    fn a_bid_has_one_status_from_its_facts() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let (before, after) = (
            now + chrono::Duration::days(3),
            now - chrono::Duration::days(1),
        );
        let of = |outcome, submitted, withdrawn, deadline| {
            BidStatus::of(outcome, submitted, withdrawn, deadline, now)
                .label()
                .0
        };
        assert_eq!(of(None, false, false, before), "Draft");
        assert_eq!(of(None, false, false, after), "Not submitted");
        assert_eq!(of(None, true, false, before), "Submitted");
        // Still "Submitted" while the council opens and evaluates it.
        assert_eq!(of(None, true, false, after), "Submitted");
        assert_eq!(of(None, true, true, before), "Withdrawn");
        let won = Some(SubmissionOutcome::Successful);
        assert_eq!(of(won, true, false, after), "Successful");
        let lost = Some(SubmissionOutcome::Unsuccessful);
        assert_eq!(of(lost, true, false, after), "Not successful");
    }
}
