//! Lists take a fixed, small number of SQL statements whatever their length
//! (docs/performance.md, "Reads that scale"): the council's list of a tender's submissions
//! and its results, for the commissioner and for an evaluator on the panel.
//!
//! Statements are counted by the app's own pool (`backend::db::StatementCount`). The audit
//! sealer shares that pool and may run between two requests, so each figure is the least of
//! a few identical requests: what the request itself needs.

use tests::tender::{self, BRIGHT, COMMISSIONER, EVALUATOR, MEADOW};
use tests::{TestApp, spawn_app};

/// The fewest statements any of five identical GETs took, after one to warm the caches.
pub(crate) async fn statements(app: &TestApp, path: &str, token: &str) -> u64 {
    let warm = app.get(path, Some(token)).await;
    assert_eq!(warm.status, 200, "{path}: {}", warm.text());
    let mut least = u64::MAX;
    for _ in 0..5 {
        let before = app.statements.get();
        let reply = app.get(path, Some(token)).await;
        let after = app.statements.get();
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        least = least.min(after - before);
    }
    least
}

#[actix_web::test]
async fn the_submissions_list_and_the_results_take_at_most_three_statements() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let ev = app.token(EVALUATOR).await;
    let id = tender::published(&app, &c, "WCC-READS", tender::questionnaire()).await;
    let mut sids = Vec::new();
    for provider in [BRIGHT, MEADOW] {
        let token = app.token(provider).await;
        sids.push(tender::bid(&app, &token, &id, true).await);
    }
    let submissions = format!("/api/v1/procurements/{id}/submissions");
    // Sealed: the list shows only that each bid exists.
    assert!(statements(&app, &submissions, &c).await <= 3);
    tender::close(&app, &id).await;
    tender::open_with_panel(&app, &c, &ev, &id).await;
    for sid in &sids {
        tender::score_and_moderate(&app, &c, &ev, sid, 3, "Agreed reason").await;
    }
    let list = app.get(&submissions, Some(&c)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "moderated"),
        "{list}"
    );
    let commissioner = statements(&app, &submissions, &c).await;
    assert!(
        commissioner <= 3,
        "the commissioner's list took {commissioner} statements"
    );
    // The evaluator's access is checked with one more (their place on the panel).
    let evaluator = statements(&app, &submissions, &ev).await;
    assert!(evaluator <= 4, "the evaluator's list took {evaluator}");
    let results = format!("/api/v1/procurements/{id}/results");
    let taken = statements(&app, &results, &c).await;
    assert!(taken <= 3, "the results took {taken} statements");
}
