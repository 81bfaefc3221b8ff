//! The engine's rules as pure functions: text limits, a competition's status, what a valid
//! questionnaire is for each outcome model, word counts, when a submission is complete,
//! its digest, pass/fail, price, and the admission decision clock. Scoring arithmetic is in
//! [`super::scoring`].
//!
//! Over 600 lines only with its tests: the rules are about 460 lines, and their unit tests
//! stay beside them, as for every pure rule here.

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
        assert_eq!(status(&f, at(9)), CompetitionStatus::Draft);
        f.published_at = Some(at(8));
        assert_eq!(status(&f, at(9)), CompetitionStatus::Open);
        // The deadline itself is closed: a bid at 12:00:00 exactly is late.
        assert_eq!(status(&f, at(12)), CompetitionStatus::Closed);
        f.opened_at = Some(at(13));
        assert_eq!(status(&f, at(14)), CompetitionStatus::Opened);
        f.decided_at = Some(at(15));
        assert_eq!(status(&f, at(16)), CompetitionStatus::Decided);
        f.cancelled_at = Some(at(17));
        assert_eq!(status(&f, at(18)), CompetitionStatus::Cancelled);
    }

    #[test]
    fn the_deciding_answers_are_the_pass_fail_and_price_ones_and_decide_alike() {
        let q = questionnaire(vec![
            question("Q1", QuestionKind::PassFail, None),
            question("Q2", QuestionKind::Scored, Some(60)),
            question("Q3", QuestionKind::PriceSchedule, Some(40)),
        ]);
        let answer = |json: serde_json::Value| -> Answer { serde_json::from_value(json).unwrap() };
        let all: BTreeMap<String, Answer> = [
            (
                "Q1".to_string(),
                answer(serde_json::json!({"choice": false})),
            ),
            (
                "Q2".to_string(),
                answer(serde_json::json!({"text": "A long answer"})),
            ),
            (
                "Q3".to_string(),
                answer(serde_json::json!({"rates_pence": [2400, 3000]})),
            ),
        ]
        .into();
        let deciding = deciding_answers(&q, &all);
        assert_eq!(
            deciding.keys().collect::<Vec<_>>(),
            vec!["Q1", "Q3"],
            "no written answer is copied"
        );
        // Whatever reads only these reaches the same exclusion and price as the whole bid.
        for question in q.questions() {
            assert_eq!(
                passes(question, deciding.get(&question.id)),
                passes(question, all.get(&question.id))
            );
        }
        assert_eq!(bid_price(&q, &deciding), bid_price(&q, &all));
        assert_eq!(bid_price(&q, &deciding), Some(2400 * 30 + 3000 * 10));
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
        normalise_questionnaire(&mut q, &["Q7".into()], OutcomeModel::Ranked).unwrap();
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
        let errors = normalise_questionnaire(&mut bad, &[], OutcomeModel::Ranked).unwrap_err();
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
        let errors = normalise_questionnaire(&mut q, &[], OutcomeModel::Ranked).unwrap_err();
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
        assert!(
            normalise_questionnaire(&mut Questionnaire::default(), &[], OutcomeModel::Ranked)
                .is_err()
        );
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
    fn admission_questionnaires_have_no_weights_and_ranked_ones_no_verdicts() {
        let mut admission = questionnaire(vec![
            question("", QuestionKind::PassFail, None),
            question("", QuestionKind::Judged, None),
            question("", QuestionKind::Evidence, None),
        ]);
        normalise_questionnaire(&mut admission, &[], OutcomeModel::Admission).unwrap();
        let mut weighted = questionnaire(vec![question("", QuestionKind::Scored, Some(100))]);
        let errors =
            normalise_questionnaire(&mut weighted, &[], OutcomeModel::Admission).unwrap_err();
        assert!(format!("{errors:?}").contains("Admission decides pass or fail"));
        let mut judged = questionnaire(vec![
            question("", QuestionKind::Judged, None),
            question("", QuestionKind::Scored, Some(100)),
        ]);
        let errors = normalise_questionnaire(&mut judged, &[], OutcomeModel::Ranked).unwrap_err();
        assert!(format!("{errors:?}").contains("Judged questions are for admission"));
    }

    fn london(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        London
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_decision_clock_counts_working_days_and_stops_for_clarification() {
        let calendar = Calendar::uk();
        // Cut-off 17:00 on Tuesday 15 December 2026: 10 working days skip Christmas Day
        // and Boxing Day (Monday 28th, substitute), ending on Thursday 31st.
        let cutoff = london(2026, 12, 15, 17);
        let clock = decision_clock(calendar, cutoff, 10, &[], london(2026, 12, 16, 9)).unwrap();
        assert_eq!(clock.due, Some(london(2027, 1, 1, 0)));
        assert!(!clock.overdue && !clock.stopped);
        // A request asked on Wednesday 16th and answered on Friday 18th stops two days,
        // which skip New Year's Day and Scotland's 4 January (the statutory rule counts
        // every nation's bank holidays).
        let answered = [(london(2026, 12, 16, 10), Some(london(2026, 12, 18, 15)))];
        let clock =
            decision_clock(calendar, cutoff, 10, &answered, london(2026, 12, 18, 16)).unwrap();
        assert_eq!(clock.stopped_days, 2);
        assert_eq!(clock.due, Some(london(2027, 1, 7, 0)));
        // Answered the same day it was asked: nothing lost.
        let same_day = [(london(2026, 12, 16, 10), Some(london(2026, 12, 16, 15)))];
        let clock =
            decision_clock(calendar, cutoff, 10, &same_day, london(2026, 12, 17, 9)).unwrap();
        assert_eq!(clock.stopped_days, 0);
        // Waiting for an answer: no due date, never overdue.
        let waiting = [(london(2026, 12, 16, 10), None)];
        let clock = decision_clock(calendar, cutoff, 10, &waiting, london(2027, 2, 1, 9)).unwrap();
        assert_eq!(
            (clock.due, clock.stopped, clock.overdue),
            (None, true, false)
        );
        // Past the due date, undecided: overdue.
        let clock = decision_clock(calendar, cutoff, 10, &[], london(2027, 1, 1, 0)).unwrap();
        assert!(clock.overdue);
    }
}
