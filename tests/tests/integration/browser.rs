//! Real Chromium through Playwright, with axe-core on every page (WCAG 2.2 AA).
//!
//! One test runs the journeys one after another: two Chromiums at once on a two-core machine
//! made every other test three times slower.

use tests::{browser, spawn_app};

#[actix_web::test]
async fn browser_journeys_pass_axe_and_work_by_keyboard() {
    let app = spawn_app().await;
    let (ok, output) = browser::run("foundation.test.mjs", &app.address).await;
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
    let link = detail["text_body"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| l.contains("/reset-password?token="))
        .unwrap()
        .trim()
        .to_string();
    let (ok, output) = browser::run_with(
        "accounts.test.mjs",
        &app.address,
        &[("RESET_LINK", &link), ("OUTBOX_ID", &id)],
    )
    .await;
    assert!(ok, "account, email and job browser tests failed:\n{output}");
}
