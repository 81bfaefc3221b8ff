//! Each role's dashboard starts with what they have to do: the list moves on as the
//! tender does, and shows nobody another organisation's work.

use serde_json::json;
use tests::tender::{self, BRIGHT, COMMISSIONER, EVALUATOR, MEADOW};
use tests::{TestApp, spawn_app};

async fn dashboard(app: &TestApp, email: &str) -> String {
    let mut browser = app.browser();
    browser.sign_in(email).await;
    let page = browser.get("/dashboard").await;
    assert_eq!(page.status, 200, "{}", page.text());
    page.text()
}

#[actix_web::test]
async fn the_to_do_list_follows_the_tender_and_stays_within_each_organisation() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &commissioner, "DASH-1", tender::questionnaire()).await;
    let bright = app.token(BRIGHT).await;

    // Bright Care starts a bid and leaves it as a draft.
    let started = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/submissions"),
            Some(&bright),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text());
    let draft = dashboard(&app, BRIGHT).await;
    assert!(
        draft.contains("Finish and submit your bid for DASH-1"),
        "{draft}"
    );
    assert!(
        draft.contains("closes today at") || draft.contains("closes tomorrow at"),
        "{draft}"
    );
    // Meadow Homes has no bid in it and is not told about Bright Care's.
    assert!(!dashboard(&app, MEADOW).await.contains("DASH-1"));

    // Meadow asks a question: the commissioner must answer it.
    let meadow = app.token(MEADOW).await;
    let asked = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/clarifications"),
            Some(&meadow),
            &json!({"question": "Is TUPE expected to apply?"}),
            &[],
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let council = dashboard(&app, COMMISSIONER).await;
    assert!(
        council.contains("Answer clarification questions about DASH-1"),
        "{council}"
    );
    assert!(
        council.contains("1 question waiting for an answer."),
        "{council}"
    );
    // A provider's dashboard never lists the council's work.
    assert!(
        !dashboard(&app, BRIGHT)
            .await
            .contains("clarification questions about")
    );

    // Both bid; the deadline passes; the commissioner must open the bids.
    let sid = tender::bid(&app, &bright, &id, true).await;
    tender::bid(&app, &meadow, &id, false).await;
    tender::close(&app, &id).await;
    assert!(
        dashboard(&app, COMMISSIONER)
            .await
            .contains("Open the bids for DASH-1")
    );

    // Opened with a panel: the evaluator has two bids to score, then one.
    let evaluator = app.token(EVALUATOR).await;
    tender::open_with_panel(&app, &commissioner, &evaluator, &id).await;
    let to_score = dashboard(&app, EVALUATOR).await;
    assert!(to_score.contains("Score the bids for DASH-1"), "{to_score}");
    assert!(
        to_score.contains("0 of 2 scored and submitted."),
        "{to_score}"
    );
    tender::score_and_moderate(
        &app,
        &commissioner,
        &evaluator,
        &sid,
        4,
        "Clear and evidenced.",
    )
    .await;
    assert!(
        dashboard(&app, EVALUATOR)
            .await
            .contains("1 of 2 scored and submitted.")
    );
    let moderating = dashboard(&app, COMMISSIONER).await;
    assert!(
        moderating.contains("Moderate the scores for DASH-1"),
        "{moderating}"
    );
    assert!(
        moderating.contains("Moderation started on 1 of 2 bids."),
        "{moderating}"
    );
}

#[actix_web::test]
async fn an_administrator_is_told_about_failed_emails() {
    let app = spawn_app().await;
    let before = dashboard(&app, "admin@council.example").await;
    assert!(before.contains("Check the audit log"), "{before}");
    assert!(!before.contains("emails that could not be sent"));
    let mut db = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO outbox (template, to_address, to_name, subject, text_body, html_body, reason, message_id, status, attempts, run_after)
             VALUES ('t', 'x@example.org', 'X', 's', 't', 'h', 'r', 'm@example.org', 'failed', 5, now())",
        ),
        &mut db,
    )
    .await
    .unwrap();
    let after = dashboard(&app, "admin@council.example").await;
    assert!(
        after.contains("Look at the emails that could not be sent"),
        "{after}"
    );
    assert!(
        after.contains("1 email gave up after every attempt."),
        "{after}"
    );
}
