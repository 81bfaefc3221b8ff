//! Real Chromium through Playwright, with axe-core on every page (WCAG 2.2 AA).
//!
//! One test runs the journeys one after another: two Chromiums at once on a two-core machine
//! made every other test three times slower.

use tests::{browser, spawn_app};

#[actix_web::test]
async fn browser_journeys_pass_axe_and_work_by_keyboard() {
    let app = spawn_app().await;
    let link_key = hex::encode(backend::mail::MailContext::from_settings(&app.settings).link_key);
    let (ok, output) = browser::run_with(
        "foundation.test.mjs",
        &app.address,
        &[("LINK_KEY", &link_key)],
    )
    .await;
    assert!(ok, "foundation browser tests failed:\n{output}");

    let app = spawn_app().await;
    // A reset link, as the email would carry it.
    let mut b = app.browser();
    b.get("/forgot-password").await;
    b.post(
        "/forgot-password",
        &[("email", "contracts@council.example")],
        true,
    )
    .await;
    let admin = app.token("admin@council.example").await;
    let list = app.get("/api/v1/outbox", Some(&admin)).await.json();
    let id = list["items"][0]["id"].to_string();
    let detail = app
        .get(&format!("/api/v1/outbox/{id}"), Some(&admin))
        .await
        .json();
    assert_eq!(detail["template"], "reset_password");
    let link = format!(
        "{}{}",
        app.address,
        app.emailed_link("contracts@council.example", "/reset-password")
            .await
    );
    let (ok, output) = browser::run_with(
        "accounts.test.mjs",
        &app.address,
        &[("RESET_LINK", &link), ("OUTBOX_ID", &id)],
    )
    .await;
    assert!(ok, "account, email and job browser tests failed:\n{output}");

    // A tender through every role's pages. Between the two parts the deadline passes.
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let council = app.get("/api/v1/me", Some(&admin)).await.json()["organisation_id"].clone();
    let r = app
        .json(
            "POST",
            "/api/v1/users",
            Some(&admin),
            &serde_json::json!({"email": "sam.okafor@council.example", "name": "Sam Okafor",
                "role": "evaluator", "organisation_id": council, "password": "second evaluator pass"}),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let (ok, output) = browser::run_with(
        "tender-bidding.test.mjs",
        &app.address,
        &[("REFERENCE", "WCC-BROWSER-1")],
    )
    .await;
    assert!(ok, "tender bidding browser tests failed:\n{output}");
    assert!(
        output.contains("pass 2"),
        "both bidding journeys ran:\n{output}"
    );
    let mut db = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "WITH c AS (UPDATE competitions SET submission_deadline = now() - interval '1 second' WHERE reference = 'WCC-BROWSER-1' RETURNING id) UPDATE procurements SET clarification_deadline = now() - interval '2 seconds' WHERE id IN (SELECT id FROM c)",
        ),
        &mut db,
    )
    .await
    .unwrap();
    let (ok, output) = browser::run_with(
        "tender-evaluation.test.mjs",
        &app.address,
        &[
            ("TITLE", "Home care in Bredon Vale"),
            ("SECOND_EVALUATOR", "sam.okafor@council.example"),
            ("SECOND_PASSWORD", "second evaluator pass"),
        ],
    )
    .await;
    assert!(ok, "tender evaluation browser tests failed:\n{output}");
    assert!(
        output.contains("pass 4"),
        "all four evaluation journeys ran:\n{output}"
    );

    // Provider evidence: an insurance with an error put right, at both widths; a rating.
    let app = spawn_app().await;
    let (ok, output) = browser::run_with("provider-evidence.test.mjs", &app.address, &[]).await;
    assert!(ok, "provider evidence browser tests failed:\n{output}");
    assert!(
        output.contains("pass 3"),
        "all three evidence journeys ran:\n{output}"
    );

    // A dynamic market set up through the commissioner's pages, then read by a provider.
    let app = spawn_app().await;
    let (ok, output) = browser::run_with(
        "dps-setup.test.mjs",
        &app.address,
        &[("REFERENCE", "WCC-DPS-BROWSER")],
    )
    .await;
    assert!(ok, "DPS set-up browser tests failed:\n{output}");
    assert!(
        output.contains("pass 2"),
        "both DPS journeys ran:\n{output}"
    );
}
