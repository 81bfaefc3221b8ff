//! The commissioner's pages of a procurement: the overview's task list, each stage's page,
//! the questionnaire builder (kind first, change, reorder), a refused publish listing
//! every problem, and who may reach them (never another council, never a provider).

use diesel_async::RunQueryDsl;
use serde_json::json;
use tests::tender::{self, BRIGHT, COMMISSIONER};
use tests::{TestApp, location, page, spawn_app};

/// A draft made through the API, with no questions and no conflicts assessment.
async fn draft(app: &TestApp, reference: &str) -> String {
    let token = app.token(COMMISSIONER).await;
    let reply = app
        .json(
            "POST",
            "/api/v1/procurements",
            Some(&token),
            &tender::input(app, reference, 3600, 7200).await,
            &[],
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_string()
}

/// A commissioner of another council (signs in with the demo password).
async fn other_council(app: &TestApp) -> &'static str {
    let mut db = app.db().await;
    diesel::sql_query(
        "WITH org AS (
           INSERT INTO organisations (kind, legal_name, address_line1, address_line2, town, postcode)
           VALUES ('council', 'Other County Council', '1 Shire Hall', '', 'Hereford', 'HR1 1AA')
           RETURNING id)
         INSERT INTO users (organisation_id, email, name, role, password_hash, email_verified_at)
         SELECT id, 'commissioner@other.example', 'Olive Other', 'commissioner',
                (SELECT password_hash FROM users WHERE email = 'commissioner@council.example'), now()
         FROM org",
    )
    .execute(&mut db)
    .await
    .unwrap();
    "commissioner@other.example"
}

/// The questions' ids in the order the builder lists them.
fn order(html: &str) -> Vec<String> {
    html.split(r#"<div class="govuk-summary-list__row" id=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_refused_publish_lists_every_problem_linked_to_its_fix() {
    let app = spawn_app().await;
    let id = draft(&app, "WCC-TASKS-1").await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let overview = format!("/procurements/{id}");
    let html = page(&mut c, &overview, "Before publishing").await;
    for task in [
        "Describe the contract and timetable",
        "Write the questions",
        "Record the conflicts assessment",
        "Add documents for bidders",
        "Publish",
    ] {
        assert!(html.contains(task), "{task}");
    }
    assert!(html.contains("Cannot start yet"));
    assert!(html.contains(r#"class="govuk-back-link""#));

    // Two problems at once, each linked to the page and input that puts it right.
    let refused = c.post(&format!("{overview}/publish"), &[], true).await;
    assert_eq!(location(&refused), format!("{overview}?problems=publish"));
    let html = page(&mut c, &location(&refused), "There is a problem").await;
    assert!(html.contains("<title>Error: "));
    assert!(html.contains(&format!(
        r#"<a href="/procurements/{id}/questionnaire">Questionnaire: Add at least one question</a>"#
    )));
    assert!(html.contains(&format!(
        r#"<a href="/procurements/{id}/conflicts-assessment#assessment">Record the conflicts assessment</a>"#
    )));
    // A question without a weight links to that question's weight box.
    let token = app.token(COMMISSIONER).await;
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/questionnaire"),
            Some(&token),
            &json!({"questionnaire": {"sections": [{"title": "Quality", "questions": [
                {"kind": "scored", "title": "Safeguarding"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = page(
        &mut c,
        &format!("{overview}?problems=publish"),
        "There is a problem",
    )
    .await;
    assert!(html.contains(&format!(
        r#"<a href="/procurements/{id}/questionnaire/Q1/edit#weight">Questionnaire: Give this question a weight"#
    )));
    page(
        &mut c,
        &format!("/procurements/{id}/questionnaire/Q1/edit"),
        r#"id="weight""#,
    )
    .await;
    // Nothing was published.
    let status: serde_json::Value = app
        .get(&format!("/api/v1/procurements/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(status["status"], "draft");
}

#[actix_web::test]
async fn the_stage_pages_are_the_commissioners_own() {
    let app = spawn_app().await;
    let id = draft(&app, "WCC-TASKS-2").await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let stages = [
        ("conflicts-assessment", "Conflicts assessment"),
        ("documents", "Documents for bidders"),
        ("timetable", "Change the timetable"),
        ("submissions", "Bids"),
        ("questionnaire/new", "What kind of question is it?"),
    ];
    for (stage, heading) in stages {
        let html = page(&mut c, &format!("/procurements/{id}/{stage}"), heading).await;
        assert!(
            html.contains(&format!(
                r#"href="/procurements/{id}" class="govuk-back-link""#
            )) || html.contains(r#"class="govuk-back-link""#),
            "{stage} has a back link"
        );
    }
    // The conflicts assessment: an empty one is refused on its page with the box linked,
    // and changes nothing; a real one is saved.
    let path = format!("/procurements/{id}/conflicts-assessment");
    let refused = c.post(&path, &[("assessment", " ")], true).await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains(r##"<a href="#assessment">"##));
    assert!(html.contains("govuk-textarea--error"));
    let r = c
        .post(
            &path,
            &[("assessment", "Nobody on the team has links with providers.")],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=assessed"));
    page(
        &mut c,
        &path,
        "Nobody on the team has links with providers.",
    )
    .await;
    // A document without a file is refused on the documents page, title kept.
    let docs = format!("/procurements/{id}/documents");
    let r = c
        .post_multipart(&docs, &[("title", "Specification")], "other", "x.txt", b"")
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text()
            .contains(r##"<a href="#file">Choose a file to upload</a>"##)
    );
    assert!(r.text().contains(r#"value="Specification""#));

    // Another council's commissioner and a provider reach none of it.
    let other = other_council(&app).await;
    let mut o = app.browser();
    o.sign_in(other).await;
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    for (stage, _) in stages {
        let path = format!("/procurements/{id}/{stage}");
        assert_eq!(o.get(&path).await.status, 404, "{path}");
        assert_eq!(p.get(&path).await.status, 403, "{path}");
    }
    for path in [
        format!("/procurements/{id}/conflicts-assessment"),
        format!("/procurements/{id}/questionnaire/Q1/move"),
    ] {
        let fields = [("assessment", "Sneaky"), ("direction", "up")];
        assert_ne!(o.post(&path, &fields, true).await.status, 303, "{path}");
        assert_ne!(p.post(&path, &fields, true).await.status, 303, "{path}");
    }
    page(
        &mut c,
        &path,
        "Nobody on the team has links with providers.",
    )
    .await;
}

#[actix_web::test]
async fn the_builder_asks_the_kind_first_and_changes_and_reorders_questions() {
    let app = spawn_app().await;
    let id = draft(&app, "WCC-TASKS-3").await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let builder = format!("/procurements/{id}/questionnaire");
    // The kind first; then only that kind's fields.
    let chooser = page(
        &mut c,
        &format!("{builder}/new"),
        "What kind of question is it?",
    )
    .await;
    assert!(chooser.contains(r#"method="get""#) && chooser.contains("Price schedule"));
    let none = page(
        &mut c,
        &format!("{builder}/new?kind="),
        "Choose the kind of question",
    )
    .await;
    assert!(none.contains(r##"<a href="#kind">"##) && none.contains(r#"id="kind" name="kind""#));
    let price = page(
        &mut c,
        &format!("{builder}/new?kind=price"),
        "Add a question",
    )
    .await;
    assert!(price.contains(r#"id="weight""#));
    for absent in [r#"id="word_limit""#, r#"id="bands""#, r#"id="pass_answer""#] {
        assert!(!price.contains(absent), "{absent} is not a price's field");
    }
    let schedule = page(
        &mut c,
        &format!("{builder}/new?kind=price_schedule"),
        "basket",
    )
    .await;
    assert!(schedule.contains(r#"id="bands""#) && !schedule.contains(r#"id="word_limit""#));
    let pass = page(
        &mut c,
        &format!("{builder}/new?kind=pass_fail"),
        "Which answer passes?",
    )
    .await;
    assert!(!pass.contains(r#"id="weight""#));

    for fields in [
        vec![
            ("new_section", "Quality"),
            ("kind", "scored"),
            ("title", "Safeguarding"),
            ("weight", "60"),
        ],
        vec![
            ("section", "Quality"),
            ("kind", "scored"),
            ("title", "Staffing"),
            ("weight", "10"),
        ],
        vec![
            ("new_section", "Price"),
            ("kind", "price"),
            ("title", "Annual price"),
            ("weight", "30"),
        ],
    ] {
        let r = c.post(&builder, &fields, true).await;
        assert!(
            location(&r).ends_with("done=saved"),
            "{fields:?}: {}",
            r.text()
        );
    }
    let html = page(&mut c, &builder, "Weights total <strong>100%</strong>").await;
    assert_eq!(order(&html), ["Q1", "Q2", "Q3"]);

    // Changing a question: every field shown as it is; a bad weight is refused against
    // its box with what was typed kept, and nothing changes.
    let edit = page(&mut c, &format!("{builder}/Q2/edit"), "Change question Q2").await;
    assert!(edit.contains(r#"id="title" name="title" type="text" value="Staffing""#));
    assert!(edit.contains(r#"id="weight" name="weight" type="text" value="10""#));
    let bad = c
        .post(
            &format!("{builder}/Q2"),
            &[
                ("section", "Quality"),
                ("kind", "scored"),
                ("title", "Staffing rural calls"),
                ("weight", "ten"),
            ],
            true,
        )
        .await;
    assert_eq!(bad.status, 422);
    let html = bad.text();
    assert!(html.contains(r##"<a href="#weight">Enter the weight as a whole number</a>"##));
    assert!(html.contains(r#"value="Staffing rural calls""#));
    assert!(
        !page(&mut c, &builder, "Q2")
            .await
            .contains("Staffing rural calls")
    );
    let r = c
        .post(
            &format!("{builder}/Q2"),
            &[
                ("section", "Quality"),
                ("kind", "scored"),
                ("title", "Staffing rural calls"),
                ("weight", "10"),
                ("word_limit", "400"),
            ],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=saved"));
    let html = page(&mut c, &builder, "Staffing rural calls").await;
    assert!(html.contains("up to 400 words"));
    assert_eq!(order(&html), ["Q1", "Q2", "Q3"], "a change keeps its place");
    // Another kind, chosen from the question's own chooser.
    page(
        &mut c,
        &format!("{builder}/Q2/kind"),
        "Changing the kind keeps",
    )
    .await;
    let info = page(
        &mut c,
        &format!("{builder}/Q2/edit?kind=information"),
        "Information",
    )
    .await;
    assert!(!info.contains(r#"id="weight""#) && info.contains(r#"value="Staffing rural calls""#));
    // Moving: Q2 up above Q1, then down again; a question cannot leave its section's ends.
    let r = c
        .post(&format!("{builder}/Q2/move"), &[("direction", "up")], true)
        .await;
    let moved = location(&r);
    assert!(moved.ends_with("done=moved#Q2"), "{moved}");
    assert_eq!(
        order(&page(&mut c, &moved, "Question moved").await),
        ["Q2", "Q1", "Q3"]
    );
    assert_eq!(
        c.post(&format!("{builder}/Q2/move"), &[("direction", "up")], true)
            .await
            .status,
        404
    );
    let r = c
        .post(
            &format!("{builder}/Q2/move"),
            &[("direction", "down")],
            true,
        )
        .await;
    assert!(location(&r).contains("done=moved"));
    assert_eq!(
        order(&page(&mut c, &builder, "Weights").await),
        ["Q1", "Q2", "Q3"]
    );
    assert_eq!(c.get(&format!("{builder}/Q9/edit")).await.status, 404);
}

#[actix_web::test]
async fn after_publishing_a_change_or_a_move_is_a_new_version() {
    let app = spawn_app().await;
    let token = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &token, "WCC-TASKS-4", tender::questionnaire()).await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let html = page(
        &mut c,
        &format!("/procurements/{id}"),
        "Stages of the procurement",
    )
    .await;
    assert!(!html.contains("Before publishing"));
    for task in [
        "Answer clarification questions (0 unanswered)",
        "Change the timetable",
        "Evaluation panel",
        "Moderate scores",
        "Results and award",
        "Standstill and contract award notice",
    ] {
        assert!(html.contains(task), "{task}");
    }
    let builder = format!("/procurements/{id}/questionnaire");
    page(&mut c, &builder, "Version 1.").await;
    // A change without a note for bidders is refused against the note's box.
    let fields = [
        ("section", "Quality"),
        ("kind", "scored"),
        ("title", "Safeguarding adults"),
        ("weight", "30"),
        ("word_limit", "500"),
    ];
    let refused = c.post(&format!("{builder}/Q2"), &fields, true).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.text().contains(r##"<a href="#change_note">"##),
        "{}",
        refused.text()
    );
    let r = c
        .post(
            &format!("{builder}/Q2"),
            &[
                fields.as_slice(),
                &[("change_note", "Q2 now asks about adults.")],
            ]
            .concat(),
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=saved"));
    page(&mut c, &builder, "Version 2.").await;
    let r = c
        .post(&format!("{builder}/Q3/move"), &[("direction", "up")], true)
        .await;
    assert!(location(&r).contains("done=moved"));
    let html = page(&mut c, &builder, "Version 3.").await;
    let order = order(&html);
    assert!(order.iter().position(|q| q == "Q3") < order.iter().position(|q| q == "Q2"));
}

/// A demo tender's id by its reference.
async fn demo(app: &TestApp, reference: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut db = app.db().await;
    diesel::sql_query(format!(
        "SELECT id::text AS id FROM competitions WHERE reference = '{reference}'"
    ))
    .get_result::<Row>(&mut db)
    .await
    .unwrap()
    .id
}

#[actix_web::test]
async fn the_award_notice_is_shown_as_fields_with_the_json_to_download() {
    let app = spawn_app().await;
    let awarded = demo(&app, "WCC-2026-017").await;
    let evaluating = demo(&app, "WCC-2026-024").await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let path = format!("/procurements/{awarded}/standstill");
    let html = page(&mut c, &path, "Contract award notice").await;
    assert!(html.contains("UK6: Contract award notice"));
    assert!(html.contains("Procurement rules"));
    // Pounds with pence, and dates in words.
    let money = regex_like(&html, "£", ".00");
    assert!(money, "values in pounds: {html}");
    assert!(!html.contains("_pence") && !html.contains("T00:") && !html.contains("Z<"));
    let months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    assert!(months.iter().any(|m| html.contains(&format!(" {m} 20"))));
    assert!(html.contains(&format!(
        r#"href="/procurements/{awarded}/award-notice.json""#
    )));
    // The download is the API's JSON, as an attachment.
    let json = c
        .get(&format!("/procurements/{awarded}/award-notice.json"))
        .await;
    assert_eq!(json.status, 200);
    let disposition = json.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("WCC-2026-017"),
        "{disposition}"
    );
    let token = app.token(COMMISSIONER).await;
    let api = app
        .get(
            &format!("/api/v1/procurements/{awarded}/award-notice"),
            Some(&token),
        )
        .await
        .json();
    assert_eq!(json.json(), api);
    // Before the award there is nothing to download, and the page says when it comes.
    page(
        &mut c,
        &format!("/procurements/{evaluating}/standstill"),
        "Standstill starts when you award",
    )
    .await;
    assert_ne!(
        c.get(&format!("/procurements/{evaluating}/award-notice.json"))
            .await
            .status,
        200
    );
    // Nobody else reads it.
    let other = other_council(&app).await;
    let mut o = app.browser();
    o.sign_in(other).await;
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    for path in [
        path.clone(),
        format!("/procurements/{awarded}/award-notice.json"),
    ] {
        assert_eq!(o.get(&path).await.status, 404, "{path}");
        assert_eq!(p.get(&path).await.status, 403, "{path}");
    }
}

/// Whether `html` has a `start`…`end` run with only digits and commas between.
fn regex_like(html: &str, start: &str, end: &str) -> bool {
    html.match_indices(start).any(|(i, _)| {
        let rest = &html[i + start.len()..];
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .collect();
        !digits.is_empty() && rest[digits.len()..].starts_with(end)
    })
}

#[actix_web::test]
async fn the_results_download_as_a_spreadsheet_only_for_the_council_after_opening() {
    let app = spawn_app().await;
    let awarded = demo(&app, "WCC-2026-017").await;
    let open = demo(&app, "WCC-2026-031").await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let html = page(
        &mut c,
        &format!("/procurements/{awarded}/results"),
        "Download the results as a spreadsheet (CSV)",
    )
    .await;
    assert!(html.contains(&format!(r#"href="/procurements/{awarded}/results.csv""#)));
    let csv = c.get(&format!("/procurements/{awarded}/results.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let disposition = csv.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("results-WCC-2026-017.csv"),
        "{disposition}"
    );
    let text = csv.text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "Lot,Rank,Bidder,Quality score,Social value score,Price (£),Price score,Total score,Outcome,Abnormally low price"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().any(|r| r.contains(",Successful,")), "{text}");
    // Money in pounds a spreadsheet reads: digits, a point and pence, no pence column.
    let price = rows[0].split(',').nth(5).unwrap();
    assert!(
        price.is_empty() || (price.contains('.') && price.split('.').nth(1).unwrap().len() == 2),
        "{price}"
    );
    // What the page shows and no more: the same bidders, none of their answers.
    let results = c
        .get(&format!("/procurements/{awarded}/results"))
        .await
        .text();
    assert!(results.contains(">Outcome</th>"));
    for row in &rows {
        let bidder = row.split(',').nth(2).unwrap().trim_matches('"');
        assert!(results.contains(bidder), "{bidder} is on the results page");
        // The page's outcome is the spreadsheet's, in the same words (the spreadsheet
        // adds an exclusion's reason after a colon).
        let outcome = row.split(',').nth(8).unwrap().trim_matches('"');
        let word = outcome.split(':').next().unwrap();
        assert!(
            results.contains(&format!(">{word}<")),
            "{word} for {bidder}"
        );
    }
    // Sealed bids stay sealed: no spreadsheet before the bids are opened.
    let sealed = c.get(&format!("/procurements/{open}/results.csv")).await;
    assert_ne!(sealed.status, 200);
    assert!(!sealed.text().contains("Rank,Bidder"));
    // Nobody else gets it.
    let other = other_council(&app).await;
    let mut o = app.browser();
    o.sign_in(other).await;
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    let path = format!("/procurements/{awarded}/results.csv");
    assert_eq!(o.get(&path).await.status, 404);
    assert_eq!(p.get(&path).await.status, 403);
}

/// The outbox as an administrator reads it.
async fn outbox(app: &TestApp) -> Vec<serde_json::Value> {
    let admin = app.token("admin@council.example").await;
    app.get("/api/v1/outbox?per_page=100", Some(&admin))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[actix_web::test]
async fn a_clarification_question_is_emailed_to_the_councils_commissioners() {
    use backend::mail::MailContext;
    use backend::mail::sender::{Sender, Transport};
    const SINK: &str = env!("CARGO_BIN_EXE_smtp-sink");
    let app = spawn_app().await;
    let other = other_council(&app).await;
    let token = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &token, "WCC-ASKED-1", tender::questionnaire()).await;
    let before = outbox(&app).await.len();
    // A provider asks on the opportunity's page.
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    let question = "Is travel time between calls paid within the hourly rate?";
    let r = p
        .post(
            &format!("/opportunities/{id}/questions"),
            &[("question", question)],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=asked"));
    let queued = outbox(&app).await;
    let asked: Vec<_> = queued
        .iter()
        .filter(|m| m["template"] == "clarification_asked")
        .collect();
    assert_eq!(queued.len() - before, asked.len());
    let to: Vec<&str> = asked
        .iter()
        .map(|m| m["to_address"].as_str().unwrap())
        .collect();
    assert!(to.contains(&COMMISSIONER), "{to:?}");
    assert!(
        !to.contains(&other),
        "another council's commissioner is not told"
    );
    assert!(to.iter().all(|a| a.ends_with("@council.example")), "{to:?}");

    // Delivered through real SMTP: why it was sent, the procurement, the question, a link.
    let sink = tests::SmtpSink::start(SINK, None);
    let settings = tests::with_smtp(app.settings.clone(), &sink.url());
    let sender = Sender::new(
        app.pool.clone(),
        Transport::from_settings(&settings.mail).unwrap(),
        settings.mail.from.parse().unwrap(),
        MailContext::from_settings(&settings),
    );
    while sender.send_batch().await.unwrap() > 0 {}
    let messages = sink.messages();
    let m = messages
        .iter()
        .find(|m| {
            m.contains(&format!("To: {COMMISSIONER}")) || m.contains(&format!("<{COMMISSIONER}>"))
        })
        .unwrap_or_else(|| panic!("no email to the commissioner: {messages:?}"));
    let body = m.replace("=\r\n", "").replace("=\n", "");
    assert!(
        body.contains("Subject: New clarification question about WCC-ASKED-1"),
        "{body}"
    );
    assert!(body.contains(question));
    assert!(body.contains(&format!("/procurements/{id}/clarifications")));
    assert!(body.contains("You received this email because you are a commissioner at the council that runs WCC-ASKED-1"));
    assert!(body.contains("List-Unsubscribe"), "it can be turned off");

    // A commissioner who turned these emails off is not sent the next one.
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let prefs = page(&mut c, "/account/notifications", "Clarification questions").await;
    assert!(prefs.contains("clarification_questions"));
    let r = c
        .post(
            "/account/notifications",
            &[("kinds", "deadline_reminders")],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let before = outbox(&app).await.len();
    let r = p
        .post(
            &format!("/opportunities/{id}/questions"),
            &[("question", "And mileage?")],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=asked"));
    let after = outbox(&app).await;
    assert!(
        after
            .iter()
            .filter(|m| m["template"] == "clarification_asked")
            .all(|m| m["to_address"] != COMMISSIONER || after.len() == before),
        "no new email to the commissioner who turned them off"
    );
    let to_commissioner = after
        .iter()
        .filter(|m| m["template"] == "clarification_asked" && m["to_address"] == COMMISSIONER)
        .count();
    assert_eq!(to_commissioner, 1, "only the first question reached them");
    while sender.send_batch().await.unwrap() > 0 {}
}

#[actix_web::test]
async fn after_publishing_the_assessment_stays_reachable_and_a_refused_answer_keeps_its_text() {
    let app = spawn_app().await;
    let token = app.token(COMMISSIONER).await;
    let id = tender::published(&app, &token, "WCC-AFTER-1", tender::questionnaire()).await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    let overview = page(
        &mut c,
        &format!("/procurements/{id}"),
        "Stages of the procurement",
    )
    .await;
    assert!(
        overview.contains(&format!(
            r#"href="/procurements/{id}/conflicts-assessment""#
        )),
        "the assessment is kept up to date until award"
    );
    assert!(overview.contains("Keep the conflicts assessment up to date"));

    // A provider asks; the commissioner's over-long answer is refused with its box red and
    // linked, and what they typed is still there.
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    let r = p
        .post(
            &format!("/opportunities/{id}/questions"),
            &[("question", "Is mileage paid?")],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=asked"));
    let list = page(
        &mut c,
        &format!("/procurements/{id}/clarifications"),
        "Is mileage paid?",
    )
    .await;
    let cid = tests::first_id_after(&list, &format!("/procurements/{id}/clarifications/")).unwrap();
    let typed = format!("Mileage is paid at 45p a mile. {}", "More. ".repeat(4000));
    let refused = c
        .post(
            &format!("/procurements/{id}/clarifications/{cid}"),
            &[("answer", typed.as_str())],
            true,
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let html = refused.text();
    assert!(
        html.contains("<title>Error: "),
        "the title says there is an error"
    );
    assert!(
        html.contains(&format!(r##"<a href="#answer-{cid}">"##)),
        "{html}"
    );
    assert!(html.contains("govuk-textarea--error"));
    assert!(
        html.contains("Mileage is paid at 45p a mile."),
        "the typed answer is kept"
    );
    // Nothing was saved.
    let again = page(
        &mut c,
        &format!("/procurements/{id}/clarifications"),
        "Is mileage paid?",
    )
    .await;
    assert!(!again.contains("Mileage is paid at 45p a mile."));
}
