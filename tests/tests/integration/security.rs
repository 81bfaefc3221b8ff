//! What an outside probe found (issue 9), each tried again as the attacker did: council
//! staff joining a bidder, sign-in floods and guesses, secrets in the outbox, open
//! redirects, lost draft saves, forged uploads, disk and quota, and the weaker points.
//! The audit chain has its own file (`audit.rs`).

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::tender::{self, BRIGHT, COMMISSIONER, MEADOW, PDF};
use tests::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

const ADMIN: &str = "admin@council.example";

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", Some(token)).await.json()
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut db = app.db().await;
    diesel::sql_query(sql)
        .get_result::<N>(&mut db)
        .await
        .unwrap()
        .n
}

/// The template of the newest email queued to `to`.
async fn latest_email(app: &TestApp, to: &str) -> Option<String> {
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        template: String,
    }
    let mut db = app.db().await;
    diesel::sql_query("SELECT template FROM outbox WHERE to_address = $1 ORDER BY id DESC")
        .bind::<diesel::sql_types::Text, _>(to)
        .load::<T>(&mut db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.template)
        .next()
}

#[actix_web::test]
async fn council_staff_cannot_join_a_provider_whose_people_join_only_by_invitation() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    let bright = app.token(BRIGHT).await;
    let bright_org = me(&app, &bright).await["organisation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let users_before = count(&app, "SELECT count(*) AS n FROM users").await;

    // The probe's attack: an administrator makes a user inside the bidder. Refused, with
    // any role, by the API and by the page.
    for role in ["provider", "commissioner"] {
        let p = app
            .json(
                "POST",
                "/api/v1/users",
                Some(&admin),
                &json!({"email": "spy@council.example", "name": "Spy", "password": "kettle orchard lantern",
                        "role": role, "organisation_id": bright_org}),
                &[],
            )
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], "organisation_id", "{p}");
    }
    let mut page = app.browser();
    page.sign_in(ADMIN).await;
    page.get("/admin/users/new").await;
    let r = page
        .post(
            "/admin/users/new",
            &[
                ("email", "spy@council.example"),
                ("name", "Spy"),
                ("role", "provider"),
                ("organisation_id", &bright_org),
                ("password", "kettle orchard lantern"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("Administrators add people to the council only")
    );
    // Nor may an administrator invite anyone into a provider.
    app.json(
        "POST",
        &format!("/api/v1/organisations/{bright_org}/invitations"),
        Some(&admin),
        &json!({"email": "spy@council.example", "name": "Spy"}),
        &[],
    )
    .await
    .problem(403);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM users").await,
        users_before
    );

    // A provider's own user invites a colleague, who accepts from the emailed link.
    let r = app
        .json(
            "POST",
            &format!("/api/v1/organisations/{bright_org}/invitations"),
            Some(&bright),
            &json!({"email": "sam@brightcare.example", "name": "Sam Brook"}),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    // Another provider sees none of it.
    let meadow = app.token(MEADOW).await;
    for path in ["users", "invitations"] {
        app.get(
            &format!("/api/v1/organisations/{bright_org}/{path}"),
            Some(&meadow),
        )
        .await
        .problem(404);
    }
    let link = app
        .emailed_link("sam@brightcare.example", "/invitations/accept")
        .await;
    let token = link.split("token=").nth(1).unwrap();
    let accepted = app
        .json(
            "POST",
            "/api/v1/invitations/accept",
            None,
            &json!({"token": token, "name": "Sam Brook", "password": "kettle orchard lantern"}),
            &[],
        )
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    assert_eq!(accepted.json()["organisation_id"], bright_org.as_str());
    assert_eq!(accepted.json()["role"], "provider");
    // Once only.
    app.json(
        "POST",
        "/api/v1/invitations/accept",
        None,
        &json!({"token": token, "name": "Sam Brook", "password": "kettle orchard lantern"}),
        &[],
    )
    .await
    .problem(400);
    // Everyone already there is told who joined.
    assert_eq!(
        latest_email(&app, BRIGHT).await.as_deref(),
        Some("colleague_joined")
    );
    let sam = app
        .token_with("sam@brightcare.example", "kettle orchard lantern")
        .await;
    let people = app
        .get(
            &format!("/api/v1/organisations/{bright_org}/users"),
            Some(&sam),
        )
        .await
        .json();
    assert_eq!(people.as_array().unwrap().len(), 2);
    // A colleague who leaves is removed by the others, and signed out at once.
    let sam_id = me(&app, &sam).await["id"].as_str().unwrap().to_string();
    let r = app
        .json(
            "POST",
            &format!("/api/v1/organisations/{bright_org}/users/{sam_id}/remove"),
            Some(&bright),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    app.get("/api/v1/me", Some(&sam)).await.problem(401);

    // An invitation cancelled by the provider stops working.
    let r = app
        .json(
            "POST",
            &format!("/api/v1/organisations/{bright_org}/invitations"),
            Some(&bright),
            &json!({"email": "lee@brightcare.example", "name": "Lee"}),
            &[],
        )
        .await;
    let invitation = r.json()["id"].as_str().unwrap().to_string();
    let link = app
        .emailed_link("lee@brightcare.example", "/invitations/accept")
        .await;
    let r = app
        .json(
            "DELETE",
            &format!("/api/v1/organisations/{bright_org}/invitations/{invitation}"),
            Some(&bright),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let mut b = app.browser();
    assert_eq!(b.get(&link).await.status, 400);
}

#[actix_web::test]
async fn account_recovery_is_recorded_told_and_never_opens_a_sealed_bid() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let bright_org = me(&app, &bright).await["organisation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tender = tender::published(&app, &commissioner, "SEC-1", tender::questionnaire()).await;
    tender::bid(&app, &bright, &tender, true).await;

    let path = format!("/api/v1/organisations/{bright_org}/account-recovery");
    let short = app
        .json(
            "POST",
            &path,
            Some(&admin),
            &json!({"email": "manager@brightcare.example", "name": "New Manager", "reason": "asked"}),
            &[],
        )
        .await
        .problem(422);
    assert_eq!(short["errors"][0]["field"], "reason");
    // Only administrators run recovery.
    app.json(
        "POST",
        &path,
        Some(&bright),
        &json!({"email": "x@brightcare.example", "name": "X", "reason": "a reason of more than twenty characters"}),
        &[],
    )
    .await
    .problem(403);
    let reason = "The managing director phoned from the number on Companies House; every account holder has left.";
    let r = app
        .json(
            "POST",
            &path,
            Some(&admin),
            &json!({"email": "manager@brightcare.example", "name": "New Manager", "reason": reason}),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["kind"], "support_recovery");
    // The organisation's people are told at once, with the reason.
    assert_eq!(
        latest_email(&app, BRIGHT).await.as_deref(),
        Some("account_recovery_started")
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM audit_log WHERE action = 'invitation.recovery_sent' AND details->>'reason' = '{reason}'")).await,
        1
    );
    // While Bright's bid is before its deadline the invitation cannot be used.
    let link = app
        .emailed_link("manager@brightcare.example", "/invitations/accept")
        .await;
    let token = link.split("token=").nth(1).unwrap().to_string();
    let accept =
        json!({"token": token, "name": "New Manager", "password": "kettle orchard lantern"});
    let users = count(&app, "SELECT count(*) AS n FROM users").await;
    let refused = app
        .json("POST", "/api/v1/invitations/accept", None, &accept, &[])
        .await
        .problem(422);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sealed until its deadline"),
        "{refused}"
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM users").await, users);
    // After the deadline it can.
    tender::close(&app, &tender).await;
    let r = app
        .json("POST", "/api/v1/invitations/accept", None, &accept, &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        latest_email(&app, BRIGHT).await.as_deref(),
        Some("colleague_joined")
    );
}

/// Starts the provider's bid for procurement `id`; returns the submission id.
async fn start_bid(app: &TestApp, token: &str, id: &str) -> String {
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/submissions"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    assert!(matches!(r.status, 200 | 201), "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// A sign-in attempt for `email` from a client at `from` (the test app trusts one proxy).
async fn attempt(app: &TestApp, email: &str, password: &str, from: &str) -> Reply {
    app.json(
        "POST",
        "/api/v1/auth/token",
        None,
        &json!({"email": email, "password": password}),
        &[("X-Forwarded-For", from)],
    )
    .await
}

#[actix_web::test]
async fn each_guess_is_counted_once_unknown_addresses_read_the_same_and_nobody_is_locked_out_from_elsewhere()
 {
    let app = spawn_app_with(|s| s.security.trusted_proxy_hops = 1).await;
    let attacker = "203.0.113.9";
    let mut problems = Vec::new();
    for email in ["evaluator@council.example", "nobody@council.example"] {
        let replies = futures_util::future::join_all(
            (0..40).map(|_| attempt(&app, email, "not-the-password", attacker)),
        )
        .await;
        let wrong = replies.iter().filter(|r| r.status == 401).count();
        let refused: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
        // Exactly five passwords were checked, however many guesses raced.
        assert_eq!(
            (wrong, refused.len()),
            (5, 35),
            "{email}: {:?}",
            replies.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        assert!(refused[0].header("retry-after").is_some());
        problems.push(refused[0].problem(429));
    }
    // An account that exists and one that does not are refused in the same words.
    assert_eq!(problems[0], problems[1]);
    assert_eq!(
        problems[0]["type"],
        "urn:commissioning:problem:sign-in-throttled"
    );
    // Even the right password waits, from the attacker's address...
    attempt(&app, "evaluator@council.example", PASSWORD, attacker)
        .await
        .problem(429);
    // ...and more guesses do not move the end of the wait.
    let ends = "SELECT count(DISTINCT window_started_at) AS n FROM sign_in_throttle";
    let windows = count(&app, ends).await;
    for _ in 0..3 {
        attempt(&app, "evaluator@council.example", "x", attacker).await;
    }
    assert_eq!(count(&app, ends).await, windows);
    // The evaluator, elsewhere, signs in as usual.
    assert_eq!(
        attempt(&app, "evaluator@council.example", PASSWORD, "198.51.100.7")
            .await
            .status,
        200
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'user.sign_in_throttled'"
        )
        .await,
        1
    );
    // A reset by email clears the counts.
    let mut b = app.browser();
    b.get("/forgot-password").await;
    b.post(
        "/forgot-password",
        &[("email", "evaluator@council.example")],
        true,
    )
    .await;
    let link = app
        .emailed_link("evaluator@council.example", "/reset-password")
        .await;
    let token = link.split("token=").nth(1).unwrap();
    b.get(&link).await;
    let r = b
        .post(
            "/reset-password",
            &[
                ("token", token),
                ("password", "kettle orchard lantern"),
                ("confirm", "kettle orchard lantern"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        attempt(
            &app,
            "evaluator@council.example",
            "kettle orchard lantern",
            attacker
        )
        .await
        .status,
        200
    );
}

#[actix_web::test]
async fn a_flood_from_one_address_is_turned_away_before_any_work() {
    let app = spawn_app_with(|s| {
        s.security.sign_in_per_minute = 3;
        s.security.other_per_minute = 2;
    })
    .await;
    // The fourth token request in a minute is refused, whatever X-Forwarded-For claims
    // (no proxy is trusted here, so the header cannot buy a fresh allowance).
    for i in 0..3 {
        assert_eq!(
            attempt(&app, ADMIN, "wrong", &format!("10.0.0.{i}"))
                .await
                .status,
            401
        );
    }
    let refused = attempt(&app, ADMIN, PASSWORD, "10.0.0.99").await;
    let p = refused.problem(429);
    assert_eq!(p["type"], "urn:commissioning:problem:too-many-requests");
    assert!(
        refused
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // The sign-in page shares the sign-in allowance.
    let mut b = app.browser();
    b.get("/login").await;
    let r = b
        .post("/login", &[("email", ADMIN), ("password", PASSWORD)], true)
        .await;
    assert_eq!(r.status, 429);
    assert!(r.text().contains("Too many"));
    // Registration and password resets have their own, smaller one.
    let registration = json!({"organisation": {"legal_name": "X Ltd", "companies_house_number": "77777777", "address_line1": "1 X", "town": "X", "postcode": "WR1 1AA"},
        "user": {"email": "x@x.example", "name": "X", "password": "kettle orchard lantern"}});
    let statuses: Vec<u16> = futures_util::future::join_all(
        (0..3).map(|_| app.json("POST", "/api/v1/registrations", None, &registration, &[])),
    )
    .await
    .iter()
    .map(|r| r.status)
    .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
    let mut c = app.browser();
    c.get("/forgot-password").await;
    let mut last = 0;
    for _ in 0..3 {
        last = c
            .post("/forgot-password", &[("email", "a@b.example")], true)
            .await
            .status;
    }
    assert_eq!(last, 429);
}

#[actix_web::test]
async fn the_outbox_never_holds_a_live_link() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    let mut b = app.browser();
    b.get("/forgot-password").await;
    b.post("/forgot-password", &[("email", MEADOW)], true).await;
    let link = app.emailed_link(MEADOW, "/reset-password").await;
    let token = link.split("token=").nth(1).unwrap();
    let list = app
        .get(&format!("/api/v1/outbox?to={MEADOW}"), Some(&admin))
        .await
        .json();
    let id = &list["items"][0]["id"];
    let detail = app.get(&format!("/api/v1/outbox/{id}"), Some(&admin)).await;
    assert!(!detail.text().contains(token));
    assert!(detail.text().contains("HIDDEN-LINK-TOKEN"));
    let mut a = app.browser();
    a.sign_in(ADMIN).await;
    for path in [
        format!("/admin/outbox/{id}"),
        format!("/admin/outbox/{id}/html"),
    ] {
        let page = a.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.text().contains(token), "{path}");
    }
    // An unsubscribe link's signature is hidden too.
    let ctx = backend::mail::MailContext::from_settings(&app.settings);
    let user: uuid::Uuid = me(&app, &app.token(MEADOW).await).await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut conn = app.db().await;
    let optional = backend::mail::enqueue(
        &mut conn,
        &ctx,
        backend::mail::Email {
            template: "tender_opened",
            to_address: MEADOW.into(),
            to_name: "Tom".into(),
            user_id: Some(user),
            reason: "r".into(),
            optional_kind: Some(backend::mail::NotificationKind::OpeningNotices),
            data: backend::mail::sample::<backend::procurement::emails::TenderOpened>().1,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let stored = app
        .get(&format!("/api/v1/outbox/{optional}"), Some(&admin))
        .await
        .text();
    let signature = backend::mail::unsubscribe::token(
        &ctx.unsubscribe_key,
        user,
        backend::mail::NotificationKind::OpeningNotices,
    );
    assert!(!stored.contains(&signature) && stored.contains("HIDDEN-UNSUBSCRIBE-TOKEN"));
    // The live link works for its reader.
    assert_eq!(b.get(&link).await.status, 200);
}

#[actix_web::test]
async fn after_sign_in_only_a_path_on_this_site_is_followed() {
    let app = spawn_app().await;
    let mut b = app.browser();
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/%0a/evil.example",
        "/%0d//evil.example",
        "/%0b/evil.example",
        "/%1f/evil.example",
        "https://evil.example",
        "/%5Cevil.example",
    ] {
        let page = b.get(&format!("/login?next={next}")).await;
        assert_eq!(page.status, 200, "{next}");
        assert!(
            page.text().contains(r#"name="next" value="/dashboard""#),
            "{next}"
        );
    }
    for raw in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
    ] {
        let mut b = app.browser();
        b.get("/login").await;
        let r = b
            .post(
                "/login",
                &[("email", ADMIN), ("password", PASSWORD), ("next", raw)],
                true,
            )
            .await;
        assert_eq!(r.status, 303, "{raw:?}");
        assert_eq!(
            r.header("location").as_deref(),
            Some("/dashboard"),
            "{raw:?}"
        );
    }
    let mut b = app.browser();
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("email", ADMIN),
                ("password", PASSWORD),
                ("next", "/admin/audit?action=user.created"),
            ],
            true,
        )
        .await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/admin/audit?action=user.created")
    );
}

#[actix_web::test]
async fn concurrent_draft_saves_of_different_questions_all_keep_their_answers() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &commissioner, "SEC-2", tender::questionnaire()).await;
    let sid = start_bid(&app, &bright, &id).await;
    let path = format!("/api/v1/submissions/{sid}/answers");
    for round in 0..20 {
        let texts: Vec<(String, String)> = ["Q2", "Q3", "Q5", "Q7"]
            .iter()
            .map(|q| (q.to_string(), format!("round {round} answer to {q}")))
            .collect();
        let mut saves: Vec<_> = texts
            .iter()
            .map(|(q, t)| json!({"answers": {q: {"text": t}}}))
            .collect();
        saves.push(json!({"answers": {"Q1": {"choice": round % 2 == 0}}}));
        let replies = futures_util::future::join_all(
            saves
                .iter()
                .map(|body| app.json("PATCH", &path, Some(&bright), body, &[])),
        )
        .await;
        assert!(replies.iter().all(|r| r.status == 200), "round {round}");
        let now = app
            .get(&format!("/api/v1/submissions/{sid}"), Some(&bright))
            .await
            .json();
        for (q, t) in &texts {
            assert_eq!(now["answers"][q]["text"], t.as_str(), "round {round}, {q}");
        }
        assert_eq!(now["answers"]["Q1"]["choice"], round % 2 == 0);
    }
}

#[actix_web::test]
async fn easily_guessed_passwords_are_refused_with_a_reason() {
    let app = spawn_app().await;
    for weak in [
        "aaaaaaaaaaaa",
        "passwordpassword",
        "123456789012",
        "Password2026!",
    ] {
        let registration = json!({"organisation": {"legal_name": "Weak Ltd", "companies_house_number": "77777777", "address_line1": "1 X", "town": "X", "postcode": "WR1 1AA"},
            "user": {"email": "weak@x.example", "name": "W", "password": weak}});
        let p = app
            .json("POST", "/api/v1/registrations", None, &registration, &[])
            .await
            .problem(422);
        let error = &p["errors"][0];
        assert_eq!(error["field"], "password", "{weak}");
        assert!(
            error["message"].as_str().unwrap().contains("easy to guess"),
            "{weak}: {error}"
        );
    }
    // The same rule guards a new password chosen through a reset link.
    let mut b = app.browser();
    b.get("/forgot-password").await;
    b.post("/forgot-password", &[("email", MEADOW)], true).await;
    let link = app.emailed_link(MEADOW, "/reset-password").await;
    b.get(&link).await;
    let r = b
        .post(
            "/reset-password",
            &[
                ("token", link.split("token=").nth(1).unwrap()),
                ("password", "qwertyuiopas"),
                ("confirm", "qwertyuiopas"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("easy to guess"));
}

/// A multipart body with the given parts (name, file name, bytes), in order.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----security-test-boundary";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        let disposition = match file {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn uploads_are_checked_for_csrf_first_and_for_size_as_they_stream() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &commissioner, "SEC-3", tender::questionnaire()).await;
    let mut b = app.browser();
    b.sign_in(BRIGHT).await;
    b.get(&format!("/opportunities/{id}")).await;
    let r = b
        .post(&format!("/opportunities/{id}/bids"), &[], true)
        .await;
    let to = r.header("location").unwrap();
    let csrf = b.csrf();
    let cookies = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let send = |content_type: String, body: Vec<u8>| {
        let cookies = cookies.clone();
        let to = to.clone();
        let app = &app;
        async move {
            app.raw(
                "POST",
                &format!("{to}/sections/5"),
                &[
                    ("Content-Type", &content_type),
                    ("Cookie", &cookies),
                    ("Accept", "text/html"),
                ],
                body,
            )
            .await
        }
    };
    let big = vec![b'a'; 2 * 1024 * 1024];
    // A forged post that leads with a file is refused before the file is read.
    let (ct, body) = multipart(&[
        ("file:Q6", Some("big.pdf"), &big),
        ("_csrf", None, csrf.as_bytes()),
    ]);
    assert_eq!(send(ct, body).await.status, 403);
    // A wrong token in first place, likewise.
    let (ct, body) = multipart(&[("_csrf", None, b"0000"), ("file:Q6", Some("big.pdf"), &big)]);
    assert_eq!(send(ct, body).await.status, 403);
    // More than a form may send is refused as soon as it is seen.
    let huge = vec![b'a'; 12 * 1024 * 1024];
    let (ct, body) = multipart(&[
        ("_csrf", None, csrf.as_bytes()),
        ("file:Q6", Some("huge.pdf"), &huge),
    ]);
    let r = send(ct, body).await;
    assert_eq!(r.status, 413);
    assert!(r.text().contains("too much to send"));
    // Twenty 10 MB text fields: refused at the first megabyte of text.
    let (ct, body) = multipart(&[
        ("_csrf", None, csrf.as_bytes()),
        ("Q2", None, &vec![b'w'; 1024 * 1024 + 1]),
    ]);
    assert_eq!(send(ct, body).await.status, 413);
    // Nothing was saved by any of them.
    let bright = app.token(BRIGHT).await;
    let sid = to.trim_start_matches("/bids/");
    let saved = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&bright))
        .await
        .json();
    assert_eq!(saved["answers"].as_object().map(|a| a.len()), Some(0));
    assert_eq!(saved["files"].as_array().unwrap().len(), 0);
}

/// A PDF of about `kb` kilobytes.
fn pdf(kb: usize) -> Vec<u8> {
    let mut bytes = PDF.to_vec();
    bytes.extend(std::iter::repeat_n(b'%', kb * 1024));
    bytes
}

async fn attach(app: &TestApp, token: &str, sid: &str, name: &str, bytes: Vec<u8>) -> Reply {
    app.raw(
        "POST",
        &format!("/api/v1/submissions/{sid}/files?question_id=Q6&file_name={name}"),
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/octet-stream"),
        ],
        bytes,
    )
    .await
}

fn objects_on_disk(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.settings.data_dir.join("files/uploads"))
}

#[actix_web::test]
async fn removed_uploads_leave_nothing_on_disk_and_each_organisation_has_a_quota() {
    let app = spawn_app_with(|s| s.security.upload_quota_bytes = 3 * 1024 * 1024 + 4096).await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &commissioner, "SEC-4", tender::questionnaire()).await;
    let sid = start_bid(&app, &bright, &id).await;
    // The probe's 30 rounds of upload-and-delete.
    for _ in 0..30 {
        let r = attach(&app, &bright, &sid, "policy.pdf", pdf(1024)).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let file = r.json()["id"].as_str().unwrap().to_string();
        let r = app
            .json(
                "DELETE",
                &format!("/api/v1/submissions/{sid}/files/{file}"),
                Some(&bright),
                &json!({}),
                &[],
            )
            .await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(
        objects_on_disk(&app),
        30,
        "removed uploads wait for housekeeping"
    );
    // The nightly housekeeping removes them all.
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    state
        .jobs
        .run_now(backend::worker::housekeeping::NAME, later)
        .await
        .unwrap();
    assert_eq!(objects_on_disk(&app), 0);

    // Three 1 MB files fit the quota; a fourth is refused and says why.
    for _ in 0..3 {
        assert_eq!(
            attach(&app, &bright, &sid, "a.pdf", pdf(1024)).await.status,
            201
        );
    }
    let p = attach(&app, &bright, &sid, "d.pdf", pdf(1024))
        .await
        .problem(507);
    assert_eq!(p["type"], "urn:commissioning:problem:quota-exceeded");
    assert!(
        p["detail"].as_str().unwrap().contains("Remove files"),
        "{p}"
    );
    // Another organisation's quota is its own.
    let meadow = app.token(MEADOW).await;
    let meadow_sid = start_bid(&app, &meadow, &id).await;
    assert_eq!(
        attach(&app, &meadow, &meadow_sid, "m.pdf", pdf(1024))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn answers_carry_security_headers_errors_included_and_nothing_private_is_cached() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    let mut b = app.browser();
    b.sign_in(ADMIN).await;
    let answers = [
        app.get("/api/v1/nothing-here", None).await,
        app.get("/api/v1/me", None).await,
        app.get("/api/v1/me", Some(&admin)).await,
        b.get("/dashboard").await,
        b.get("/no-such-page").await,
    ];
    for r in &answers {
        for h in [
            "x-content-type-options",
            "x-frame-options",
            "content-security-policy",
            "referrer-policy",
        ] {
            assert!(r.header(h).is_some(), "{h} missing on a {}", r.status);
        }
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{}",
            r.status
        );
        assert!(r.header("strict-transport-security").is_none());
    }
    assert!(
        b.get("/static/app.css")
            .await
            .header("cache-control")
            .unwrap()
            .contains("max-age")
    );
    // Published over HTTPS: HSTS, and the CSRF cookie only this host can set.
    let secure =
        spawn_app_with(|s| *s = s.clone().with_public_url("https://care.example".into())).await;
    let mut s = secure.browser();
    let login = s.get("/login").await;
    assert!(
        login
            .header("strict-transport-security")
            .unwrap()
            .contains("max-age=")
    );
    let cookie = login
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("csrf"))
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("__Host-csrf=") && cookie.contains("Secure"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn a_form_token_belongs_to_one_session_and_signing_in_issues_a_new_one() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.get("/login").await;
    let before_cookie = b.cookies.get("csrf").cloned().unwrap();
    let before_value = b.csrf();
    let r = b.sign_in(COMMISSIONER).await;
    assert!(
        r.cookie("csrf").is_some(),
        "signing in sets a new CSRF cookie"
    );
    assert_ne!(b.cookies.get("csrf").unwrap(), &before_cookie);
    // A value from before signing in, or from another person's session, is refused.
    let mut other = app.browser();
    other.sign_in(BRIGHT).await;
    for stale in [before_value, other.csrf()] {
        let r = b
            .post(
                "/account/notifications",
                &[("kinds", "deadline_reminders"), ("_csrf", &stale)],
                false,
            )
            .await;
        assert_eq!(r.status, 403);
    }
    let r = b
        .post(
            "/account/notifications",
            &[("kinds", "deadline_reminders")],
            true,
        )
        .await;
    assert_eq!(r.status, 303);
}

#[actix_web::test]
async fn titles_are_one_line() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let mut input = tender::input(&app, "SEC-5", 3600, 7200).await;
    input["title"] = json!("Home care\r\nBcc: everyone@example.com");
    let p = app
        .json(
            "POST",
            "/api/v1/procurements",
            Some(&commissioner),
            &input,
            &[],
        )
        .await
        .problem(422);
    assert_eq!(p["errors"][0]["field"], "title");
}

#[actix_web::test]
async fn documents_hiding_programs_are_refused_and_downloads_keep_their_exact_names() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &commissioner, "SEC-6", tender::questionnaire()).await;
    let sid = start_bid(&app, &bright, &id).await;
    // A Word document whose first part looks right and whose later part is a program.
    let docx = tests::zip_of(&[
        ("[Content_Types].xml", b"<Types/>".as_slice()),
        ("word/document.xml", b"<w:document/>".as_slice()),
        ("word/media/setup.exe", b"MZ".as_slice()),
    ]);
    let p = attach(&app, &bright, &sid, "insurance.docx", docx)
        .await
        .problem(422);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("program"),
        "{p}"
    );
    // A file named outside ASCII downloads under exactly that name.
    let r = attach(
        &app,
        &bright,
        &sid,
        "D%C3%A9cision%20finale.pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let file = r.json()["id"].as_str().unwrap().to_string();
    let download = app
        .get(
            &format!("/api/v1/submissions/{sid}/files/{file}"),
            Some(&bright),
        )
        .await;
    let disposition = download.header("content-disposition").unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''D%C3%A9cision%20finale.pdf"),
        "{disposition}"
    );
    assert!(disposition.is_ascii());
}

#[actix_web::test]
async fn registering_an_address_that_has_an_account_reads_the_same_and_tells_its_owner() {
    let app = spawn_app().await;
    let organisations = count(&app, "SELECT count(*) AS n FROM organisations").await;
    let registration = |email: &str, number: &str| {
        json!({"organisation": {"legal_name": "Copycat Care Ltd", "companies_house_number": number, "address_line1": "1 X", "town": "X", "postcode": "WR1 1AA"},
            "user": {"email": email, "name": "C", "password": "kettle orchard lantern"}})
    };
    let taken = app
        .json(
            "POST",
            "/api/v1/registrations",
            None,
            &registration(BRIGHT, "81818181"),
            &[],
        )
        .await;
    let fresh = app
        .json(
            "POST",
            "/api/v1/registrations",
            None,
            &registration("new@copycat.example", "82828282"),
            &[],
        )
        .await;
    assert_eq!((taken.status, fresh.status), (202, 202));
    assert_eq!(
        taken.text().replace(BRIGHT, "X"),
        fresh.text().replace("new@copycat.example", "X")
    );
    assert_eq!(
        latest_email(&app, BRIGHT).await.as_deref(),
        Some("registration_attempted")
    );
    assert_eq!(
        latest_email(&app, "new@copycat.example").await.as_deref(),
        Some("confirm_registration")
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM pending_registrations").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM organisations").await,
        organisations
    );
}

#[actix_web::test]
async fn a_changed_conflicts_assessment_or_answer_keeps_its_earlier_text_in_the_log() {
    let app = spawn_app().await;
    let commissioner = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &commissioner, "SEC-7", tender::questionnaire()).await;
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/conflicts-assessment"),
            Some(&commissioner),
            &json!({"assessment": "Second assessment: one evaluator's sister works for a bidder and stood down."}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log WHERE action = 'procurement.conflicts_assessed' AND details->>'previous' LIKE 'Panel members and the commissioning team%' AND details->>'assessment' LIKE 'Second assessment%'").await,
        1
    );
    let bright = app.token(BRIGHT).await;
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/clarifications"),
            Some(&bright),
            &json!({"question": "Is TUPE likely to apply?"}),
            &[],
        )
        .await;
    let cid = r.json()["id"].as_str().unwrap().to_string();
    for answer in ["No.", "Yes: see the staff list in the documents."] {
        let r = app
            .json(
                "POST",
                &format!("/api/v1/procurements/{id}/clarifications/{cid}/answer"),
                Some(&commissioner),
                &json!({"answer": answer, "publish": false}),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log WHERE action = 'clarification.answered' AND details->>'previous_answer' = 'No.' AND details->>'answer' LIKE 'Yes:%'").await,
        1
    );
}
