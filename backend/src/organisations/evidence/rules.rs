//! The pure rules of provider evidence: checking an insurance as entered, its status on a
//! day, and which expiry reminder is due. No database, no HTTP.

use super::model::{InsuranceInput, InsuranceKind};
use crate::http::problem::FieldError;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// How long before an expiry an insurance shows as expiring, and the first reminder goes.
pub const EXPIRING_DAYS: i64 = 30;
/// The second reminder.
pub const LAST_REMINDER_DAYS: i64 = 7;
/// How many days after a lapse the lapse email may still go (a job that was down catches
/// up; an insurance entered long after it lapsed is not emailed about).
pub const LAPSE_EMAIL_DAYS: i64 = 7;
/// The longest text fields.
const MAX_TEXT: usize = 200;

/// Where an insurance stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceStatus {
    /// Its cover has not started yet.
    NotStarted,
    Valid,
    /// It ends within [`EXPIRING_DAYS`].
    Expiring,
    /// Its last day of cover has passed.
    Expired,
}

/// The status of an insurance covering `starts_on` to `expires_on` (inclusive) on `today`,
/// and the words for its tag.
pub fn status(
    starts_on: NaiveDate,
    expires_on: NaiveDate,
    today: NaiveDate,
) -> (InsuranceStatus, String) {
    let left = (expires_on - today).num_days();
    if left < 0 {
        (InsuranceStatus::Expired, "Expired".into())
    } else if starts_on > today {
        (
            InsuranceStatus::NotStarted,
            format!("Starts on {}", crate::calendar::long_date(starts_on)),
        )
    } else if left <= EXPIRING_DAYS {
        let words = match left {
            0 => "Expires today".to_string(),
            1 => "Expires tomorrow".to_string(),
            n => format!("Expires in {n} days"),
        };
        (InsuranceStatus::Expiring, words)
    } else {
        (InsuranceStatus::Valid, "Valid".into())
    }
}

/// The reminders the expiry job sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// Within 30 days of the expiry.
    ThirtyDays,
    /// Within 7 days of it (the last day of cover included).
    SevenDays,
    /// The cover has ended.
    Lapsed,
}

impl Reminder {
    /// The key stored with each reminder sent.
    pub fn key(self) -> &'static str {
        match self {
            Reminder::ThirtyDays => "30_days",
            Reminder::SevenDays => "7_days",
            Reminder::Lapsed => "lapsed",
        }
    }
}

/// The reminder due on `today` for an insurance whose last day of cover is `expires_on`:
/// the most urgent whose window `today` falls in, so a job that missed the 30-day mark
/// by a week sends the 7-day one only. `None` more than 30 days ahead, or more than
/// [`LAPSE_EMAIL_DAYS`] after the lapse.
pub fn reminder_due(expires_on: NaiveDate, today: NaiveDate) -> Option<Reminder> {
    let left = (expires_on - today).num_days();
    match left {
        l if l > EXPIRING_DAYS => None,
        l if l > LAST_REMINDER_DAYS => Some(Reminder::ThirtyDays),
        l if l >= 0 => Some(Reminder::SevenDays),
        l if -l <= LAPSE_EMAIL_DAYS => Some(Reminder::Lapsed),
        _ => None,
    }
}

/// The problems with an insurance's words (trimmed): what an "other" one covers, and the
/// insurer. A form whose dates could not be read shows these with the dates' errors.
pub fn text_errors(
    kind: Option<InsuranceKind>,
    description: &str,
    insurer: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if kind == Some(InsuranceKind::Other) && description.is_empty() {
        errors.push(FieldError::new(
            "description",
            "Enter what the other insurance covers",
        ));
    }
    if description.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            "description",
            "What the insurance covers must be 200 characters or fewer",
        ));
    }
    if insurer.is_empty() {
        errors.push(FieldError::new("insurer", "Enter the name of the insurer"));
    } else if insurer.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            "insurer",
            "The insurer's name must be 200 characters or fewer",
        ));
    }
    errors
}

/// Checks an insurance as entered; returns it tidied (text trimmed, the description
/// emptied for a named kind) or every problem, each against its field.
pub fn insurance(input: &InsuranceInput) -> Result<InsuranceInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut valid = input.clone();
    valid.insurer = input.insurer.trim().to_string();
    valid.description = if input.kind == InsuranceKind::Other {
        input.description.trim().to_string()
    } else {
        String::new()
    };
    errors.extend(text_errors(
        Some(input.kind),
        &valid.description,
        &valid.insurer,
    ));
    if input.cover_pence <= 0 {
        errors.push(FieldError::new(
            "cover_pence",
            "The amount of cover must be more than £0",
        ));
    }
    if input.expires_on < input.starts_on {
        errors.push(FieldError::new(
            "expires_on",
            "The expiry date must be the same as or after the start date",
        ));
    }
    if (input.expires_on - input.starts_on).num_days() > 366 * 10 {
        errors.push(FieldError::new(
            "expires_on",
            "The expiry date must be within 10 years of the start date",
        ));
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input() -> InsuranceInput {
        InsuranceInput {
            kind: InsuranceKind::PublicLiability,
            description: "ignored".into(),
            insurer: " Acme Mutual ".into(),
            cover_pence: 500_000_000,
            starts_on: d("2026-04-01"),
            expires_on: d("2027-03-31"),
            certificate_file_id: Uuid::nil(),
        }
    }

    #[test]
    fn statuses_count_the_last_day_of_cover_as_covered() {
        let (s, e) = (d("2026-04-01"), d("2027-03-31"));
        assert_eq!(status(s, e, d("2026-12-03")).1, "Valid");
        assert_eq!(status(s, e, d("2027-03-01")).1, "Expires in 30 days");
        assert_eq!(status(s, e, d("2027-02-28")).1, "Valid");
        assert_eq!(status(s, e, d("2027-03-30")).1, "Expires tomorrow");
        assert_eq!(status(s, e, d("2027-03-31")).1, "Expires today");
        assert_eq!(status(s, e, d("2027-04-01")).0, InsuranceStatus::Expired);
        assert_eq!(status(s, e, d("2026-03-01")).1, "Starts on 1 April 2026");
    }

    #[test]
    fn reminders_go_at_30_and_7_days_and_on_the_lapse() {
        let e = d("2027-03-31");
        assert_eq!(reminder_due(e, d("2027-02-28")), None);
        assert_eq!(reminder_due(e, d("2027-03-01")), Some(Reminder::ThirtyDays));
        assert_eq!(reminder_due(e, d("2027-03-23")), Some(Reminder::ThirtyDays));
        assert_eq!(reminder_due(e, d("2027-03-24")), Some(Reminder::SevenDays));
        assert_eq!(reminder_due(e, d("2027-03-31")), Some(Reminder::SevenDays));
        assert_eq!(reminder_due(e, d("2027-04-01")), Some(Reminder::Lapsed));
        assert_eq!(reminder_due(e, d("2027-04-07")), Some(Reminder::Lapsed));
        assert_eq!(reminder_due(e, d("2027-04-09")), None);
    }

    #[test]
    fn an_insurance_is_tidied_and_every_problem_named() {
        let ok = insurance(&input()).unwrap();
        assert_eq!(ok.insurer, "Acme Mutual");
        assert_eq!(ok.description, "", "a named kind keeps no description");

        let bad = InsuranceInput {
            kind: InsuranceKind::Other,
            description: "  ".into(),
            insurer: "".into(),
            cover_pence: 0,
            expires_on: d("2026-03-31"),
            ..input()
        };
        let fields: Vec<String> = insurance(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["description", "insurer", "cover_pence", "expires_on"]
        );
    }
}
