//! Password reset, email confirmation, notification preferences and unsubscribe links.

use backend::mail::{self, Email, MailContext, NotificationKind};
use serde_json::json;
use tests::{SmtpSink, TestApp, spawn_app};

async fn latest_email(app: &TestApp, to: &str) -> serde_json::Value {
    let admin = app.token("admin@council.example").await;
    let list = app
        .get(&format!("/api/v1/outbox?to={to}"), Some(&admin))
        .await
        .json();
    let id = list["items"][0]["id"].clone();
    assert!(!id.is_null(), "no email to {to}");
    app.get(&format!("/api/v1/outbox/{id}"), Some(&admin))
        .await
        .json()
}

#[actix_web::test]
async fn a_forgotten_password_is_reset_by_a_single_use_link_that_ends_every_session() {
    let app = spawn_app().await;
    let email = "bids@meadowhomes.example";
    let old_token = app.token(email).await;
    let mut old_browser = app.browser();
    old_browser.sign_in(email).await;

    let mut b = app.browser();
    b.get("/forgot-password").await;
    let r = b.post("/forgot-password", &[("email", email)], true).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Check your email"));
    let message = latest_email(&app, email).await;
    assert_eq!(message["template"], "reset_password");
    let link = app.emailed_link(email, "/reset-password").await;
    let token = link.split("token=").nth(1).unwrap().to_string();
    assert_eq!(b.get(&link).await.status, 200);
    // Mismatched or weak passwords are refused and change nothing.
    let r = b
        .post(
            "/reset-password",
            &[
                ("token", &token),
                ("password", "meadow grass grows"),
                ("confirm", "meadow grass grew"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("The passwords do not match"));
    assert_eq!(app.get("/api/v1/me", Some(&old_token)).await.status, 200);
    let r = b
        .post(
            "/reset-password",
            &[
                ("token", &token),
                ("password", "meadow grass grows"),
                ("confirm", "meadow grass grows"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    // Every earlier session and token has ended.
    app.get("/api/v1/me", Some(&old_token)).await.problem(401);
    assert_eq!(old_browser.get("/dashboard").await.status, 303);
    // The new password works; the old one does not; the link is spent.
    app.token_with(email, "meadow grass grows").await;
    app.json(
        "POST",
        "/api/v1/auth/token",
        None,
        &json!({"email": email, "password": tests::PASSWORD}),
        &[],
    )
    .await
    .problem(401);
    let again = b
        .post(
            "/reset-password",
            &[
                ("token", &token),
                ("password", "another new password"),
                ("confirm", "another new password"),
            ],
            true,
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(again.text().contains("expired or has already been used"));
    // The account holder is told.
    assert_eq!(
        latest_email(&app, email).await["template"],
        "account_changed"
    );
}

#[actix_web::test]
async fn asking_to_reset_an_unknown_address_looks_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.get("/forgot-password").await;
    let known = b
        .post(
            "/forgot-password",
            &[("email", "bids@brightcare.example")],
            true,
        )
        .await;
    let unknown = b
        .post(
            "/forgot-password",
            &[("email", "nobody@nowhere.example")],
            true,
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.text().replace("bids@brightcare.example", "X"),
        unknown.text().replace("nobody@nowhere.example", "X")
    );
    let admin = app.token("admin@council.example").await;
    assert_eq!(
        app.get("/api/v1/outbox", Some(&admin)).await.json()["total"],
        1
    );
    assert_eq!(b.get("/reset-password?token=0000").await.status, 400);
    let bad = b
        .post("/forgot-password", &[("email", "not an email")], true)
        .await;
    assert_eq!(bad.status, 422);
}

#[actix_web::test]
async fn preferences_and_one_click_unsubscribe_stop_optional_email_only() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.sign_in("bids@brightcare.example").await;
    let page = b.get("/account/notifications").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Opening notices"));
    let r = b
        .post(
            "/account/notifications",
            &[
                ("kinds", "deadline_reminders"),
                ("service_types", "domiciliary"),
                ("service_types", "reablement"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303);
    let saved = b.get("/account/notifications?saved=1").await.text();
    assert!(saved.contains(r#"value="domiciliary" checked"#));
    assert!(!saved.contains(r#"value="opening_notices" checked"#));

    let me = app
        .get(
            "/api/v1/me",
            Some(&app.token("bids@meadowhomes.example").await),
        )
        .await
        .json();
    let user: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    let ctx = MailContext::from_settings(&app.settings);
    let optional = || Email {
        template: "verify_email",
        to_address: "bids@meadowhomes.example".into(),
        to_name: "Tom Hughes".into(),
        user_id: Some(user),
        reason: "You received this because you asked for opening notices.".into(),
        optional_kind: Some(NotificationKind::OpeningNotices),
        data: json!({"link": "https://x.example", "organisation_name": "Meadow Homes Ltd", "valid_hours": 1}),
    };
    let mut conn = app.db().await;
    let id = mail::enqueue(&mut conn, &ctx, optional())
        .await
        .unwrap()
        .expect("queued while subscribed");
    // It goes out with one-click unsubscribe headers and says how to stop it.
    let sink = SmtpSink::start(env!("CARGO_BIN_EXE_smtp-sink"), None);
    let sender = backend::mail::sender::Sender::new(
        app.pool.clone(),
        backend::mail::sender::Transport::from_settings(
            &tests::with_smtp(app.settings.clone(), &sink.url()).mail,
        )
        .unwrap(),
        app.settings.mail.from.parse().unwrap(),
        ctx.clone(),
    );
    sender.send_batch().await.unwrap();
    let message = sink.messages().pop().unwrap();
    let unsubscribe = message
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe:"))
        .unwrap()
        .to_string();
    assert!(message.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let url = unsubscribe
        .split('<')
        .nth(1)
        .unwrap()
        .trim_end_matches('>')
        .to_string();
    let admin = app.token("admin@council.example").await;
    let text = app
        .get(&format!("/api/v1/outbox/{id}"), Some(&admin))
        .await
        .json()["text_body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("Stop these emails: ") && text.contains("/account/notifications"));
    let path = url.strip_prefix(&app.address).unwrap();
    // Following the link changes nothing by itself (mail scanners follow links)...
    let mut anonymous = app.browser();
    assert_eq!(anonymous.get(path).await.status, 200);
    assert!(
        mail::enqueue(&mut conn, &ctx, optional())
            .await
            .unwrap()
            .is_some()
    );
    // ...the one-click POST does, without signing in or a CSRF token.
    let r = app
        .raw(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click".to_vec(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        mail::enqueue(&mut conn, &ctx, optional())
            .await
            .unwrap()
            .is_none(),
        "opted out"
    );
    // Account emails still go.
    let mut account = optional();
    account.optional_kind = None;
    assert!(
        mail::enqueue(&mut conn, &ctx, account)
            .await
            .unwrap()
            .is_some()
    );
    // A forged or altered token is refused.
    let forged = path.replace("opening_notices", "deadline_reminders");
    assert_eq!(app.raw("POST", &forged, &[], vec![]).await.status, 400);
}

#[actix_web::test]
async fn an_unconfirmed_user_can_ask_for_a_new_link() {
    // Providers confirm their address by registering; council staff an administrator adds
    // confirm theirs from the dashboard.
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let council = app.get("/api/v1/me", Some(&admin)).await.json()["organisation_id"].clone();
    let new_user = json!({"email": "sam@council.example", "name": "Sam Brook", "password": "brooks babble on", "role": "evaluator", "organisation_id": council});
    assert_eq!(
        app.json("POST", "/api/v1/users", Some(&admin), &new_user, &[])
            .await
            .status,
        201
    );
    let mut b = app.browser();
    b.sign_in_with("sam@council.example", "brooks babble on")
        .await;
    let dashboard = b.get("/dashboard").await.text();
    assert!(dashboard.contains("Confirm your email address"));
    let r = b.post("/verify-email/resend", &[], true).await;
    assert_eq!(r.status, 303);
    assert!(
        b.get("/dashboard?verification=sent")
            .await
            .text()
            .contains("We have sent a new link")
    );
    let link = app
        .emailed_link("sam@council.example", "/verify-email")
        .await;
    assert_eq!(b.get(&link).await.status, 200);
    assert!(
        !b.get("/dashboard")
            .await
            .text()
            .contains("Confirm your email address")
    );
}
