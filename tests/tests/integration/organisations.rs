//! Registration, users and organisations: validation, idempotency and who may see what.

use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

fn registration(email: &str, company: &str) -> Value {
    json!({
        "organisation": {
            "legal_name": "Hillside Home Care Ltd",
            "companies_house_number": company,
            "address_line1": "3 Mill Lane",
            "town": "Evesham",
            "postcode": "wr11 4aa",
            "cqc_locations": [{"location_id": "1-555555555", "name": "Hillside Evesham", "rating": "good", "rating_date": "2025-01-20"}]
        },
        "user": {"email": email, "name": "Rita Okafor", "password": "a long enough password"}
    })
}

async fn org_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", Some(token)).await.json()["organisation_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn a_provider_registers_and_signs_in() {
    let app = spawn_app().await;
    // Nothing exists, and nobody can sign in, until the emailed link is followed.
    let r = app
        .json(
            "POST",
            "/api/v1/registrations",
            None,
            &registration("rita@hillside.example", "1234567"),
            &[],
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    app.json(
        "POST",
        "/api/v1/auth/token",
        None,
        &json!({"email": "rita@hillside.example", "password": "a long enough password"}),
        &[],
    )
    .await
    .problem(401);
    let link = app
        .emailed_link("rita@hillside.example", "/register/confirm")
        .await;
    let token = link.split("token=").nth(1).unwrap();
    let r = app
        .json(
            "POST",
            "/api/v1/registrations/confirm",
            None,
            &json!({"token": token}),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!(body["organisation"]["companies_house_number"], "01234567");
    assert_eq!(body["organisation"]["postcode"], "WR11 4AA");
    assert_eq!(body["organisation"]["cqc_locations"][0]["rating"], "good");
    assert_eq!(body["user"]["role"], "provider");
    let token = app
        .token_with("rita@hillside.example", "a long enough password")
        .await;
    assert_eq!(
        org_id(&app, &token).await,
        body["organisation"]["id"].as_str().unwrap()
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["email_verified"],
        true
    );
    // The link works once.
    app.json(
        "POST",
        "/api/v1/registrations/confirm",
        None,
        &json!({"token": link.split("token=").nth(1).unwrap()}),
        &[],
    )
    .await
    .problem(400);
}

#[actix_web::test]
async fn registration_refuses_bad_and_duplicate_details_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let before = app.get("/api/v1/organisations", Some(&admin)).await.json()["total"].clone();
    let mut bad = registration("not-an-email", "");
    bad["organisation"]["postcode"] = json!("12345");
    bad["user"]["password"] = json!("short");
    let p = app
        .json("POST", "/api/v1/registrations", None, &bad, &[])
        .await
        .problem(422);
    let fields = tests::error_fields(&p);
    for f in ["companies_house_number", "postcode", "email", "password"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    // The same Companies House number as a demo provider: that register is public, so it
    // is said.
    let dup = app
        .json(
            "POST",
            "/api/v1/registrations",
            None,
            &registration("new@hillside.example", "09876543"),
            &[],
        )
        .await;
    assert_eq!(
        dup.problem(422)["errors"][0]["field"],
        "companies_house_number"
    );
    assert_eq!(
        app.get("/api/v1/organisations", Some(&admin)).await.json()["total"],
        before
    );
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_a_different_body() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let organisation = |name: &str, number: &str| {
        json!({"kind": "provider", "legal_name": name, "companies_house_number": number,
               "address_line1": "3 Mill Lane", "town": "Evesham", "postcode": "WR11 4AA"})
    };
    let key = [("Idempotency-Key", "org-0001")];
    let first = app
        .json(
            "POST",
            "/api/v1/organisations",
            Some(&admin),
            &organisation("Hillside Home Care Ltd", "22222222"),
            &key,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = app
        .json(
            "POST",
            "/api/v1/organisations",
            Some(&admin),
            &organisation("Hillside Home Care Ltd", "22222222"),
            &key,
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let other = app
        .json(
            "POST",
            "/api/v1/organisations",
            Some(&admin),
            &organisation("Hillside Two Ltd", "33333333"),
            &key,
        )
        .await;
    other.problem(422);
    let found = app
        .get("/api/v1/organisations?q=Hillside", Some(&admin))
        .await
        .json();
    assert_eq!(found["total"], 1, "only one organisation was created");
    app.json(
        "POST",
        "/api/v1/organisations",
        Some(&admin),
        &organisation("Hillside Three Ltd", "44444444"),
        &[("Idempotency-Key", "")],
    )
    .await
    .problem(400);
}

#[actix_web::test]
async fn a_provider_sees_and_edits_only_its_own_organisation() {
    let app = spawn_app().await;
    let bright = app.token("bids@brightcare.example").await;
    let meadow = app.token("bids@meadowhomes.example").await;
    let bright_org = org_id(&app, &bright).await;
    let meadow_org = org_id(&app, &meadow).await;
    let own = app
        .get(
            &format!("/api/v1/organisations/{bright_org}"),
            Some(&bright),
        )
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json()["cqc_locations"][0]["rating"], "good");
    // Another provider's organisation: as if it did not exist.
    app.get(
        &format!("/api/v1/organisations/{meadow_org}"),
        Some(&bright),
    )
    .await
    .problem(404);
    let body = json!({"legal_name": "Hijacked Ltd", "companies_house_number": "07654321", "address_line1": "x", "town": "y", "postcode": "WR1 1AA"});
    app.json(
        "PUT",
        &format!("/api/v1/organisations/{meadow_org}"),
        Some(&bright),
        &body,
        &[],
    )
    .await
    .problem(404);
    // Lists and other users are for administrators.
    app.get("/api/v1/organisations", Some(&bright))
        .await
        .problem(403);
    app.get("/api/v1/users", Some(&bright)).await.problem(403);
    let meadow_user = app.get("/api/v1/me", Some(&meadow)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/api/v1/users/{meadow_user}"), Some(&bright))
        .await
        .problem(404);
    // Meadow is unchanged.
    let admin = app.token("admin@council.example").await;
    assert_eq!(
        app.get(&format!("/api/v1/organisations/{meadow_org}"), Some(&admin))
            .await
            .json()["legal_name"],
        "Meadow Homes Ltd"
    );
    // Its own profile it may change, but not deactivate.
    let mine = json!({"legal_name": "Bright Care Services Ltd", "companies_house_number": "09876543", "address_line1": "14 Foregate Street", "town": "Worcester", "postcode": "WR1 1DB"});
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/organisations/{bright_org}"),
            Some(&bright),
            &mine,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["address_line1"], "14 Foregate Street");
    let mut off = mine.clone();
    off["active"] = json!(false);
    app.json(
        "PUT",
        &format!("/api/v1/organisations/{bright_org}"),
        Some(&bright),
        &off,
        &[],
    )
    .await
    .problem(403);
}

#[actix_web::test]
async fn administrators_create_filter_and_edit_users_and_organisations() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let orgs = app
        .get("/api/v1/organisations?kind=council", Some(&admin))
        .await
        .json();
    assert_eq!(orgs["total"], 1);
    let council = orgs["items"][0]["id"].as_str().unwrap().to_string();
    let new_user = json!({"email": "newbie@council.example", "name": "New Person", "password": "another long password", "role": "evaluator", "organisation_id": council});
    let r = app
        .json("POST", "/api/v1/users", Some(&admin), &new_user, &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    // A provider role in the council is refused.
    let mut wrong = new_user.clone();
    wrong["email"] = json!("wrong@council.example");
    wrong["role"] = json!("provider");
    app.json("POST", "/api/v1/users", Some(&admin), &wrong, &[])
        .await
        .problem(422);
    let found = app
        .get("/api/v1/users?role=evaluator&q=newbie", Some(&admin))
        .await
        .json();
    assert_eq!(found["total"], 1);
    let changed = app
        .json(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"role": "commissioner", "name": "Newly Promoted"}),
            &[],
        )
        .await;
    assert_eq!(changed.json()["role"], "commissioner");
    let page = app
        .get("/api/v1/users?per_page=2&page=2", Some(&admin))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 7);
    assert_eq!(page["total_pages"], 4);
    // A provider organisation created by an administrator needs a registration number.
    let org = json!({"kind": "provider", "legal_name": "Riverside Care CIC", "charity_number": "1123456", "address_line1": "1 Quay", "town": "Bewdley", "postcode": "DY12 2AA"});
    let created = app
        .json("POST", "/api/v1/organisations", Some(&admin), &org, &[])
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let audit = app
        .get(
            "/api/v1/audit?action=organisation.created&actor=admin@",
            Some(&admin),
        )
        .await
        .json();
    assert_eq!(audit["total"], 1);
}

#[actix_web::test]
async fn anyone_may_list_the_districts_a_registration_names() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/districts", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let names: Vec<String> = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Severnside".to_string()), "{names:?}");
    assert!(reply.json()[0]["id"].as_str().is_some());
}
