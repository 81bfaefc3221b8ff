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

/// How long until a deadline, in London days, for beside the deadline itself: "closes
/// today at 5:00pm", "closes tomorrow at midday", "3 days left", "closed". Days are
/// counted between London dates, so a deadline at 9am tomorrow is "tomorrow" at 11pm.
pub fn time_left(
    deadline: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    if deadline <= now {
        return "closed".into();
    }
    let zone = chrono_tz::Europe::London;
    let days = (deadline.with_timezone(&zone).date_naive() - now.with_timezone(&zone).date_naive())
        .num_days();
    let at = london_time(deadline);
    let clock = at.rsplit_once(" at ").map_or(at.as_str(), |(_, t)| t);
    match days {
        // A deadline of midnight is written as the end of the day before.
        _ if at.starts_with("midnight") && days == 1 => "closes at midnight tonight".into(),
        0 => format!("closes today at {clock}"),
        1 => format!("closes tomorrow at {clock}"),
        n => format!("{n} days left"),
    }
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

    #[test]
    fn time_left_counts_london_days() {
        let t = |m, d, h, min| chrono::Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        let now = t(12, 1, 10, 0);
        assert_eq!(
            super::time_left(t(12, 1, 17, 0), now),
            "closes today at 5:00pm"
        );
        assert_eq!(
            super::time_left(t(12, 2, 12, 0), now),
            "closes tomorrow at midday"
        );
        assert_eq!(
            super::time_left(t(12, 2, 0, 0), now),
            "closes at midnight tonight"
        );
        assert_eq!(super::time_left(t(12, 4, 9, 0), now), "3 days left");
        assert_eq!(super::time_left(t(12, 1, 10, 0), now), "closed");
        assert_eq!(super::time_left(t(11, 30, 10, 0), now), "closed");
        // 11pm in London on 30 June (BST) is 22:00 UTC; 9am on 1 July is tomorrow.
        assert_eq!(
            super::time_left(t(7, 1, 8, 0), t(6, 30, 22, 0)),
            "closes tomorrow at 9:00am"
        );
    }
}
