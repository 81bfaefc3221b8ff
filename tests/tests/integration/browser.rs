//! Real Chromium through Playwright, with axe-core on every page (WCAG 2.2 AA).

use tests::{browser, spawn_app};

#[actix_web::test]
async fn foundation_pages_pass_axe_and_work_by_keyboard() {
    let app = spawn_app().await;
    let (ok, output) = browser::run("foundation.test.mjs", &app.address).await;
    assert!(ok, "browser tests failed:\n{output}");
}
