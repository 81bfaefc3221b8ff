//! The tender procedure's rules as pure functions: what a valid procurement and timetable
//! are, and a procurement's status. The engine's rules (questionnaires, answers, scoring)
//! are in `evaluation::rules`.

use super::model::*;
use crate::evaluation::CompetitionStatus;
use crate::evaluation::rules::TEXT_MAX;
use crate::http::problem::FieldError;
use chrono::{DateTime, NaiveDate, Utc};

/// The largest estimated value accepted: £1,000,000,000,000 in pence.
pub const VALUE_MAX_PENCE: i64 = 100_000_000_000_000;

/// A procurement's status at `now`, from its competition's and its own award facts: the
/// one place the tender's lifecycle is decided.
pub fn status(
    competition: CompetitionStatus,
    standstill_ends_at: Option<DateTime<Utc>>,
    contract_entered_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ProcurementStatus {
    use ProcurementStatus::*;
    match competition {
        CompetitionStatus::Cancelled => Cancelled,
        _ if contract_entered_at.is_some() => ContractEntered,
        CompetitionStatus::Decided => match standstill_ends_at {
            Some(end) if now < end => Standstill,
            _ => AwaitingContract,
        },
        CompetitionStatus::Opened => InEvaluation,
        CompetitionStatus::Draft => Draft,
        CompetitionStatus::Open => Open,
        CompetitionStatus::Closed => Closed,
    }
}

/// Checks the procedure's own fields (the engine checks the title, reference, deadline
/// and lots).
pub fn check_procurement(input: &ProcurementInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.description.trim().is_empty() {
        errors.push(FieldError::new("description", "Enter a description"));
    } else if input.description.len() > TEXT_MAX {
        errors.push(FieldError::new(
            "description",
            "Description must be 20,000 characters or fewer",
        ));
    }
    if !(0..=VALUE_MAX_PENCE).contains(&input.estimated_value_pence) {
        errors.push(FieldError::new(
            "estimated_value_pence",
            "Enter an estimated value from £0 to £1,000,000,000,000",
        ));
    }
    errors.extend(check_dates(
        input.clarification_deadline,
        input.submission_deadline,
        input.planned_award_date,
    ));
    // DOMAIN.md: standstill is mandatory (8 working days) above threshold under PA2023
    // unless light-touch, where it is voluntary.
    if !(0..=30).contains(&input.standstill_working_days) {
        errors.push(FieldError::new(
            "standstill_working_days",
            "Standstill must be from 0 to 30 working days",
        ));
    } else if input.regime == Regime::Pa2023
        && !input.light_touch
        && input.standstill_working_days < 8
    {
        errors.push(FieldError::new(
            "standstill_working_days",
            "Standstill must be at least 8 working days for a procurement that is not light-touch",
        ));
    }
    errors
}

/// The order of a timetable's dates.
fn check_dates(
    clarification: DateTime<Utc>,
    submission: DateTime<Utc>,
    award: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if clarification >= submission {
        errors.push(FieldError::new(
            "clarification_deadline",
            "The clarification deadline must be before the submission deadline",
        ));
    }
    if award < submission.date_naive() {
        errors.push(FieldError::new(
            "planned_award_date",
            "The planned award date must be on or after the submission deadline",
        ));
    }
    errors
}

/// Checks a new timetable against the current one: deadlines only move later, so nobody
/// loses time they were promised, and bidders are told why.
pub fn check_timetable(
    input: &TimetableInput,
    clarification_deadline: DateTime<Utc>,
    submission_deadline: DateTime<Utc>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > 5000 {
        errors.push(FieldError::new(
            "reason",
            "Say why the timetable is changing, in words bidders will understand",
        ));
    }
    if input.submission_deadline < submission_deadline {
        errors.push(FieldError::new(
            "submission_deadline",
            format!(
                "The submission deadline can only move later than {}",
                crate::calendar::london_time(submission_deadline)
            ),
        ));
    }
    if input.clarification_deadline < clarification_deadline {
        errors.push(FieldError::new(
            "clarification_deadline",
            format!(
                "The clarification deadline can only move later than {}",
                crate::calendar::london_time(clarification_deadline)
            ),
        ));
    }
    errors.extend(check_dates(
        input.clarification_deadline,
        input.submission_deadline,
        input.planned_award_date,
    ));
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organisations::model::ServiceType;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn status_follows_the_lifecycle() {
        use CompetitionStatus as C;
        use ProcurementStatus as P;
        assert_eq!(status(C::Draft, None, None, at(9)), P::Draft);
        assert_eq!(status(C::Open, None, None, at(9)), P::Open);
        assert_eq!(status(C::Closed, None, None, at(9)), P::Closed);
        assert_eq!(status(C::Opened, None, None, at(9)), P::InEvaluation);
        assert_eq!(
            status(C::Decided, Some(at(20)), None, at(19)),
            P::Standstill
        );
        assert_eq!(
            status(C::Decided, Some(at(20)), None, at(20)),
            P::AwaitingContract
        );
        assert_eq!(
            status(C::Decided, Some(at(20)), Some(at(21)), at(22)),
            P::ContractEntered
        );
        assert_eq!(
            status(C::Cancelled, None, Some(at(21)), at(22)),
            P::Cancelled
        );
    }

    /// Property: with the facts fixed, time only moves a procurement forward through its
    /// lifecycle (draft → open → closed → in evaluation → standstill → awaiting contract).
    #[test]
    fn status_never_goes_backwards_as_time_passes() {
        use crate::evaluation::rules::{StatusFacts, status as competition};
        use rand::{Rng, SeedableRng};
        let order = |s: ProcurementStatus| {
            [
                ProcurementStatus::Draft,
                ProcurementStatus::Open,
                ProcurementStatus::Closed,
                ProcurementStatus::InEvaluation,
                ProcurementStatus::Standstill,
                ProcurementStatus::AwaitingContract,
                ProcurementStatus::ContractEntered,
                ProcurementStatus::Cancelled,
            ]
            .iter()
            .position(|x| *x == s)
            .unwrap()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let base = at(0);
        for _ in 0..2000 {
            let mut t = |p: f64| {
                rng.random_bool(p)
                    .then(|| base + chrono::Duration::hours(rng.random_range(0..200)))
            };
            let facts = StatusFacts {
                published_at: t(0.8),
                submission_deadline: base + chrono::Duration::hours(50),
                opened_at: t(0.5),
                decided_at: t(0.4),
                cancelled_at: t(0.05),
            };
            let (ends, entered) = (t(0.4), t(0.1));
            let mut last = 0;
            for h in 0..220 {
                let now = base + chrono::Duration::hours(h);
                let position = order(status(competition(&facts, now), ends, entered, now));
                assert!(position >= last, "{facts:?} went backwards at hour {h}");
                last = position;
            }
        }
    }

    fn input() -> ProcurementInput {
        ProcurementInput {
            title: "Home care".into(),
            reference: "WCC-1".into(),
            description: "Care at home".into(),
            service_type: ServiceType::Domiciliary,
            district_ids: vec![],
            estimated_value_pence: 100,
            regime: Regime::Pa2023,
            light_touch: true,
            procedure: Procedure::Open,
            lots: vec![],
            clarification_deadline: at(9),
            submission_deadline: at(12),
            planned_award_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            standstill_working_days: 8,
        }
    }

    #[test]
    fn procurement_checks_dates_value_and_standstill() {
        assert!(check_procurement(&input()).is_empty());
        let bad = ProcurementInput {
            description: " ".into(),
            estimated_value_pence: -1,
            clarification_deadline: at(12),
            submission_deadline: at(9),
            light_touch: false,
            standstill_working_days: 5,
            ..input()
        };
        let fields: Vec<_> = check_procurement(&bad)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "description",
                "estimated_value_pence",
                "clarification_deadline",
                "standstill_working_days"
            ]
        );
    }

    #[test]
    fn a_timetable_only_moves_later_and_says_why() {
        let later = TimetableInput {
            clarification_deadline: at(10),
            submission_deadline: at(13),
            planned_award_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            reason: "More time for site visits".into(),
        };
        assert!(check_timetable(&later, at(9), at(12)).is_empty());
        let earlier = TimetableInput {
            submission_deadline: at(11),
            reason: String::new(),
            ..later
        };
        let fields: Vec<_> = check_timetable(&earlier, at(9), at(12))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["reason", "submission_deadline"]);
    }
}
