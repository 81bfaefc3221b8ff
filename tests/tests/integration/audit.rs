//! The audit log's hash chain: it verifies, and catches a row altered directly in SQL.

use diesel_async::RunQueryDsl;
use serde_json::json;
use tests::spawn_app;

#[actix_web::test]
async fn the_verifier_passes_then_catches_tampering() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    // Make some history through the API.
    let me = app.get("/api/v1/me", Some(&admin)).await.json();
    let council = me["organisation_id"].as_str().unwrap();
    for i in 0..3 {
        let body = json!({"email": format!("u{i}@council.example"), "name": format!("User {i}"), "password": "a long enough password", "role": "evaluator", "organisation_id": council});
        assert_eq!(
            app.json("POST", "/api/v1/users", Some(&admin), &body, &[])
                .await
                .status,
            201
        );
    }
    let ok = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(ok["ok"], true);
    let total = app.get("/api/v1/audit", Some(&admin)).await.json()["total"].clone();
    assert_eq!(ok["rows"], total, "every row was checked");
    assert!(ok["rows"].as_i64().unwrap() > 10);
    assert!(ok["first_bad"].is_null());

    // Rows cannot be changed through normal SQL...
    let mut db = app.db().await;
    let refused =
        diesel::sql_query("UPDATE audit_log SET actor_label = 'someone else' WHERE id = 3")
            .execute(&mut db)
            .await;
    assert!(
        refused.is_err(),
        "the append-only trigger must refuse updates"
    );
    // ...and when an owner disables the trigger to do it anyway, the verifier notices.
    diesel::sql_query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        .execute(&mut db)
        .await
        .unwrap();
    diesel::sql_query(
        "UPDATE audit_log SET details = '{\"email\":\"forged@council.example\"}' WHERE id = 3",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let bad = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["first_bad"], 3);
    assert_eq!(bad["rows"], ok["rows"]);
}

#[actix_web::test]
async fn only_administrators_read_the_audit_log() {
    let app = spawn_app().await;
    for email in ["commissioner@council.example", "bids@brightcare.example"] {
        let token = app.token(email).await;
        app.get("/api/v1/audit/verify", Some(&token))
            .await
            .problem(403);
        app.get("/api/v1/audit", Some(&token)).await.problem(403);
    }
}
