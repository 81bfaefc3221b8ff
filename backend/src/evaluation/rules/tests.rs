//! The engine's rules, tested against the cases DOMAIN.md states.

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
        normalise_questionnaire(&mut Questionnaire::default(), &[], OutcomeModel::Ranked).is_err()
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
    let errors = normalise_questionnaire(&mut weighted, &[], OutcomeModel::Admission).unwrap_err();
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
    let clock = decision_clock(calendar, cutoff, 10, &answered, london(2026, 12, 18, 16)).unwrap();
    assert_eq!(clock.stopped_days, 2);
    assert_eq!(clock.due, Some(london(2027, 1, 7, 0)));
    // Answered the same day it was asked: nothing lost.
    let same_day = [(london(2026, 12, 16, 10), Some(london(2026, 12, 16, 15)))];
    let clock = decision_clock(calendar, cutoff, 10, &same_day, london(2026, 12, 17, 9)).unwrap();
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
