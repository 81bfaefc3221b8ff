//! Instants and dates as people in England read them (GOV.UK style), in London time.

/// An instant as people in England read it, in London time: "1 December 2026 at 5:00pm"
/// (GOV.UK style; midnight and midday are written out so nobody misreads a deadline).
pub fn london_time(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let local = t.with_timezone(&chrono_tz::Europe::London);
    let time = match (local.hour(), local.minute()) {
        // "Midnight" alone is ambiguous about which day: name the day it ends.
        (0, 0) => {
            let day_before = local.date_naive() - chrono::Duration::days(1);
            return format!("midnight at the end of {}", day_before.format("%-d %B %Y"));
        }
        (12, 0) => "midday".to_string(),
        (h, m) => format!(
            "{}:{m:02}{}",
            if h % 12 == 0 { 12 } else { h % 12 },
            if h < 12 { "am" } else { "pm" }
        ),
    };
    format!("{} at {time}", local.format("%-d %B %Y"))
}

/// A date as people in England read it: "1 December 2026".
pub fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod time_tests {
    use chrono::TimeZone;

    #[test]
    fn london_times_read_naturally() {
        let t = |m, d, h, min| chrono::Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        assert_eq!(
            super::london_time(t(12, 1, 17, 0)),
            "1 December 2026 at 5:00pm"
        );
        // British Summer Time: 11:00 UTC is midday in London.
        assert_eq!(super::london_time(t(7, 1, 11, 0)), "1 July 2026 at midday");
        assert_eq!(
            super::london_time(t(12, 1, 0, 0)),
            "midnight at the end of 30 November 2026"
        );
        assert_eq!(
            super::london_time(t(12, 1, 9, 5)),
            "1 December 2026 at 9:05am"
        );
    }
}
