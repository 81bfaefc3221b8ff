//! The evaluation engine's rules as pure functions: what a valid procurement and
//! questionnaire are, a procurement's status, word counts, when a submission is complete,
//! its digest, pass/fail and price. Scoring arithmetic is in [`super::scoring`].

use super::model::*;
use super::scoring;
use crate::http::problem::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The facts a procurement's status is derived from.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusFacts {
    pub published_at: Option<DateTime<Utc>>,
    pub submission_deadline: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub standstill_ends_at: Option<DateTime<Utc>>,
    pub contract_entered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// A procurement's status at `now`: the one place the lifecycle is decided.
pub fn status(f: &StatusFacts, now: DateTime<Utc>) -> ProcurementStatus {
    use ProcurementStatus::*;
    if f.cancelled_at.is_some() {
        return Cancelled;
    }
    if f.contract_entered_at.is_some() {
        return ContractEntered;
    }
    if f.awarded_at.is_some() {
        return match f.standstill_ends_at {
            Some(end) if now < end => Standstill,
            _ => AwaitingContract,
        };
    }
    if f.opened_at.is_some() {
        return InEvaluation;
    }
    match f.published_at {
        None => Draft,
        Some(_) if now < f.submission_deadline => Open,
        Some(_) => Closed,
    }
}

/// Words in a written answer: runs of non-whitespace, as word processors count them.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Most characters in a title or one-line field.
pub const TITLE_MAX: usize = 200;

/// A title or other one-line field: no line breaks or other control characters, which
/// would break the line it is shown on (an email subject, a notice's heading).
pub fn is_one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}
/// Most characters in a long text field.
pub const TEXT_MAX: usize = 20_000;
/// Most questions in a questionnaire.
pub const QUESTIONS_MAX: usize = 200;

/// Checks a procurement's fields; `now` is used to refuse deadlines already past.
#[allow(clippy::too_many_arguments)]
pub fn check_procurement(
    title: &str,
    reference: &str,
    description: &str,
    clarification_deadline: DateTime<Utc>,
    submission_deadline: DateTime<Utc>,
    planned_award_date: NaiveDate,
    regime: Regime,
    light_touch: bool,
    standstill_working_days: i32,
    now: DateTime<Utc>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if title.trim().is_empty() {
        errors.push(FieldError::new("title", "Enter a title"));
    } else if title.chars().count() > TITLE_MAX {
        errors.push(FieldError::new(
            "title",
            format!("Title must be {TITLE_MAX} characters or fewer"),
        ));
    } else if !is_one_line(title) {
        errors.push(FieldError::new(
            "title",
            "Title must be one line, without line breaks",
        ));
    }
    let reference_ok = !reference.is_empty()
        && reference.len() <= 40
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/');
    if !reference_ok {
        errors.push(FieldError::new(
            "reference",
            "Enter a reference of up to 40 letters, numbers, hyphens or slashes, like WCC-2026-014",
        ));
    }
    if description.trim().is_empty() {
        errors.push(FieldError::new("description", "Enter a description"));
    } else if description.len() > TEXT_MAX {
        errors.push(FieldError::new(
            "description",
            "Description must be 20,000 characters or fewer",
        ));
    }
    if clarification_deadline >= submission_deadline {
        errors.push(FieldError::new(
            "clarification_deadline",
            "The clarification deadline must be before the submission deadline",
        ));
    }
    if submission_deadline <= now {
        errors.push(FieldError::new(
            "submission_deadline",
            "The submission deadline must be in the future",
        ));
    }
    if planned_award_date < submission_deadline.date_naive() {
        errors.push(FieldError::new(
            "planned_award_date",
            "The planned award date must be on or after the submission deadline",
        ));
    }
    // DOMAIN.md: standstill is mandatory (8 working days) above threshold under PA2023
    // unless light-touch, where it is voluntary.
    if !(0..=30).contains(&standstill_working_days) {
        errors.push(FieldError::new(
            "standstill_working_days",
            "Standstill must be from 0 to 30 working days",
        ));
    } else if regime == Regime::Pa2023 && !light_touch && standstill_working_days < 8 {
        errors.push(FieldError::new(
            "standstill_working_days",
            "Standstill must be at least 8 working days for a procurement that is not light-touch",
        ));
    }
    errors
}

/// Checks a questionnaire and gives new questions ids. `taken` are the ids earlier versions
/// used, so a removed question's id is never reused for a different question.
pub fn normalise_questionnaire(
    q: &mut Questionnaire,
    taken: &[String],
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
    if total > 0
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
            QuestionKind::Scored | QuestionKind::SocialValue | QuestionKind::Information => {
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

/// Pence as pounds, "£1,234.56".
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    fn question(id: &str, kind: QuestionKind, weight: Option<u32>) -> Question {
        Question {
            id: id.into(),
            kind,
            title: format!("Question {id}"),
            guidance: String::new(),
            word_limit: None,
            weight,
            pass_answer: (kind == QuestionKind::PassFail).then_some(true),
            bands: if kind == QuestionKind::PriceSchedule {
                vec![
                    Band {
                        label: "Day".into(),
                        volume: 30,
                    },
                    Band {
                        label: "Night".into(),
                        volume: 10,
                    },
                ]
            } else {
                vec![]
            },
        }
    }

    fn questionnaire(questions: Vec<Question>) -> Questionnaire {
        Questionnaire {
            sections: vec![Section {
                title: "Quality".into(),
                questions,
            }],
        }
    }

    #[test]
    fn status_follows_the_lifecycle() {
        let mut f = StatusFacts {
            submission_deadline: at(12),
            ..Default::default()
        };
        assert_eq!(status(&f, at(9)), ProcurementStatus::Draft);
        f.published_at = Some(at(8));
        assert_eq!(status(&f, at(9)), ProcurementStatus::Open);
        // The deadline itself is closed: a bid at 12:00:00 exactly is late.
        assert_eq!(status(&f, at(12)), ProcurementStatus::Closed);
        f.opened_at = Some(at(13));
        assert_eq!(status(&f, at(14)), ProcurementStatus::InEvaluation);
        f.awarded_at = Some(at(15));
        f.standstill_ends_at = Some(at(20));
        assert_eq!(status(&f, at(19)), ProcurementStatus::Standstill);
        assert_eq!(status(&f, at(20)), ProcurementStatus::AwaitingContract);
        f.contract_entered_at = Some(at(21));
        assert_eq!(status(&f, at(22)), ProcurementStatus::ContractEntered);
        f.cancelled_at = Some(at(22));
        assert_eq!(status(&f, at(23)), ProcurementStatus::Cancelled);
    }

    /// Property: with the facts fixed, time only moves a procurement forward through its
    /// lifecycle (draft → open → closed → in evaluation → standstill → awaiting contract).
    #[test]
    fn status_never_goes_backwards_as_time_passes() {
        use rand::{Rng, SeedableRng};
        let order = |s: ProcurementStatus| {
            [
                ProcurementStatus::Draft,
                ProcurementStatus::Open,
                ProcurementStatus::Closed,
                ProcurementStatus::InEvaluation,
                ProcurementStatus::Standstill,
                ProcurementStatus::AwaitingContract,
                ProcurementStatus::ContractEntered,
                ProcurementStatus::Cancelled,
            ]
            .iter()
            .position(|x| *x == s)
            .unwrap()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let base = at(0);
        for _ in 0..2000 {
            let mut t = |p: f64| {
                rng.random_bool(p)
                    .then(|| base + chrono::Duration::hours(rng.random_range(0..200)))
            };
            let f = StatusFacts {
                published_at: t(0.8),
                submission_deadline: base + chrono::Duration::hours(50),
                opened_at: t(0.5),
                awarded_at: t(0.4),
                standstill_ends_at: t(0.4),
                contract_entered_at: t(0.1),
                cancelled_at: t(0.05),
            };
            let mut last = 0;
            for h in 0..220 {
                let now = base + chrono::Duration::hours(h);
                let position = order(status(&f, now));
                assert!(position >= last, "{f:?} went backwards at hour {h}");
                last = position;
            }
        }
    }

    #[test]
    fn words_are_counted_like_a_word_processor() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("  one\ttwo\nthree  "), 3);
        assert_eq!(word_count("person-centred care, always."), 3);
    }

    #[test]
    fn questionnaire_weights_must_total_100_and_ids_are_assigned() {
        let mut q = questionnaire(vec![
            question("", QuestionKind::PassFail, None),
            question("", QuestionKind::Scored, Some(60)),
            question("", QuestionKind::Price, Some(30)),
            question("", QuestionKind::SocialValue, Some(10)),
        ]);
        normalise_questionnaire(&mut q, &["Q7".into()]).unwrap();
        let ids: Vec<_> = q.questions().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            ["Q8", "Q9", "Q10", "Q11"],
            "removed Q7 is never reused"
        );

        let mut bad = questionnaire(vec![
            question("", QuestionKind::Scored, Some(60)),
            question("", QuestionKind::Price, Some(30)),
        ]);
        let errors = normalise_questionnaire(&mut bad, &[]).unwrap_err();
        assert!(
            errors.iter().any(|e| e.message.contains("add up to 90%")),
            "{errors:?}"
        );
    }

    #[test]
    fn questionnaire_refuses_misplaced_fields() {
        let mut info = question("Q1", QuestionKind::Information, Some(100));
        info.word_limit = Some(5);
        let mut pf = question("Q2", QuestionKind::PassFail, None);
        pf.pass_answer = None;
        let mut q = questionnaire(vec![
            info,
            pf,
            question("Q3", QuestionKind::Price, Some(50)),
            question("Q4", QuestionKind::PriceSchedule, Some(50)),
            question("Q4", QuestionKind::Evidence, None),
        ]);
        let errors = normalise_questionnaire(&mut q, &[]).unwrap_err();
        let text = format!("{errors:?}");
        for expected in [
            "Only scored, social value and price questions carry a weight",
            "from 10 to 5,000 words",
            "Say which answer passes",
            "only one price",
            "Q4 is used twice",
        ] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }
        assert!(normalise_questionnaire(&mut Questionnaire::default(), &[]).is_err());
    }

    #[test]
    fn incomplete_submissions_say_what_is_missing() {
        let mut scored = question("Q2", QuestionKind::Scored, Some(70));
        scored.word_limit = Some(10);
        let q = questionnaire(vec![
            question("Q1", QuestionKind::PassFail, None),
            scored,
            question("Q3", QuestionKind::PriceSchedule, Some(30)),
            question("Q4", QuestionKind::Evidence, None),
        ]);
        let mut answers = BTreeMap::new();
        answers.insert(
            "Q2".to_string(),
            Answer {
                text: Some("word ".repeat(11)),
                ..Default::default()
            },
        );
        let errors = incomplete(&q, &answers, |_| 0);
        let text = format!("{errors:?}");
        assert_eq!(errors.len(), 4, "{text}");
        assert!(text.contains("11 words; the limit is 10"));

        answers.insert(
            "Q1".into(),
            Answer {
                choice: Some(false),
                ..Default::default()
            },
        );
        answers.insert(
            "Q2".into(),
            Answer {
                text: Some("Ten words or fewer here".into()),
                ..Default::default()
            },
        );
        answers.insert(
            "Q3".into(),
            Answer {
                rates_pence: Some(vec![2500, 3000]),
                ..Default::default()
            },
        );
        assert!(incomplete(&q, &answers, |_| 1).is_empty());
        // Answering "No" to a question that needs "Yes" is complete, but fails.
        assert!(!passes(q.question("Q1").unwrap(), answers.get("Q1")));
        // The schedule's basket: 30 × £25 + 10 × £30 = £1,050.
        assert_eq!(bid_price(&q, &answers), Some(105_000));
    }

    #[test]
    fn the_digest_changes_with_any_answer_and_not_with_file_order() {
        let mut a = BTreeMap::new();
        a.insert(
            "Q1".to_string(),
            Answer {
                text: Some("x".into()),
                ..Default::default()
            },
        );
        let files = vec![
            ("Q2".to_string(), "aa".to_string()),
            ("Q2".to_string(), "bb".to_string()),
        ];
        let reversed: Vec<_> = files.iter().rev().cloned().collect();
        let d1 = digest(1, &a, &files);
        assert_eq!(d1, digest(1, &a, &reversed));
        assert_ne!(d1, digest(2, &a, &files));
        a.insert(
            "Q1".to_string(),
            Answer {
                text: Some("y".into()),
                ..Default::default()
            },
        );
        assert_ne!(d1, digest(1, &a, &files));
        assert_eq!(d1.len(), 64);
    }

    #[test]
    fn procurement_checks_deadlines_and_standstill() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        let ok = check_procurement(
            "Home care",
            "WCC-1",
            "Care at home",
            at(9),
            at(12),
            d,
            Regime::Pa2023,
            true,
            8,
            at(8),
        );
        assert!(ok.is_empty(), "{ok:?}");
        let bad = check_procurement(
            "",
            "bad ref!",
            "",
            at(12),
            at(9),
            d,
            Regime::Pa2023,
            false,
            5,
            at(10),
        );
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "reference",
                "description",
                "clarification_deadline",
                "submission_deadline",
                "standstill_working_days"
            ]
        );
    }

    #[test]
    fn pounds_are_grouped() {
        assert_eq!(pounds(123_456_789), "£1,234,567.89");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(100_000), "£1,000.00");
    }
}
