//! The evaluation engine through the HTTP API: a tender end to end, and every rule on the
//! way (DOMAIN.md, "The evaluation engine"): conflicts assessment before publishing,
//! sealed bids, the database-clock deadline, declarations before evaluation, individual
//! scores hidden until submitted, moderation, results, award, assessment summaries,
//! standstill and organisation scoping.

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::tender::{self, BRIGHT, COMMISSIONER, EVALUATOR, MEADOW};
use tests::{TestApp, spawn_app};

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> tests::Reply {
    app.json("POST", path, Some(token), &body, &[]).await
}

async fn sql(app: &TestApp, statement: &str) {
    let mut db = app.db().await;
    diesel::sql_query(statement).execute(&mut db).await.unwrap();
}

/// Outbox rows (as an administrator sees them) to an address.
async fn emails_to(app: &TestApp, to: &str) -> Vec<Value> {
    let admin = app.token("admin@council.example").await;
    let list = app
        .get(
            &format!("/api/v1/outbox?to={to}&per_page=100"),
            Some(&admin),
        )
        .await
        .json();
    let mut out = Vec::new();
    for item in list["items"].as_array().unwrap() {
        out.push(
            app.get(&format!("/api/v1/outbox/{}", item["id"]), Some(&admin))
                .await
                .json(),
        );
    }
    out
}

async fn second_evaluator(app: &TestApp) -> (String, String) {
    let admin = app.token("admin@council.example").await;
    let me = app.get("/api/v1/me", Some(&admin)).await.json();
    let r = post(
        app,
        "/api/v1/users",
        &admin,
        json!({
            "email": "second.evaluator@council.example", "name": "Sam Okafor", "role": "evaluator",
            "organisation_id": me["organisation_id"], "password": "correct-horse-demo-2"
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    (
        id,
        app.token_with("second.evaluator@council.example", "correct-horse-demo-2")
            .await,
    )
}

#[actix_web::test]
async fn publishing_needs_a_conflicts_assessment_and_a_complete_questionnaire() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    // Bad input changes nothing and names every field.
    let mut bad = tender::input(&app, "bad ref!", 7200, 3600).await;
    bad["title"] = json!("");
    let r = post(&app, "/api/v1/procurements", &c, bad).await;
    let p = r.problem(422);
    let fields = tests::error_fields(&p);
    assert_eq!(
        fields,
        ["title", "reference", "clarification_deadline"],
        "{p}"
    );
    // Providers and evaluators cannot create procurements.
    let provider = app.token(BRIGHT).await;
    post(
        &app,
        "/api/v1/procurements",
        &provider,
        tender::input(&app, "WCC-1", 3600, 7200).await,
    )
    .await
    .problem(403);

    let r = post(
        &app,
        "/api/v1/procurements",
        &c,
        tender::input(&app, "WCC-1", 3600, 7200).await,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["status"], "draft");
    // The same reference twice is refused.
    post(
        &app,
        "/api/v1/procurements",
        &c,
        tender::input(&app, "WCC-1", 3600, 7200).await,
    )
    .await
    .problem(422);
    // A draft is invisible outside the council.
    app.get(&format!("/api/v1/procurements/{id}"), Some(&provider))
        .await
        .problem(404);
    app.get(&format!("/api/v1/procurements/{id}"), None)
        .await
        .problem(404);

    let publish = format!("/api/v1/procurements/{id}/publish");
    // A refused publish names every problem at once, each with the field it is about.
    let p = post(&app, &publish, &c, json!({})).await.problem(409);
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("not-ready-to-publish"),
        "{p}"
    );
    let fields = tests::error_fields(&p);
    assert!(
        fields.len() >= 2
            && fields.contains(&"conflicts_assessment")
            && fields.iter().any(|f| f.starts_with("questionnaire")),
        "{p}"
    );
    let r = post(
        &app,
        &format!("/api/v1/procurements/{id}/conflicts-assessment"),
        &c,
        json!({"assessment": "No conflicts found."}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["conflicts_assessed_at"].is_string());
    // An empty questionnaire cannot be published; nor one whose weights are not 100.
    let p = post(&app, &publish, &c, json!({})).await.problem(409);
    assert!(
        !p.to_string().contains("conflicts_assessment"),
        "the assessment is recorded: {p}"
    );
    let mut q = tender::questionnaire();
    q["sections"][1]["questions"][0]["weight"] = json!(25);
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/questionnaire"),
            Some(&c),
            &json!({"questionnaire": q}),
            &[],
        )
        .await;
    assert_eq!(
        r.status,
        200,
        "drafts may be saved incomplete: {}",
        r.text()
    );
    let p = post(&app, &publish, &c, json!({})).await.problem(409);
    assert!(p.to_string().contains("add up to 95%"), "{p}");
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/questionnaire"),
            Some(&c),
            &json!({"questionnaire": tender::questionnaire()}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    // Meadow asked only for nursing opportunities; Bright chose no types (so every type).
    sql(&app, "INSERT INTO notification_service_types (user_id, service_type) SELECT id, 'nursing' FROM users WHERE email = 'bids@meadowhomes.example'").await;
    let published = post(&app, &publish, &c, json!({})).await;
    assert_eq!(published.status, 200);
    assert_eq!(published.json()["status"], "open");
    let opening: Vec<Value> = emails_to(&app, BRIGHT)
        .await
        .into_iter()
        .filter(|e| e["template"] == "tender_opened")
        .collect();
    assert_eq!(opening.len(), 1, "Bright gets the opening notice");
    assert!(
        opening[0]["text_body"]
            .as_str()
            .unwrap()
            .contains("Stop these emails")
    );
    assert!(
        emails_to(&app, MEADOW)
            .await
            .iter()
            .all(|e| e["template"] != "tender_opened"),
        "Meadow chose nursing only"
    );
    // Published: on the public list, filterable, and no longer editable. (The demo data
    // has an open home care tender too, in another district.)
    let district = app
        .get(&format!("/api/v1/procurements/{id}"), Some(&c))
        .await
        .json()["district_ids"][0]
        .as_str()
        .unwrap()
        .to_string();
    let open = app
        .get(
            &format!(
                "/api/v1/procurements?open=true&service_type=domiciliary&district_id={district}"
            ),
            None,
        )
        .await
        .json();
    assert_eq!(open["total"], 1);
    assert_eq!(open["items"][0]["status"], "open");
    let none = app
        .get("/api/v1/procurements?open=true&service_type=nursing", None)
        .await
        .json();
    assert_eq!(none["total"], 0);
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}"),
            Some(&c),
            &tender::input(&app, "WCC-1", 3600, 7200).await,
            &[],
        )
        .await;
    r.problem(409);
    let audit = app
        .get(
            &format!("/api/v1/audit?action=procurement.published&record_id={id}"),
            Some(&app.token("admin@council.example").await),
        )
        .await
        .json();
    assert_eq!(audit["total"], 1, "{audit}");
    // Cancelling tells everyone who showed interest; it happens once.
    let bright = app.token(BRIGHT).await;
    post(
        &app,
        &format!("/api/v1/procurements/{id}/interest"),
        &bright,
        json!({}),
    )
    .await;
    post(
        &app,
        &format!("/api/v1/procurements/{id}/cancel"),
        &provider,
        json!({}),
    )
    .await
    .problem(403);
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/procurements/{id}/cancel"),
            &c,
            json!({})
        )
        .await
        .json()["status"],
        "cancelled"
    );
    post(
        &app,
        &format!("/api/v1/procurements/{id}/cancel"),
        &c,
        json!({}),
    )
    .await
    .problem(409);
    assert_eq!(
        app.get(&format!("/api/v1/procurements/{id}"), None)
            .await
            .json()["status"],
        "cancelled"
    );
    let cancelled = emails_to(&app, BRIGHT)
        .await
        .into_iter()
        .find(|e| e["template"] == "procurement_cancelled")
        .expect("bidders are told");
    assert!(
        cancelled["text_body"]
            .as_str()
            .unwrap()
            .contains("Nobody at the council has read a sealed bid")
    );
}

#[actix_web::test]
async fn a_questionnaire_change_after_publication_makes_a_version_and_tells_bidders() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &c, "WCC-2", tender::questionnaire()).await;
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/procurements/{id}/interest"),
            &bright,
            json!({})
        )
        .await
        .status,
        200
    );
    let path = format!("/api/v1/procurements/{id}/questionnaire");
    let v1 = app.get(&path, None).await.json();
    assert_eq!(v1["version"], 1);
    assert!(v1["frozen_at"].is_string());
    let mut q = v1["questionnaire"].clone();
    q["sections"][1]["questions"][0]["guidance"] = json!("Give two examples, not one.");
    // A change note is required once published.
    app.json("PUT", &path, Some(&c), &json!({"questionnaire": q}), &[])
        .await
        .problem(422);
    let r = app
        .json(
            "PUT",
            &path,
            Some(&c),
            &json!({"questionnaire": q, "change_note": "Q2 now asks for two examples."}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(
        app.get(&format!("{path}?version=1"), None).await.json()["version"],
        1
    );
    let emails = emails_to(&app, BRIGHT).await;
    let change = emails
        .iter()
        .find(|e| e["template"] == "questionnaire_changed")
        .expect("bidders are told");
    assert!(
        change["text_body"]
            .as_str()
            .unwrap()
            .contains("Q2 now asks for two examples.")
    );
    // A bid submitted on version 2 is resubmitted after version 3 adds a question: the
    // draft answers the newest version, and the resubmission moves to it.
    let sid = tender::bid(&app, &bright, &id, true).await;
    let mut q3 = app.get(&path, None).await.json()["questionnaire"].clone();
    q3["sections"][4]["questions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kind": "information", "title": "Your CQC location ID", "word_limit": 10}));
    let r = app
        .json(
            "PUT",
            &path,
            Some(&c),
            &json!({"questionnaire": q3, "change_note": "We now ask for your CQC location ID."}),
            &[],
        )
        .await;
    assert_eq!(r.json()["version"], 3, "{}", r.text());
    let new_id = r.json()["questionnaire"]["sections"][4]["questions"][2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = post(
        &app,
        &format!("/api/v1/submissions/{sid}/submit"),
        &bright,
        json!({}),
    )
    .await
    .problem(422);
    assert!(p.to_string().contains(&new_id), "{p}");
    let r = app
        .json(
            "PATCH",
            &format!("/api/v1/submissions/{sid}/answers"),
            Some(&bright),
            &json!({"answers": {new_id.clone(): {"text": "1-101234567"}}}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/submissions/{sid}/submit"),
            &bright,
            json!({})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/submissions/{sid}"), Some(&bright))
            .await
            .json()["questionnaire_version"],
        3
    );
    // After the deadline the questionnaire cannot change.
    tender::close(&app, &id).await;
    app.json(
        "PUT",
        &path,
        Some(&c),
        &json!({"questionnaire": q, "change_note": "Late"}),
        &[],
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn clarifications_are_private_or_published_anonymised() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let id = tender::published(&app, &c, "WCC-3", tender::questionnaire()).await;
    post(
        &app,
        &format!("/api/v1/procurements/{id}/interest"),
        &meadow,
        json!({}),
    )
    .await;
    let path = format!("/api/v1/procurements/{id}/clarifications");
    post(&app, &path, &bright, json!({"question": "  "}))
        .await
        .problem(422);
    post(&app, &path, &c, json!({"question": "Council asking?"}))
        .await
        .problem(403);
    let asked = post(
        &app,
        &path,
        &bright,
        json!({"question": "Is TUPE expected to apply?"}),
    )
    .await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let cid = asked.json()["id"].as_str().unwrap().to_string();
    let private = post(
        &app,
        &path,
        &bright,
        json!({"question": "Can we see current call times?"}),
    )
    .await
    .json();
    // Before an answer, Meadow sees neither.
    assert_eq!(
        app.get(&path, Some(&meadow))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A provider cannot answer.
    post(
        &app,
        &format!("{path}/{cid}/answer"),
        &bright,
        json!({"answer": "x"}),
    )
    .await
    .problem(403);
    let r = post(
        &app,
        &format!("{path}/{cid}/answer"),
        &c,
        json!({"answer": "Yes, for 14 staff.", "publish": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    post(
        &app,
        &format!("{path}/{}/answer", private["id"].as_str().unwrap()),
        &c,
        json!({"answer": "Sent by email."}),
    )
    .await;
    let seen = app.get(&path, Some(&meadow)).await.json();
    assert_eq!(
        seen.as_array().unwrap().len(),
        1,
        "only the published one: {seen}"
    );
    assert!(seen[0]["organisation_name"].is_null(), "anonymised: {seen}");
    assert_eq!(seen[0]["answer"], "Yes, for 14 staff.");
    let own = app.get(&path, Some(&bright)).await.json();
    assert_eq!(own.as_array().unwrap().len(), 2);
    assert_eq!(own[0]["organisation_name"], "Bright Care Services Ltd");
    let council = app.get(&path, Some(&c)).await.json();
    assert_eq!(council.as_array().unwrap().len(), 2);
    // Meadow was emailed the published answer, but not the private one.
    let meadow_mail = emails_to(&app, MEADOW).await;
    assert_eq!(
        meadow_mail
            .iter()
            .filter(|e| e["template"] == "clarification_answered")
            .count(),
        1
    );
    assert_eq!(
        emails_to(&app, BRIGHT)
            .await
            .iter()
            .filter(|e| e["template"] == "clarification_answered")
            .count(),
        2
    );
    // After the clarification deadline no more questions.
    tender::close(&app, &id).await;
    post(&app, &path, &bright, json!({"question": "Too late?"}))
        .await
        .problem(409);
}

#[actix_web::test]
async fn sealed_bids_cannot_be_read_by_anyone_at_the_council_before_opening() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let admin = app.token("admin@council.example").await;
    let contracts = app.token("contracts@council.example").await;
    let evaluator = app.token(EVALUATOR).await;
    let id = tender::published(&app, &c, "WCC-4", tender::questionnaire()).await;

    // An incomplete bid is refused and says what is missing.
    let r = post(
        &app,
        &format!("/api/v1/procurements/{id}/submissions"),
        &bright,
        json!({}),
    )
    .await;
    let sid = r.json()["id"].as_str().unwrap().to_string();
    let p = post(
        &app,
        &format!("/api/v1/submissions/{sid}/submit"),
        &bright,
        json!({}),
    )
    .await
    .problem(422);
    assert_eq!(p["errors"].as_array().unwrap().len(), 7, "{p}");
    // Word limits are checked on submission; drafts save anything.
    let long = json!({"answers": {"Q7": {"text": vec!["word"; 51].join(" ")}}});
    assert_eq!(
        app.json(
            "PATCH",
            &format!("/api/v1/submissions/{sid}/answers"),
            Some(&bright),
            &long,
            &[]
        )
        .await
        .status,
        200
    );
    // Answers to unknown questions and files of the wrong type are refused.
    app.json(
        "PATCH",
        &format!("/api/v1/submissions/{sid}/answers"),
        Some(&bright),
        &json!({"answers": {"Q99": {"text": "x"}}}),
        &[],
    )
    .await
    .problem(422);
    let exe = app
        .raw(
            "POST",
            &format!("/api/v1/submissions/{sid}/files?question_id=Q6&file_name=policy.pdf"),
            &[("Authorization", &format!("Bearer {bright}"))],
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec(),
        )
        .await;
    exe.problem(422);

    let sid = tender::bid(&app, &bright, &id, true).await;
    let meadow_sid = tender::bid(&app, &meadow, &id, false).await;
    let secret = "safeguarding safeguarding safeguarding";

    // Every council role: the content is unreadable, only existence is shown.
    for token in [&c, &admin, &contracts, &evaluator] {
        let r = app
            .get(&format!("/api/v1/submissions/{sid}"), Some(token))
            .await;
        assert!(
            r.status == 403 || r.status == 404,
            "{} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains(secret));
        let r = app
            .get(&format!("/api/v1/procurements/{id}/results"), Some(token))
            .await;
        assert!(r.status == 403 || r.status == 404, "{}", r.text());
        let r = app
            .get(
                &format!("/api/v1/procurements/{id}/moderation"),
                Some(token),
            )
            .await;
        assert!(r.status == 403 || r.status == 404);
        let r = app
            .get(&format!("/api/v1/submissions/{sid}/scores"), Some(token))
            .await;
        assert!(r.status == 403 || r.status == 404);
    }
    let p = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&c))
        .await
        .problem(403);
    assert!(p["type"].as_str().unwrap().ends_with(":sealed"), "{p}");
    let list = app
        .get(&format!("/api/v1/procurements/{id}/submissions"), Some(&c))
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    assert!(!list.text().contains(secret) && !list.text().contains("Q2"));
    // Files, the outbox (receipts) and the audit log carry no content.
    let view = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&bright))
        .await
        .json();
    let file_id = view["files"][0]["id"].as_str().unwrap().to_string();
    app.get(
        &format!("/api/v1/submissions/{sid}/files/{file_id}"),
        Some(&c),
    )
    .await
    .problem(403);
    let receipt = emails_to(&app, BRIGHT)
        .await
        .into_iter()
        .find(|e| e["template"] == "submission_receipt")
        .expect("a receipt");
    assert!(
        receipt["text_body"]
            .as_str()
            .unwrap()
            .contains(view["digest"].as_str().unwrap())
    );
    assert!(
        !receipt["text_body"]
            .as_str()
            .unwrap()
            .contains("safeguarding")
    );
    let audit = app
        .get("/api/v1/audit?per_page=100", Some(&admin))
        .await
        .text();
    assert!(!audit.contains(secret) && !audit.contains("2450"));
    // Opening before the deadline is refused.
    post(
        &app,
        &format!("/api/v1/procurements/{id}/open"),
        &c,
        json!({}),
    )
    .await
    .problem(409);

    // Organisation scoping: Meadow cannot read Bright's bid, file or summary by any id.
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&meadow))
        .await
        .problem(404);
    app.get(
        &format!("/api/v1/submissions/{sid}/files/{file_id}"),
        Some(&meadow),
    )
    .await
    .problem(404);
    app.get(
        &format!("/api/v1/submissions/{sid}/assessment-summary"),
        Some(&meadow),
    )
    .await
    .problem(404);
    app.json(
        "PATCH",
        &format!("/api/v1/submissions/{sid}/answers"),
        Some(&meadow),
        &json!({"answers": {}}),
        &[],
    )
    .await
    .problem(404);
    post(
        &app,
        &format!("/api/v1/submissions/{sid}/withdraw"),
        &meadow,
        json!({}),
    )
    .await
    .problem(404);
    // Its own bid only (the demo data gives it bids for other tenders).
    let mine = app.get("/api/v1/submissions", Some(&meadow)).await.json();
    let mine: Vec<_> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["procurement_id"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], meadow_sid.as_str());

    // The provider reads its own bid and file; withdraws and resubmits before the deadline.
    let file = app
        .get(
            &format!("/api/v1/submissions/{sid}/files/{file_id}"),
            Some(&bright),
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, tender::PDF);
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/submissions/{sid}/withdraw"),
            &bright,
            json!({})
        )
        .await
        .json()["status"],
        "withdrawn"
    );
    assert_eq!(
        app.get(&format!("/api/v1/procurements/{id}/submissions"), Some(&c))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let again = post(
        &app,
        &format!("/api/v1/submissions/{sid}/submit"),
        &bright,
        json!({}),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again.json()["digest"],
        view["digest"],
        "the same answers give the same digest"
    );

    // After the deadline (database clock) nothing changes.
    tender::close(&app, &id).await;
    let p = post(
        &app,
        &format!("/api/v1/submissions/{sid}/submit"),
        &bright,
        json!({}),
    )
    .await
    .problem(409);
    assert!(p["type"].as_str().unwrap().ends_with("deadline-passed"));
    app.json(
        "PATCH",
        &format!("/api/v1/submissions/{sid}/answers"),
        Some(&bright),
        &json!({"answers": {}}),
        &[],
    )
    .await
    .problem(409);
    post(
        &app,
        &format!("/api/v1/submissions/{sid}/withdraw"),
        &bright,
        json!({}),
    )
    .await
    .problem(409);
    // Still sealed until opened, even after the deadline.
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&c))
        .await
        .problem(403);
    // Only commissioners open, and opening is audited.
    post(
        &app,
        &format!("/api/v1/procurements/{id}/open"),
        &admin,
        json!({}),
    )
    .await
    .problem(403);
    let opened = post(
        &app,
        &format!("/api/v1/procurements/{id}/open"),
        &c,
        json!({}),
    )
    .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert_eq!(opened.json()["status"], "in_evaluation");
    assert_eq!(
        app.get(&format!("/api/v1/procurements/{id}/submissions"), Some(&c))
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let content = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&c))
        .await;
    assert_eq!(content.status, 200);
    assert!(content.text().contains(secret));
    // Administrators and contract managers still cannot read content.
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&admin))
        .await
        .problem(403);
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&contracts))
        .await
        .problem(403);
    let audit = app
        .get(
            &format!("/api/v1/audit?action=competition.opened&record_id={id}"),
            Some(&admin),
        )
        .await
        .json();
    assert_eq!(audit["total"], 1);
}

#[actix_web::test]
async fn a_tender_runs_end_to_end_with_declarations_moderation_award_and_standstill() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let ev1 = app.token(EVALUATOR).await;
    let (ev2_id, ev2) = second_evaluator(&app).await;
    let id = tender::published(&app, &c, "WCC-5", tender::questionnaire()).await;
    let bright_sid = tender::bid(&app, &bright, &id, true).await;
    let meadow_sid = tender::bid(&app, &meadow, &id, false).await;
    // Meadow removes its file from the draft after submitting: what it submitted keeps it.
    let own = app
        .get(&format!("/api/v1/submissions/{meadow_sid}"), Some(&meadow))
        .await
        .json();
    let meadow_file = own["files"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .raw(
            "DELETE",
            &format!("/api/v1/submissions/{meadow_sid}/files/{meadow_file}"),
            &[("Authorization", &format!("Bearer {meadow}"))],
            vec![],
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        app.get(&format!("/api/v1/submissions/{meadow_sid}"), Some(&meadow))
            .await
            .json()["files"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    tender::close(&app, &id).await;
    post(
        &app,
        &format!("/api/v1/procurements/{id}/open"),
        &c,
        json!({}),
    )
    .await;
    let sealed = app
        .get(&format!("/api/v1/submissions/{meadow_sid}"), Some(&c))
        .await
        .json();
    assert_eq!(
        sealed["files"][0]["id"],
        meadow_file.as_str(),
        "the sealed bid keeps its file: {sealed}"
    );
    let download = app
        .get(
            &format!("/api/v1/submissions/{meadow_sid}/files/{meadow_file}"),
            Some(&c),
        )
        .await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, tender::PDF);

    // The panel: evaluators only, of this council.
    let ev1_id = app.get("/api/v1/me", Some(&ev1)).await.json()["id"].clone();
    let bright_user = app.get("/api/v1/me", Some(&bright)).await.json()["id"].clone();
    app.json(
        "PUT",
        &format!("/api/v1/procurements/{id}/panel"),
        Some(&c),
        &json!({"evaluator_ids": [bright_user]}),
        &[],
    )
    .await
    .problem(422);
    // Not yet on the panel: the procurement is invisible to the evaluator.
    app.get(&format!("/api/v1/procurements/{id}"), Some(&ev1))
        .await
        .problem(404);
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/panel"),
            Some(&c),
            &json!({"evaluator_ids": [ev1_id, ev2_id]}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Only procurements on whose panel the evaluator sits (the demo's home care tender has
    // no panel; the evaluator sits on the demo's extra care and reablement panels).
    assert_eq!(
        app.get("/api/v1/procurements?service_type=domiciliary", Some(&ev1))
            .await
            .json()["total"],
        1
    );

    // Undeclared: refused with 403 problem+json.
    let p = app
        .get(&format!("/api/v1/submissions/{bright_sid}"), Some(&ev1))
        .await
        .problem(403);
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("declaration-required"),
        "{p}"
    );
    let p = app
        .get(
            &format!("/api/v1/submissions/{bright_sid}/scores"),
            Some(&ev1),
        )
        .await
        .problem(403);
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("declaration-required")
    );
    let bidders = app
        .get(
            &format!("/api/v1/procurements/{id}/declarations"),
            Some(&ev1),
        )
        .await
        .json();
    assert_eq!(bidders.as_array().unwrap().len(), 2);
    let org = |name: &str| {
        bidders
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .unwrap()["organisation_id"]
            .clone()
    };
    let (bright_org, meadow_org) = (org("Bright Care Services Ltd"), org("Meadow Homes Ltd"));
    // Every bidder must be declared; a conflict needs details.
    post(
        &app,
        &format!("/api/v1/procurements/{id}/declarations"),
        &ev1,
        json!({"declarations": [{"organisation_id": bright_org, "conflicted": false}]}),
    )
    .await
    .problem(422);
    post(&app, &format!("/api/v1/procurements/{id}/declarations"), &ev2,
        json!({"declarations": [{"organisation_id": bright_org, "conflicted": false}, {"organisation_id": meadow_org, "conflicted": true}]})).await.problem(422);
    let r = post(&app, &format!("/api/v1/procurements/{id}/declarations"), &ev1,
        json!({"declarations": [{"organisation_id": bright_org, "conflicted": false}, {"organisation_id": meadow_org, "conflicted": false}]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(&app, &format!("/api/v1/procurements/{id}/declarations"), &ev2,
        json!({"declarations": [{"organisation_id": bright_org, "conflicted": false}, {"organisation_id": meadow_org, "conflicted": true, "details": "My sister manages Meadow Court."}]})).await;
    assert_eq!(r.status, 200);
    // Declarations are made once.
    post(&app, &format!("/api/v1/procurements/{id}/declarations"), &ev1,
        json!({"declarations": [{"organisation_id": bright_org, "conflicted": false}, {"organisation_id": meadow_org, "conflicted": false}]})).await.problem(409);
    // The conflicted evaluator is removed from that bidder.
    let p = app
        .get(&format!("/api/v1/submissions/{meadow_sid}"), Some(&ev2))
        .await
        .problem(403);
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("conflict-of-interest")
    );
    app.json(
        "PUT",
        &format!("/api/v1/submissions/{meadow_sid}/scores"),
        Some(&ev2),
        &json!({"scores": []}),
        &[],
    )
    .await
    .problem(403);
    let ev2_list = app
        .get(
            &format!("/api/v1/procurements/{id}/submissions"),
            Some(&ev2),
        )
        .await
        .json();
    assert_eq!(ev2_list.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/submissions/{bright_sid}"), Some(&ev1))
            .await
            .status,
        200
    );

    let sheet = |scores: [i64; 3], why: &str| {
        json!({"scores": [
            {"question_id": "Q2", "score": scores[0], "reason": format!("{why} safeguarding")},
            {"question_id": "Q3", "score": scores[1], "reason": format!("{why} recruitment")},
            {"question_id": "Q5", "score": scores[2], "reason": format!("{why} local jobs")},
        ]})
    };
    let scores = |sid: &str| format!("/api/v1/submissions/{sid}/scores");
    // Out of range scores are refused; a draft saves; submitting without reasons is refused.
    app.json(
        "PUT",
        &scores(&bright_sid),
        Some(&ev1),
        &json!({"scores": [{"question_id": "Q2", "score": 6}]}),
        &[],
    )
    .await
    .problem(422);
    app.json(
        "PUT",
        &scores(&bright_sid),
        Some(&ev1),
        &json!({"scores": [{"question_id": "Q1", "score": 3}]}),
        &[],
    )
    .await
    .problem(422);
    let draft = app
        .json(
            "PUT",
            &scores(&bright_sid),
            Some(&ev1),
            &json!({"scores": [{"question_id": "Q2", "score": 4, "reason": ""}]}),
            &[],
        )
        .await;
    assert_eq!(draft.status, 200);
    app.json(
        "PUT",
        &scores(&bright_sid),
        Some(&ev1),
        &json!({"scores": [], "submit": true}),
        &[],
    )
    .await
    .problem(422);
    // Ev2 submits first; Ev1 cannot see Ev2's marks until Ev1 submits too.
    let r = app
        .json(
            "PUT",
            &scores(&bright_sid),
            Some(&ev2),
            &{
                let mut s = sheet([5, 4, 3], "Ev2:");
                s["submit"] = json!(true);
                s
            },
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        app.get(&scores(&bright_sid), Some(&ev1)).await.json()["others"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Moderation waits for every eligible evaluator.
    app.json(
        "PUT",
        &format!("/api/v1/submissions/{bright_sid}/moderation/Q2"),
        Some(&c),
        &json!({"score": 4, "reason": "Agreed"}),
        &[],
    )
    .await
    .problem(409);
    let r = app
        .json(
            "PUT",
            &scores(&bright_sid),
            Some(&ev1),
            &{
                let mut s = sheet([4, 4, 3], "Ev1:");
                s["submit"] = json!(true);
                s
            },
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let others = r.json()["others"].clone();
    assert_eq!(others.as_array().unwrap().len(), 3, "{others}");
    assert_eq!(others[0]["evaluator"], "Sam Okafor");
    // A submitted sheet is final.
    app.json(
        "PUT",
        &scores(&bright_sid),
        Some(&ev1),
        &sheet([1, 1, 1], "x"),
        &[],
    )
    .await
    .problem(409);
    let r = app
        .json(
            "PUT",
            &scores(&meadow_sid),
            Some(&ev1),
            &{
                let mut s = sheet([3, 3, 2], "Ev1:");
                s["submit"] = json!(true);
                s
            },
            &[],
        )
        .await;
    assert_eq!(r.status, 200);

    // Moderation shows individual scores side by side, with reasons.
    let m = app
        .get(&format!("/api/v1/procurements/{id}/moderation"), Some(&c))
        .await
        .json();
    let bright_m = m
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["submission_id"] == bright_sid.as_str())
        .unwrap();
    assert_eq!(
        bright_m["items"][0]["individual"].as_array().unwrap().len(),
        2
    );
    let meadow_m = m
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["submission_id"] == meadow_sid.as_str())
        .unwrap();
    assert_eq!(
        meadow_m["items"][0]["individual"].as_array().unwrap().len(),
        1,
        "the conflicted evaluator did not score Meadow"
    );
    let moderate = |sid: &str, q: &str| format!("/api/v1/submissions/{sid}/moderation/{q}");
    app.json(
        "PUT",
        &moderate(&bright_sid, "Q2"),
        Some(&c),
        &json!({"score": 4, "reason": " "}),
        &[],
    )
    .await
    .problem(422);
    app.json(
        "PUT",
        &moderate(&bright_sid, "Q2"),
        Some(&ev1),
        &json!({"score": 4, "reason": "x"}),
        &[],
    )
    .await
    .problem(403);
    // Award before moderation is complete is refused.
    post(
        &app,
        &format!("/api/v1/procurements/{id}/award"),
        &c,
        json!({"successful": [bright_sid]}),
    )
    .await
    .problem(409);
    for (sid, marks) in [
        (
            &bright_sid,
            [
                (4, "Clear escalation routes with two examples."),
                (4, "A credible rural rota."),
                (3, "Two local apprenticeships."),
            ],
        ),
        (
            &meadow_sid,
            [
                (3, "Policy sound; one example."),
                (3, "Relies on agency staff in winter."),
                (2, "Commitments are vague."),
            ],
        ),
    ] {
        for (q, (score, reason)) in ["Q2", "Q3", "Q5"].iter().zip(marks) {
            let r = app
                .json(
                    "PUT",
                    &moderate(sid, q),
                    Some(&c),
                    &json!({"score": score, "reason": reason}),
                    &[],
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    let results = app
        .get(&format!("/api/v1/procurements/{id}/results"), Some(&c))
        .await
        .json();
    let lot = &results[0];
    assert_eq!(lot["complete"], true, "{results}");
    let by = |name: &str| {
        lot["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["organisation_name"] == name)
            .unwrap()
            .clone()
    };
    let (b, mw) = (by("Bright Care Services Ltd"), by("Meadow Homes Ltd"));
    // Bright: quality 4/5×30 + 4/5×30 = 48; social value 3/5×10 = 6; price is lowest = 30. Total 84.
    assert_eq!(b["quality"], "48.00");
    assert_eq!(b["price_score"], "30.00");
    assert_eq!(b["total"], "84.00");
    assert_eq!(b["rank"], 1);
    // Meadow: quality 36, social value 4, price 30 × 102500/109000 = 28.21; total 68.21.
    assert_eq!(mw["total"], "68.21", "{mw}");
    assert_eq!(mw["rank"], 2);
    assert!(
        mw["working"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("lowest compliant £1,025.00 / this £1,090.00 × 30% = 28.21")),
        "{mw}"
    );

    // Award: summaries, notice, standstill.
    post(
        &app,
        &format!("/api/v1/procurements/{id}/award"),
        &c,
        json!({"successful": []}),
    )
    .await
    .problem(422);
    let awarded = post(
        &app,
        &format!("/api/v1/procurements/{id}/award"),
        &c,
        json!({"successful": [bright_sid]}),
    )
    .await;
    assert_eq!(awarded.status, 200, "{}", awarded.text());
    let view = awarded.json();
    assert_eq!(view["status"], "standstill");
    let awarded_at: chrono::DateTime<chrono::Utc> =
        view["awarded_at"].as_str().unwrap().parse().unwrap();
    let expected = backend::calendar::Calendar::uk()
        .standstill_ends(awarded_at, 8)
        .unwrap();
    assert_eq!(
        view["standstill_ends_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        expected
    );
    post(
        &app,
        &format!("/api/v1/procurements/{id}/award"),
        &c,
        json!({"successful": [bright_sid]}),
    )
    .await
    .problem(409);

    let summary = app
        .get(
            &format!("/api/v1/submissions/{meadow_sid}/assessment-summary"),
            Some(&meadow),
        )
        .await
        .json();
    assert_eq!(summary["successful"], false);
    assert_eq!(summary["total"], "68.21");
    assert_eq!(summary["winning_total"], "84.00");
    // Money in pence, times as instants (docs/api.md).
    assert!(summary["price_pence"].is_i64(), "{summary}");
    assert!(
        summary["standstill_ends_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .is_ok()
    );
    assert_eq!(
        summary["criteria"][0]["reason"],
        "Policy sound; one example."
    );
    assert_eq!(
        summary["criteria"][0]["winning_reason"],
        "Clear escalation routes with two examples."
    );
    let text = summary.to_string();
    assert!(
        !text.contains("Bright Care") && !text.contains("Ev1:") && !text.contains("Ev2:"),
        "no other bidder's name, no individual evaluator's marks: {text}"
    );
    let winner = app
        .get(
            &format!("/api/v1/submissions/{bright_sid}/assessment-summary"),
            Some(&bright),
        )
        .await
        .json();
    assert_eq!(winner["successful"], true);
    assert!(!winner.to_string().contains("Meadow") && !winner.to_string().contains("Policy sound"));
    app.get(
        &format!("/api/v1/submissions/{bright_sid}/assessment-summary"),
        Some(&meadow),
    )
    .await
    .problem(404);
    let meadow_mail = emails_to(&app, MEADOW).await;
    let letter = meadow_mail
        .iter()
        .find(|e| e["template"] == "assessment_summary")
        .expect("the summary is emailed");
    assert!(
        letter["subject"]
            .as_str()
            .unwrap()
            .contains("not successful")
    );
    assert!(
        letter["text_body"]
            .as_str()
            .unwrap()
            .contains("Relies on agency staff in winter.")
    );
    let mine = app.get("/api/v1/submissions", Some(&meadow)).await.json();
    // (The demo data gives Meadow bids for other tenders.)
    let mine = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == meadow_sid.as_str())
        .unwrap();
    assert_eq!(
        mine["status"], "unsuccessful",
        "the list says `status`, as every view does"
    );

    // A provider reaches no one's scores, moderation, results or notice, its own included.
    for path in [
        format!("/api/v1/submissions/{bright_sid}/scores"),
        format!("/api/v1/submissions/{meadow_sid}/scores"),
        format!("/api/v1/procurements/{id}/moderation"),
        format!("/api/v1/procurements/{id}/results"),
        format!("/api/v1/procurements/{id}/award-notice"),
        format!("/api/v1/procurements/{id}/submissions"),
    ] {
        let r = app.get(&path, Some(&meadow)).await;
        assert!(
            r.status == 403 || r.status == 404,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("Ev1:") && !r.text().contains("Clear escalation"));
    }
    let notice = app
        .get(&format!("/api/v1/procurements/{id}/award-notice"), Some(&c))
        .await
        .json();
    assert_eq!(notice["notice_type"], "UK6");
    assert_eq!(notice["tenders_received"], 2);
    assert_eq!(notice["suppliers"][0]["name"], "Bright Care Services Ltd");

    // The contract cannot be entered during standstill.
    let p = post(
        &app,
        &format!("/api/v1/procurements/{id}/contract-entered"),
        &c,
        json!({}),
    )
    .await
    .problem(409);
    assert!(p["detail"].as_str().unwrap().contains("standstill"), "{p}");
    // When it ends, the job emails the commissioner once; then the contract may be entered.
    sql(&app, &format!("UPDATE procurements SET standstill_ends_at = now() - interval '1 minute' WHERE id = '{id}'")).await;
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let tick = chrono::Utc::now();
    state
        .jobs
        .run_now(backend::procurement::jobs::standstill::NAME, tick)
        .await
        .unwrap();
    state
        .jobs
        .run_now(
            backend::procurement::jobs::standstill::NAME,
            tick + chrono::Duration::minutes(10),
        )
        .await
        .unwrap();
    // (Filtered by reference: once the test template is more than 8 working days old,
    // the demo data's awarded tender has ended its standstill too.)
    let ended: Vec<_> = emails_to(&app, COMMISSIONER)
        .await
        .into_iter()
        .filter(|e| e["template"] == "standstill_ended")
        .filter(|e| e["subject"].as_str().unwrap_or_default().ends_with("WCC-5"))
        .collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/procurements/{id}/contract-entered"),
            &c,
            json!({})
        )
        .await
        .json()["status"],
        "contract_entered"
    );
    assert_eq!(
        app.get(&format!("/api/v1/procurements/{id}"), Some(&c))
            .await
            .json()["status"],
        "contract_entered"
    );
    let verify = app
        .get(
            "/api/v1/audit/verify",
            Some(&app.token("admin@council.example").await),
        )
        .await
        .json();
    assert_eq!(verify["ok"], true);
}

#[actix_web::test]
async fn pass_fail_and_quality_thresholds_exclude_and_excluded_bids_cannot_win() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let ev = app.token(EVALUATOR).await;
    let id = tender::published(&app, &c, "WCC-6", tender::questionnaire()).await;
    let bright_sid = tender::bid(&app, &bright, &id, true).await;
    // Meadow answers "No" to the pass/fail question.
    let r = post(
        &app,
        &format!("/api/v1/procurements/{id}/submissions"),
        &meadow,
        json!({}),
    )
    .await;
    let meadow_sid = r.json()["id"].as_str().unwrap().to_string();
    let mut answers = tender::answers(false);
    answers["Q1"] = json!({"choice": false});
    app.json(
        "PATCH",
        &format!("/api/v1/submissions/{meadow_sid}/answers"),
        Some(&meadow),
        &json!({"answers": answers}),
        &[],
    )
    .await;
    app.raw(
        "POST",
        &format!("/api/v1/submissions/{meadow_sid}/files?question_id=Q6&file_name=i.pdf"),
        &[("Authorization", &format!("Bearer {meadow}"))],
        tender::PDF.to_vec(),
    )
    .await;
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/submissions/{meadow_sid}/submit"),
            &meadow,
            json!({})
        )
        .await
        .status,
        200
    );
    tender::close(&app, &id).await;
    tender::open_with_panel(&app, &c, &ev, &id).await;
    let list = app
        .get(&format!("/api/v1/procurements/{id}/submissions"), Some(&c))
        .await
        .json();
    let meadow_row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == meadow_sid.as_str())
        .unwrap();
    assert_eq!(meadow_row["status"], "excluded");
    for (sid, score) in [(&bright_sid, 1), (&meadow_sid, 4)] {
        tender::score_and_moderate(&app, &c, &ev, sid, score, "Agreed reason").await;
    }
    let results = app
        .get(&format!("/api/v1/procurements/{id}/results"), Some(&c))
        .await
        .json();
    for b in results[0]["bids"].as_array().unwrap() {
        assert!(b["excluded"].is_string(), "both excluded: {b}");
        assert!(b["rank"].is_null());
    }
    let p = post(
        &app,
        &format!("/api/v1/procurements/{id}/award"),
        &c,
        json!({"successful": [bright_sid]}),
    )
    .await
    .problem(422);
    assert!(p.to_string().contains("below the minimum of 2"), "{p}");
}

#[actix_web::test]
async fn two_hundred_submissions_racing_the_deadline_none_late_and_none_lost() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let q = json!({"sections": [{"title": "Bid", "questions": [
        {"kind": "scored", "title": "Approach", "weight": 100, "word_limit": 100}]}]});
    let id = tender::published(&app, &c, "WCC-RACE", q).await;
    // 200 provider organisations, each with a user and a complete draft.
    let mut db = app.db().await;
    diesel::sql_query(
        "WITH orgs AS (
           INSERT INTO organisations (kind, legal_name, address_line1, address_line2, town, postcode)
           SELECT 'provider', 'Racing Provider ' || n, '1 High Street', '', 'Worcester', 'WR1 1AA'
           FROM generate_series(1, 200) AS n RETURNING id, legal_name)
         INSERT INTO users (organisation_id, email, name, role, password_hash, email_verified_at)
         SELECT id, lower(replace(legal_name, ' ', '.')) || '@race.example', legal_name, 'provider',
                (SELECT password_hash FROM users WHERE email = 'bids@brightcare.example'), now()
         FROM orgs",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let mut tokens = Vec::new();
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let users: Vec<(uuid::Uuid, uuid::Uuid)> = {
        use backend::db::schema::users;
        use diesel::{QueryDsl, TextExpressionMethods};
        users::table
            .filter(users::email.like("%@race.example"))
            .select((users::id, users::organisation_id))
            .load(&mut db)
            .await
            .unwrap()
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    for (user, org) in &users {
        tokens.push(
            state
                .gate
                .tokens
                .issue(
                    *user,
                    *org,
                    backend::auth::Role::Provider,
                    backend::auth::token::TokenType::Access,
                    now_ms,
                )
                .unwrap()
                .token,
        );
    }
    let mut sids = Vec::new();
    for t in &tokens {
        let r = post(
            &app,
            &format!("/api/v1/procurements/{id}/submissions"),
            t,
            json!({}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let sid = r.json()["id"].as_str().unwrap().to_string();
        let r = app
            .json(
                "PATCH",
                &format!("/api/v1/submissions/{sid}/answers"),
                Some(t),
                &json!({"answers": {"Q1": {"text": "Our approach"}}}),
                &[],
            )
            .await;
        assert_eq!(r.status, 200);
        sids.push(sid);
    }
    // The deadline falls 400 ms from now; the 200 submissions are spread over 800 ms.
    diesel::sql_query(format!(
        "WITH c AS (UPDATE competitions SET submission_deadline = clock_timestamp() + interval '400 milliseconds' WHERE id = '{id}') UPDATE procurements SET clarification_deadline = now() WHERE id = '{id}'"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    let app = &app;
    let replies = futures_util::future::join_all(tokens.iter().zip(&sids).enumerate().map(
        |(i, (t, sid))| async move {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(4 * i as u64)).await;
            let r = app
                .json(
                    "POST",
                    &format!("/api/v1/submissions/{sid}/submit"),
                    Some(t),
                    &json!({}),
                    &[],
                )
                .await;
            (sid.clone(), r.status, r.text())
        },
    ))
    .await;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        on_time: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        submitted: bool,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT s.id::text AS id, coalesce(s.submitted_at < c.submission_deadline, false) AS on_time, s.submitted_at IS NOT NULL AS submitted
         FROM submissions s JOIN competitions c ON c.id = s.competition_id WHERE c.id = '{id}'"
    ))
    .load(&mut db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 200);
    let (mut accepted, mut refused) = (0, 0);
    for (sid, status, text) in &replies {
        let row = rows.iter().find(|r| &r.id == sid).unwrap();
        match status {
            200 => {
                accepted += 1;
                assert!(
                    row.submitted && row.on_time,
                    "accepted means sealed before the deadline: {sid}"
                );
            }
            409 => {
                refused += 1;
                assert!(!row.submitted, "refused means not submitted: {sid}");
                assert!(text.contains("deadline-passed"));
            }
            other => panic!("unexpected {other}: {text}"),
        }
    }
    assert_eq!(accepted + refused, 200);
    let receipts: i64 = {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT count(*) AS n FROM submission_receipts r JOIN submissions s ON s.id = r.submission_id WHERE s.competition_id = '{id}'"))
            .get_result::<N>(&mut db).await.unwrap().n
    };
    assert_eq!(
        receipts, accepted as i64,
        "one receipt per accepted submission, none lost"
    );
    println!("race: {accepted} on time, {refused} refused as late");
}

#[actix_web::test]
async fn deadlines_move_only_later_and_bidders_are_told() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &c, "WCC-7", tender::questionnaire()).await;
    post(
        &app,
        &format!("/api/v1/procurements/{id}/interest"),
        &bright,
        json!({}),
    )
    .await;
    let before = app
        .get(&format!("/api/v1/procurements/{id}"), None)
        .await
        .json();
    let at = |field: &str, hours: i64| {
        before[field]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            + chrono::Duration::hours(hours)
    };
    let body = |clarify: i64, submit: i64, reason: &str| {
        json!({
            "clarification_deadline": at("clarification_deadline", clarify),
            "submission_deadline": at("submission_deadline", submit),
            "planned_award_date": before["planned_award_date"],
            "reason": reason,
        })
    };
    let path = format!("/api/v1/procurements/{id}/timetable");
    post(&app, &path, &bright, body(0, 48, "x"))
        .await
        .problem(403);
    let p = post(&app, &path, &c, body(0, -1, "Sooner"))
        .await
        .problem(422);
    assert!(p.to_string().contains("can only move later"), "{p}");
    post(&app, &path, &c, body(0, 48, " ")).await.problem(422);
    let moved = post(
        &app,
        &path,
        &c,
        body(
            24,
            48,
            "Providers asked for more time to answer the TUPE clarification.",
        ),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(
        moved.json()["submission_deadline"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        at("submission_deadline", 48)
    );
    let told = emails_to(&app, BRIGHT)
        .await
        .into_iter()
        .find(|e| e["template"] == "timetable_changed")
        .expect("bidders are told");
    assert!(
        told["text_body"]
            .as_str()
            .unwrap()
            .contains("Providers asked for more time")
    );
    // Once the deadline has passed, the timetable is fixed.
    tender::close(&app, &id).await;
    post(&app, &path, &c, body(100, 200, "Too late"))
        .await
        .problem(409);
}

#[actix_web::test]
async fn an_abnormally_low_price_needs_a_recorded_check_before_it_can_win() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let ev = app.token(EVALUATOR).await;
    let id = tender::published(&app, &c, "WCC-8", tender::questionnaire()).await;
    let bright_sid = tender::bid(&app, &bright, &id, true).await;
    let meadow_sid = tender::bid(&app, &meadow, &id, true).await;
    // Meadow cuts its rates to well under 85% of the median before the deadline.
    let r = app
        .json(
            "PATCH",
            &format!("/api/v1/submissions/{meadow_sid}/answers"),
            Some(&meadow),
            &json!({"answers": {"Q4": {"rates_pence": [1000, 1200]}}}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/submissions/{meadow_sid}/submit"),
            &meadow,
            json!({})
        )
        .await
        .status,
        200
    );
    tender::close(&app, &id).await;
    tender::open_with_panel(&app, &c, &ev, &id).await;
    for sid in [&bright_sid, &meadow_sid] {
        tender::score_and_moderate(&app, &c, &ev, sid, 4, "Good, with examples.").await;
    }
    let results = app
        .get(&format!("/api/v1/procurements/{id}/results"), Some(&c))
        .await
        .json();
    let meadow_result = results[0]["bids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["submission_id"] == meadow_sid.as_str())
        .unwrap()
        .clone();
    assert_eq!(meadow_result["abnormally_low"], true, "{meadow_result}");
    assert_eq!(
        meadow_result["rank"], 1,
        "cheapest with equal quality ranks first"
    );
    assert!(
        meadow_result["excluded"].is_null(),
        "never excluded automatically"
    );
    let award = format!("/api/v1/procurements/{id}/award");
    let p = post(&app, &award, &c, json!({"successful": [meadow_sid]}))
        .await
        .problem(422);
    assert!(p.to_string().contains("abnormally low"), "{p}");
    let check = format!("/api/v1/submissions/{meadow_sid}/price-check");
    app.json("PUT", &check, Some(&meadow), &json!({"note": "x"}), &[])
        .await
        .problem(403);
    app.json("PUT", &check, Some(&c), &json!({"note": "  "}), &[])
        .await
        .problem(422);
    let r = app
        .json("PUT", &check, Some(&c), &json!({"note": "Meadow showed its rates cover the council's cost model: staff are already employed on a neighbouring contract."}), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let results = app
        .get(&format!("/api/v1/procurements/{id}/results"), Some(&c))
        .await
        .json();
    assert!(results.to_string().contains("neighbouring contract"));
    // The results page shows the flag, the record and the form to change it.
    let mut page = app.browser();
    page.sign_in(COMMISSIONER).await;
    let html = page
        .get(&format!("/procurements/{id}/results"))
        .await
        .text();
    assert!(html.contains("Check Meadow Homes Ltd's price"), "{html}");
    assert!(html.contains("neighbouring contract") && html.contains("Abnormally low price"));
    assert_eq!(
        post(&app, &award, &c, json!({"successful": [meadow_sid]}))
            .await
            .status,
        200
    );
    let audit = app
        .get(
            &format!("/api/v1/audit?action=evaluation.price_checked&record_id={meadow_sid}"),
            Some(&app.token("admin@council.example").await),
        )
        .await
        .json();
    assert_eq!(audit["total"], 1);
}

#[actix_web::test]
async fn providers_are_reminded_once_of_a_bid_they_have_not_submitted() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let meadow = app.token(MEADOW).await;
    let id = tender::published(&app, &c, "WCC-9", tender::questionnaire()).await;
    // Bright starts a bid and leaves it; Meadow submits.
    let r = post(
        &app,
        &format!("/api/v1/procurements/{id}/submissions"),
        &bright,
        json!({}),
    )
    .await;
    let bright_sid = r.json()["id"].as_str().unwrap().to_string();
    tender::bid(&app, &meadow, &id, true).await;
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let name = backend::procurement::jobs::reminders::NAME;
    let reminders = |to: &'static str| {
        let app = &app;
        async move {
            emails_to(app, to)
                .await
                .into_iter()
                .filter(|e| e["template"] == "bid_deadline_reminder")
                .count()
        }
    };
    // Four days out: too early.
    let now = chrono::Utc::now();
    sql(
        &app,
        &format!(
            "UPDATE competitions SET submission_deadline = '{}' WHERE id = '{id}'",
            (now + chrono::Duration::days(4)).to_rfc3339()
        ),
    )
    .await;
    state.jobs.run_now(name, now).await.unwrap();
    assert_eq!(reminders(BRIGHT).await, 0);
    // Two days out: Bright is reminded, once, however often the job runs; Meadow is not.
    sql(
        &app,
        &format!(
            "UPDATE competitions SET submission_deadline = '{}' WHERE id = '{id}'",
            (now + chrono::Duration::days(2)).to_rfc3339()
        ),
    )
    .await;
    state
        .jobs
        .run_now(name, now + chrono::Duration::minutes(1))
        .await
        .unwrap();
    state
        .jobs
        .run_now(name, now + chrono::Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(reminders(BRIGHT).await, 1);
    assert_eq!(reminders(MEADOW).await, 0, "Meadow has submitted");
    let email = emails_to(&app, BRIGHT)
        .await
        .into_iter()
        .find(|e| e["template"] == "bid_deadline_reminder")
        .unwrap();
    let text = email["text_body"].as_str().unwrap();
    assert!(text.contains(&format!("/bids/{bright_sid}")) && text.contains("Stop these emails"));
    // A moved deadline is reminded again, unless the reader turned reminders off.
    sql(
        &app,
        &format!(
            "UPDATE competitions SET submission_deadline = '{}' WHERE id = '{id}'",
            (now + chrono::Duration::days(2) + chrono::Duration::hours(5)).to_rfc3339()
        ),
    )
    .await;
    sql(&app, "INSERT INTO notification_opt_outs (user_id, kind) SELECT id, 'deadline_reminders' FROM users WHERE email = 'bids@brightcare.example'").await;
    state
        .jobs
        .run_now(name, now + chrono::Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(reminders(BRIGHT).await, 1, "opted out");
}
