//! The pages without JavaScript: sign-in, CSRF, dashboards per role, admin pages,
//! registration and the provider's profile.

use tests::spawn_app;

#[actix_web::test]
async fn every_demo_role_signs_in_by_page_and_sees_its_dashboard() {
    let app = spawn_app().await;
    for (email, heading) in [
        ("admin@council.example", "Administrator dashboard"),
        ("commissioner@council.example", "Commissioner dashboard"),
        ("evaluator@council.example", "Evaluator dashboard"),
        ("contracts@council.example", "Contract manager dashboard"),
        ("bids@brightcare.example", "Provider dashboard"),
    ] {
        let mut b = app.browser();
        let r = b.sign_in(email).await;
        assert_eq!(r.header("location").as_deref(), Some("/dashboard"));
        let session = r.cookie("session").unwrap();
        assert!(r.header("set-cookie").unwrap().contains("HttpOnly"));
        assert!(!session.is_empty());
        let d = b.get("/dashboard").await;
        assert_eq!(d.status, 200);
        assert!(d.text().contains(heading), "{email}: {}", d.text());
    }
}

#[actix_web::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("email", "admin@council.example"),
                ("password", tests::PASSWORD),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("This form has expired"));
    assert!(r.cookie("session").is_none());
    // A token that does not match the cookie is refused too.
    let r = b
        .post(
            "/login",
            &[
                ("email", "admin@council.example"),
                ("password", tests::PASSWORD),
                ("_csrf", &"0".repeat(64)),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 403);
    // Signed in, signing out needs the token as well.
    b.sign_in("admin@council.example").await;
    assert_eq!(b.post("/logout", &[], false).await.status, 403);
    assert_eq!(b.get("/dashboard").await.status, 200);
}

#[actix_web::test]
async fn wrong_credentials_re_render_the_form_with_an_error_summary() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("email", "admin@council.example"),
                ("password", "nope-nope-nope"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 401);
    let html = r.text();
    assert!(html.contains("There is a problem"));
    assert!(html.contains("Enter a correct email address and password"));
    assert!(html.contains("<title>Error: Sign in"));
    assert!(
        html.contains(r#"value="admin@council.example""#),
        "the email is kept"
    );
}

#[actix_web::test]
async fn signing_out_revokes_the_session() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.sign_in("contracts@council.example").await;
    let stolen = b.cookies.clone();
    let r = b.post("/logout", &[], true).await;
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/dashboard").await.status, 303);
    // The old cookie, replayed, no longer works.
    let mut thief = app.browser();
    thief.cookies = stolen;
    let r = thief.get("/dashboard").await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
}

#[actix_web::test]
async fn admin_pages_are_for_administrators_only() {
    let app = spawn_app().await;
    let mut admin = app.browser();
    admin.sign_in("admin@council.example").await;
    for path in [
        "/admin/users",
        "/admin/users?role=provider&q=bids",
        "/admin/organisations",
        "/admin/organisations/new",
        "/admin/users/new",
        "/admin/audit",
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    assert!(
        admin
            .get("/admin/users?role=provider")
            .await
            .text()
            .contains("bids@brightcare.example")
    );
    assert!(
        admin
            .get("/admin/audit")
            .await
            .text()
            .contains("hash chain is intact")
    );
    let mut provider = app.browser();
    provider.sign_in("bids@brightcare.example").await;
    for path in ["/admin/users", "/admin/organisations", "/admin/audit"] {
        assert_eq!(provider.get(path).await.status, 403, "{path}");
    }
    let r = provider
        .post(
            "/admin/users/new",
            &[
                ("email", "x@y.example"),
                ("name", "X"),
                ("role", "admin"),
                ("password", "long password here"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 403);
    let mut anonymous = app.browser();
    let r = anonymous.get("/admin/users").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/login?next=/admin/users")
    );
}

#[actix_web::test]
async fn an_administrator_adds_a_user_and_deactivates_them_by_page() {
    let app = spawn_app().await;
    let mut admin = app.browser();
    admin.sign_in("admin@council.example").await;
    let orgs = admin.get("/admin/organisations?kind=council").await.text();
    let council = tests::first_id_after(&orgs, "/admin/organisations/").unwrap();
    let r = admin
        .post(
            "/admin/users/new",
            &[
                ("email", "panel@council.example"),
                ("name", "Pat Panel"),
                ("role", "evaluator"),
                ("organisation_id", &council),
                ("password", "short"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Password must be 12 characters or more"));
    let r = admin
        .post(
            "/admin/users/new",
            &[
                ("email", "panel@council.example"),
                ("name", "Pat Panel"),
                ("role", "evaluator"),
                ("organisation_id", &council),
                ("password", "a long enough password"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let list = admin.get("/admin/users?q=panel").await.text();
    let id = tests::first_id_after(&list, "/admin/users/").unwrap();
    let r = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("name", "Pat Panel"),
                ("role", "evaluator"),
                ("active", "false"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(
        admin
            .get("/admin/users?status=deactivated")
            .await
            .text()
            .contains("panel@council.example")
    );
}

#[actix_web::test]
async fn a_provider_registers_by_page_and_edits_its_profile() {
    let app = spawn_app().await;
    let mut b = app.browser();
    let form = b.get("/register").await.text();
    let district = form
        .split(r#"name="district_ids" type="checkbox" value=""#)
        .nth(1)
        .unwrap()[..36]
        .to_string();
    let mut fields = vec![
        ("legal_name", "Oak Tree Support CIC"),
        ("charity_number", "1187654"),
        ("address_line1", "2 Oak Row"),
        ("town", "Pershore"),
        ("postcode", "WR10 1AB"),
        ("district_ids", district.as_str()),
        ("cqc_location_id", "1-222333444"),
        ("cqc_name", "Oak Tree Pershore"),
        ("cqc_rating", "outstanding"),
        ("cqc_rating_date", "2024-11-02"),
        ("name", "Dee Green"),
        ("email", "dee@oaktree.example"),
        ("password", "short"),
    ];
    let r = b.post("/register", &fields, true).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Password must be 12 characters or more"));
    assert!(
        r.text().contains(r#"value="Oak Tree Support CIC""#),
        "entries are kept"
    );
    fields.pop();
    fields.push(("password", "oak trees grow slowly"));
    let r = b.post("/register", &fields, true).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Check your email"));
    let link = app
        .emailed_link("dee@oaktree.example", "/register/confirm")
        .await;
    assert_eq!(b.get(&link).await.status, 200);
    let token = link.split("token=").nth(1).unwrap();
    let r = b.post("/register/confirm", &[("token", token)], true).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location").as_deref(), Some("/login?registered=1"));
    b.sign_in_with("dee@oaktree.example", "oak trees grow slowly")
        .await;
    let profile = b.get("/organisation").await.text();
    assert!(profile.contains("Oak Tree Pershore"));
    assert!(profile.contains("Outstanding"));
    let edit = b.get("/organisation/edit").await;
    assert_eq!(edit.status, 200);
    let r = b
        .post(
            "/organisation/edit",
            &[
                ("legal_name", "Oak Tree Support CIC"),
                ("charity_number", "1187654"),
                ("address_line1", "4 Oak Row"),
                ("town", "Pershore"),
                ("postcode", "WR10 1AB"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(b.get("/organisation").await.text().contains("4 Oak Row"));
}

#[actix_web::test]
async fn unknown_pages_are_html_for_browsers() {
    let app = spawn_app().await;
    let mut b = app.browser();
    let r = b.get("/no-such-page").await;
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Page not found"));
    let css = b.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(!css.text().contains("GDS Transport"));
    assert!(b.get("/").await.header("content-security-policy").is_some());
}
