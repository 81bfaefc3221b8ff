//! Schedule arithmetic: cron expressions read as wall-clock times in a time zone, turned
//! into instants so that daylight-saving changes neither skip nor double a run.
//!
//! The `cron` crate, asked for ticks in `Europe/London`, skips a tick whose local time does
//! not exist (the spring-forward gap) and yields two for a local time that happens twice
//! (autumn). We instead walk the expression over local wall-clock time and map each local
//! tick to one instant: a time that happens twice runs at its first occurrence; a time that
//! does not exist runs when the clocks have gone forward (the end of the gap).

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

/// A cron schedule in a time zone. Expressions have six or seven fields, seconds first
/// (`sec min hour day-of-month month day-of-week [year]`), as the `cron` crate reads them.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: cron::Schedule,
    zone: Tz,
}

/// What the scheduler does with ticks missed while nothing was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// Run once for the latest missed tick (the default: a reminder need not go out five
    /// times after a long outage).
    Once,
    /// Run every missed tick, oldest first (at most [`MAX_CATCH_UP`]).
    Every,
}

/// The most missed ticks enqueued at once with [`CatchUp::Every`].
pub const MAX_CATCH_UP: usize = 1000;

impl Schedule {
    /// Parses an expression, e.g. `0 0 9 1 * *` (09:00 on the 1st of each month).
    pub fn parse(expression: &str, zone: Tz) -> anyhow::Result<Self> {
        let cron = cron::Schedule::from_str(expression)
            .with_context(|| format!("invalid cron expression {expression:?}"))?;
        if cron
            .after(&Utc.timestamp_opt(0, 0).unwrap())
            .next()
            .is_none()
        {
            bail!("cron expression {expression:?} never fires");
        }
        Ok(Self {
            expression: expression.to_string(),
            cron,
            zone,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone the expression is read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first tick strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Start from the local wall-clock time of `after`, treated as a naive timeline.
        let mut cursor = self.naive(after);
        // Local ticks that map to instants at or before `after` (possible in the repeated
        // autumn hour) are passed over.
        for _ in 0..100_000 {
            let local = self
                .cron
                .after(&Utc.from_utc_datetime(&cursor))
                .next()?
                .naive_utc();
            let instant = self.instant(local);
            if instant > after {
                return Some(instant);
            }
            cursor = local;
        }
        None
    }

    /// Ticks in `(after, until]`, oldest first, at most `limit`. Distinct local times that
    /// fall into one spring-forward gap map to the same instant and appear once.
    pub fn ticks_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut ticks = Vec::new();
        let mut cursor = after;
        while ticks.len() < limit {
            match self.next_after(cursor) {
                Some(tick) if tick <= until => {
                    ticks.push(tick);
                    cursor = tick;
                }
                _ => break,
            }
        }
        ticks
    }

    /// The ticks due at `now` given the last tick already enqueued, by the catch-up rule.
    pub fn due(
        &self,
        last: DateTime<Utc>,
        now: DateTime<Utc>,
        catch_up: CatchUp,
    ) -> Vec<DateTime<Utc>> {
        match catch_up {
            CatchUp::Every => self.ticks_between(last, now, MAX_CATCH_UP),
            CatchUp::Once => self.latest_between(last, now).into_iter().collect(),
        }
    }

    /// The latest tick in `(after, until]`, found without listing every tick between
    /// (a minutely job after a month's outage has 40,000).
    pub fn latest_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let first = self.next_after(after).filter(|t| *t <= until)?;
        // Step back from `until` in widening windows until one holds a tick.
        let mut window = Duration::minutes(1);
        loop {
            let from = (until - window).max(after);
            if let Some(last) = self.ticks_between(from, until, usize::MAX).last() {
                return Some(*last);
            }
            if from <= first {
                return Some(first);
            }
            window = window * 4;
        }
    }

    fn naive(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.zone).naive_local()
    }

    /// The instant a local wall-clock tick runs at: the earlier of two, or, inside a
    /// spring-forward gap, the first whole minute after the clocks have gone forward.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = local;
        for _ in 0..=(3 * 60) {
            if let Some(earliest) = self.zone.from_local_datetime(&probe).earliest() {
                return earliest.with_timezone(&Utc);
            }
            probe = (probe + Duration::minutes(1)).with_second_floor();
        }
        // No time zone has a gap longer than three hours; fall back to reading it as UTC.
        Utc.from_utc_datetime(&local)
    }
}

trait SecondFloor {
    fn with_second_floor(self) -> Self;
}

impl SecondFloor for NaiveDateTime {
    fn with_second_floor(self) -> Self {
        use chrono::Timelike;
        self.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;
    use rand::{Rng, SeedableRng};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_daily_local_time_follows_british_summer_time() {
        let s = Schedule::parse("0 0 9 * * *", London).unwrap();
        assert_eq!(
            s.next_after(utc("2026-01-10T12:00:00Z")),
            Some(utc("2026-01-11T09:00:00Z"))
        );
        assert_eq!(
            s.next_after(utc("2026-07-10T12:00:00Z")),
            Some(utc("2026-07-11T08:00:00Z"))
        );
    }

    #[test]
    fn spring_forward_neither_skips_nor_doubles() {
        // 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:30 local does not exist.
        let s = Schedule::parse("0 30 1 * * *", London).unwrap();
        let ticks = s.ticks_between(utc("2026-03-27T12:00:00Z"), utc("2026-03-31T12:00:00Z"), 10);
        assert_eq!(
            ticks,
            vec![
                utc("2026-03-28T01:30:00Z"),
                utc("2026-03-29T01:00:00Z"), // run when the clocks go forward (02:00 BST)
                utc("2026-03-30T00:30:00Z"),
                utc("2026-03-31T00:30:00Z"),
            ]
        );
    }

    #[test]
    fn fall_back_runs_the_repeated_hour_once() {
        // 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 local happens twice.
        let s = Schedule::parse("0 30 1 * * *", London).unwrap();
        let ticks = s.ticks_between(utc("2026-10-24T12:00:00Z"), utc("2026-10-26T12:00:00Z"), 10);
        assert_eq!(
            ticks,
            vec![utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]
        );
        // Asking from inside the repeated hour does not run it again.
        assert_eq!(
            s.next_after(utc("2026-10-25T01:10:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
    }

    #[test]
    fn every_quarter_hour_through_the_gap_never_repeats_an_instant() {
        let s = Schedule::parse("0 */15 * * * *", London).unwrap();
        let ticks = s.ticks_between(
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T02:00:00Z"),
            100,
        );
        let mut sorted = ticks.clone();
        sorted.dedup();
        assert_eq!(ticks, sorted);
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));
        assert!(ticks.contains(&utc("2026-03-29T01:00:00Z")));
    }

    #[test]
    fn month_ends_and_the_first_of_the_month() {
        let monthly = Schedule::parse("0 0 9 1 * *", London).unwrap();
        assert_eq!(
            monthly.next_after(utc("2026-01-31T23:59:59Z")),
            Some(utc("2026-02-01T09:00:00Z"))
        );
        let the_31st = Schedule::parse("0 0 9 31 * *", London).unwrap();
        assert_eq!(
            the_31st.next_after(utc("2026-04-01T00:00:00Z")),
            Some(utc("2026-05-31T08:00:00Z"))
        );
        let leap = Schedule::parse("0 0 12 29 2 *", London).unwrap();
        assert_eq!(
            leap.next_after(utc("2026-03-01T00:00:00Z")),
            Some(utc("2028-02-29T12:00:00Z"))
        );
    }

    #[test]
    fn catch_up_once_takes_only_the_latest_missed_tick() {
        let s = Schedule::parse("0 0 * * * *", London).unwrap(); // hourly
        let last = utc("2026-06-01T00:00:00Z");
        let now = utc("2026-06-03T10:30:00Z");
        assert_eq!(
            s.due(last, now, CatchUp::Once),
            vec![utc("2026-06-03T10:00:00Z")]
        );
        assert_eq!(s.due(last, now, CatchUp::Every).len(), 58);
        assert!(s.due(now, now, CatchUp::Once).is_empty());
        // A minutely job after a month away is still one run, found quickly.
        let minutely = Schedule::parse("0 * * * * *", London).unwrap();
        assert_eq!(
            minutely.due(
                utc("2026-05-01T00:00:00Z"),
                utc("2026-06-01T00:00:30Z"),
                CatchUp::Once
            ),
            vec![utc("2026-06-01T00:00:00Z")]
        );
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(Schedule::parse("every day", London).is_err());
        assert!(
            Schedule::parse("0 0 9 30 2 *", London).is_err(),
            "30 February never comes"
        );
    }

    /// Property: for random instants across several years (DST changes included), ticks
    /// are strictly increasing, unique, and each is the first after its predecessor;
    /// `latest_between` agrees with the full list.
    #[test]
    fn property_ticks_are_ordered_unique_and_consistent() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7316);
        let expressions = [
            "0 0 9 * * *",
            "0 30 1 * * *",
            "0 */20 * * * *",
            "0 0 2 * * Sun",
            "0 15 1,2 * * *",
            "0 0 9 1 * *",
        ];
        for _ in 0..300 {
            let expression = expressions[rng.random_range(0..expressions.len())];
            let s = Schedule::parse(expression, London).unwrap();
            let start = Utc
                .timestamp_opt(rng.random_range(1_735_689_600..1_830_297_600), 0)
                .unwrap();
            let end = start + Duration::hours(rng.random_range(1..24 * 40));
            let ticks = s.ticks_between(start, end, 10_000);
            assert!(
                ticks.windows(2).all(|w| w[0] < w[1]),
                "{expression} from {start}"
            );
            assert!(ticks.iter().all(|t| *t > start && *t <= end));
            for w in ticks.windows(2) {
                assert_eq!(s.next_after(w[0]), Some(w[1]));
            }
            assert_eq!(
                s.latest_between(start, end),
                ticks.last().copied(),
                "{expression} {start}..{end}"
            );
            // A local wall-clock schedule fires at most once per local day and time.
            let mut locals: Vec<_> = ticks
                .iter()
                .map(|t| t.with_timezone(&London).naive_local())
                .collect();
            let n = locals.len();
            locals.dedup();
            assert_eq!(locals.len(), n);
        }
    }
}

impl Schedule {
    /// The schedule in words, for people who do not read cron: "every day at 3:15am",
    /// "every 10 minutes", "at 9am on the 1st of every month", "every Monday at 9am".
    /// `None` for a shape these words do not cover (show the expression alone).
    pub fn in_words(&self) -> Option<String> {
        describe(&self.expression)
    }
}

/// Words for the common shapes of a six-field expression (see [`Schedule::in_words`]).
pub fn describe(expression: &str) -> Option<String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [sec, min, hour, dom, month, dow] = fields[..] else {
        return None;
    };
    if sec != "0" || month != "*" {
        return None;
    }
    let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n <= max);
    let every = |s: &str| s.strip_prefix("*/").and_then(|n| n.parse::<u32>().ok());
    // "every N minutes / hours" runs all day, every day.
    if dom == "*" && dow == "*" {
        if let (Some(n), "*") = (every(min), hour) {
            return Some(if n == 1 {
                "every minute".into()
            } else {
                format!("every {n} minutes")
            });
        }
        if let (Some(0), Some(n)) = (number(min, 59), every(hour)) {
            return Some(if n == 1 {
                "every hour, on the hour".into()
            } else {
                format!("every {n} hours, on the hour")
            });
        }
    }
    let at = clock(number(hour, 23)?, number(min, 59)?);
    match (dom, dow) {
        ("*", "*") => Some(format!("every day at {at}")),
        ("*", days) => {
            let days = weekdays(days)?;
            Some(if days.contains(" to ") {
                format!("at {at}, {days}")
            } else {
                format!("every {days} at {at}")
            })
        }
        (day, "*") => {
            let day = number(day, 31).filter(|d| *d >= 1)?;
            Some(format!("at {at} on the {} of every month", ordinal(day)))
        }
        _ => None,
    }
}

/// GOV.UK style times: 9am, 3:15pm, midday, midnight.
fn clock(hour: u32, minute: u32) -> String {
    match (hour, minute) {
        (0, 0) => "midnight".into(),
        (12, 0) => "midday".into(),
        _ => {
            let (h, half) = match hour {
                0 => (12, "am"),
                1..=11 => (hour, "am"),
                12 => (12, "pm"),
                _ => (hour - 12, "pm"),
            };
            if minute == 0 {
                format!("{h}{half}")
            } else {
                format!("{h}:{minute:02}{half}")
            }
        }
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "Mon" → "Monday", "Mon-Fri" → "Monday to Friday", "Mon,Thu" → "Monday and Thursday".
fn weekdays(field: &str) -> Option<String> {
    const NAMES: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let day = |s: &str| {
        let s = s.to_ascii_lowercase();
        NAMES
            .iter()
            .position(|n| n.to_ascii_lowercase().starts_with(&s) && s.len() >= 3)
            .or_else(|| s.parse::<usize>().ok().filter(|n| *n <= 7).map(|n| n % 7))
            .map(|i| NAMES[i])
    };
    if let Some((from, to)) = field.split_once('-') {
        return Some(format!("{} to {}", day(from)?, day(to)?));
    }
    let days = field.split(',').map(day).collect::<Option<Vec<_>>>()?;
    match days.as_slice() {
        [one] => Some(one.to_string()),
        [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
        [] => None,
    }
}

#[cfg(test)]
mod words {
    use super::describe;

    #[test]
    fn common_schedules_read_as_words() {
        for (cron, words) in [
            ("0 15 3 * * *", Some("every day at 3:15am")),
            ("0 0 6 * * *", Some("every day at 6am")),
            ("0 0 9 * * *", Some("every day at 9am")),
            ("0 */10 * * * *", Some("every 10 minutes")),
            ("0 0 */2 * * *", Some("every 2 hours, on the hour")),
            ("0 0 12 * * *", Some("every day at midday")),
            ("0 0 0 * * *", Some("every day at midnight")),
            ("0 30 17 * * *", Some("every day at 5:30pm")),
            ("0 0 9 1 * *", Some("at 9am on the 1st of every month")),
            ("0 0 9 22 * *", Some("at 9am on the 22nd of every month")),
            ("0 0 9 11 * *", Some("at 9am on the 11th of every month")),
            ("0 0 9 * * Mon", Some("every Monday at 9am")),
            ("0 0 9 * * Mon-Fri", Some("at 9am, Monday to Friday")),
            (
                "0 0 9 * * Mon,Thu",
                Some("every Monday and Thursday at 9am"),
            ),
            ("30 0 9 * * *", None),
            ("0 0 9 1 Jan *", None),
            ("0 0 9 1 * Mon", None),
            ("0 0 25 * * *", None),
            ("nonsense", None),
        ] {
            assert_eq!(describe(cron).as_deref(), words, "{cron}");
        }
    }
}
