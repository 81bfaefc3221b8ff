//! A tender through the pages alone, as each role would click through it without
//! JavaScript: every page renders, forms re-render with clear errors, and the rules hold.

use diesel_async::RunQueryDsl;
use tests::tender::{BRIGHT, COMMISSIONER, EVALUATOR, MEADOW, PDF};
use tests::{Browser, first_id_after, location, page, spawn_app};

fn id_in(path: &str, prefix: &str) -> String {
    path.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{path} does not start with {prefix}"))
        .chars()
        .take(36)
        .collect()
}

async fn bid(browser: &mut Browser<'_>, id: &str, safeguarding: &str, price: &str) -> String {
    page(browser, &format!("/opportunities/{id}"), "Start your bid").await;
    let to = location(
        &browser
            .post(&format!("/opportunities/{id}/bids"), &[], true)
            .await,
    );
    let sid = id_in(&to, "/bids/");
    // The bid is a task list: a task per section, then check and submit (not yet).
    let tasks = page(browser, &to, "Check your answers and submit").await;
    assert!(tasks.contains("Cannot start yet") && tasks.contains("Not yet started"));
    assert!(tasks.contains(&format!("href=\"/bids/{sid}/sections/1\"")));
    let (eligibility, quality, pricing, evidence) = (
        format!("{to}/sections/1"),
        format!("{to}/sections/2"),
        format!("{to}/sections/3"),
        format!("{to}/sections/4"),
    );
    // Save and continue goes back to the task list.
    let saved = browser
        .post(&eligibility, &[("Q1", "yes"), ("action", "continue")], true)
        .await;
    assert_eq!(location(&saved), format!("{to}?done=draft"));
    // A price that is not money is refused with the question's own message, linked to
    // its input, and shown again as typed; nothing saved.
    let bad = browser
        .post(&pricing, &[("Q3", "about £1k"), ("action", "save")], true)
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("enter the price in pounds and pence"));
    assert!(bad.text().contains("href=\"#answer-Q3\""));
    assert!(bad.text().contains("govuk-input--error") && bad.text().contains("about £1k"));
    let saved = browser
        .post(&pricing, &[("Q3", price), ("action", "save")], true)
        .await;
    assert_eq!(location(&saved), format!("{pricing}?done=draft"));
    let saved = browser
        .post(&quality, &[("Q2", safeguarding), ("action", "save")], true)
        .await;
    assert!(location(&saved).ends_with("done=draft"));
    // The page's script saves a section's drafts in the background: a 204, and only that
    // section's answers change.
    let autosave = browser
        .post_with_headers(
            &quality,
            &[("Q2", "draft in progress"), ("action", "save")],
            &[("X-Autosave", "1")],
        )
        .await;
    assert_eq!(autosave.status, 204);
    page(browser, &quality, "draft in progress").await;
    let first = page(browser, &eligibility, "Q1").await;
    assert!(first.contains(r#"value="yes" checked"#), "section 1 kept");
    // Uploading a file is a button of the section's form: what was typed alongside is
    // saved with it, never lost.
    let uploaded = browser
        .post_multipart(
            &evidence,
            &[("action", "upload:Q4")],
            "file:Q4",
            "insurance.pdf",
            PDF,
        )
        .await;
    assert!(
        location(&uploaded).contains("done=uploaded"),
        "{}",
        uploaded.text()
    );
    page(browser, &evidence, "insurance.pdf").await;
    let saved = browser
        .post(
            &quality,
            &[("Q2", safeguarding), ("action", "continue")],
            true,
        )
        .await;
    assert_eq!(location(&saved), format!("{to}?done=draft"));
    // Every section complete: check your answers, then submit.
    let tasks = page(browser, &to, "You have completed 4 of 4 sections").await;
    assert!(tasks.contains(&format!("href=\"/bids/{sid}/check\"")));
    let check = page(browser, &format!("{to}/check"), "Check your answers").await;
    assert!(check.contains("insurance.pdf") && check.contains(&safeguarding[..10]));
    assert!(check.contains(&format!("href=\"/bids/{sid}/sections/3#answer-Q3\"")));
    assert!(check.contains("Submit your bid"));
    let submitted = browser.post(&format!("{to}/check"), &[], true).await;
    assert_eq!(location(&submitted), format!("{to}/receipt"));
    let receipt = page(browser, &format!("{to}/receipt"), "Bid submitted").await;
    assert!(receipt.contains("Your receipt number") && receipt.contains("What happens next"));
    page(browser, &format!("{to}/check"), "Submit again").await;
    sid
}

#[actix_web::test]
async fn a_tender_runs_end_to_end_through_the_pages() {
    let app = spawn_app().await;
    let mut public = app.browser();
    page(&mut public, "/opportunities", "Find opportunities").await;

    // The commissioner creates the procurement; a form with mistakes says what to fix.
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    page(&mut c, "/procurements", "Create a procurement").await;
    let form = page(&mut c, "/procurements/new", "Create a procurement").await;
    let district =
        first_id_after(&form, "name=\"district_ids\" type=\"checkbox\" value=\"").unwrap();
    let bad = c
        .post(
            "/procurements/new",
            &[("title", ""), ("light_touch", "yes")],
            true,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("There is a problem") && bad.text().contains("Enter a title"));
    let soon =
        chrono::Utc::now().with_timezone(&chrono_tz::Europe::London) + chrono::Duration::days(10);
    let later = soon + chrono::Duration::days(5);
    let award = later + chrono::Duration::days(20);
    let (cd, sd) = (soon, later);
    let created = c
        .post(
            "/procurements/new",
            &[
                ("title", "Day opportunities in Teme Valley"),
                ("reference", "WCC-PAGES-1"),
                (
                    "description",
                    "Day opportunities for adults with learning disabilities.",
                ),
                ("service_type", "day_opportunities"),
                ("district_ids", &district),
                ("estimated_value", "850,000"),
                ("regime", "pa2023"),
                ("light_touch", "yes"),
                ("procedure", "open"),
                ("lots", ""),
                ("standstill_working_days", "8"),
            ]
            .into_iter()
            .chain(borrowed(&timetable_fields(cd, "17:00", sd, "12:00", award)))
            .collect::<Vec<_>>(),
            true,
        )
        .await;
    let overview = location(&created);
    let id = id_in(&overview, "/procurements/");
    page(&mut c, &overview, "Procurement created").await;

    // The questionnaire, one question at a time.
    let builder = format!("/procurements/{id}/questionnaire");
    page(&mut c, &builder, "No questions yet").await;
    let missing_weight = c
        .post(
            &builder,
            &[
                ("new_section", "Quality"),
                ("kind", "scored"),
                ("title", "Safeguarding"),
            ],
            true,
        )
        .await;
    assert_eq!(missing_weight.status, 422);
    assert!(
        missing_weight
            .text()
            .contains("Give this question a weight")
    );
    for fields in [
        vec![
            ("new_section", "Eligibility"),
            ("kind", "pass_fail"),
            ("title", "Are you registered with CQC?"),
            ("pass_answer", "yes"),
        ],
        vec![
            ("new_section", "Quality"),
            ("kind", "scored"),
            ("title", "Safeguarding"),
            ("weight", "70"),
            ("word_limit", "300"),
            ("guidance", "An example, please."),
        ],
        vec![
            ("new_section", "Price"),
            ("kind", "price"),
            ("title", "Annual price"),
            ("weight", "30"),
        ],
        vec![
            ("new_section", "Evidence"),
            ("kind", "evidence"),
            ("title", "Insurance certificate"),
        ],
        vec![
            ("section", "Evidence"),
            ("kind", "information"),
            ("title", "Anything else?"),
            ("word_limit", "100"),
        ],
    ] {
        let r = c.post(&builder, &fields, true).await;
        assert!(location(&r).ends_with("done=saved"), "{fields:?}");
    }
    let html = page(&mut c, &builder, "Weights total <strong>100%</strong>").await;
    assert!(html.contains("Q5"));
    // Removing asks first; confirmed, the question goes.
    let asked = c
        .post(&format!("{builder}/remove"), &[("question_id", "Q5")], true)
        .await;
    assert!(asked.text().contains("Yes, remove the question"));
    assert!(
        location(
            &c.post(
                &format!("{builder}/remove"),
                &[("question_id", "Q5"), ("confirmed", "yes")],
                true
            )
            .await
        )
        .ends_with("done=saved")
    );

    // The overview is a task list; publishing is not possible yet.
    let html = page(&mut c, &overview, "Before publishing").await;
    assert!(html.contains(r#"href="/procurements/"#) && html.contains("Write the questions"));
    assert!(html.contains("Cannot start yet"));
    // A refused publish goes back to the overview and lists every problem, each linked
    // to its fix; nothing is published.
    let refused = c
        .post(&format!("/procurements/{id}/publish"), &[], true)
        .await;
    assert_eq!(refused.status, 303);
    assert_eq!(
        location(&refused),
        format!("/procurements/{id}?problems=publish")
    );
    let html = c.get(&location(&refused)).await.text();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains(&format!(
        r#"<a href="/procurements/{id}/conflicts-assessment#assessment">Record the conflicts assessment</a>"#
    )));
    assert!(html.contains("Before publishing"));
    // The assessment has a page of its own; an empty one is refused there.
    page(
        &mut c,
        &format!("/procurements/{id}/conflicts-assessment"),
        "Conflicts assessment",
    )
    .await;
    let empty = c
        .post(
            &format!("/procurements/{id}/conflicts-assessment"),
            &[("assessment", "  ")],
            true,
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains(r##"<a href="#assessment">"##));
    let r = c
        .post(
            &format!("/procurements/{id}/conflicts-assessment"),
            &[(
                "assessment",
                "The panel declared no links with local providers.",
            )],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=assessed"));
    let r = c
        .post_file(
            &format!("/procurements/{id}/documents"),
            &[("title", "Specification")],
            "spec.pdf",
            PDF,
        )
        .await;
    assert!(location(&r).ends_with("done=document"));
    let r = c
        .post(&format!("/procurements/{id}/publish"), &[], true)
        .await;
    assert!(location(&r).ends_with("done=published"));
    let html = page(&mut c, &overview, "Stages of the procurement").await;
    assert!(!html.contains("Before publishing"));
    assert!(html.contains("Answer clarification questions (0 unanswered)"));
    page(
        &mut c,
        &format!("/procurements/{id}/timetable"),
        "Change the timetable",
    )
    .await;
    // The deadline moves later with a reason; earlier is refused on the page.
    let later_still = later + chrono::Duration::days(2);
    let timetable = format!("/procurements/{id}/timetable");
    let sooner = timetable_fields(cd, "17:00", cd, "18:00", award);
    let refused = c
        .post(
            &timetable,
            &[("reason", "Sooner")]
                .into_iter()
                .chain(borrowed(&sooner))
                .collect::<Vec<_>>(),
            true,
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("can only move later"));
    // A date missing its month is refused on that box, with what was typed kept, and
    // the title says there is an error; a time typed as "5pm" is read as 17:00.
    let mut no_month = timetable_fields(cd, "5pm", later_still, "12:00", award);
    no_month.retain(|(k, _)| k != "submission_month");
    let refused = c
        .post(
            &timetable,
            &[("reason", "Kept when refused")]
                .into_iter()
                .chain(borrowed(&no_month))
                .collect::<Vec<_>>(),
            true,
        )
        .await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains(
        r##"<a href="#submission_month">The submission deadline must include a month</a>"##
    ));
    assert!(html.contains(r#"id="submission_month" name="submission_month" type="text" value="""#));
    assert!(html.contains(r#"id="clarification_time" name="clarification_time" type="text" autocomplete="off" spellcheck="false" value="5pm""#));
    assert!(html.contains(">Kept when refused</textarea>"));
    let r = c
        .post(
            &timetable,
            &[(
                "reason",
                "Two more days after the clarification about transport.",
            )]
            .into_iter()
            .chain(borrowed(&timetable_fields(
                cd,
                "5pm",
                later_still,
                "12:00",
                award,
            )))
            .collect::<Vec<_>>(),
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=timetable"));
    let moved = c.get(&format!("/procurements/{id}/timetable")).await.text();
    assert!(
        moved.contains(r#"id="clarification_time" name="clarification_time" type="text" autocomplete="off" spellcheck="false" value="17:00""#),
        "the time shows on the 24-hour clock"
    );

    // Providers find it, ask a question and bid.
    let listing = page(
        &mut public,
        "/opportunities?service_type=day_opportunities",
        "Day opportunities in Teme Valley",
    )
    .await;
    assert!(listing.contains(&format!("/opportunities/{id}")));
    page(&mut public, &format!("/opportunities/{id}"), "Sign in").await;
    let mut bright = app.browser();
    bright.sign_in(BRIGHT).await;
    assert!(
        location(
            &bright
                .post(&format!("/opportunities/{id}/interest"), &[], true)
                .await
        )
        .ends_with("done=interest")
    );
    assert!(
        location(
            &bright
                .post(
                    &format!("/opportunities/{id}/questions"),
                    &[("question", "Is transport included?")],
                    true
                )
                .await
        )
        .ends_with("done=asked")
    );
    let bright_sid = bid(
        &mut bright,
        &id,
        "We train every worker in safeguarding before their first shift, with two examples.",
        "1,250.00",
    )
    .await;
    let mut meadow = app.browser();
    meadow.sign_in(MEADOW).await;
    let meadow_sid = bid(&mut meadow, &id, "We follow the council's policy.", "990").await;
    // Withdrawing asks first and changes nothing until confirmed; nobody may be asked
    // about another organisation's bid.
    let withdraw = format!("/bids/{meadow_sid}/withdraw");
    let asked = meadow.post(&withdraw, &[], true).await;
    assert_eq!(asked.status, 200);
    assert!(
        asked
            .text()
            .contains("Are you sure you want to withdraw your bid for")
    );
    assert!(asked.text().contains(r#"name="confirmed" value="yes""#));
    assert_eq!(bright.post(&withdraw, &[], true).await.status, 404);
    page(
        &mut meadow,
        &format!("/bids/{meadow_sid}"),
        "Withdraw your bid",
    )
    .await;
    // One provider cannot open another's bid.
    assert_eq!(meadow.get(&format!("/bids/{bright_sid}")).await.status, 404);
    page(&mut bright, "/bids", "Submitted").await;

    // The commissioner answers the clarification for everyone.
    let clar = page(
        &mut c,
        &format!("/procurements/{id}/clarifications"),
        "Is transport included?",
    )
    .await;
    let cid = first_id_after(&clar, &format!("/procurements/{id}/clarifications/")).unwrap();
    // An empty answer re-renders the page with an error summary, not an error page.
    let empty = c
        .post(
            &format!("/procurements/{id}/clarifications/{cid}"),
            &[("answer", " ")],
            true,
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.text().contains("There is a problem") && empty.text().contains("Enter the answer")
    );
    let r = c
        .post(
            &format!("/procurements/{id}/clarifications/{cid}"),
            &[
                ("answer", "No: providers arrange their own."),
                ("publish", "yes"),
            ],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=answered"));
    page(
        &mut meadow,
        &format!("/opportunities/{id}"),
        "providers arrange their own",
    )
    .await;

    // Sealed: the commissioner sees only that two bids exist.
    let overview_html = page(
        &mut c,
        &format!("/procurements/{id}/submissions"),
        "sealed until you open them",
    )
    .await;
    assert!(!overview_html.contains("We train every worker"));
    assert_eq!(
        c.get(&format!(
            "/submissions/{bright_sid}/files/{}",
            uuid::Uuid::nil()
        ))
        .await
        .status,
        403
    );

    // The deadline passes; the commissioner opens the bids and sets the panel.
    let mut db = app.db().await;
    diesel::sql_query(format!("WITH c AS (UPDATE competitions SET submission_deadline = now() - interval '1 second' WHERE id = '{id}') UPDATE procurements SET clarification_deadline = now() - interval '2 seconds' WHERE id = '{id}'"))
        .execute(&mut db).await.unwrap();
    assert!(
        location(&c.post(&format!("/procurements/{id}/open"), &[], true).await)
            .ends_with("done=opened")
    );
    let panel = page(
        &mut c,
        &format!("/procurements/{id}/panel"),
        "Who will evaluate the bids?",
    )
    .await;
    let evaluator =
        first_id_after(&panel, "name=\"evaluator_ids\" type=\"checkbox\" value=\"").unwrap();
    assert!(
        location(
            &c.post(
                &format!("/procurements/{id}/panel"),
                &[("evaluator_ids", &evaluator)],
                true
            )
            .await
        )
        .ends_with("done=panel")
    );

    // The evaluator declares before seeing anything, then scores.
    let mut e = app.browser();
    e.sign_in(EVALUATOR).await;
    assert_eq!(
        e.get(&format!("/evaluations/{bright_sid}")).await.status,
        403
    );
    // The procurement's page is the evaluator's to-do list.
    let r = e.get(&format!("/procurements/{id}")).await;
    assert!(location(&r).ends_with(&format!("/procurements/{id}/evaluation")));
    let todo = page(
        &mut e,
        &format!("/procurements/{id}/evaluation"),
        "Declare conflicts of interest",
    )
    .await;
    assert!(
        todo.contains("Cannot start yet")
            && todo.contains("Declare your conflicts of interest first")
    );
    let form = page(
        &mut e,
        &format!("/procurements/{id}/declarations"),
        "Do you have a conflict of interest with",
    )
    .await;
    let org0 = first_id_after(&form, "name=\"organisation-0\" value=\"").unwrap();
    let org1 = first_id_after(&form, "name=\"organisation-1\" value=\"").unwrap();
    let incomplete = e
        .post(
            &format!("/procurements/{id}/declarations"),
            &[
                ("organisation-0", &org0),
                ("interest-0", "no"),
                ("organisation-1", &org1),
            ],
            true,
        )
        .await;
    assert_eq!(incomplete.status, 422);
    // Continue shows the answers to check; only confirming records them.
    let check = e
        .post(
            &format!("/procurements/{id}/declarations"),
            &[
                ("organisation-0", &org0),
                ("interest-0", "no"),
                ("organisation-1", &org1),
                ("interest-1", "no"),
            ],
            true,
        )
        .await;
    assert_eq!(check.status, 200);
    assert!(check.text().contains("Check your declarations"));
    let r = e
        .post(
            &format!("/procurements/{id}/declarations"),
            &[
                ("organisation-0", &org0),
                ("interest-0", "no"),
                ("organisation-1", &org1),
                ("interest-1", "no"),
                ("confirmed", "yes"),
            ],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=declarations-confirmed"));
    for (sid, score, answer) in [
        (&bright_sid, "4", "We train every worker in safeguarding"),
        (&meadow_sid, "2", "We follow the council"),
    ] {
        let sheet = page(
            &mut e,
            &format!("/evaluations/{sid}"),
            "The bidder's answer",
        )
        .await;
        assert!(
            sheet.contains(answer),
            "the evaluator reads this bid's own answer"
        );
        let missing = e
            .post(
                &format!("/evaluations/{sid}"),
                &[("score-Q2", score), ("reason-Q2", ""), ("action", "check")],
                true,
            )
            .await;
        assert_eq!(missing.status, 422);
        let r = e
            .post(
                &format!("/evaluations/{sid}"),
                &[
                    ("score-Q2", score),
                    ("reason-Q2", "Reasons as discussed."),
                    ("action", "check"),
                ],
                true,
            )
            .await;
        assert!(location(&r).ends_with(&format!("/evaluations/{sid}/check")));
        page(
            &mut e,
            &format!("/evaluations/{sid}/check"),
            "Reasons as discussed.",
        )
        .await;
        let r = e
            .post(&format!("/evaluations/{sid}/submit"), &[], true)
            .await;
        assert!(location(&r).ends_with("done=scores-confirmed"));
    }

    // Before moderation no bid has a total, an exclusion or a rank: none is known yet.
    let early = page(
        &mut c,
        &format!("/procurements/{id}/results"),
        "Not moderated yet",
    )
    .await;
    assert!(!early.contains("Quality total below 50%"), "{early}");
    let commissioner = app.token(COMMISSIONER).await;
    let api = app
        .get(
            &format!("/api/v1/procurements/{id}/results"),
            Some(&commissioner),
        )
        .await
        .json();
    for bid in api[0]["bids"].as_array().unwrap() {
        assert_eq!(bid["moderated"], false);
        assert!(bid["total"].is_null() && bid["rank"].is_null() && bid["excluded"].is_null());
    }

    // Moderation, results and award.
    page(
        &mut c,
        &format!("/procurements/{id}/moderation"),
        "Reasons as discussed.",
    )
    .await;
    // A missing score or reason re-renders moderation with what to fix.
    for (fields, expected) in [
        (vec![("reason", "Agreed")], "choose the agreed score"),
        (
            vec![("score", "3"), ("reason", " ")],
            "Give the reason for the agreed score",
        ),
    ] {
        let r = c
            .post(
                &format!("/procurements/{id}/moderation/{bright_sid}/Q2"),
                &fields,
                true,
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.text().contains("There is a problem") && r.text().contains(expected),
            "{expected}"
        );
    }
    for (sid, score, reason) in [
        (&bright_sid, "4", "Two clear examples of escalation."),
        (&meadow_sid, "2", "Restates the policy without examples."),
    ] {
        let r = c
            .post(
                &format!("/procurements/{id}/moderation/{sid}/Q2"),
                &[("score", score), ("reason", reason)],
                true,
            )
            .await;
        assert!(location(&r).contains("done=moderated"));
    }
    let results = page(&mut c, &format!("/procurements/{id}/results"), "Award").await;
    // Meadow's agreed 2 of 5 on a 70% question is under half the quality weight.
    assert!(results.contains("Quality total below 50% of the quality weight"));
    assert!(results.contains("1. Bright Care Services Ltd"));
    // An excluded bid is refused at once, with the reason, not confirmed first.
    let refused = c
        .post(
            &format!("/procurements/{id}/results"),
            &[("successful", &meadow_sid)],
            true,
        )
        .await;
    assert_ne!(refused.status, 200);
    assert!(refused.text().contains("is excluded"), "{}", refused.text());
    assert!(!refused.text().contains("Yes, award"));
    // Awarding asks first, names the chosen bidder, and changes nothing until confirmed.
    let asked = c
        .post(
            &format!("/procurements/{id}/results"),
            &[("successful", &bright_sid)],
            true,
        )
        .await;
    assert_eq!(asked.status, 200);
    let asked = asked.text();
    assert!(asked.contains("Awarding cannot be undone."), "{asked}");
    assert!(asked.contains("Bright Care Services Ltd, ranked 1"));
    assert!(asked.contains(&format!(r#"name="successful" value="{bright_sid}""#)));
    page(&mut c, &format!("/procurements/{id}/results"), "Award").await;
    let r = c
        .post(
            &format!("/procurements/{id}/results"),
            &[("successful", &bright_sid), ("confirmed", "yes")],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=awarded"));
    page(&mut c, &overview, "Standstill ends").await;

    // The losing bidder reads its assessment summary.
    let summary = page(
        &mut meadow,
        &format!("/bids/{meadow_sid}"),
        "Your bid was not successful",
    )
    .await;
    assert!(summary.contains("Restates the policy without examples."));
    // Each score says what it is out of, and who at the council to ask.
    assert!(summary.contains("Quality</dt><dd class=\"govuk-summary-list__value\">"));
    assert!(
        summary.contains(" out of 70</dd>"),
        "quality out of its weight"
    );
    assert!(
        summary.contains("If you have questions about this decision, contact ")
            && summary.contains(COMMISSIONER)
    );
    assert!(
        summary.contains("Two clear examples of escalation."),
        "the winning bid's reason is shown"
    );
    assert!(
        !summary.contains("Bright Care"),
        "the winner is not named in the summary"
    );
    page(
        &mut bright,
        &format!("/bids/{bright_sid}"),
        "Your bid was successful",
    )
    .await;
}

/// The demo tenders render for every role at every stage (they are what a visitor sees
/// first, so a template that fails on them would be the first thing anyone meets).
#[actix_web::test]
async fn the_demo_tenders_render_for_every_role() {
    let app = spawn_app().await;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        reference: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut db = app.db().await;
    let rows: Vec<Row> =
        diesel::sql_query("SELECT reference, id::text AS id FROM competitions ORDER BY reference")
            .load(&mut db)
            .await
            .unwrap();
    let id = |r: &str| {
        rows.iter()
            .find(|x| x.reference == r)
            .unwrap_or_else(|| panic!("demo tender {r}"))
            .id
            .clone()
    };
    let (awarded, evaluating, open) = (id("WCC-2026-017"), id("WCC-2026-024"), id("WCC-2026-031"));

    let mut public = app.browser();
    page(&mut public, "/opportunities", "Home care in Wyre Forest").await;
    page(
        &mut public,
        &format!("/opportunities/{open}"),
        "The questions",
    )
    .await;

    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    page(&mut c, "/procurements", "Reablement service, countywide").await;
    page(
        &mut c,
        &format!("/procurements/{open}"),
        "Answer clarification questions",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{open}/questionnaire"),
        "Weights total",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{open}/clarifications"),
        "Save and email the answer",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{evaluating}"),
        "Moderate scores",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{evaluating}/moderation"),
        "Waiting for scores from",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{evaluating}/results"),
        "Moderation is not finished",
    )
    .await;
    page(
        &mut c,
        &format!("/procurements/{awarded}"),
        "Standstill ends",
    )
    .await;
    let results = page(
        &mut c,
        &format!("/procurements/{awarded}/results"),
        "This procurement has been awarded",
    )
    .await;
    assert!(results.contains(">Successful<"), "the winner is marked");

    let mut e = app.browser();
    e.sign_in(EVALUATOR).await;
    let overview = page(
        &mut e,
        &format!("/procurements/{evaluating}/evaluation"),
        "Your evaluation",
    )
    .await;
    let sid = first_id_after(&overview, "/evaluations/").unwrap();
    page(
        &mut e,
        &format!("/evaluations/{sid}"),
        "The bidder's answer",
    )
    .await;

    let mut m = app.browser();
    m.sign_in(MEADOW).await;
    let bids = page(&mut m, "/bids", "Reablement service, countywide").await;
    assert!(bids.contains("Not successful") && bids.contains("Draft"));
    let lost = first_id_after(&bids, "/bids/").unwrap();
    let mut seen_summary = false;
    for bid in bids
        .split("href=\"/bids/")
        .skip(1)
        .map(|s| s[..36].to_string())
        .chain([lost])
    {
        let html = page(&mut m, &format!("/bids/{bid}"), "Your bid for").await;
        seen_summary |= html.contains("Your bid was not successful");
    }
    assert!(
        seen_summary,
        "Meadow can read why it lost the reablement tender"
    );
}

/// The timetable's date inputs (UK time) as a browser posts them: each date in three
/// boxes, each time as typed.
fn timetable_fields<Tz: chrono::TimeZone>(
    clarification: chrono::DateTime<Tz>,
    clarification_time: &str,
    submission: chrono::DateTime<Tz>,
    submission_time: &str,
    award: chrono::DateTime<Tz>,
) -> Vec<(String, String)> {
    use chrono::Datelike;
    let mut fields = Vec::new();
    for (name, date, time) in [
        ("clarification", clarification, Some(clarification_time)),
        ("submission", submission, Some(submission_time)),
        ("planned_award", award, None),
    ] {
        fields.push((format!("{name}_day"), date.day().to_string()));
        fields.push((format!("{name}_month"), date.month().to_string()));
        fields.push((format!("{name}_year"), date.year().to_string()));
        if let Some(time) = time {
            fields.push((format!("{name}_time"), time.to_string()));
        }
    }
    fields
}

fn borrowed(fields: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

#[actix_web::test]
async fn cancelling_asks_first_and_changes_nothing_until_confirmed() {
    let app = spawn_app().await;
    let mut db = app.db().await;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let open = diesel::sql_query(
        "SELECT id::text AS id FROM competitions WHERE reference = 'WCC-2026-031'",
    )
    .get_result::<Row>(&mut db)
    .await
    .unwrap()
    .id;
    let cancel = format!("/procurements/{open}/cancel");
    // A provider is not asked: it cannot cancel the council's tender.
    let mut provider = app.browser();
    provider.sign_in(BRIGHT).await;
    assert_ne!(provider.post(&cancel, &[], true).await.status, 200);
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    // Removing a question from the published questionnaire asks first, carrying the reason.
    let remove = format!("/procurements/{open}/questionnaire/remove");
    let fields = [
        ("question_id", "Q8"),
        ("change_note", "We will ask for a contact after the award."),
    ];
    let asked = c.post(&remove, &fields, true).await;
    assert_eq!(asked.status, 200);
    let asked = asked.text();
    assert!(asked.contains("Remove question Q8?</h1>"), "{asked}");
    assert!(asked.contains("<li>Who should we contact about this bid?</li>"));
    assert!(
        asked.contains(r#"name="change_note" value="We will ask for a contact after the award.""#)
    );
    let questions = format!("/procurements/{open}/questionnaire");
    let before = page(&mut c, &questions, "Weights total").await;
    let removed = c
        .post(&remove, &[fields[0], fields[1], ("confirmed", "yes")], true)
        .await;
    assert!(location(&removed).ends_with("done=saved"));
    let after = page(&mut c, &questions, "Weights total").await;
    let contact = "Who should we contact about this bid?";
    assert!(
        before.contains(contact) && !after.contains(contact),
        "gone once confirmed"
    );
    let asked = c.post(&cancel, &[], true).await;
    assert_eq!(asked.status, 200);
    let asked = asked.text();
    assert!(asked.contains("Are you sure you want to cancel Home care in Wyre Forest?"));
    assert!(asked.contains("Cancelling cannot be undone."));
    assert!(asked.contains(&format!(
        r#"href="/procurements/{open}">No, go back to the procurement</a>"#
    )));
    page(
        &mut c,
        &format!("/procurements/{open}"),
        "Cancel this procurement",
    )
    .await;
    let done = c.post(&cancel, &[("confirmed", "yes")], true).await;
    assert!(location(&done).ends_with("done=cancelled"));
    let after = page(
        &mut c,
        &format!("/procurements/{open}"),
        "Home care in Wyre Forest",
    )
    .await;
    assert!(!after.contains("Cancel this procurement"));
}
