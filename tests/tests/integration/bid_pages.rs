//! A provider's bid through its pages: the task list, one page per section, check your
//! answers, submit and the receipt. A section's form changes only that section; a refused
//! submission changes nothing and links each error to the question's input; nobody else
//! reaches any of these pages; after the deadline they are read only.

use serde_json::Value;
use tests::tender::{self, BRIGHT, COMMISSIONER, MEADOW, PDF};
use tests::{Browser, TestApp, location, spawn_app};

/// A published tender (`tender::questionnaire`: sections 1 eligibility, 2 quality (Q2,
/// Q3), 3 price schedule (Q4), 4 social value (Q5), 5 evidence (Q6) and contact (Q7)),
/// and Bright's bid started through the pages. Returns the procurement, the bid's path
/// and Bright's browser.
async fn started<'a>(app: &'a TestApp, reference: &str) -> (String, String, Browser<'a>) {
    let commissioner = app.token(COMMISSIONER).await;
    let id = tender::published(app, &commissioner, reference, tender::questionnaire()).await;
    let mut b = app.browser();
    b.sign_in(BRIGHT).await;
    b.get(&format!("/opportunities/{id}")).await;
    let to = location(
        &b.post(&format!("/opportunities/{id}/bids"), &[], true)
            .await,
    );
    (id, to, b)
}

async fn saved(app: &TestApp, to: &str) -> Value {
    let token = app.token(BRIGHT).await;
    let sid = to.trim_start_matches("/bids/");
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&token))
        .await
        .json()
}

async fn receipts(app: &TestApp) -> Vec<Value> {
    let admin = app.token("admin@council.example").await;
    let list = app
        .get(
            &format!("/api/v1/outbox?to={BRIGHT}&per_page=100"),
            Some(&admin),
        )
        .await
        .json();
    let mut out = Vec::new();
    for item in list["items"].as_array().unwrap() {
        let email = app
            .get(&format!("/api/v1/outbox/{}", item["id"]), Some(&admin))
            .await
            .json();
        if email["template"] == "submission_receipt" {
            out.push(email);
        }
    }
    out
}

fn words(n: usize) -> String {
    vec!["care"; n].join(" ")
}

#[actix_web::test]
async fn a_bid_is_completed_section_by_section_checked_and_submitted() {
    let app = spawn_app().await;
    let (_, to, mut b) = started(&app, "BID-1").await;
    let section = |n: usize| format!("{to}/sections/{n}");
    let text = |r: &tests::Reply| r.text();
    let (w20, w30, w40, w60) = (words(20), words(30), words(40), words(60));

    // Each section's form saves its own questions only: saving section 1 again, or
    // autosaving it, never clears section 2's answers.
    location(
        &b.post(&section(1), &[("Q1", "yes"), ("action", "continue")], true)
            .await,
    );
    let r = b
        .post(
            &section(2),
            &[
                ("Q2", w40.as_str()),
                ("Q3", w30.as_str()),
                ("action", "save"),
            ],
            true,
        )
        .await;
    assert_eq!(location(&r), format!("{}?done=draft", section(2)));
    location(
        &b.post(&section(1), &[("Q1", "no"), ("action", "save")], true)
            .await,
    );
    let autosave = b
        .post_with_headers(&section(1), &[("Q1", "yes")], &[("X-Autosave", "1")])
        .await;
    assert_eq!(autosave.status, 204);
    let answers = saved(&app, &to).await["answers"].clone();
    assert_eq!(answers["Q1"]["choice"], true);
    assert_eq!(answers["Q2"]["text"], words(40));
    assert_eq!(answers["Q3"]["text"], words(30));

    // The task list: where each section stands; the last task waits for them all.
    let tasks = text(&b.get(&to).await);
    assert!(tasks.contains("You have completed 2 of 5 sections"));
    assert!(tasks.contains("Not yet started") && tasks.contains("Cannot start yet"));

    // Submitting an incomplete bid is refused, nothing is submitted and no receipt sent;
    // each error links to the question's first input on its own page.
    let refused = b.post(&format!("{to}/check"), &[], true).await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    for anchor in [
        "sections/3#answer-Q4-0",
        "sections/4#answer-Q5",
        "sections/5#file-Q6",
    ] {
        assert!(
            html.contains(&format!("href=\"{to}/{anchor}\"")),
            "{anchor}"
        );
    }
    assert!(saved(&app, &to).await["submitted_at"].is_null());
    assert!(receipts(&app).await.is_empty());

    // An answer over its word limit: the section needs attention, and the error on its
    // page links to the textarea, with a red border and the text as typed.
    let over = b
        .post(
            &section(5),
            &[("Q7", w60.as_str()), ("action", "save")],
            true,
        )
        .await;
    location(&over);
    let tasks = text(&b.get(&to).await);
    assert!(tasks.contains("Needs attention"));
    let refused = b.post(&format!("{to}/check"), &[], true).await;
    assert!(
        refused
            .text()
            .contains(&format!("href=\"{to}/sections/5#answer-Q7\""))
    );

    // A rate that is not money is refused against the first band's box, as typed.
    let bad = b
        .post(&section(3), &[("Q4.0", "lots"), ("Q4.1", "29.00")], true)
        .await;
    assert_eq!(bad.status, 422);
    let html = bad.text();
    assert!(html.contains("href=\"#answer-Q4-0\"") && html.contains("value=\"lots\""));
    assert!(html.contains("govuk-input--error"));

    // Complete the rest, and the evidence with its upload.
    location(
        &b.post(
            &section(3),
            &[("Q4.0", "24.50"), ("Q4.1", "29.00"), ("action", "continue")],
            true,
        )
        .await,
    );
    location(&b.post(&section(4), &[("Q5", w20.as_str())], true).await);
    let up = b
        .post_multipart(
            &section(5),
            &[("Q7", "Priya Shah, bids manager"), ("action", "upload:Q6")],
            "file:Q6",
            "insurance.pdf",
            PDF,
        )
        .await;
    assert!(location(&up).contains("done=uploaded#file-Q6"));
    let tasks = text(&b.get(&to).await);
    assert!(tasks.contains("You have completed 5 of 5 sections"));
    assert!(tasks.contains(&format!("href=\"{to}/check\"")));

    // Check your answers lists every answer, in words, each with a way to change it.
    let check = text(&b.get(&format!("{to}/check")).await);
    for expected in [
        "Q1 Is your service registered",
        "Yes",
        "Weekday day: £24.50",
        "Nights and weekends: £29.00",
        "insurance.pdf",
        "Priya Shah, bids manager",
        "Submit your bid",
    ] {
        assert!(check.contains(expected), "{expected}");
    }
    assert!(check.contains(&format!("href=\"{to}/sections/3#answer-Q4-0\"")));
    assert!(check.contains(&format!("href=\"{to}/sections/1#answer-Q1-yes\"")));

    // Submitting: the confirmation with the receipt number, and the receipt emailed.
    let done = b.post(&format!("{to}/check"), &[], true).await;
    assert_eq!(location(&done), format!("{to}/receipt"));
    let receipt = text(&b.get(&format!("{to}/receipt")).await);
    let digest = saved(&app, &to).await["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(receipt.contains("Bid submitted") && receipt.contains(&digest));
    assert!(receipt.contains("fingerprint of exactly what you sent"));
    let emails = receipts(&app).await;
    assert_eq!(emails.len(), 1);
    let body = emails[0]["text_body"].as_str().unwrap();
    assert!(body.contains(&format!("Receipt number: {digest}")));
    let tasks = text(&b.get(&to).await);
    assert!(tasks.contains("Receipt number") && tasks.contains("Submitted"));
    assert!(text(&b.get(&format!("{to}/check")).await).contains("Submit again"));
}

#[actix_web::test]
async fn no_other_organisation_reaches_any_page_of_a_bid() {
    let app = spawn_app().await;
    let (_, to, mut b) = started(&app, "BID-2").await;
    location(
        &b.post(&format!("{to}/sections/1"), &[("Q1", "yes")], true)
            .await,
    );
    let mut meadow = app.browser();
    meadow.sign_in(MEADOW).await;
    for path in [
        to.clone(),
        format!("{to}/sections/1"),
        format!("{to}/check"),
        format!("{to}/receipt"),
    ] {
        assert_eq!(meadow.get(&path).await.status, 404, "GET {path}");
    }
    let r = meadow
        .post(&format!("{to}/sections/1"), &[("Q1", "no")], true)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        meadow.post(&format!("{to}/check"), &[], true).await.status,
        404
    );
    assert_eq!(saved(&app, &to).await["answers"]["Q1"]["choice"], true);
    // A section the questionnaire does not have is not found either.
    assert_eq!(b.get(&format!("{to}/sections/9")).await.status, 404);
    assert_eq!(b.get(&format!("{to}/sections/0")).await.status, 404);
    // A bid not submitted has no receipt: back to the task list.
    assert_eq!(location(&b.get(&format!("{to}/receipt")).await), to);
}

#[actix_web::test]
async fn after_the_deadline_a_bid_can_be_read_but_not_changed() {
    let app = spawn_app().await;
    let (id, to, mut b) = started(&app, "BID-3").await;
    location(
        &b.post(
            &format!("{to}/sections/2"),
            &[("Q2", "Written before the deadline"), ("Q3", "")],
            true,
        )
        .await,
    );
    // The form is on the page while the bid is open.
    let open = b.get(&format!("{to}/sections/2")).await.text();
    assert!(open.contains(&format!("action=\"{to}/sections/2\"")));
    tender::close(&app, &id).await;
    let page = b.get(&format!("{to}/sections/2")).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        !html.contains(&format!("action=\"{to}/sections/2\"")),
        "no form"
    );
    assert!(html.contains("Written before the deadline") && html.contains("closed"));
    let refused = b
        .post(&format!("{to}/sections/2"), &[("Q2", "Too late")], true)
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("There is a problem"));
    assert_eq!(
        saved(&app, &to).await["answers"]["Q2"]["text"],
        "Written before the deadline"
    );
    let check = b.get(&format!("{to}/check")).await.text();
    assert!(!check.contains("Submit your bid") && !check.contains(">Change<"));
}
