//! The GOV.UK date input (day, month and year in three boxes) with an optional time on the
//! 24-hour clock, read as UK (London) wall-clock time.
//!
//! Browsers' own date and time fields show a 24-hour time on a 12-hour clock in some
//! locales ("05:00" for 17:00) and are hard to use with a screen reader, so dates are
//! typed as GOV.UK asks: `{name}_day`, `{name}_month`, `{name}_year` and, with a time,
//! `{name}_time` (rendered by `partials/date_input.hbs`). Reading is forgiving (a month
//! may be "12", "Dec" or "December"; a time "17:00", "17.00", "1700" or "5pm") and every
//! refusal names what to fix, on the input to fix: `{name}_day`, `_month`, `_year` or
//! `_time` for one part, `{name}_date` for the date as a whole (the error summary links it
//! to the day box).

use crate::http::problem::FieldError;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::Serialize;

/// A date as typed into the three boxes, and the time box if the input has one.
#[derive(Debug, Clone, Copy)]
pub struct DateInput<'a> {
    /// The inputs' name prefix, e.g. `submission`.
    pub name: &'a str,
    /// What the date is, to begin a sentence: "The submission deadline".
    pub label: &'a str,
    pub day: &'a str,
    pub month: &'a str,
    pub year: &'a str,
}

/// What the boxes show: a stored date or instant, in UK time.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DateParts {
    pub day: String,
    pub month: String,
    pub year: String,
    pub time: String,
}

impl DateParts {
    /// The boxes for a date.
    pub fn of_date(date: NaiveDate) -> Self {
        Self {
            day: date.day().to_string(),
            month: date.month().to_string(),
            year: date.year().to_string(),
            time: String::new(),
        }
    }

    /// The boxes for an instant, as UK wall-clock time.
    pub fn of_instant(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&London);
        Self {
            time: local.format("%H:%M").to_string(),
            ..Self::of_date(local.date_naive())
        }
    }
}

impl<'a> DateInput<'a> {
    /// The date, or the one error to show against the input.
    pub fn date(&self) -> Result<NaiveDate, FieldError> {
        let (day, month, year) = (self.day.trim(), self.month.trim(), self.year.trim());
        let missing: Vec<&str> = [("day", day), ("month", month), ("year", year)]
            .into_iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(part, _)| part)
            .collect();
        match missing.as_slice() {
            [_, _, _] => return Err(self.error("date", format!("Enter {}", self.lower()))),
            [] => {}
            parts => {
                return Err(self.error(
                    parts[0],
                    format!("{} must include a {}", self.label, parts.join(" and ")),
                ));
            }
        }
        let not_real = || self.error("date", format!("{} must be a real date", self.label));
        let day: u32 = day.parse().map_err(|_| not_real())?;
        let month = parse_month(month).ok_or_else(not_real)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error("year", "Year must include 4 numbers, like 2027"));
        }
        let year: i32 = year.parse().map_err(|_| not_real())?;
        NaiveDate::from_ymd_opt(year, month, day).ok_or_else(not_real)
    }

    /// The instant the date and `time` (UK time, 24-hour clock) name.
    pub fn at(&self, time: &str) -> Result<DateTime<Utc>, FieldError> {
        let date = self.date()?;
        let time = match time.trim() {
            "" => {
                return Err(self.error(
                    "time",
                    format!("Enter the time of {}, like 17:00", self.lower()),
                ));
            }
            typed => parse_time(typed).ok_or_else(|| {
                self.error(
                    "time",
                    format!(
                        "Enter the time of {} on the 24-hour clock, like 17:00",
                        self.lower()
                    ),
                )
            })?,
        };
        // In the hour the clocks go back a time happens twice: the first is meant. In
        // the hour they go forward it does not happen at all.
        London
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                self.error(
                    "time",
                    format!(
                        "{} is in the hour the clocks go forward, which does not exist in UK time: enter a time after 02:00",
                        self.label
                    ),
                )
            })
    }

    fn lower(&self) -> String {
        let mut chars = self.label.chars();
        chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default()
    }

    fn error(&self, part: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(format!("{}_{part}", self.name), message)
    }
}

/// A month as a number or an English name, in full or the first three letters.
fn parse_month(typed: &str) -> Option<u32> {
    if let Ok(n) = typed.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let typed = typed.to_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == typed || (typed.len() >= 3 && m.starts_with(typed.as_str())))
        .map(|i| i as u32 + 1)
}

/// A time of day: "17:00", "17.00", "1700", "9:30", "5pm", "5:30 pm", "12 midday".
fn parse_time(typed: &str) -> Option<NaiveTime> {
    let lower = typed.to_lowercase().replace(' ', "");
    let lower = lower.replace("midday", "pm").replace("noon", "pm");
    let (digits, meridiem) = if let Some(d) = lower.strip_suffix("am") {
        (d, Some(false))
    } else if let Some(d) = lower.strip_suffix("pm") {
        (d, Some(true))
    } else {
        (lower.as_str(), None)
    };
    let (hours, minutes) = match digits.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None if digits.len() == 4 && meridiem.is_none() => digits.split_at(2),
        None if digits.len() <= 2 && meridiem.is_some() => (digits, "00"),
        None => return None,
    };
    if hours.is_empty() || hours.len() > 2 {
        return None;
    }
    let (mut h, m): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    match meridiem {
        Some(pm) if (1..=12).contains(&h) => h = h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => {}
    }
    NaiveTime::from_hms_opt(h, m, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(day: &'a str, month: &'a str, year: &'a str) -> DateInput<'a> {
        DateInput {
            name: "submission",
            label: "The submission deadline",
            day,
            month,
            year,
        }
    }

    #[test]
    fn reads_numbers_and_month_names() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        for month in ["3", "03", "March", "mar", "MARCH"] {
            assert_eq!(input("9", month, "2027").date(), Ok(d), "{month}");
        }
        assert_eq!(input(" 09 ", " 3", "2027 ").date(), Ok(d));
    }

    #[test]
    fn each_refusal_names_the_part_to_fix() {
        let e = input("", "", "").date().unwrap_err();
        assert_eq!(e.field, "submission_date");
        assert_eq!(e.message, "Enter the submission deadline");
        let e = input("9", "", "2027").date().unwrap_err();
        assert_eq!(e.field, "submission_month");
        assert_eq!(e.message, "The submission deadline must include a month");
        let e = input("", "", "2027").date().unwrap_err();
        assert_eq!(e.field, "submission_day");
        assert_eq!(
            e.message,
            "The submission deadline must include a day and month"
        );
        let e = input("31", "2", "2027").date().unwrap_err();
        assert_eq!(e.field, "submission_date");
        assert_eq!(e.message, "The submission deadline must be a real date");
        assert_eq!(
            input("9", "13", "2027").date().unwrap_err().field,
            "submission_date"
        );
        assert_eq!(
            input("x", "3", "2027").date().unwrap_err().field,
            "submission_date"
        );
        assert_eq!(
            input("9", "3", "27").date().unwrap_err().field,
            "submission_year"
        );
    }

    #[test]
    fn times_are_uk_wall_clock_on_the_24_hour_clock_or_with_am_and_pm() {
        // 17:00 in London in summer is 16:00 UTC, in winter 17:00 UTC.
        let summer = input("1", "7", "2027");
        let winter = input("1", "12", "2027");
        for typed in ["17:00", "17.00", "1700", "5pm", "5:00 pm", "5 PM"] {
            assert_eq!(
                summer.at(typed).unwrap().to_rfc3339(),
                "2027-07-01T16:00:00+00:00",
                "{typed}"
            );
            assert_eq!(
                winter.at(typed).unwrap().to_rfc3339(),
                "2027-12-01T17:00:00+00:00"
            );
        }
        assert_eq!(
            winter.at("12 midday").unwrap().to_rfc3339(),
            "2027-12-01T12:00:00+00:00"
        );
        assert_eq!(
            winter.at("12am").unwrap().to_rfc3339(),
            "2027-12-01T00:00:00+00:00"
        );
        for typed in ["25:00", "17:60", "5", "17:0", "13pm", "0am", "soon"] {
            let e = winter.at(typed).unwrap_err();
            assert_eq!(e.field, "submission_time", "{typed}");
            assert!(e.message.contains("24-hour clock"), "{typed}");
        }
        assert_eq!(winter.at(" ").unwrap_err().field, "submission_time");
    }

    #[test]
    fn the_hour_the_clocks_skip_is_refused_and_the_repeated_hour_is_the_first() {
        // 28 March 2027: 01:00 GMT becomes 02:00 BST.
        let spring = input("28", "3", "2027");
        assert!(
            spring
                .at("01:30")
                .unwrap_err()
                .message
                .contains("clocks go forward")
        );
        // 31 October 2027: 02:00 BST becomes 01:00 GMT; 01:30 BST is 00:30 UTC.
        let autumn = input("31", "10", "2027");
        assert_eq!(
            autumn.at("01:30").unwrap().to_rfc3339(),
            "2027-10-31T00:30:00+00:00"
        );
    }

    #[test]
    fn the_boxes_show_a_stored_instant_in_uk_time() {
        let at = Utc.with_ymd_and_hms(2027, 7, 1, 16, 0, 0).unwrap();
        assert_eq!(
            DateParts::of_instant(at),
            DateParts {
                day: "1".into(),
                month: "7".into(),
                year: "2027".into(),
                time: "17:00".into()
            }
        );
    }
}
