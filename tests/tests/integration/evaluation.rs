//! The evaluation engine through a second owner: a minimal pass/fail admission competition,
//! used only here, that calls the engine directly as a DPS round will. It proves that the
//! engine knows no procedure: lots with questionnaires of their own, one submission per
//! provider per lot per competition, sealed until opened, pass/fail verdicts marked and
//! moderated, clarification that stops the decision clock, admitted or not admitted with
//! reasons, and no email sent by the engine itself.

use backend::evaluation::admission::{self, Decision};
use backend::evaluation::marking::{self, Agreed, ScoreInput};
use backend::evaluation::panels::{self, DeclarationInput};
use backend::evaluation::submissions::{self, Change};
use backend::evaluation::{
    Answer, EvaluationError, LotInput, NewCompetition, OutcomeModel, Question, QuestionKind,
    Questionnaire, Refusal, Section, SubmissionOutcome, SubmissionStatus, competitions, queries,
    questionnaires, results,
};
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;
use tests::spawn_app;
use uuid::Uuid;

const COMMISSIONER: &str = "commissioner@council.example";
const EVALUATOR: &str = "evaluator@council.example";
const BRIGHT: &str = "bids@brightcare.example";
const MEADOW: &str = "bids@meadowhomes.example";

fn question(id: &str, kind: QuestionKind, title: &str) -> Question {
    Question {
        id: id.into(),
        kind,
        title: title.into(),
        guidance: String::new(),
        word_limit: (kind == QuestionKind::Judged).then_some(300),
        weight: None,
        pass_answer: (kind == QuestionKind::PassFail).then_some(true),
        bands: Vec::new(),
    }
}

fn questionnaire(questions: Vec<Question>) -> Questionnaire {
    Questionnaire {
        sections: vec![Section {
            title: "Selection".into(),
            questions,
        }],
    }
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs
        .iter()
        .map(|(q, a)| (q.to_string(), a.clone()))
        .collect()
}

fn yes(choice: bool) -> Answer {
    Answer {
        choice: Some(choice),
        ..Default::default()
    }
}

fn text(t: &str) -> Answer {
    Answer {
        text: Some(t.into()),
        ..Default::default()
    }
}

fn refusal(e: EvaluationError) -> Refusal {
    match e {
        EvaluationError::Refused { refusal, .. } => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn outbox_count(app: &tests::TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut db = app.db().await;
    diesel::sql_query("SELECT count(*) AS n FROM outbox")
        .get_result::<N>(&mut db)
        .await
        .unwrap()
        .n
}

#[actix_web::test]
async fn an_admission_competition_runs_through_the_engine_with_no_procedure_around_it() {
    let app = spawn_app().await;
    let commissioner = app.actor(COMMISSIONER).await;
    let evaluator = app.actor(EVALUATOR).await;
    let bright = app.actor(BRIGHT).await;
    let meadow = app.actor(MEADOW).await;
    let mut conn = app.pool.get().await.unwrap();
    let emails_before = outbox_count(&app).await;

    // A round with two lots, decided within 10 working days of the deadline.
    let id = Uuid::new_v4();
    let lots = vec![
        LotInput {
            title: "Supported living".into(),
            description: String::new(),
        },
        LotInput {
            title: "Short breaks".into(),
            description: String::new(),
        },
    ];
    let deadline = chrono::Utc::now() + chrono::Duration::hours(1);
    let new = NewCompetition {
        id,
        reference: "TEST-ROUND-1",
        title: "Admission round 1",
        outcome_model: OutcomeModel::Admission,
        submission_deadline: deadline,
        decision_working_days: Some(10),
        lots: &lots,
    };
    assert!(competitions::check(&new, chrono::Utc::now()).is_empty());
    let competition = competitions::create(&mut conn, &commissioner, &new)
        .await
        .unwrap();
    let lots = competitions::lots(&mut conn, id).await.unwrap();
    let (living, breaks) = (lots[0].id, lots[1].id);

    // Admission has no scores or weights: a scored question is refused.
    let scored = Question {
        weight: Some(100),
        ..question("", QuestionKind::Scored, "Quality")
    };
    let refused = questionnaires::replace(
        &mut conn,
        &commissioner,
        &competition,
        Some(living),
        questionnaire(vec![scored]),
        "",
    )
    .await
    .unwrap_err();
    assert!(
        format!("{refused:?}").contains("Admission decides pass or fail"),
        "{refused:?}"
    );
    // Each lot has a questionnaire of its own.
    questionnaires::replace(
        &mut conn,
        &commissioner,
        &competition,
        Some(living),
        questionnaire(vec![
            question(
                "",
                QuestionKind::PassFail,
                "Are you registered with the CQC?",
            ),
            question(
                "",
                QuestionKind::Judged,
                "How do you support people to live independently?",
            ),
        ]),
        "",
    )
    .await
    .unwrap();
    questionnaires::replace(
        &mut conn,
        &commissioner,
        &competition,
        Some(breaks),
        questionnaire(vec![question(
            "",
            QuestionKind::PassFail,
            "Can you offer overnight short breaks?",
        )]),
        "",
    )
    .await
    .unwrap();
    let living_q = questionnaires::current(&mut conn, id, Some(living))
        .await
        .unwrap();
    let breaks_q = questionnaires::current(&mut conn, id, Some(breaks))
        .await
        .unwrap();
    assert_ne!(living_q.version.id, breaks_q.version.id);
    assert_eq!(
        living_q
            .questionnaire
            .questions()
            .map(|q| q.id.as_str())
            .collect::<Vec<_>>(),
        ["Q1", "Q2"]
    );
    // Question ids are unique across the competition's questionnaires.
    assert_eq!(breaks_q.questionnaire.questions().next().unwrap().id, "Q3");
    competitions::publish(&mut conn, &competition)
        .await
        .unwrap();

    // Providers apply, one submission per lot; a second start finds the same one.
    let (bright_living, created) = submissions::start(&mut conn, &bright, id, Some(living))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = submissions::start(&mut conn, &bright, id, Some(living))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, bright_living.id);
    let (meadow_living, _) = submissions::start(&mut conn, &meadow, id, Some(living))
        .await
        .unwrap();
    let (meadow_breaks, _) = submissions::start(&mut conn, &meadow, id, Some(breaks))
        .await
        .unwrap();
    let store = backend::storage::FileStore::from_settings(&app.settings).unwrap();
    for (who, sid, given) in [
        (
            &bright,
            bright_living.id,
            answers(&[
                ("Q1", yes(true)),
                ("Q2", text("Tenancy support and skills coaching.")),
            ]),
        ),
        (
            &meadow,
            meadow_living.id,
            answers(&[("Q1", yes(true)), ("Q2", text("We help with shopping."))]),
        ),
        (&meadow, meadow_breaks.id, answers(&[("Q3", yes(false))])),
    ] {
        let outcome = submissions::change(
            &mut conn,
            &store,
            who,
            sid,
            Change {
                answers: given,
                submit: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        assert!(outcome.submitted.is_some());
    }

    // Sealed: the council reads nothing before opening, another provider never.
    let sealed = queries::read(&mut conn, &commissioner, bright_living.id)
        .await
        .unwrap_err();
    assert!(matches!(sealed, EvaluationError::Sealed), "{sealed:?}");
    let hidden = queries::read(&mut conn, &meadow, bright_living.id)
        .await
        .unwrap_err();
    assert!(matches!(hidden, EvaluationError::NotFound(_)), "{hidden:?}");
    assert_eq!(
        refusal(
            competitions::open(&mut conn, &commissioner, id)
                .await
                .unwrap_err()
        ),
        Refusal::DeadlineNotPassed
    );

    // The deadline passes; the round is opened and the panel declares.
    diesel::sql_query(
        "UPDATE competitions SET submission_deadline = now() - interval '1 second' WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        competitions::open(&mut conn, &commissioner, id)
            .await
            .unwrap(),
        3
    );
    panels::assign_panel(&mut conn, &commissioner, id, &[evaluator.id])
        .await
        .unwrap();
    let bidders = panels::bidders(&mut conn, &evaluator, id).await.unwrap();
    let declarations: Vec<DeclarationInput> = bidders
        .iter()
        .map(|b| DeclarationInput {
            organisation_id: b.organisation_id,
            conflicted: false,
            details: String::new(),
        })
        .collect();
    panels::declare(&mut conn, &evaluator, id, &declarations)
        .await
        .unwrap();

    // Judged questions take a verdict, not a score.
    let wrong = marking::save_scores(
        &mut conn,
        &evaluator,
        bright_living.id,
        &[ScoreInput {
            question_id: "Q2".into(),
            score: Some(4),
            verdict: None,
            reason: "Good".into(),
        }],
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(wrong, EvaluationError::Invalid { .. }),
        "{wrong:?}"
    );
    for (sid, pass, why) in [
        (
            bright_living.id,
            true,
            "Clear tenancy support with examples.",
        ),
        (
            meadow_living.id,
            false,
            "Describes help with tasks, not independence.",
        ),
    ] {
        let missing = marking::save_then_submit(
            &mut conn,
            &evaluator,
            sid,
            &[ScoreInput {
                question_id: "Q2".into(),
                score: None,
                verdict: Some(pass),
                reason: why.into(),
            }],
        )
        .await
        .unwrap();
        assert!(missing.is_empty(), "{missing:?}");
    }
    let statuses = |list: Vec<backend::evaluation::SubmissionSummary>| {
        list.into_iter()
            .map(|s| (s.id, s.status))
            .collect::<BTreeMap<_, _>>()
    };
    let now = statuses(
        queries::list_submissions(&mut conn, &commissioner, id)
            .await
            .unwrap(),
    );
    assert_eq!(now[&bright_living.id], SubmissionStatus::Evaluated);
    assert_eq!(now[&meadow_breaks.id], SubmissionStatus::Excluded);

    // Ranked results are not how admission decides.
    assert_eq!(
        refusal(
            results::results(&mut conn, &commissioner, id)
                .await
                .unwrap_err()
        ),
        Refusal::NotOpened
    );

    // A clarification request stops Meadow's decision clock until Meadow answers.
    let ids = [bright_living.id, meadow_living.id];
    let running = admission::clocks(&mut conn, &competition, &ids)
        .await
        .unwrap();
    assert!(running[&meadow_living.id].due.is_some());
    admission::request_clarification(
        &mut conn,
        &commissioner,
        meadow_living.id,
        "Tell us how you help people build the skills to live on their own.",
    )
    .await
    .unwrap();
    assert_eq!(
        refusal(
            admission::request_clarification(&mut conn, &commissioner, meadow_living.id, "Again?")
                .await
                .unwrap_err()
        ),
        Refusal::ClarificationPending,
        "one request waits at a time"
    );
    let stopped = admission::clocks(&mut conn, &competition, &ids)
        .await
        .unwrap();
    assert!(stopped[&meadow_living.id].stopped && stopped[&meadow_living.id].due.is_none());
    assert!(
        !stopped[&bright_living.id].stopped,
        "other applicants' clocks run on"
    );
    let now = statuses(
        queries::list_submissions(&mut conn, &commissioner, id)
            .await
            .unwrap(),
    );
    assert_eq!(
        now[&meadow_living.id],
        SubmissionStatus::ClarificationRequested
    );
    let not_now = Decision {
        admitted: false,
        reason: "Not yet".into(),
    };
    assert_eq!(
        refusal(
            admission::decide(&mut conn, &commissioner, meadow_living.id, &not_now)
                .await
                .unwrap_err()
        ),
        Refusal::ClarificationPending
    );
    // Only the applicant answers, and only its own application.
    assert!(
        admission::respond(&mut conn, &bright, meadow_living.id, "Not ours")
            .await
            .is_err()
    );
    admission::respond(
        &mut conn,
        &meadow,
        meadow_living.id,
        "Key workers coach cooking and budgeting weekly, with goals reviewed monthly.",
    )
    .await
    .unwrap();
    let again = admission::clocks(&mut conn, &competition, &ids)
        .await
        .unwrap();
    assert!(!again[&meadow_living.id].stopped && again[&meadow_living.id].due.is_some());
    assert_eq!(
        admission::requests(&mut conn, meadow_living.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Moderation agrees the verdicts; then each application is decided on its own.
    marking::moderate(
        &mut conn,
        &commissioner,
        bright_living.id,
        "Q2",
        Agreed::Verdict(true),
        "Clear tenancy support with examples.",
    )
    .await
    .unwrap();
    let score_for_verdict = marking::moderate(
        &mut conn,
        &commissioner,
        meadow_living.id,
        "Q2",
        Agreed::Score(3),
        "A score where a verdict is due",
    )
    .await
    .unwrap_err();
    assert!(matches!(score_for_verdict, EvaluationError::Invalid { .. }));
    marking::moderate(
        &mut conn,
        &commissioner,
        meadow_living.id,
        "Q2",
        Agreed::Verdict(false),
        "The clarification describes tasks done for people, not skills built with them.",
    )
    .await
    .unwrap();
    let admitted = Decision {
        admitted: true,
        reason: String::new(),
    };
    assert_eq!(
        admission::decide(&mut conn, &commissioner, bright_living.id, &admitted)
            .await
            .unwrap(),
        SubmissionOutcome::Admitted
    );
    // An application that fails cannot be admitted, and a refusal says why.
    for failed in [meadow_living.id, meadow_breaks.id] {
        let e = admission::decide(&mut conn, &commissioner, failed, &admitted)
            .await
            .unwrap_err();
        assert!(matches!(e, EvaluationError::Invalid { .. }), "{e:?}");
        let no_reason = Decision {
            admitted: false,
            reason: " ".into(),
        };
        let e = admission::decide(&mut conn, &commissioner, failed, &no_reason)
            .await
            .unwrap_err();
        assert!(matches!(e, EvaluationError::Invalid { .. }), "{e:?}");
    }
    let reason = Decision {
        admitted: false,
        reason: "You cannot offer overnight short breaks, which this lot needs.".into(),
    };
    assert_eq!(
        admission::decide(&mut conn, &commissioner, meadow_breaks.id, &reason)
            .await
            .unwrap(),
        SubmissionOutcome::NotAdmitted
    );
    assert_eq!(
        refusal(
            admission::decide(&mut conn, &commissioner, meadow_breaks.id, &reason)
                .await
                .unwrap_err()
        ),
        Refusal::Decided,
        "a decided application cannot be decided again"
    );
    let now = statuses(
        queries::list_submissions(&mut conn, &commissioner, id)
            .await
            .unwrap(),
    );
    assert_eq!(now[&bright_living.id], SubmissionStatus::Admitted);
    assert_eq!(now[&meadow_breaks.id], SubmissionStatus::NotAdmitted);
    // The provider sees its outcome in its own list.
    let mine = queries::mine(&mut conn, &meadow).await.unwrap();
    let breaks_row = mine.iter().find(|m| m.id == meadow_breaks.id).unwrap();
    assert_eq!(breaks_row.outcome, Some(SubmissionOutcome::NotAdmitted));

    // The engine sent no email: telling people is the owner's work, in its own words.
    assert_eq!(outbox_count(&app).await, emails_before);
}

#[actix_web::test]
async fn each_competition_has_its_own_submissions_lots_and_decision_clock() {
    let app = spawn_app().await;
    let commissioner = app.actor(COMMISSIONER).await;
    let bright = app.actor(BRIGHT).await;
    let mut conn = app.pool.get().await.unwrap();
    let make = |reference: &'static str| NewCompetition {
        id: Uuid::new_v4(),
        reference,
        title: "Admission round",
        outcome_model: OutcomeModel::Admission,
        submission_deadline: chrono::Utc::now() + chrono::Duration::hours(1),
        decision_working_days: Some(10),
        lots: &[],
    };
    let first = make("TEST-ROUND-A");
    let second = make("TEST-ROUND-B");
    for new in [&first, &second] {
        let c = competitions::create(&mut conn, &commissioner, new)
            .await
            .unwrap();
        questionnaires::replace(
            &mut conn,
            &commissioner,
            &c,
            None,
            questionnaire(vec![question("", QuestionKind::PassFail, "Insured?")]),
            "",
        )
        .await
        .unwrap();
        competitions::publish(&mut conn, &c).await.unwrap();
    }
    // A ranked competition refuses a decision clock; admission needs one.
    let mut wrong = make("TEST-ROUND-C");
    wrong.decision_working_days = None;
    assert!(
        competitions::check(&wrong, chrono::Utc::now())
            .iter()
            .any(|e| e.field == "decision_working_days")
    );
    // One submission per provider per competition: the same provider applies to both.
    let (a, _) = submissions::start(&mut conn, &bright, first.id, None)
        .await
        .unwrap();
    let (b, _) = submissions::start(&mut conn, &bright, second.id, None)
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.competition_id, first.id);
    assert_eq!(b.competition_id, second.id);
    // A lot that is not the competition's is refused.
    let e = submissions::start(&mut conn, &bright, first.id, Some(Uuid::new_v4()))
        .await
        .unwrap_err();
    assert!(matches!(e, EvaluationError::Invalid { .. }), "{e:?}");
}
