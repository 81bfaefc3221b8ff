//! Working days and UK bank holidays (DOMAIN.md, "Working day" and "Time").
//!
//! The statutory rule (Procurement Act 2023 and most UK statutes): a working day is any day
//! other than a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in *any*
//! part of the United Kingdom. Operational reminders may count England and Wales alone.
//! Bank holidays are shipped as data (`backend/data/bank_holidays.json`), one list per
//! nation; dates beyond the last year listed are refused rather than guessed.
//!
//! Deadlines are reckoned in `Europe/London`: a period that ends "at the end of" a day ends
//! at midnight London time, whatever the season.

mod format;

pub use format::{london_time, long_date, time_left};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Which days count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The statutory rule: bank holidays of England and Wales, Scotland and Northern
    /// Ireland all count as non-working days, as do Christmas Day and Good Friday.
    Statutory,
    /// England and Wales bank holidays only (operational reminders).
    EnglandAndWales,
}

/// The UK's bank holidays by nation.
#[derive(Debug)]
pub struct Calendar {
    england_and_wales: BTreeSet<NaiveDate>,
    any_nation: BTreeSet<NaiveDate>,
    first_year: i32,
    last_year: i32,
}

#[derive(serde::Deserialize)]
struct Data {
    england_and_wales: Vec<NaiveDate>,
    scotland: Vec<NaiveDate>,
    northern_ireland: Vec<NaiveDate>,
}

impl Calendar {
    /// Parses the bank-holiday data.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        let data: Data = serde_json::from_str(json).context("reading the bank-holiday data")?;
        let england_and_wales: BTreeSet<NaiveDate> = data.england_and_wales.into_iter().collect();
        let mut any_nation = england_and_wales.clone();
        any_nation.extend(data.scotland);
        any_nation.extend(data.northern_ireland);
        let (Some(first), Some(last)) = (any_nation.first(), any_nation.last()) else {
            bail!("the bank-holiday data is empty")
        };
        Ok(Self {
            first_year: first.year(),
            last_year: last.year(),
            england_and_wales,
            any_nation,
        })
    }

    /// The calendar shipped with the platform.
    pub fn uk() -> &'static Calendar {
        static UK: OnceLock<Calendar> = OnceLock::new();
        UK.get_or_init(|| {
            Calendar::from_json(include_str!("../../data/bank_holidays.json"))
                .expect("the shipped bank-holiday data is valid")
        })
    }

    /// The years the data covers.
    pub fn years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    fn check(&self, date: NaiveDate) -> anyhow::Result<()> {
        if date.year() < self.first_year || date.year() > self.last_year {
            bail!(
                "bank holidays for {} are not loaded (the calendar covers {} to {}); update backend/data/bank_holidays.json",
                date.year(),
                self.first_year,
                self.last_year
            );
        }
        Ok(())
    }

    /// Whether `date` is a working day under `rule`.
    pub fn is_working_day(&self, date: NaiveDate, rule: Rule) -> anyhow::Result<bool> {
        self.check(date)?;
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            return Ok(false);
        }
        // Christmas Day and Good Friday are never working days, even where (as in
        // England and Wales) they are common-law holidays rather than bank holidays.
        if (date.month() == 12 && date.day() == 25) || date == good_friday(date.year()) {
            return Ok(false);
        }
        Ok(!match rule {
            Rule::Statutory => self.any_nation.contains(&date),
            Rule::EnglandAndWales => self.england_and_wales.contains(&date),
        })
    }

    /// The working day `n` working days after `date` (n = 0: `date` itself if it is a
    /// working day, else the next one).
    pub fn add_working_days(
        &self,
        date: NaiveDate,
        n: u32,
        rule: Rule,
    ) -> anyhow::Result<NaiveDate> {
        let mut day = date;
        while !self.is_working_day(day, rule)? {
            day += Duration::days(1);
        }
        for _ in 0..n {
            day += Duration::days(1);
            while !self.is_working_day(day, rule)? {
                day += Duration::days(1);
            }
        }
        Ok(day)
    }

    /// The `n`th working day of a month, counting the first working day as 1.
    pub fn nth_working_day_of_month(
        &self,
        year: i32,
        month: u32,
        n: u32,
        rule: Rule,
    ) -> anyhow::Result<NaiveDate> {
        anyhow::ensure!(n >= 1, "working days of a month count from 1");
        let first = NaiveDate::from_ymd_opt(year, month, 1).context("no such month")?;
        let day = self.add_working_days(first, n - 1, rule)?;
        anyhow::ensure!(
            day.month() == month,
            "{year}-{month:02} has fewer than {n} working days"
        );
        Ok(day)
    }

    /// The last day of a period of `n` working days *beginning with* `date`: `date` counts
    /// as the first if it is a working day.
    pub fn period_last_day(
        &self,
        date: NaiveDate,
        n: u32,
        rule: Rule,
    ) -> anyhow::Result<NaiveDate> {
        anyhow::ensure!(n >= 1, "a period has at least one working day");
        self.add_working_days(date, n - 1, rule)
    }

    /// Standstill (PA2023): the contract may not be entered into during the `n` working
    /// days beginning with the day the contract award notice is published. Returns the
    /// instant standstill ends: midnight (London) at the end of the last working day of the
    /// period, from which the contract may be entered into.
    pub fn standstill_ends(
        &self,
        published: DateTime<Utc>,
        n: u32,
    ) -> anyhow::Result<DateTime<Utc>> {
        let day = published.with_timezone(&London).date_naive();
        let last = self.period_last_day(day, n, Rule::Statutory)?;
        Ok(start_of_day(last + Duration::days(1)))
    }
}

/// Midnight at the start of `date` in London, as an instant.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Midnight always exists in London (the clocks change at 01:00 and 02:00).
    London
        .from_local_datetime(&midnight)
        .earliest()
        .expect("midnight exists in London")
        .with_timezone(&Utc)
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// Good Friday: two days before Easter Sunday.
pub fn good_friday(year: i32) -> NaiveDate {
    easter_sunday(year) - Duration::days(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> &'static Calendar {
        Calendar::uk()
    }

    #[test]
    fn easter_matches_the_published_dates() {
        for (year, easter) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
        ] {
            assert_eq!(easter_sunday(year), d(easter));
        }
        // The shipped data agrees with the computed Good Friday in every nation.
        for year in 2024..=2028 {
            assert!(
                Calendar::uk()
                    .england_and_wales
                    .contains(&good_friday(year))
            );
        }
    }

    /// DOMAIN.md: "any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a
    /// bank holiday in *any* part of the United Kingdom".
    #[test]
    fn the_statutory_rule_counts_every_nations_bank_holidays() {
        // St Andrew's Day 2026 (Monday 30 November) is a bank holiday in Scotland only.
        assert!(
            !cal()
                .is_working_day(d("2026-11-30"), Rule::Statutory)
                .unwrap()
        );
        assert!(
            cal()
                .is_working_day(d("2026-11-30"), Rule::EnglandAndWales)
                .unwrap()
        );
        // St Patrick's Day 2026 (Tuesday) in Northern Ireland; 2 January 2026 in Scotland.
        assert!(
            !cal()
                .is_working_day(d("2026-03-17"), Rule::Statutory)
                .unwrap()
        );
        assert!(
            !cal()
                .is_working_day(d("2026-01-02"), Rule::Statutory)
                .unwrap()
        );
        assert!(
            cal()
                .is_working_day(d("2026-01-02"), Rule::EnglandAndWales)
                .unwrap()
        );
        // Weekends, Christmas Day and Good Friday under both rules.
        for rule in [Rule::Statutory, Rule::EnglandAndWales] {
            assert!(
                !cal().is_working_day(d("2026-12-26"), rule).unwrap(),
                "Saturday"
            );
            assert!(!cal().is_working_day(d("2026-12-25"), rule).unwrap());
            assert!(!cal().is_working_day(d("2026-04-03"), rule).unwrap());
            assert!(cal().is_working_day(d("2026-12-24"), rule).unwrap());
        }
    }

    #[test]
    fn dates_beyond_the_data_are_refused_not_guessed() {
        let err = cal()
            .is_working_day(d("2031-06-02"), Rule::Statutory)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("bank holidays for 2031 are not loaded")
        );
    }

    /// DOMAIN.md, standstill: "8 working days beginning with the day the award notice is
    /// published".
    #[test]
    fn standstill_counts_eight_working_days_beginning_with_publication() {
        // Published Monday 7 December 2026: 7, 8, 9, 10, 11, 14, 15, 16 December.
        let ends = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 12, 7, 15, 30, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(ends, Utc.with_ymd_and_hms(2026, 12, 17, 0, 0, 0).unwrap());
        // Published on a Saturday: the period begins on the next working day.
        let ends = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(ends, Utc.with_ymd_and_hms(2026, 12, 17, 0, 0, 0).unwrap());
        // Over Christmas: 18, 21, 22, 23, 24, 29, 30, 31 December (25th and the 28th off).
        let ends = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 12, 18, 9, 0, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(ends, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        // Over St Andrew's Day, a Scottish holiday that still stops the statutory clock.
        let ends = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(ends, Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap());
        // In summer time, midnight London is 23:00 UTC the day before.
        let ends = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(ends, Utc.with_ymd_and_hms(2026, 6, 10, 23, 0, 0).unwrap());
        // Published at 23:30 UTC on Sunday 31 May 2026 is 00:30 on Monday 1 June in London.
        let late = cal()
            .standstill_ends(Utc.with_ymd_and_hms(2026, 5, 31, 23, 30, 0).unwrap(), 8)
            .unwrap();
        assert_eq!(late, ends);
    }

    /// DOMAIN.md: "Working day N of a month counts from the first working day as 1."
    #[test]
    fn working_day_n_of_a_month() {
        // January 2027: Friday 1st is New Year's Day; Scotland's 2 January moves to Monday 4th.
        assert_eq!(
            cal()
                .nth_working_day_of_month(2027, 1, 1, Rule::EnglandAndWales)
                .unwrap(),
            d("2027-01-04")
        );
        assert_eq!(
            cal()
                .nth_working_day_of_month(2027, 1, 1, Rule::Statutory)
                .unwrap(),
            d("2027-01-05")
        );
        assert_eq!(
            cal()
                .nth_working_day_of_month(2026, 12, 10, Rule::EnglandAndWales)
                .unwrap(),
            d("2026-12-14")
        );
        assert!(
            cal()
                .nth_working_day_of_month(2026, 12, 25, Rule::EnglandAndWales)
                .is_err()
        );
    }

    /// Property: adding n working days lands on a working day, exactly n working days
    /// later, and never moves backwards.
    #[test]
    fn property_adding_working_days_round_trips() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2023);
        for _ in 0..500 {
            let start = d("2024-01-01") + Duration::days(rng.random_range(0..1700));
            let n = rng.random_range(0..40);
            let rule = if rng.random_bool(0.5) {
                Rule::Statutory
            } else {
                Rule::EnglandAndWales
            };
            let end = cal().add_working_days(start, n, rule).unwrap();
            assert!(end >= start);
            assert!(cal().is_working_day(end, rule).unwrap());
            let first = cal().add_working_days(start, 0, rule).unwrap();
            let counted = (0..=(end - first).num_days())
                .filter(|i| {
                    cal()
                        .is_working_day(first + Duration::days(*i), rule)
                        .unwrap()
                })
                .count() as u32;
            assert_eq!(counted, n + 1, "{start} + {n} ({rule:?}) = {end}");
            // The statutory rule never finishes earlier than England and Wales alone.
            assert!(
                cal().add_working_days(start, n, Rule::Statutory).unwrap()
                    >= cal()
                        .add_working_days(start, n, Rule::EnglandAndWales)
                        .unwrap()
            );
        }
    }
}
