//! Scoring rules of the evaluation engine (DOMAIN.md, "The evaluation engine"), as pure
//! functions in exact arithmetic so that ties are real ties and every figure can be shown
//! with its working.
//!
//! - Criteria weights are whole percentage points and sum to 100.
//! - A scored question is marked 0–5; its weighted score is score / 5 × weight.
//! - The price score is lowest compliant price / this price × price weight.
//! - Minimum quality threshold (default): any scored question below 2, or a quality total
//!   below 50 % of the quality weight, excludes the bid.
//! - A price below 85 % of the median compliant price is flagged as abnormally low for a
//!   documented check, never excluded automatically.
//! - The most advantageous tender has the highest total; ties go to the higher quality
//!   score, then the lower price, then the earlier final submission.

use std::cmp::Ordering;
use std::fmt;

/// An exact non-negative fraction.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

impl Ratio {
    /// `num / den`; `den` must not be 0.
    pub fn new(num: i128, den: i128) -> Self {
        assert!(den != 0, "a ratio's denominator cannot be 0");
        let sign = if den < 0 { -1 } else { 1 };
        let g = gcd(num, den).max(1);
        Self {
            num: sign * num / g,
            den: sign * den / g,
        }
    }

    /// A whole number.
    pub fn whole(n: i128) -> Self {
        Self { num: n, den: 1 }
    }

    /// Zero.
    pub fn zero() -> Self {
        Self::whole(0)
    }

    /// The sum.
    pub fn plus(self, other: Ratio) -> Ratio {
        Ratio::new(
            self.num * other.den + other.num * self.den,
            self.den * other.den,
        )
    }

    /// The product.
    pub fn times(self, other: Ratio) -> Ratio {
        Ratio::new(self.num * other.num, self.den * other.den)
    }

    /// Rounded to two decimal places (half away from zero), for display.
    pub fn to_2dp(self) -> String {
        let hundredths = (self.num * 200 + self.den.signum() * self.den) / (2 * self.den);
        let (whole, frac) = (hundredths / 100, (hundredths % 100).abs());
        format!("{whole}.{frac:02}")
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ratio {}
impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_2dp())
    }
}

/// What is wrong with a scoring set-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("the weights add up to {0}%; they must add up to 100%")]
    WeightsNot100(u32),
    #[error("a score must be a whole number from 0 to 5 (got {0})")]
    ScoreOutOfRange(i32),
    #[error("a price must be more than £0.00")]
    PriceNotPositive,
}

/// A moderated score, 0 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score(u8);

impl Score {
    /// The lowest score that passes the default minimum quality threshold.
    pub const THRESHOLD: Score = Score(2);

    /// A score from 0 to 5.
    pub fn new(value: i32) -> Result<Self, ScoringError> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 5)
            .map(Score)
            .ok_or(ScoringError::ScoreOutOfRange(value))
    }

    /// The number.
    pub fn value(self) -> u8 {
        self.0
    }

    /// What the default scale calls it.
    pub fn meaning(self) -> &'static str {
        [
            "no answer or unacceptable",
            "serious concerns",
            "some concerns",
            "acceptable",
            "good",
            "excellent",
        ][self.0 as usize]
    }
}

/// Checks that criteria weights (whole percentage points) add up to 100.
pub fn check_weights(weights: &[u32]) -> Result<(), ScoringError> {
    let total: u32 = weights.iter().sum();
    if total == 100 {
        Ok(())
    } else {
        Err(ScoringError::WeightsNot100(total))
    }
}

/// score / 5 × weight.
pub fn weighted_score(score: Score, weight: u32) -> Ratio {
    Ratio::new(i128::from(score.0) * i128::from(weight), 5)
}

/// lowest / price × weight (prices in pence).
pub fn price_score(lowest: i64, price: i64, weight: u32) -> Result<Ratio, ScoringError> {
    if lowest <= 0 || price <= 0 {
        return Err(ScoringError::PriceNotPositive);
    }
    Ok(Ratio::new(
        i128::from(lowest) * i128::from(weight),
        i128::from(price),
    ))
}

/// The price of a schedule of rates: Σ rate × weighting (the council's expected volumes).
pub fn basket_price(rates: &[(i64, i64)]) -> i64 {
    rates.iter().map(|(rate, volume)| rate * volume).sum()
}

/// Whether a criterion is quality (counted for the threshold and the first tie-break) or
/// social value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Quality,
    SocialValue,
}

/// One scored question's moderated mark.
#[derive(Debug, Clone)]
pub struct Mark {
    pub question: String,
    pub kind: Kind,
    pub weight: u32,
    pub score: Score,
}

/// A bid to evaluate.
#[derive(Debug, Clone)]
pub struct Bid {
    pub bidder: String,
    pub marks: Vec<Mark>,
    /// Price in pence (a schedule's basket price), if the bid was priced.
    pub price: i64,
    /// Failed a pass/fail question or a mandatory exclusion ground.
    pub failed_pass_fail: bool,
    /// When the final submission was made (Unix microseconds), for the last tie-break.
    pub submitted_at: i64,
}

/// Why a bid was excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    PassFail,
    QuestionBelowThreshold { question: String, score: u8 },
    QualityBelowHalf,
}

/// A bid's evaluation, with the working behind it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub bidder: String,
    pub quality: Ratio,
    pub social_value: Ratio,
    pub price: Option<Ratio>,
    /// Quality + social value + price; `None` for an excluded bid, which has no total
    /// (docs/guides/scoring.md), only the reason it is excluded.
    pub total: Option<Ratio>,
    pub excluded: Option<Exclusion>,
    pub abnormally_low: bool,
    pub rank: Option<u32>,
    pub working: Vec<String>,
}

fn pounds(pence: i64) -> String {
    crate::money::Pence(pence).to_string()
}

/// Evaluates and ranks bids with the default thresholds. `quality_weight` is the sum of
/// the quality questions' weights; `price_weight` the price criterion's weight.
pub fn evaluate(
    bids: &[Bid],
    quality_weight: u32,
    price_weight: u32,
) -> Result<Vec<Evaluation>, ScoringError> {
    let mut out: Vec<Evaluation> = Vec::with_capacity(bids.len());
    for bid in bids {
        if bid.price <= 0 {
            return Err(ScoringError::PriceNotPositive);
        }
        let mut working = Vec::new();
        let (mut quality, mut social_value) = (Ratio::zero(), Ratio::zero());
        let mut excluded = bid.failed_pass_fail.then_some(Exclusion::PassFail);
        for mark in &bid.marks {
            let points = weighted_score(mark.score, mark.weight);
            working.push(format!(
                "{}: {} of 5 ({}) × {}% = {}",
                mark.question,
                mark.score.0,
                mark.score.meaning(),
                mark.weight,
                points
            ));
            match mark.kind {
                Kind::Quality => {
                    quality = quality.plus(points);
                    if mark.score < Score::THRESHOLD && excluded.is_none() {
                        excluded = Some(Exclusion::QuestionBelowThreshold {
                            question: mark.question.clone(),
                            score: mark.score.0,
                        });
                    }
                }
                Kind::SocialValue => social_value = social_value.plus(points),
            }
        }
        if excluded.is_none() && quality < Ratio::new(i128::from(quality_weight), 2) {
            excluded = Some(Exclusion::QualityBelowHalf);
        }
        working.push(format!("Quality total: {quality} of {quality_weight}"));
        out.push(Evaluation {
            bidder: bid.bidder.clone(),
            quality,
            social_value,
            price: None,
            total: None,
            excluded,
            abnormally_low: false,
            rank: None,
            working,
        });
    }
    // Price scores among compliant bids only.
    let compliant: Vec<usize> = (0..bids.len())
        .filter(|i| out[*i].excluded.is_none())
        .collect();
    let mut prices: Vec<i64> = compliant.iter().map(|i| bids[*i].price).collect();
    prices.sort_unstable();
    if let Some(&lowest) = prices.first() {
        // Median of the compliant prices (the mean of the middle two for an even count).
        let n = prices.len();
        let median2 = if n % 2 == 1 {
            2 * i128::from(prices[n / 2])
        } else {
            i128::from(prices[n / 2 - 1]) + i128::from(prices[n / 2])
        };
        for &i in &compliant {
            let price = bids[i].price;
            let score = price_score(lowest, price, price_weight)?;
            let e = &mut out[i];
            e.working.push(format!(
                "Price: lowest compliant {} / this {} × {}% = {}",
                pounds(lowest),
                pounds(price),
                price_weight,
                score
            ));
            // price < 85% of the median  ⇔  200 × price < 85 × (2 × median)
            e.abnormally_low = 200 * i128::from(price) < 85 * median2;
            if e.abnormally_low {
                e.working.push("Price is below 85% of the median compliant price: check it is sustainable before award".into());
            }
            let total = e.quality.plus(e.social_value).plus(score);
            e.total = Some(total);
            e.price = Some(score);
            e.working.push(format!(
                "Total: quality {} + social value {} + price {} = {}",
                e.quality, e.social_value, score, total
            ));
        }
    }
    // Rank: total, then quality, then lower price, then earlier submission.
    let mut order = compliant;
    order.sort_by(|&a, &b| {
        out[b]
            .total
            .cmp(&out[a].total)
            .then(out[b].quality.cmp(&out[a].quality))
            .then(bids[a].price.cmp(&bids[b].price))
            .then(bids[a].submitted_at.cmp(&bids[b].submitted_at))
    });
    for (position, i) in order.iter().enumerate() {
        out[*i].rank = Some(position as u32 + 1);
    }
    Ok(out)
}

#[cfg(test)]
// Prices in pence are written as pounds_pence (2_000_00 is £2,000.00).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn mark(q: &str, kind: Kind, weight: u32, score: i32) -> Mark {
        Mark {
            question: q.into(),
            kind,
            weight,
            score: Score::new(score).unwrap(),
        }
    }

    fn bid(name: &str, scores: [i32; 3], price: i64, at: i64) -> Bid {
        Bid {
            bidder: name.into(),
            marks: vec![
                mark("Q1 Safeguarding", Kind::Quality, 30, scores[0]),
                mark("Q2 Workforce", Kind::Quality, 30, scores[1]),
                mark("SV1 Local jobs", Kind::SocialValue, 10, scores[2]),
            ],
            price,
            failed_pass_fail: false,
            submitted_at: at,
        }
    }

    #[test]
    fn weights_must_total_100() {
        assert!(check_weights(&[60, 30, 10]).is_ok());
        assert_eq!(
            check_weights(&[60, 30]),
            Err(ScoringError::WeightsNot100(90))
        );
        assert_eq!(
            check_weights(&[60, 30, 20]),
            Err(ScoringError::WeightsNot100(110))
        );
    }

    #[test]
    fn scores_are_0_to_5() {
        assert!(Score::new(5).is_ok() && Score::new(0).is_ok());
        assert_eq!(Score::new(6), Err(ScoringError::ScoreOutOfRange(6)));
        assert_eq!(Score::new(-1), Err(ScoringError::ScoreOutOfRange(-1)));
    }

    /// DOMAIN.md: "Weighted question score = score / 5 × question weight"; "lowest compliant
    /// price / this price × price weight".
    #[test]
    fn the_worked_example() {
        let bids = [
            bid("Bright Care", [4, 3, 5], 2_000_00, 2),
            bid("Meadow Homes", [5, 4, 2], 2_500_00, 1),
        ];
        let e = evaluate(&bids, 60, 30).unwrap();
        // Bright: 4/5×30 + 3/5×30 = 42 quality, 10 social value, 30 price = 82.
        assert_eq!(e[0].quality, Ratio::whole(42));
        assert_eq!(e[0].price, Some(Ratio::whole(30)));
        assert_eq!(e[0].total, Some(Ratio::whole(82)));
        // Meadow: 30 + 24 = 54 quality, 4 social value, 2000/2500 × 30 = 24 price = 82.
        assert_eq!(e[1].total, Some(Ratio::whole(82)));
        // A tie on total goes to the higher quality score.
        assert_eq!((e[0].rank, e[1].rank), (Some(2), Some(1)));
        assert!(
            e[1].working
                .iter()
                .any(|w| w == "Price: lowest compliant £2,000.00 / this £2,500.00 × 30% = 24.00")
        );
    }

    #[test]
    fn thresholds_exclude_and_excluded_prices_do_not_set_the_lowest() {
        let bids = [
            bid("Low quality", [1, 5, 5], 1_000_00, 1), // a question below 2
            bid("Half", [2, 2, 5], 1_500_00, 2),        // 24 of 60 < 30
            bid("Good", [4, 4, 3], 2_000_00, 3),
        ];
        let e = evaluate(&bids, 60, 30).unwrap();
        assert_eq!(
            e[0].excluded,
            Some(Exclusion::QuestionBelowThreshold {
                question: "Q1 Safeguarding".into(),
                score: 1
            })
        );
        assert_eq!(e[1].excluded, Some(Exclusion::QualityBelowHalf));
        assert_eq!(
            e[2].price,
            Some(Ratio::whole(30)),
            "the only compliant bid sets the lowest price"
        );
        assert_eq!((e[0].rank, e[1].rank, e[2].rank), (None, None, Some(1)));
        assert_eq!(
            (e[0].total, e[1].total),
            (None, None),
            "excluded bids have no total"
        );
        let mut failed = bid("Failed", [5, 5, 5], 2_000_00, 4);
        failed.failed_pass_fail = true;
        assert_eq!(
            evaluate(&[failed], 60, 30).unwrap()[0].excluded,
            Some(Exclusion::PassFail)
        );
    }

    #[test]
    fn abnormally_low_prices_are_flagged_not_excluded() {
        let bids = [
            bid("A", [4, 4, 4], 1_600_00, 1),
            bid("B", [4, 4, 4], 2_000_00, 2),
            bid("C", [4, 4, 4], 2_100_00, 3),
        ];
        let e = evaluate(&bids, 60, 30).unwrap();
        // Median £2000; 85% is £1700; £1600 is below it.
        assert!(e[0].abnormally_low && !e[1].abnormally_low && !e[2].abnormally_low);
        assert_eq!(e[0].rank, Some(1));
    }

    #[test]
    fn later_tie_breaks_are_lower_price_then_earlier_submission() {
        // Same quality and total: the lower price would win, but equal totals with equal
        // quality need equal price scores, so only the submission time can separate them.
        let a = bid("Later", [4, 4, 4], 2_000_00, 20);
        let b = bid("Earlier", [4, 4, 4], 2_000_00, 10);
        let e = evaluate(&[a, b], 60, 30).unwrap();
        assert_eq!((e[0].rank, e[1].rank), (Some(2), Some(1)));
    }

    #[test]
    fn exact_arithmetic_keeps_thirds_exact() {
        let x = price_score(1, 3, 30).unwrap(); // 10
        assert_eq!(x, Ratio::whole(10));
        let third = Ratio::new(100, 3);
        assert_eq!(third.to_2dp(), "33.33");
        assert_eq!(Ratio::new(200, 3).to_2dp(), "66.67");
        assert_eq!(third.plus(third).plus(third), Ratio::whole(100));
        assert_eq!(basket_price(&[(1_000_00, 3), (1_200_00, 1)]), 4_200_00);
        assert_eq!(price_score(0, 10, 30), Err(ScoringError::PriceNotPositive));
    }

    /// Properties over random tenders: every total is within 0..=100; the lowest compliant
    /// price gets the whole price weight; ranks are 1..=n over compliant bids and follow
    /// the totals.
    #[test]
    fn property_scores_are_bounded_and_ranks_follow_totals() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(60_30_10);
        for _ in 0..300 {
            let n = rng.random_range(1..12);
            let bids: Vec<Bid> = (0..n)
                .map(|i| {
                    bid(
                        &format!("B{i}"),
                        [
                            rng.random_range(0..=5),
                            rng.random_range(0..=5),
                            rng.random_range(0..=5),
                        ],
                        rng.random_range(50_000..500_000),
                        i,
                    )
                })
                .collect();
            let e = evaluate(&bids, 60, 30).unwrap();
            let compliant: Vec<&Evaluation> = e.iter().filter(|x| x.excluded.is_none()).collect();
            for x in &compliant {
                let total = x.total.unwrap();
                assert!(total >= Ratio::zero() && total <= Ratio::whole(100));
                let p = x.price.unwrap();
                assert!(p > Ratio::zero() && p <= Ratio::whole(30));
            }
            let mut ranks: Vec<u32> = compliant.iter().map(|x| x.rank.unwrap()).collect();
            ranks.sort_unstable();
            assert_eq!(ranks, (1..=compliant.len() as u32).collect::<Vec<_>>());
            if let Some(cheapest) = compliant
                .iter()
                .min_by_key(|x| bids.iter().find(|b| b.bidder == x.bidder).unwrap().price)
            {
                assert_eq!(cheapest.price, Some(Ratio::whole(30)));
            }
            for a in &compliant {
                for b in &compliant {
                    if a.total > b.total {
                        assert!(a.rank < b.rank);
                    }
                }
            }
            assert!(
                e.iter()
                    .filter(|x| x.excluded.is_some())
                    .all(|x| x.rank.is_none())
            );
        }
    }
}
