//! Provider evidence (issue 12): insurances with certificates on the provider's profile,
//! by API and pages, scoped to the provider's own users (commissioners and administrators
//! read them; another provider never does); CQC ratings recorded by the council with their
//! history; and the concerns the DPS context proposes suspensions from.

use chrono::{Duration, NaiveDate};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::tender::{BRIGHT, COMMISSIONER, EVALUATOR, MEADOW, PDF};
use tests::{TestApp, spawn_app};

const ADMIN: &str = "admin@council.example";

fn today() -> NaiveDate {
    backend::organisations::evidence::insurances::today()
}

/// The `n` a counting statement selects.
pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut db = app.db().await;
    diesel::sql_query(sql)
        .get_result::<N>(&mut db)
        .await
        .unwrap()
        .n
}

async fn org_of(app: &TestApp, email: &str) -> uuid::Uuid {
    app.actor(email).await.organisation_id
}

/// Uploads a certificate as `token`'s organisation and returns its id.
pub(crate) async fn certificate(app: &TestApp, token: &str, org: uuid::Uuid) -> String {
    let r = app
        .raw(
            "POST",
            &format!("/api/v1/organisations/{org}/certificates?file_name=PL%202027.pdf"),
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/octet-stream"),
            ],
            PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

fn insurance(file: &str, expires_in: i64) -> Value {
    json!({
        "kind": "public_liability",
        "insurer": "Acme Mutual",
        "cover_pence": 500_000_000,
        "starts_on": today() - Duration::days(300),
        "expires_on": today() + Duration::days(expires_in),
        "certificate_file_id": file,
    })
}

async fn insurance_count(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) AS n FROM insurances").await
}

#[actix_web::test]
async fn a_provider_keeps_its_insurances_and_only_the_council_reads_them() {
    let app = spawn_app().await;
    let bright = app.token(BRIGHT).await;
    let org = org_of(&app, BRIGHT).await;
    let file = certificate(&app, &bright, org).await;
    let base = format!("/api/v1/organisations/{org}/insurances");
    let before = insurance_count(&app).await;

    // Bad input: every problem named against its field, and nothing stored.
    let mut bad = insurance(&file, 100);
    bad["kind"] = json!("other");
    bad["insurer"] = json!(" ");
    bad["cover_pence"] = json!(0);
    bad["expires_on"] = json!(today() - Duration::days(400));
    let r = app.json("POST", &base, Some(&bright), &bad, &[]).await;
    let p = r.problem(422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["description", "insurer", "cover_pence", "expires_on"]
    );
    assert_eq!(
        insurance_count(&app).await,
        before,
        "bad input changes nothing"
    );

    let r = app
        .json("POST", &base, Some(&bright), &insurance(&file, 20), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let added = r.json();
    assert_eq!(added["status"], "expiring");
    assert_eq!(added["status_words"], "Expires in 20 days");
    assert_eq!(added["cover"], "£5,000,000.00");
    let id = added["id"].as_str().unwrap().to_string();
    let one = format!("{base}/{id}");
    assert!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'insurance.added'"
        )
        .await
            >= 1
    );

    // Commissioners and administrators read it, and its certificate; they cannot change it.
    for who in [COMMISSIONER, ADMIN] {
        let t = app.token(who).await;
        let list = app.get(&base, Some(&t)).await;
        assert_eq!(list.status, 200, "{who}");
        assert!(
            list.json()
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str())
        );
        let cert = app.get(&format!("{one}/certificate"), Some(&t)).await;
        assert_eq!(cert.status, 200, "{who}");
        assert_eq!(
            cert.header("content-type").as_deref(),
            Some("application/pdf")
        );
        let r = app
            .json("PUT", &one, Some(&t), &insurance(&file, 30), &[])
            .await;
        assert_eq!(r.status, 403, "{who} may not change a provider's insurance");
    }

    // Another provider, and an evaluator, never learn it exists.
    let meadow = app.token(MEADOW).await;
    let evaluator = app.token(EVALUATOR).await;
    for t in [&meadow, &evaluator] {
        assert_eq!(app.get(&base, Some(t)).await.status, 404);
        assert_eq!(app.get(&one, Some(t)).await.status, 404);
        assert_eq!(
            app.get(&format!("{one}/certificate"), Some(t)).await.status,
            404
        );
        assert_eq!(
            app.json("PUT", &one, Some(t), &insurance(&file, 30), &[])
                .await
                .status,
            404
        );
        assert_eq!(
            app.json("DELETE", &one, Some(t), &json!({}), &[])
                .await
                .status,
            404
        );
    }
    // Nor can it name Bright's id under its own organisation, or use Bright's certificate.
    let meadow_org = org_of(&app, MEADOW).await;
    let theirs = format!("/api/v1/organisations/{meadow_org}/insurances");
    assert_eq!(
        app.get(&format!("{theirs}/{id}"), Some(&meadow))
            .await
            .status,
        404
    );
    let r = app
        .json("POST", &theirs, Some(&meadow), &insurance(&file, 20), &[])
        .await;
    assert_eq!(r.problem(422)["errors"][0]["field"], "certificate_file_id");

    // The provider renews it: a new expiry date and a new certificate.
    let renewed = certificate(&app, &bright, org).await;
    let r = app
        .json("PUT", &one, Some(&bright), &insurance(&renewed, 385), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status_words"], "Valid");
    assert_eq!(r.json()["certificate"]["id"], renewed.as_str());

    // And removes it: the list no longer has it.
    let r = app
        .json("DELETE", &one, Some(&bright), &json!({}), &[])
        .await;
    assert_eq!(r.status, 204);
    let list = app.get(&base, Some(&bright)).await.json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id.as_str())
    );
    assert_eq!(app.get(&one, Some(&bright)).await.status, 404);
}

#[actix_web::test]
async fn a_certificate_must_be_a_document_and_within_the_size_limit() {
    let app = spawn_app().await;
    let bright = app.token(BRIGHT).await;
    let org = org_of(&app, BRIGHT).await;
    let path = format!("/api/v1/organisations/{org}/certificates?file_name=cert.pdf");
    let auth = format!("Bearer {bright}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let r = app
        .raw(
            "POST",
            &path,
            &headers,
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec(),
        )
        .await;
    assert_eq!(r.problem(422)["errors"][0]["field"], "file");
    let huge = vec![b'a'; backend::storage::MAX_FILE_BYTES + 10];
    assert_eq!(app.raw("POST", &path, &headers, huge).await.status, 413);
    // Another organisation's provider cannot upload into Bright's profile.
    let meadow = app.token(MEADOW).await;
    let auth = format!("Bearer {meadow}");
    let r = app
        .raw(
            "POST",
            &path,
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/octet-stream"),
            ],
            PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM stored_files WHERE display_name = 'cert.pdf'"
        )
        .await,
        0
    );
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[actix_web::test]
async fn a_provider_adds_changes_and_removes_an_insurance_through_the_pages() {
    let app = spawn_app().await;
    let mut b = app.browser();
    b.sign_in(BRIGHT).await;
    assert_eq!(b.get("/organisation/insurances/new").await.status, 200);
    let year = (today() + Duration::days(200)).format("%Y").to_string();
    let fields = |insurer: &'static str, day: &'static str| {
        vec![
            ("kind", "other"),
            ("description", "Cyber insurance"),
            ("insurer", insurer),
            ("cover", "1,000,000"),
            ("starts_on_day", "1"),
            ("starts_on_month", "Jan"),
            ("starts_on_year", "2026"),
            ("expires_on_day", day),
            ("expires_on_month", "12"),
        ]
    };
    // An error: no insurer and a day that does not exist. The certificate is kept.
    let mut f = fields("", "32");
    f.push(("expires_on_year", &year));
    let r = b
        .post_multipart(
            "/organisation/insurances/new",
            &f,
            "certificate",
            "cyber.pdf",
            PDF,
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains("Enter the name of the insurer"));
    assert!(html.contains("The expiry date must be a real date"));
    assert!(
        html.contains("href=\"#expires_on_day\""),
        "the whole date links to its day box"
    );
    assert!(html.contains("You have uploaded cyber.pdf"));
    assert!(
        html.contains("value=\"Cyber insurance\""),
        "what was typed is shown again"
    );
    let carried = hidden(&html, "certificate_file_id");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM insurances").await,
        3,
        "only the demo's: an error saves nothing"
    );

    // Put right, without choosing the file again: a draft, then check your answers.
    let mut f = fields("Cyber Cover Ltd", "31");
    f.push(("expires_on_year", &year));
    f.push(("certificate_file_id", &carried));
    f.push(("certificate_name", "cyber.pdf"));
    let r = b.post("/organisation/insurances/new", &f, true).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let check = r.header("location").unwrap();
    assert!(check.ends_with("/check"), "{check}");
    let html = b.get(&check).await.text();
    for words in [
        "Other",
        "Cyber insurance",
        "Cyber Cover Ltd",
        "£1,000,000.00",
        "1 January 2026",
        "cyber.pdf",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    assert!(
        html.contains("/edit#insurer"),
        "each row changes at its input"
    );
    // Not listed until it is saved.
    let list = b.get("/organisation/insurances").await.text();
    assert!(!list.contains("Cyber Cover Ltd"));
    let r = b.post(&check, &[], true).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/organisation/insurances?done=added")
    );
    let list = b.get("/organisation/insurances?done=added").await.text();
    assert!(list.contains("Insurance added"));
    assert!(list.contains("Other insurance: Cyber insurance"));
    let id = check
        .trim_start_matches("/organisation/insurances/")
        .trim_end_matches("/check")
        .to_string();

    // Change it: a change draft, checked, then copied onto the saved one.
    let html = b
        .get(&format!("/organisation/insurances/{id}/edit"))
        .await
        .text();
    assert!(html.contains("value=\"Cyber Cover Ltd\""));
    let mut f = fields("Cyber Cover Group", "31");
    f.push(("expires_on_year", &year));
    f.push(("certificate_file_id", &carried));
    let r = b
        .post(&format!("/organisation/insurances/{id}/edit"), &f, true)
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let check = r.header("location").unwrap();
    assert_ne!(
        check,
        format!("/organisation/insurances/{id}/check"),
        "a draft of the change"
    );
    let list = b.get("/organisation/insurances").await.text();
    assert!(
        list.contains("Cyber Cover Ltd"),
        "the saved one is unchanged until confirmed"
    );
    let r = b.post(&check, &[], true).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/organisation/insurances?done=changed")
    );
    let list = b.get("/organisation/insurances").await.text();
    assert!(list.contains("Cyber Cover Group") && !list.contains("Cyber Cover Ltd"));
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM insurances WHERE id = '{id}' OR replaces_id = '{id}'"
            )
        )
        .await,
        1,
        "the draft has gone"
    );

    // Remove it: asked first; the way back changes nothing.
    let remove = format!("/organisation/insurances/{id}/remove");
    let r = b.post(&remove, &[], true).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("Are you sure you want to remove your other insurance: cyber insurance?")
    );
    assert!(
        b.get("/organisation/insurances")
            .await
            .text()
            .contains("Cyber Cover Group")
    );
    let r = b.post(&remove, &[("confirmed", "yes")], true).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/organisation/insurances?done=removed")
    );
    assert!(
        !b.get("/organisation/insurances")
            .await
            .text()
            .contains("Cyber Cover Group")
    );
    assert!(
        count(&app, "SELECT count(*) AS n FROM audit_log WHERE action IN ('insurance.added', 'insurance.changed', 'insurance.removed')").await >= 3
    );
}

#[actix_web::test]
async fn another_provider_cannot_reach_an_insurance_through_the_pages() {
    let app = spawn_app().await;
    let org = org_of(&app, BRIGHT).await;
    let id = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: uuid::Uuid,
        }
        let mut db = app.db().await;
        diesel::sql_query(format!(
            "SELECT id FROM insurances WHERE organisation_id = '{org}' LIMIT 1"
        ))
        .get_result::<Id>(&mut db)
        .await
        .unwrap()
        .id
    };
    let mut m = app.browser();
    m.sign_in(MEADOW).await;
    for path in [
        format!("/organisation/insurances/{id}/edit"),
        format!("/organisation/insurances/{id}/check"),
        format!("/providers/{org}/insurances/{id}/certificate"),
    ] {
        assert_eq!(m.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(
        m.get(&format!("/providers/{org}/evidence")).await.status,
        403
    );
    let r = m
        .post(
            &format!("/organisation/insurances/{id}/remove"),
            &[("confirmed", "yes")],
            true,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = m
        .post(
            &format!("/organisation/insurances/{id}/edit"),
            &[("kind", "public_liability"), ("insurer", "Mine now")],
            true,
        )
        .await;
    assert_ne!(r.status, 303);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM insurances WHERE id = '{id}' AND insurer <> 'Mine now'"
            )
        )
        .await,
        1
    );
    // The demo's certificate downloads for Bright Care and for the commissioner.
    let mut b = app.browser();
    b.sign_in(BRIGHT).await;
    let r = b
        .get(&format!("/providers/{org}/insurances/{id}/certificate"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.text().starts_with("%PDF"));
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let page = c.get(&format!("/providers/{org}/evidence")).await.text();
    assert!(page.contains("Acme Insurance plc"), "{page}");
    assert!(page.contains("Expires in 20 days"));
    assert!(page.contains("Expired"));
}
