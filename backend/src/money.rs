//! Money as whole pence: exact, never a float. The API sends and takes integers
//! (`price_pence`); people read and type pounds ("£1,234.56", "1234.5").

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in pence.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

impl Pence {
    /// The amount as a form shows it for editing: "1234.56", no symbol or grouping.
    pub fn for_input(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let p = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", p / 100, p % 100)
    }

    /// What a person typed in pounds: "1,234.56", "£1234.5", "1234". `None` when blank;
    /// `Err` when it is not an amount of money (negative, more than two decimal places,
    /// letters, or too large).
    pub fn parse_pounds(text: &str) -> Result<Option<Pence>, NotMoney> {
        let t: String = text
            .trim()
            .trim_start_matches('£')
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if t.is_empty() {
            return Ok(None);
        }
        let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
        if (whole.is_empty() && frac.is_empty())
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NotMoney);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| NotMoney)?
        };
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| NotMoney)?;
        whole
            .checked_mul(100)
            .and_then(|p| p.checked_add(frac))
            .map(|p| Some(Pence(p)))
            .ok_or(NotMoney)
    }
}

/// Text that is not an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotMoney;

/// "£1,234.56".
impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let p = self.0.unsigned_abs();
        let whole = (p / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}£{grouped}.{:02}", p % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_are_grouped() {
        assert_eq!(Pence(123_456_789).to_string(), "£1,234,567.89");
        assert_eq!(Pence(5).to_string(), "£0.05");
        assert_eq!(Pence(100_000).to_string(), "£1,000.00");
        assert_eq!(Pence(-250).to_string(), "-£2.50");
    }

    #[test]
    fn typed_pounds_are_read_exactly() {
        assert_eq!(Pence::parse_pounds("1,234.56"), Ok(Some(Pence(123_456))));
        assert_eq!(Pence::parse_pounds("£1234.5"), Ok(Some(Pence(123_450))));
        assert_eq!(Pence::parse_pounds(" 12 "), Ok(Some(Pence(1_200))));
        assert_eq!(Pence::parse_pounds(".5"), Ok(Some(Pence(50))));
        assert_eq!(Pence::parse_pounds(""), Ok(None));
        for bad in ["12.345", "-3", "12a", ".", "99999999999999999999"] {
            assert_eq!(Pence::parse_pounds(bad), Err(NotMoney), "{bad}");
        }
        assert_eq!(Pence(123_450).for_input(), "1234.50");
    }
}
