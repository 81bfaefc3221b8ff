//! The results as a spreadsheet (CSV) for the commissioner's records and the award
//! report. It holds exactly what the results page shows (never a bid's answers), comes
//! from the same reading of the results, so only the council's own commissioners get it
//! and only once the bids are opened after the deadline.

use crate::evaluation::SubmissionOutcome;
use crate::evaluation::results::{self, BidResult, LotResults};
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::{PageError, PageUser};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

/// The columns, in words a reader of the spreadsheet understands.
const HEADERS: [&str; 10] = [
    "Lot",
    "Rank",
    "Bidder",
    "Quality score",
    "Social value score",
    "Price (£)",
    "Price score",
    "Total score",
    "Outcome",
    "Abnormally low price",
];

/// Pounds and pence without the sign or separators, so a spreadsheet reads a number.
fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

/// A bid's outcome in one word or phrase, the same on the results page and in the
/// spreadsheet: decided (successful or not), excluded, compliant and ranked, or not yet
/// moderated.
pub(super) fn outcome(b: &BidResult) -> &'static str {
    // An excluded bid stays "Excluded" after the award, which also marks it unsuccessful:
    // the reason matters more to the reader than the award's outcome.
    match (b.outcome, &b.excluded, b.moderated) {
        (Some(SubmissionOutcome::Successful), _, _) => "Successful",
        (_, Some(_), true) => "Excluded",
        (Some(_), _, _) => "Not successful",
        (None, _, false) => "Not moderated yet",
        (None, _, true) => "Compliant",
    }
}

/// The rows of the spreadsheet, header first, ranked bids first in each lot.
pub fn rows(lots: &[LotResults]) -> Vec<Vec<String>> {
    let mut rows = vec![HEADERS.iter().map(|h| h.to_string()).collect()];
    for lot in lots {
        let mut bids: Vec<_> = lot.bids.iter().collect();
        bids.sort_by_key(|b| b.rank.unwrap_or(u32::MAX));
        for b in bids {
            let outcome = match (&b.excluded, outcome(b)) {
                (Some(reason), "Excluded") => format!("Excluded: {reason}"),
                (_, words) => words.to_string(),
            };
            rows.push(vec![
                match (lot.lot, &lot.lot_title) {
                    (Some(n), Some(t)) => format!("{n}: {t}"),
                    (Some(n), None) => n.to_string(),
                    _ => String::new(),
                },
                b.rank.map(|r| r.to_string()).unwrap_or_default(),
                b.organisation_name.clone(),
                b.quality.clone(),
                b.social_value.clone(),
                b.price_pence.map(pounds).unwrap_or_default(),
                b.price_score.clone().unwrap_or_default(),
                b.total.clone().unwrap_or_default(),
                outcome,
                if b.abnormally_low { "Yes" } else { "No" }.to_string(),
            ]);
        }
    }
    rows
}

/// GET /procurements/{id}/results.csv
pub async fn download(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, &user.0, *id).await?;
    let lots = results::results_of(&mut conn, &row.competition).await?;
    drop(conn);
    let mut out = csv::Writer::from_writer(Vec::new());
    for r in rows(&lots) {
        out.write_record(&r)
            .map_err(|e| PageError::Internal(e.to_string()))?;
    }
    let body = out
        .into_inner()
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(crate::web::attachment(
        "text/csv; charset=utf-8",
        "results",
        &row.competition.reference,
        "csv",
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_pounds_a_spreadsheet_reads() {
        assert_eq!(pounds(123_456_789), "1234567.89");
        assert_eq!(pounds(5), "0.05");
        assert_eq!(pounds(-150), "-1.50");
        assert_eq!(rows(&[]).len(), 1, "the header row alone");
    }
}
