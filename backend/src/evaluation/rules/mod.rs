//! The engine's rules as pure functions: text limits, a competition's status, what a valid
//! questionnaire is for each outcome model, word counts, when a submission is complete,
//! its digest, pass/fail, price, and the admission decision clock. Scoring arithmetic is in
//! [`super::scoring`].
//!
//! Their unit and property tests are in `rules/tests.rs`.

use super::model::*;
use super::scoring;
use crate::calendar::{Calendar, Rule, start_of_day};
use crate::http::problem::FieldError;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Most characters in a title or one-line field.
pub const TITLE_MAX: usize = 200;
/// Most characters in a long text field.
pub const TEXT_MAX: usize = 20_000;
/// Most questions in a questionnaire.
pub const QUESTIONS_MAX: usize = 200;
/// Most lots in a competition.
pub const LOTS_MAX: usize = 20;

/// A title or other one-line field: no line breaks or other control characters, which
/// would break the line it is shown on (an email subject, a notice's heading).
pub fn is_one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// Words in a written answer: runs of non-whitespace, as word processors count them.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The facts a competition's status is derived from.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusFacts {
    pub published_at: Option<DateTime<Utc>>,
    pub submission_deadline: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl From<&Competition> for StatusFacts {
    fn from(c: &Competition) -> Self {
        Self {
            published_at: c.published_at,
            submission_deadline: c.submission_deadline,
            opened_at: c.opened_at,
            decided_at: c.decided_at,
            cancelled_at: c.cancelled_at,
        }
    }
}

/// A competition's status at `now`: the one place its lifecycle is decided. The deadline
/// itself is closed: a submission at the deadline exactly is late.
pub fn status(f: &StatusFacts, now: DateTime<Utc>) -> CompetitionStatus {
    use CompetitionStatus::*;
    if f.cancelled_at.is_some() {
        return Cancelled;
    }
    if f.decided_at.is_some() {
        return Decided;
    }
    if f.opened_at.is_some() {
        return Opened;
    }
    match f.published_at {
        None => Draft,
        Some(_) if now < f.submission_deadline => Open,
        Some(_) => Closed,
    }
}

/// The checks on a lot list.
pub fn check_lots(lots: &[LotInput]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if lots.len() > LOTS_MAX {
        errors.push(FieldError::new(
            "lots",
            format!("A competition can have at most {LOTS_MAX} lots"),
        ));
    }
    for (i, lot) in lots.iter().enumerate() {
        if lot.title.trim().is_empty()
            || lot.title.chars().count() > TITLE_MAX
            || !is_one_line(&lot.title)
        {
            errors.push(FieldError::new(
                format!("lots[{i}].title"),
                "Give each lot a title of up to 200 characters, on one line",
            ));
        }
        if lot.description.len() > TEXT_MAX {
            errors.push(FieldError::new(
                format!("lots[{i}].description"),
                "A lot's description must be 20,000 characters or fewer",
            ));
        }
    }
    errors
}

/// Checks a questionnaire and gives new questions ids. `taken` are the ids earlier versions
/// used, so a removed question's id is never reused for a different question.
pub fn normalise_questionnaire(
    q: &mut Questionnaire,
    taken: &[String],
    model: OutcomeModel,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut next = taken
        .iter()
        .chain(q.questions().map(|q| &q.id))
        .filter_map(|id| id.strip_prefix('Q').and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    let mut seen = std::collections::HashSet::new();
    let mut weights = Vec::new();
    let mut prices = 0;
    let total: usize = q.sections.iter().map(|s| s.questions.len()).sum();
    if total == 0 {
        errors.push(FieldError::new("sections", "Add at least one question"));
    }
    if total > QUESTIONS_MAX {
        errors.push(FieldError::new(
            "sections",
            format!("A questionnaire can have at most {QUESTIONS_MAX} questions"),
        ));
    }
    for (si, section) in q.sections.iter_mut().enumerate() {
        section.title = section.title.trim().to_string();
        if section.title.is_empty()
            || section.title.chars().count() > TITLE_MAX
            || !is_one_line(&section.title)
        {
            errors.push(FieldError::new(
                format!("sections[{si}].title"),
                "Enter a section title of up to 200 characters, on one line",
            ));
        }
        for (qi, question) in section.questions.iter_mut().enumerate() {
            let field = |name: &str| format!("sections[{si}].questions[{qi}].{name}");
            if question.id.is_empty() {
                next += 1;
                question.id = format!("Q{next}");
            } else if !question.id.starts_with('Q')
                || question.id[1..].parse::<u32>().is_err()
                || question.id.len() > 6
            {
                errors.push(FieldError::new(
                    field("id"),
                    "A question id looks like Q1; leave it out for a new question",
                ));
            }
            if !seen.insert(question.id.clone()) {
                errors.push(FieldError::new(
                    field("id"),
                    format!("{} is used twice", question.id),
                ));
            }
            question.title = question.title.trim().to_string();
            if question.title.is_empty()
                || question.title.chars().count() > 1000
                || !is_one_line(&question.title)
            {
                errors.push(FieldError::new(
                    field("title"),
                    "Enter the question on one line, in up to 1,000 characters",
                ));
            }
            if question.guidance.len() > TEXT_MAX {
                errors.push(FieldError::new(
                    field("guidance"),
                    "Guidance must be 20,000 characters or fewer",
                ));
            }
            let kind = question.kind;
            if !kind.fits(model) {
                errors.push(FieldError::new(
                    field("kind"),
                    match model {
                        OutcomeModel::Admission => "Admission decides pass or fail: use pass or fail, judged, information or evidence questions",
                        OutcomeModel::Ranked => "Judged questions are for admission; use a scored question",
                    },
                ));
            }
            match (kind.is_weighted(), question.weight) {
                (true, Some(w)) if (1..=100).contains(&w) => weights.push(w),
                (true, _) => errors.push(FieldError::new(
                    field("weight"),
                    "Give this question a weight from 1 to 100 percentage points",
                )),
                (false, Some(_)) => errors.push(FieldError::new(
                    field("weight"),
                    "Only scored, social value and price questions carry a weight",
                )),
                (false, None) => {}
            }
            if kind.is_price() {
                prices += 1;
            }
            match (kind.takes_text(), question.word_limit) {
                (true, Some(limit)) if !(10..=5000).contains(&limit) => {
                    errors.push(FieldError::new(
                        field("word_limit"),
                        "A word limit must be from 10 to 5,000 words",
                    ))
                }
                (false, Some(_)) => errors.push(FieldError::new(
                    field("word_limit"),
                    "Only written answers have a word limit",
                )),
                _ => {}
            }
            match (kind, question.pass_answer) {
                (QuestionKind::PassFail, None) => errors.push(FieldError::new(
                    field("pass_answer"),
                    "Say which answer passes: yes or no",
                )),
                (QuestionKind::PassFail, Some(_)) => {}
                (_, Some(_)) => errors.push(FieldError::new(
                    field("pass_answer"),
                    "Only pass or fail questions have a passing answer",
                )),
                _ => {}
            }
            if kind == QuestionKind::PriceSchedule {
                if question.bands.is_empty() || question.bands.len() > 50 {
                    errors.push(FieldError::new(
                        field("bands"),
                        "A price schedule needs from 1 to 50 bands",
                    ));
                }
                for band in &question.bands {
                    if band.label.trim().is_empty() || band.volume <= 0 || band.volume > 1_000_000 {
                        errors.push(FieldError::new(
                            field("bands"),
                            "Each band needs a name and an expected volume from 1 to 1,000,000",
                        ));
                        break;
                    }
                }
            } else if !question.bands.is_empty() {
                errors.push(FieldError::new(
                    field("bands"),
                    "Only price schedules have bands",
                ));
            }
        }
    }
    if prices > 1 {
        errors.push(FieldError::new(
            "sections",
            "A questionnaire can have only one price or price schedule question",
        ));
    }
    // Only a ranked competition is weighted; admission has no weights at all.
    if total > 0
        && model == OutcomeModel::Ranked
        && let Err(e) = scoring::check_weights(&weights)
    {
        errors.push(FieldError::new("sections", format!("The {e}")));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks an answer's shape against its question (for drafts: limits are checked on
/// submission, so a bidder can save work in progress).
pub fn check_answer_shape(question: &Question, answer: &Answer) -> Result<(), String> {
    if let Some(text) = &answer.text
        && text.len() > 100_000
    {
        return Err("This answer is too long to save".into());
    }
    if let Some(price) = answer.price_pence
        && !(0..=1_000_000_000_000).contains(&price)
    {
        return Err("Enter a price from £0 to £10,000,000,000".into());
    }
    if let Some(rates) = &answer.rates_pence {
        if question.kind != QuestionKind::PriceSchedule || rates.len() != question.bands.len() {
            return Err(format!(
                "Give one rate for each of the {} bands",
                question.bands.len()
            ));
        }
        if rates.iter().any(|r| !(0..=100_000_000).contains(r)) {
            return Err("Each rate must be from £0 to £1,000,000".into());
        }
    }
    Ok(())
}

/// Why a submission cannot be submitted yet, per question.
pub fn incomplete(
    questionnaire: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
    files_for: impl Fn(&str) -> usize,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let empty = Answer::default();
    for q in questionnaire.questions() {
        let a = answers.get(&q.id).unwrap_or(&empty);
        let problem = match q.kind {
            QuestionKind::PassFail if a.choice.is_none() => Some("Answer yes or no".to_string()),
            QuestionKind::Scored
            | QuestionKind::SocialValue
            | QuestionKind::Information
            | QuestionKind::Judged => {
                let text = a.text.as_deref().unwrap_or("").trim();
                let words = word_count(text);
                match q.word_limit {
                    _ if text.is_empty() => Some("Write an answer".to_string()),
                    Some(limit) if words > limit as usize => Some(format!(
                        "Your answer has {words} words; the limit is {limit}"
                    )),
                    _ => None,
                }
            }
            QuestionKind::Price => match a.price_pence {
                Some(p) if p > 0 => None,
                _ => Some("Enter a price of more than £0".to_string()),
            },
            QuestionKind::PriceSchedule => match &a.rates_pence {
                Some(r) if r.len() == q.bands.len() && r.iter().all(|x| *x > 0) => None,
                _ => Some("Enter a rate of more than £0 for every band".to_string()),
            },
            QuestionKind::Evidence if files_for(&q.id) == 0 => {
                Some("Upload at least one file".to_string())
            }
            _ => None,
        };
        if let Some(p) = problem {
            errors.push(FieldError::new(q.id.clone(), format!("{}: {p}", q.id)));
        }
    }
    errors
}

/// A SHA-256 digest of exactly what was submitted: the questionnaire version, every answer
/// and every file's digest, in a canonical order. The receipt quotes it; it reveals nothing.
pub fn digest(
    version: i32,
    answers: &BTreeMap<String, Answer>,
    files: &[(String, String)],
) -> String {
    let mut files = files.to_vec();
    files.sort();
    let canonical = serde_json::json!({"version": version, "answers": answers, "files": files});
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Whether a pass/fail answer passes.
pub fn passes(question: &Question, answer: Option<&Answer>) -> bool {
    question.kind != QuestionKind::PassFail || answer.and_then(|a| a.choice) == question.pass_answer
}

/// The answers that decide, without marks, whether a bid is excluded ([`passes`]) and
/// what it costs ([`bid_price`]): the pass/fail and price answers. Sealing a bid copies
/// them beside the sealed document, so that lists and results read only these.
pub fn deciding_answers(
    questionnaire: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
) -> BTreeMap<String, Answer> {
    questionnaire
        .questions()
        .filter(|q| q.kind == QuestionKind::PassFail || q.kind.is_price())
        .filter_map(|q| Some((q.id.clone(), answers.get(&q.id)?.clone())))
        .collect()
}

/// The bid's price in pence: the price answer, or the schedule's weighted basket.
pub fn bid_price(questionnaire: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Option<i64> {
    let q = questionnaire.questions().find(|q| q.kind.is_price())?;
    let a = answers.get(&q.id)?;
    match q.kind {
        QuestionKind::Price => a.price_pence,
        _ => {
            let rates = a.rates_pence.as_ref()?;
            let pairs: Vec<(i64, i64)> = rates
                .iter()
                .zip(&q.bands)
                .map(|(r, b)| (*r, b.volume))
                .collect();
            Some(scoring::basket_price(&pairs))
        }
    }
}

/// Where an application's decision clock is (admission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionClock {
    /// When the decision is due; `None` while the clock is stopped.
    pub due: Option<DateTime<Utc>>,
    /// Working days the clock has been stopped by answered clarification requests.
    pub stopped_days: u32,
    /// Whether a clarification request is waiting for the provider now.
    pub stopped: bool,
    /// Due and not decided by `now`.
    pub overdue: bool,
}

/// The decision clock (DOMAIN.md: decisions are due within `working_days` working days of
/// the cut-off; a clarification request stops the clock until the provider answers). Each
/// request adds the working days from the day it was asked up to the day before it was
/// answered, so one answered the same day costs nothing. The decision is due at the end
/// (midnight, London) of the last working day.
pub fn decision_clock(
    calendar: &Calendar,
    deadline: DateTime<Utc>,
    working_days: u32,
    requests: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    now: DateTime<Utc>,
) -> anyhow::Result<DecisionClock> {
    let day = |t: DateTime<Utc>| t.with_timezone(&London).date_naive();
    let mut stopped_days = 0;
    let mut stopped = false;
    for (asked, answered) in requests {
        match answered {
            None => stopped = true,
            Some(answered) => {
                let mut d = day(*asked);
                while d < day(*answered) {
                    if calendar.is_working_day(d, Rule::Statutory)? {
                        stopped_days += 1;
                    }
                    d += Duration::days(1);
                }
            }
        }
    }
    if stopped {
        return Ok(DecisionClock {
            due: None,
            stopped_days,
            stopped,
            overdue: false,
        });
    }
    let last =
        calendar.add_working_days(day(deadline), working_days + stopped_days, Rule::Statutory)?;
    let due = start_of_day(last + Duration::days(1));
    Ok(DecisionClock {
        due: Some(due),
        stopped_days,
        stopped,
        overdue: now >= due,
    })
}

#[cfg(test)]
mod tests;
