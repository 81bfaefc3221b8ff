//! The DPS's pure rules (DOMAIN.md, "Dynamic purchasing system / dynamic market"): what a
//! commissioner may set up, when rounds open and close, and the notices' words. No
//! database, no HTTP.

use super::model::*;
use crate::calendar::{Calendar, Rule};
use crate::evaluation::rules::TEXT_MAX;
use crate::http::problem::FieldError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

/// Decisions due within this many working days of the cut-off, unless the DPS says.
pub const DEFAULT_DECISION_DAYS: i32 = 10;
/// Rounds open at 9am on the first working day of each month (the 1st, moved on to the
/// next working day when it is not one).
pub const DEFAULT_SCHEDULE: &str = "0 0 9 1 * *";
/// A round's cut-off: 5pm on the 15th, or the next working day after it.
pub const DEFAULT_CUTOFF_DAY: i32 = 15;
/// The hour of a round's cut-off, London time.
pub const CUTOFF_HOUR: u32 = 17;
/// PA2023 governs procurements started from this day; a PCR 2015 DPS began before it.
pub fn pa2023_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 2, 24).expect("a real date")
}
/// The last day any PCR 2015 DPS may run to.
pub fn pcr2015_last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2029, 2, 23).expect("a real date")
}

/// The checks on a DPS's own fields (the engine checks the title, reference and lots),
/// every problem at once. `today` is the London date now.
pub fn check_input(input: &DpsInput, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let description = input.description.trim();
    if description.is_empty() {
        errors.push(FieldError::new(
            "description",
            "Describe what the DPS buys and who it is for",
        ));
    } else if description.len() > TEXT_MAX {
        errors.push(FieldError::new(
            "description",
            "The description must be 20,000 characters or fewer",
        ));
    }
    if input.ends_on <= input.starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "The term must end after it starts",
        ));
    } else if input.ends_on < today {
        errors.push(FieldError::new(
            "ends_on",
            "The term has already ended: enter an end date in the future",
        ));
    }
    match input.regime {
        DpsRegime::Pcr2015 => {
            if input.starts_on >= pa2023_start() {
                errors.push(FieldError::new(
                    "starts_on",
                    "A PCR 2015 DPS must have started before 24 February 2025; a new one is a Procurement Act 2023 dynamic market",
                ));
            }
            if input.ends_on > pcr2015_last_day() {
                errors.push(FieldError::new(
                    "ends_on",
                    "A PCR 2015 DPS must end by 23 February 2029 at the latest",
                ));
            }
        }
        DpsRegime::Pa2023 => {
            if input.starts_on < pa2023_start() {
                errors.push(FieldError::new(
                    "starts_on",
                    "A Procurement Act 2023 dynamic market starts on or after 24 February 2025; an older DPS is a PCR 2015 one",
                ));
            }
        }
    }
    if input.service_types.is_empty() {
        errors.push(FieldError::new(
            "service_types",
            "Choose at least one type of service the DPS buys",
        ));
    }
    if !(1..=28).contains(&input.cutoff_day) {
        errors.push(FieldError::new(
            "cutoff_day",
            "Enter the day of the month applications close, from 1 to 28",
        ));
    }
    if let Err(message) = schedule(&input.round_schedule) {
        errors.push(FieldError::new("round_schedule", message));
    }
    if input.lots.is_empty() {
        errors.push(FieldError::new(
            "lots",
            "Enter at least one lot, like Supported living",
        ));
    }
    errors
}

/// The round schedule, read: six fields (seconds first) in Europe/London, or why not.
pub fn schedule(expression: &str) -> Result<jobs::Schedule, String> {
    let expression = expression.trim();
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "Enter the schedule as six cron fields, seconds first, like {DEFAULT_SCHEDULE} (9am on the 1st of every month)"
        ));
    }
    jobs::Schedule::parse(expression, London).map_err(|_| {
        format!(
            "The schedule is not a cron expression that ever runs: use six fields, seconds first, like {DEFAULT_SCHEDULE}"
        )
    })
}

/// The schedule in words, with the working-day rule: "at 9am on the 1st of every month
/// (or the next working day)".
pub fn schedule_words(expression: &str) -> Option<String> {
    jobs::schedule::describe(expression.trim()).map(|w| format!("{w} (or the next working day)"))
}

/// The cut-off rule in words: "5pm on the 15th of the month the round opens in (or the
/// next working day)".
pub fn cutoff_words(day: i32) -> String {
    let suffix = match (day % 10, day % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("5pm on the {day}{suffix} of the month (or the next working day)")
}

/// A London wall-clock time as an instant (a time the clocks skip runs when they have
/// gone forward).
fn london(at: NaiveDateTime) -> DateTime<Utc> {
    London
        .from_local_datetime(&at)
        .earliest()
        .or_else(|| {
            London
                .from_local_datetime(&(at + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&at), |t| t.with_timezone(&Utc))
}

/// The round that opens at `tick` (a schedule tick): it opens at the tick's London time on
/// the tick's day or the next working day, and closes at 5pm on `cutoff_day` of that
/// month, or the next working day; a cut-off that would come before the opening is the
/// next month's.
pub fn round_at(
    tick: DateTime<Utc>,
    cutoff_day: i32,
    calendar: &Calendar,
) -> anyhow::Result<RoundTimes> {
    let local = tick.with_timezone(&London).naive_local();
    let day = calendar.add_working_days(local.date(), 0, Rule::EnglandAndWales)?;
    let opens_at = london(day.and_time(local.time()));
    let cutoff_in = |year: i32, month: u32| -> anyhow::Result<DateTime<Utc>> {
        let date = NaiveDate::from_ymd_opt(year, month, cutoff_day.clamp(1, 28) as u32)
            .ok_or_else(|| anyhow::anyhow!("no such day"))?;
        let date = calendar.add_working_days(date, 0, Rule::EnglandAndWales)?;
        Ok(london(date.and_time(
            NaiveTime::from_hms_opt(CUTOFF_HOUR, 0, 0).expect("5pm"),
        )))
    };
    let mut cutoff_at = cutoff_in(day.year(), day.month())?;
    if cutoff_at <= opens_at {
        let next = day
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .ok_or_else(|| anyhow::anyhow!("no next month"))?;
        cutoff_at = cutoff_in(next.year(), next.month())?;
    }
    Ok(RoundTimes {
        opens_at,
        cutoff_at,
    })
}

/// The round that takes an application made at `now`: the first whose cut-off has not
/// passed, among the rounds the schedule opens within the term (`None` when the term has
/// ended before any such round closes).
pub fn round_taking(
    schedule: &jobs::Schedule,
    cutoff_day: i32,
    term: (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> anyhow::Result<Option<RoundTimes>> {
    let term_starts = crate::calendar::start_of_day(term.0);
    let term_ends = crate::calendar::start_of_day(term.1 + Duration::days(1));
    // Rounds that opened up to two months back may still be taking applications.
    let mut cursor = now.max(term_starts) - Duration::days(62);
    for _ in 0..1000 {
        let Some(tick) = schedule.next_after(cursor) else {
            return Ok(None);
        };
        cursor = tick;
        if tick < term_starts {
            continue;
        }
        if tick >= term_ends {
            return Ok(None);
        }
        let round = round_at(tick, cutoff_day, calendar)?;
        if round.cutoff_at > now && round.cutoff_at <= term_ends {
            return Ok(Some(round));
        }
    }
    Ok(None)
}

/// Where a DPS is on `today` (London).
pub fn status(
    established: bool,
    ceased: bool,
    term: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> DpsStatus {
    match established {
        false => DpsStatus::Draft,
        true if ceased => DpsStatus::Ceased,
        true if today > term.1 => DpsStatus::Ended,
        true if today < term.0 => DpsStatus::Established,
        true => DpsStatus::Open,
    }
}

/// The facts a notice is written from.
pub struct NoticeFacts<'a> {
    pub council_name: &'a str,
    pub view: &'a DpsView,
}

/// A notice's data, ready for publication on the Central Digital Platform.
pub fn notice(kind: DpsNoticeKind, facts: &NoticeFacts<'_>, at: DateTime<Utc>) -> DpsNotice {
    let v = facts.view;
    let prefix = match v.regime {
        DpsRegime::Pa2023 => "Dynamic market notice",
        DpsRegime::Pcr2015 => "Dynamic purchasing system notice",
    };
    let what = match kind {
        DpsNoticeKind::Intention => "intention to establish",
        DpsNoticeKind::Established => "establishment",
        DpsNoticeKind::Modified => "modification",
        DpsNoticeKind::Ceased => "cessation",
    };
    let rounds = schedule_words(&v.round_schedule)
        .map(|w| format!("Rounds open {w}"))
        .unwrap_or_else(|| format!("Rounds open on the schedule {}", v.round_schedule));
    DpsNotice {
        kind,
        notice_name: format!("{prefix}: {what}"),
        regime: v.regime,
        contracting_authority: facts.council_name.to_string(),
        reference: v.reference.clone(),
        title: v.title.clone(),
        description: v.description.clone(),
        starts_on: v.starts_on,
        ends_on: v.ends_on,
        service_types: v.service_types.clone(),
        lots: v
            .lots
            .iter()
            .map(|l| NoticeLot {
                number: l.lot.number,
                title: l.lot.title.clone(),
                description: l.lot.description.clone(),
            })
            .collect(),
        reason: match kind {
            DpsNoticeKind::Ceased => v.cease_reason.clone(),
            _ => None,
        },
        how_to_apply: format!(
            "Providers may apply at any time during the term. {rounds}; applications close at {}, and are decided within {} working days of the cut-off.",
            cutoff_words(v.cutoff_day),
            v.decision_working_days
        ),
        prepared_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::LotInput;
    use crate::organisations::model::ServiceType;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn input() -> DpsInput {
        DpsInput {
            title: "Supported living".into(),
            reference: "WCC-DPS-1".into(),
            description: "Support for adults".into(),
            regime: DpsRegime::Pa2023,
            starts_on: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
            service_types: vec![ServiceType::SupportedLiving],
            decision_working_days: 10,
            cqc_rule: true,
            round_schedule: DEFAULT_SCHEDULE.into(),
            cutoff_day: 15,
            lots: vec![LotInput {
                title: "Lot".into(),
                description: String::new(),
            }],
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_dynamic_market_passes() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert!(check_input(&input(), today).is_empty());
    }

    #[test]
    fn a_pcr_2015_dps_started_before_the_act_and_ends_by_23_february_2029() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let mut i = input();
        i.regime = DpsRegime::Pcr2015;
        assert_eq!(fields(check_input(&i, today)), ["starts_on", "ends_on"]);
        i.starts_on = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();
        i.ends_on = pcr2015_last_day();
        assert!(check_input(&i, today).is_empty());
        i.ends_on = pcr2015_last_day() + Duration::days(1);
        assert_eq!(fields(check_input(&i, today)), ["ends_on"]);
        // A dynamic market cannot pretend to predate the Act.
        i.regime = DpsRegime::Pa2023;
        i.ends_on = pcr2015_last_day();
        assert_eq!(fields(check_input(&i, today)), ["starts_on"]);
    }

    #[test]
    fn bad_fields_are_each_named() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let mut i = input();
        i.description = "  ".into();
        i.ends_on = i.starts_on;
        i.service_types.clear();
        i.cutoff_day = 29;
        i.round_schedule = "0 9 1 * *".into();
        i.lots.clear();
        assert_eq!(
            fields(check_input(&i, today)),
            [
                "description",
                "ends_on",
                "service_types",
                "cutoff_day",
                "round_schedule",
                "lots"
            ]
        );
        i = input();
        i.round_schedule = "0 0 9 31 2 *".into();
        assert_eq!(fields(check_input(&i, today)), ["round_schedule"]);
        i = input();
        i.ends_on = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(fields(check_input(&i, today)), ["ends_on"]);
    }

    #[test]
    fn the_default_schedule_reads_in_words() {
        assert_eq!(
            schedule_words(DEFAULT_SCHEDULE).unwrap(),
            "at 9am on the 1st of every month (or the next working day)"
        );
        assert_eq!(
            cutoff_words(15),
            "5pm on the 15th of the month (or the next working day)"
        );
    }

    #[test]
    fn rounds_open_on_the_first_working_day_and_close_at_5pm_on_the_15th_or_after() {
        let cal = Calendar::uk();
        // December 2026: the 1st is a Tuesday, the 15th a Tuesday (GMT).
        let r = round_at(utc(2026, 12, 1, 9, 0), 15, cal).unwrap();
        assert_eq!(r.opens_at, utc(2026, 12, 1, 9, 0));
        assert_eq!(r.cutoff_at, utc(2026, 12, 15, 17, 0));
        // January 2027: New Year's Day is a bank holiday, then a weekend.
        let r = round_at(utc(2027, 1, 1, 9, 0), 15, cal).unwrap();
        assert_eq!(r.opens_at, utc(2027, 1, 4, 9, 0));
        // August 2026: the 15th is a Saturday, so Monday the 17th at 5pm BST.
        let r = round_at(utc(2026, 8, 1, 8, 0), 15, cal).unwrap();
        assert_eq!(r.opens_at, utc(2026, 8, 3, 8, 0));
        assert_eq!(r.cutoff_at, utc(2026, 8, 17, 16, 0));
    }

    #[test]
    fn an_application_at_the_cut_off_instant_goes_to_the_next_round() {
        let cal = Calendar::uk();
        let s = schedule(DEFAULT_SCHEDULE).unwrap();
        let term = (
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
        );
        let cutoff = utc(2026, 12, 15, 17, 0);
        let just_before = cutoff - Duration::microseconds(1);
        let r = round_taking(&s, 15, term, just_before, cal)
            .unwrap()
            .unwrap();
        assert_eq!(r.cutoff_at, cutoff);
        let r = round_taking(&s, 15, term, cutoff, cal).unwrap().unwrap();
        assert_eq!(r.opens_at, utc(2027, 1, 4, 9, 0));
        assert_eq!(r.cutoff_at, utc(2027, 1, 15, 17, 0));
        // Between the cut-off and the next opening the next round takes applications.
        let r = round_taking(&s, 15, term, utc(2026, 12, 20, 12, 0), cal)
            .unwrap()
            .unwrap();
        assert_eq!(r.cutoff_at, utc(2027, 1, 15, 17, 0));
        // Before the term, the first round of the term; after it, none.
        let early = (NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), term.1);
        let r = round_taking(&s, 15, early, utc(2026, 12, 3, 12, 0), cal)
            .unwrap()
            .unwrap();
        assert_eq!(r.opens_at, utc(2027, 3, 1, 9, 0));
        let ended = (term.0, NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
        assert_eq!(
            round_taking(&s, 15, ended, utc(2026, 12, 3, 12, 0), cal).unwrap(),
            None
        );
    }

    #[test]
    fn status_follows_establishment_and_the_term() {
        let term = (
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        );
        let day = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
        assert_eq!(status(false, false, term, day(6)), DpsStatus::Draft);
        assert_eq!(status(true, false, term, day(3)), DpsStatus::Established);
        assert_eq!(status(true, false, term, day(6)), DpsStatus::Open);
        assert_eq!(status(true, true, term, day(6)), DpsStatus::Ceased);
        assert_eq!(
            status(
                true,
                false,
                term,
                NaiveDate::from_ymd_opt(2027, 4, 1).unwrap()
            ),
            DpsStatus::Ended
        );
    }
}
