//! A tender to test with, built through the API as a commissioner would build it: the
//! questionnaire, procurement and bids that the procurement tests, the race test and the
//! benchmark share.

use crate::TestApp;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

pub const COMMISSIONER: &str = "commissioner@council.example";
pub const EVALUATOR: &str = "evaluator@council.example";
pub const BRIGHT: &str = "bids@brightcare.example";
pub const MEADOW: &str = "bids@meadowhomes.example";

/// A questionnaire with one question of every kind: pass/fail, two scored quality
/// questions (60 %), a price schedule (30 %), social value (10 %), evidence and information.
pub fn questionnaire() -> Value {
    json!({
        "sections": [
            {"title": "Eligibility", "questions": [
                {"kind": "pass_fail", "title": "Is your service registered with CQC for personal care?", "pass_answer": true,
                 "guidance": "Answer yes only if your registration covers personal care in people's own homes."}
            ]},
            {"title": "Quality", "questions": [
                {"kind": "scored", "title": "Safeguarding", "weight": 30, "word_limit": 500,
                 "guidance": "Describe how staff recognise and report concerns, with an example."},
                {"kind": "scored", "title": "Recruiting and keeping care workers", "weight": 30, "word_limit": 500,
                 "guidance": "How you will staff rural calls in winter."}
            ]},
            {"title": "Price", "questions": [
                {"kind": "price_schedule", "title": "Hourly rates", "weight": 30,
                 "bands": [{"label": "Weekday day", "volume": 30}, {"label": "Nights and weekends", "volume": 10}]}
            ]},
            {"title": "Social value", "questions": [
                {"kind": "social_value", "title": "Local jobs", "weight": 10, "word_limit": 300}
            ]},
            {"title": "Evidence", "questions": [
                {"kind": "evidence", "title": "Employer's liability insurance certificate"},
                {"kind": "information", "title": "Who should we contact about this bid?", "word_limit": 50}
            ]}
        ]
    })
}

/// A procurement input with the given deadlines (seconds from now).
pub async fn input(app: &TestApp, reference: &str, clarify_in: i64, deadline_in: i64) -> Value {
    let token = app.token(COMMISSIONER).await;
    let districts = app.get("/api/v1/districts", Some(&token)).await.json();
    let district = districts[0]["id"].clone();
    let now = chrono::Utc::now();
    json!({
        "title": "Home care in Severnside",
        "reference": reference,
        "description": "Outcome-based home care for adults in Severnside, from April 2027.",
        "service_type": "domiciliary",
        "district_ids": [district],
        "estimated_value_pence": 240_000_000_i64,
        "regime": "pa2023",
        "light_touch": true,
        "procedure": "open",
        "clarification_deadline": now + chrono::Duration::seconds(clarify_in),
        "submission_deadline": now + chrono::Duration::seconds(deadline_in),
        "planned_award_date": (now + chrono::Duration::days(30)).date_naive(),
    })
}

/// Creates, fills and publishes a procurement; returns its id.
pub async fn published(
    app: &TestApp,
    token: &str,
    reference: &str,
    questionnaire: Value,
) -> String {
    let reply = app
        .json(
            "POST",
            "/api/v1/procurements",
            Some(token),
            &input(app, reference, 3600, 7200).await,
            &[],
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/questionnaire"),
            Some(token),
            &json!({"questionnaire": questionnaire}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .json("POST", &format!("/api/v1/procurements/{id}/conflicts-assessment"), Some(token),
            &json!({"assessment": "Panel members and the commissioning team were asked about links with local providers; none were found."}), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/publish"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["status"],
        "open",
        "publishing answers with the procurement"
    );
    id
}

/// Answers to [`questionnaire`]; `strong` bids write more and price lower.
pub fn answers(strong: bool) -> Value {
    let words = |n: usize, w: &str| vec![w; n].join(" ");
    json!({
        "Q1": {"choice": true},
        "Q2": {"text": words(if strong { 300 } else { 120 }, "safeguarding")},
        "Q3": {"text": words(if strong { 250 } else { 90 }, "recruitment")},
        "Q4": {"rates_pence": if strong { json!([2450, 2900]) } else { json!([2600, 3100]) }},
        "Q5": {"text": words(80, "apprenticeships")},
        "Q7": {"text": "Priya Shah, bids manager"}
    })
}

/// A minimal PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Starts a bid, answers it, attaches the evidence and submits; returns the submission id.
pub async fn bid(app: &TestApp, token: &str, id: &str, strong: bool) -> String {
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/submissions"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    // 201 for a new bid, 200 for the one the organisation already started.
    assert!(matches!(r.status, 200 | 201), "{}", r.text());
    let sid = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .json(
            "PATCH",
            &format!("/api/v1/submissions/{sid}/answers"),
            Some(token),
            &json!({"answers": answers(strong)}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .raw(
            "POST",
            &format!("/api/v1/submissions/{sid}/files?question_id=Q6&file_name=insurance.pdf"),
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/octet-stream"),
            ],
            PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app
        .json(
            "POST",
            &format!("/api/v1/submissions/{sid}/submit"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    sid
}

/// Moves the procurement's deadlines into the past (as time passing would).
pub async fn close(app: &TestApp, id: &str) {
    let mut db = app.db().await;
    diesel::sql_query(format!(
        "WITH c AS (UPDATE competitions SET submission_deadline = now() - interval '1 second' WHERE id = '{id}') UPDATE procurements SET clarification_deadline = now() - interval '2 seconds' WHERE id = '{id}'"
    ))
    .execute(&mut db)
    .await
    .unwrap();
}

/// After the deadline: the commissioner opens the bids and puts the demo evaluator on the
/// panel, who declares no interest in any bidder.
pub async fn open_with_panel(app: &TestApp, commissioner: &str, evaluator: &str, id: &str) {
    let post = |path: String, token: &str, body: Value| {
        let token = token.to_string();
        async move { app.json("POST", &path, Some(&token), &body, &[]).await }
    };
    let r = post(
        format!("/api/v1/procurements/{id}/open"),
        commissioner,
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let me = app.get("/api/v1/me", Some(evaluator)).await.json();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/panel"),
            Some(commissioner),
            &json!({"evaluator_ids": [me["id"]]}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let bidders = app
        .get(
            &format!("/api/v1/procurements/{id}/declarations"),
            Some(evaluator),
        )
        .await
        .json();
    let declarations: Vec<Value> = bidders
        .as_array()
        .unwrap()
        .iter()
        .map(|b| json!({"organisation_id": b["organisation_id"], "conflicted": false}))
        .collect();
    let r = post(
        format!("/api/v1/procurements/{id}/declarations"),
        evaluator,
        json!({"declarations": declarations}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The evaluator marks a bid's scored questions (Q2, Q3 and Q5 of [`questionnaire`]) with
/// `score` and submits; the commissioner agrees the same marks with `reason`.
pub async fn score_and_moderate(
    app: &TestApp,
    commissioner: &str,
    evaluator: &str,
    sid: &str,
    score: i32,
    reason: &str,
) {
    let marks: Vec<Value> = ["Q2", "Q3", "Q5"]
        .iter()
        .map(|q| json!({"question_id": q, "score": score, "reason": reason}))
        .collect();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/submissions/{sid}/scores"),
            Some(evaluator),
            &json!({"submit": true, "scores": marks}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    for q in ["Q2", "Q3", "Q5"] {
        let r = app
            .json(
                "PUT",
                &format!("/api/v1/submissions/{sid}/moderation/{q}"),
                Some(commissioner),
                &json!({"score": score, "reason": reason}),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["score"], score);
    }
}
