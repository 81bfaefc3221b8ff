//! Every error is application/problem+json with the right status; bad input is never a 500.

use serde_json::json;
use tests::spawn_app;

#[actix_web::test]
async fn unknown_routes_wrong_methods_and_bad_ids_are_problems() {
    let app = spawn_app().await;
    let p = app.get("/api/v1/no-such-thing", None).await.problem(404);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/no-such-thing")
    );
    app.raw("DELETE", "/api/v1/auth/token", &[], vec![])
        .await
        .problem(405);
    app.raw("PUT", "/healthz", &[], vec![]).await.problem(405);
    let token = app.token("admin@council.example").await;
    app.get("/api/v1/users/not-a-uuid", Some(&token))
        .await
        .problem(404);
    app.get(
        &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
        Some(&token),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn malformed_oversized_and_mistyped_bodies_are_4xx_problems() {
    let app = spawn_app().await;
    let json_header = [("Content-Type", "application/json")];
    app.raw(
        "POST",
        "/api/v1/auth/token",
        &json_header,
        b"{not json".to_vec(),
    )
    .await
    .problem(400);
    app.raw(
        "POST",
        "/api/v1/auth/token",
        &json_header,
        b"[1,2,3]".to_vec(),
    )
    .await
    .problem(400);
    app.raw(
        "POST",
        "/api/v1/auth/token",
        &json_header,
        br#"{"email": 5, "password": null}"#.to_vec(),
    )
    .await
    .problem(400);
    app.raw(
        "POST",
        "/api/v1/auth/token",
        &[("Content-Type", "text/plain")],
        b"hello".to_vec(),
    )
    .await
    .problem(415);
    let huge = format!(r#"{{"email":"{}","password":"x"}}"#, "a".repeat(400 * 1024));
    app.raw(
        "POST",
        "/api/v1/auth/token",
        &json_header,
        huge.clone().into_bytes(),
    )
    .await
    .problem(413);
    app.raw(
        "POST",
        "/api/v1/registrations",
        &json_header,
        huge.into_bytes(),
    )
    .await
    .problem(413);
    app.raw(
        "POST",
        "/api/v1/registrations",
        &json_header,
        b"\xff\xfe".to_vec(),
    )
    .await
    .problem(400);
    app.raw(
        "POST",
        "/api/v1/registrations",
        &[("Content-Type", "text/html")],
        b"{}".to_vec(),
    )
    .await
    .problem(415);
    let token = app.token("admin@council.example").await;
    app.get("/api/v1/users?per_page=banana", Some(&token))
        .await
        .problem(400);
    // Out-of-range pages are clamped, not refused.
    let page = app
        .get("/api/v1/users?per_page=100000&page=0", Some(&token))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["per_page"], 100);
    let weird = app
        .json(
            "POST",
            "/api/v1/users",
            Some(&token),
            &json!({"email": "\u{0000}@x", "name": "\u{202e}", "password": "x", "role": "emperor"}),
            &[],
        )
        .await;
    assert!((400..500).contains(&weird.status), "{}", weird.text());
}

#[actix_web::test]
async fn health_and_metrics_answer() {
    let app = spawn_app().await;
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["database"], "ok");
    assert!(h.header("x-request-id").is_some());
    let m = app.get("/metrics", None).await;
    assert_eq!(
        m.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4")
    );
    assert!(
        m.text()
            .contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{}",
        m.text()
    );
    assert!(m.text().contains(r#"db_pool_connections{state="max"} 4"#));
    let spec = app.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/auth/token"]["post"].is_object());
    assert!(spec["paths"]["/api/v1/organisations/{id}"]["put"].is_object());
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_never_by_path() {
    let app = spawn_app().await;
    let provider = app.token("bids@brightcare.example").await;
    let own = app.get("/api/v1/me", Some(&provider)).await.json()["organisation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let unknown = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        let r = app
            .get(&format!("/api/v1/organisations/{own}"), Some(&provider))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    app.get(&format!("/api/v1/organisations/{unknown}"), Some(&provider))
        .await
        .problem(404);
    app.raw(
        "DELETE",
        &format!("/api/v1/organisations/{own}"),
        &[],
        vec![],
    )
    .await
    .problem(405);
    // Paths no route matches share one label, however many there are.
    app.get(&format!("/api/v1/no-such-thing/{unknown}"), None)
        .await
        .problem(404);
    app.get("/no/such/page", None).await.problem(404);
    let m = app.get("/metrics", None).await.text();
    for line in [
        r#"http_requests_total{method="POST",route="/api/v1/auth/token",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/organisations/{id}",status="200"} 2"#,
        r#"http_requests_total{method="GET",route="/api/v1/organisations/{id}",status="404"} 1"#,
        r#"http_requests_total{method="DELETE",route="/api/v1/organisations/{id}",status="405"} 1"#,
        r#"http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
        r#"http_request_duration_seconds_count{method="GET",route="/api/v1/organisations/{id}"} 3"#,
    ] {
        assert!(m.lines().any(|l| l == line), "missing {line} in\n{m}");
    }
    for path in [own.as_str(), unknown.as_str(), "/no/such/page"] {
        assert!(!m.contains(path), "{path} is in the metrics:\n{m}");
    }
}

#[actix_web::test]
async fn a_nul_character_in_a_filter_is_a_400_not_a_server_error() {
    let app = spawn_app().await;
    let token = app.token("admin@council.example").await;
    let p = app
        .get("/api/v1/outbox?to=%00", Some(&token))
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("NUL"), "{p}");
    app.get("/api/v1/procurements?status=open%00", None)
        .await
        .problem(400);
    // The same filter without it still works.
    assert_eq!(
        app.get("/api/v1/outbox?to=a", Some(&token)).await.status,
        200
    );
}
