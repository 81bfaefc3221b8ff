//! Signing in, tokens and their every way of failing.

use backend::auth::Role;
use backend::auth::token::{TokenKeys, TokenType};
use backend::config::{Secret, TokenSettings};
use serde_json::json;
use tests::{PASSWORD, SIGNING_KEY, spawn_app};

const DEMO: [(&str, &str); 6] = [
    ("admin@council.example", "admin"),
    ("commissioner@council.example", "commissioner"),
    ("evaluator@council.example", "evaluator"),
    ("contracts@council.example", "contract_manager"),
    ("bids@brightcare.example", "provider"),
    ("bids@meadowhomes.example", "provider"),
];

#[actix_web::test]
async fn every_demo_role_gets_a_token_and_sees_itself() {
    let app = spawn_app().await;
    for (email, role) in DEMO {
        let reply = app
            .json(
                "POST",
                "/api/v1/auth/token",
                None,
                &json!({"email": email, "password": PASSWORD}),
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{email}");
        let body = reply.json();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        let me = app.get("/api/v1/me", body["access_token"].as_str()).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["email"], email);
        assert_eq!(me.json()["role"], role);
    }
}

#[actix_web::test]
async fn email_is_case_insensitive_and_a_wrong_password_is_401() {
    let app = spawn_app().await;
    let ok = app
        .json(
            "POST",
            "/api/v1/auth/token",
            None,
            &json!({"email": " Admin@Council.EXAMPLE ", "password": PASSWORD}),
            &[],
        )
        .await;
    assert_eq!(ok.status, 200);
    let bad = app
        .json(
            "POST",
            "/api/v1/auth/token",
            None,
            &json!({"email": "admin@council.example", "password": "wrong-password-1"}),
            &[],
        )
        .await;
    bad.problem(401);
    let unknown = app
        .json(
            "POST",
            "/api/v1/auth/token",
            None,
            &json!({"email": "nobody@council.example", "password": PASSWORD}),
            &[],
        )
        .await;
    assert_eq!(
        unknown.problem(401)["detail"],
        bad.problem(401)["detail"],
        "unknown and wrong must read the same"
    );
    let empty = app
        .json(
            "POST",
            "/api/v1/auth/token",
            None,
            &json!({"email": "", "password": ""}),
            &[],
        )
        .await;
    let p = empty.problem(422);
    assert_eq!(p["errors"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn no_token_or_a_bad_one_is_401() {
    let app = spawn_app().await;
    app.get("/api/v1/me", None).await.problem(401);
    app.get("/api/v1/me", Some("not-a-jwt")).await.problem(401);
    let token = app.token("admin@council.example").await;
    // Tampered signature.
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[2] = parts[2].chars().rev().collect();
    app.get("/api/v1/me", Some(&parts.join(".")))
        .await
        .problem(401);
    // alg: none with the same claims.
    use base64::Engine;
    let none =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    app.get("/api/v1/me", Some(&format!("{none}.{}.", parts[1])))
        .await
        .problem(401);
    // A Basic header is not a Bearer token.
    let r = app
        .raw(
            "GET",
            "/api/v1/me",
            &[("Authorization", "Basic YWRtaW46cGFzcw==")],
            vec![],
        )
        .await;
    r.problem(401);
}

fn keys(issuer: &str, ttl: i64) -> TokenKeys {
    TokenKeys::new(&TokenSettings {
        signing_key: Secret::new(SIGNING_KEY.to_vec()),
        access_ttl_seconds: ttl,
        session_ttl_seconds: ttl,
        issuer: issuer.into(),
    })
}

#[actix_web::test]
async fn expired_foreign_audience_and_wrong_type_tokens_are_401() {
    let app = spawn_app().await;
    let me = app
        .get(
            "/api/v1/me",
            Some(&app.token("admin@council.example").await),
        )
        .await
        .json();
    let user = me["id"].as_str().unwrap().parse().unwrap();
    let org = me["organisation_id"].as_str().unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    // Signed with the right key for the right user, but expired an hour ago.
    let expired = keys(&app.address, 60)
        .issue(user, org, Role::Admin, TokenType::Access, now - 3_600_000)
        .unwrap();
    app.get("/api/v1/me", Some(&expired.token))
        .await
        .problem(401);
    // Right key, another deployment's audience and issuer.
    let foreign = keys("https://other-council.example", 900)
        .issue(user, org, Role::Admin, TokenType::Access, now)
        .unwrap();
    app.get("/api/v1/me", Some(&foreign.token))
        .await
        .problem(401);
    // A browser session token is not an API token.
    let session = keys(&app.address, 900)
        .issue(user, org, Role::Admin, TokenType::Session, now)
        .unwrap();
    app.get("/api/v1/me", Some(&session.token))
        .await
        .problem(401);
    // The control: the same forging with correct values works, so the 401s above are real.
    let good = keys(&app.address, 900)
        .issue(user, org, Role::Admin, TokenType::Access, now)
        .unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&good.token)).await.status, 200);
}

#[actix_web::test]
async fn logout_revokes_the_token_used() {
    let app = spawn_app().await;
    let token = app.token("commissioner@council.example").await;
    let other = app.token("commissioner@council.example").await;
    let r = app
        .json("POST", "/api/v1/auth/logout", Some(&token), &json!({}), &[])
        .await;
    assert_eq!(r.status, 204);
    app.get("/api/v1/me", Some(&token)).await.problem(401);
    assert_eq!(
        app.get("/api/v1/me", Some(&other)).await.status,
        200,
        "other sessions stay"
    );
}

#[actix_web::test]
async fn deactivating_a_user_ends_their_tokens_at_once() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let provider = app.token("bids@meadowhomes.example").await;
    let me = app.get("/api/v1/me", Some(&provider)).await.json();
    let id = me["id"].as_str().unwrap();
    let r = app
        .json(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"active": false}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["active"], false);
    app.get("/api/v1/me", Some(&provider)).await.problem(401);
    let again = app
        .json(
            "POST",
            "/api/v1/auth/token",
            None,
            &json!({"email": "bids@meadowhomes.example", "password": PASSWORD}),
            &[],
        )
        .await;
    again.problem(401);
}

#[actix_web::test]
async fn an_administrator_cannot_lock_themself_out() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let id = app.get("/api/v1/me", Some(&admin)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .json(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"active": false}),
            &[],
        )
        .await;
    r.problem(422);
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.status, 200);
}

#[actix_web::test]
async fn revocation_on_one_instance_takes_effect_on_another_at_once() {
    let a = spawn_app().await;
    let b = a.sibling();
    let provider = a.token("bids@meadowhomes.example").await;
    let admin = a.token("admin@council.example").await;
    // Wait for B's change listener, so that B really answers from its cache.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.auth_cache.is_live() {
        assert!(
            std::time::Instant::now() < deadline,
            "B's listener never connected"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(b.get("/api/v1/me", Some(&provider)).await.status, 200);
    assert_eq!(
        b.get("/api/v1/me", Some(&provider)).await.status,
        200,
        "now cached on B"
    );
    let id = a.get("/api/v1/me", Some(&provider)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = a
        .json(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"active": false}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    // A itself refuses at once; B as soon as PostgreSQL's notification arrives.
    a.get("/api/v1/me", Some(&provider)).await.problem(401);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = b.get("/api/v1/me", Some(&provider)).await.status;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B still accepted a deactivated user's token"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
