//! What the DPS tests share: a dynamic market's input, its lots' conditions, and setting
//! one up to established through the API.

use crate::TestApp;
use serde_json::{Value, json};

pub use crate::tender::{BRIGHT, COMMISSIONER, EVALUATOR, MEADOW};

/// A PA 2023 dynamic market with two lots, the defaults left out.
pub fn input(reference: &str) -> Value {
    json!({
        "title": "Supported living and day opportunities",
        "reference": reference,
        "description": "Support for adults with learning disabilities and autistic adults.",
        "regime": "pa2023",
        "starts_on": "2026-04-01",
        "ends_on": "2030-03-31",
        "service_types": ["supported_living", "day_opportunities"],
        "lots": [
            {"title": "Supported living", "description": "Support in people's own tenancies"},
            {"title": "Day opportunities", "description": ""}
        ]
    })
}

/// Conditions of membership: a yes/no declaration and a judged written answer.
pub fn conditions() -> Value {
    json!({"sections": [{"title": "Conditions of membership", "questions": [
        {"kind": "pass_fail", "title": "Are you registered with the CQC for personal care?", "pass_answer": true},
        {"kind": "judged", "title": "How do you keep people safe?", "word_limit": 300,
         "guidance": "Safeguarding training, reporting and learning."}
    ]}]})
}

/// Creates the market; returns it.
pub async fn create(app: &TestApp, token: &str, reference: &str) -> Value {
    let r = app
        .json("POST", "/api/v1/dps", Some(token), &input(reference), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Creates the market, gives every lot its conditions and establishes it; returns it.
pub async fn established(app: &TestApp, token: &str, reference: &str) -> Value {
    let dps = create(app, token, reference).await;
    let id = dps["id"].as_str().unwrap();
    for lot in dps["lots"].as_array().unwrap() {
        let r = app
            .json(
                "PUT",
                &format!(
                    "/api/v1/dps/{id}/lots/{}/conditions",
                    lot["id"].as_str().unwrap()
                ),
                Some(token),
                &conditions(),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = app
        .json(
            "POST",
            &format!("/api/v1/dps/{id}/establish"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// [`conditions`] as stored: with the ids the engine gives and the defaults filled in.
pub fn conditions_with_ids() -> Value {
    json!({"sections": [{"title": "Conditions of membership", "questions": [
        {"id": "Q1", "kind": "pass_fail", "title": "Are you registered with the CQC for personal care?",
         "guidance": "", "word_limit": null, "weight": null, "pass_answer": true, "bands": []},
        {"id": "Q2", "kind": "judged", "title": "How do you keep people safe?",
         "guidance": "Safeguarding training, reporting and learning.", "word_limit": 300,
         "weight": null, "pass_answer": null, "bands": []}
    ]}]})
}

/// A commissioner of a second council (signs in with the demo password); returns the
/// address.
pub async fn other_council_commissioner(app: &TestApp) -> &'static str {
    use diesel_async::RunQueryDsl;
    let mut db = app.db().await;
    diesel::sql_query(
        "WITH org AS (
            INSERT INTO organisations (kind, legal_name, address_line1, address_line2, town, postcode)
            VALUES ('council', 'Other County Council', '1 High Street', '', 'Otherton', 'OT1 1AA')
            RETURNING id)
         INSERT INTO users (organisation_id, email, name, role, password_hash, email_verified_at)
         SELECT org.id, 'commissioner@other.example', 'Olu Other', 'commissioner', u.password_hash, now()
           FROM org, users u WHERE u.email = 'commissioner@council.example'",
    )
    .execute(&mut db)
    .await
    .unwrap();
    "commissioner@other.example"
}
