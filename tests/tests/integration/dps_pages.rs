//! The commissioner's pages that set up a DPS: the form, the task list, each lot's
//! conditions, check your answers, establishing (confirmed first) and the notices; and who
//! may reach them (never a provider, never another council).

use tests::dps::{self, BRIGHT, COMMISSIONER};
use tests::{Browser, Reply, spawn_app};

fn location(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "expected a redirect: {}", reply.text());
    reply.header("location").unwrap()
}

async fn page(browser: &mut Browser<'_>, path: &str, expect: &str) -> String {
    let reply = browser.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    let html = reply.text();
    assert!(
        html.contains(expect),
        "{path} should say {expect:?}: {html}"
    );
    html
}

const FORM: &[(&str, &str)] = &[
    ("title", "Short breaks"),
    ("reference", "WCC-DPS-PAGES"),
    ("description", "Short breaks for carers."),
    ("regime", "pa2023"),
    ("starts_day", "1"),
    ("starts_month", "April"),
    ("starts_year", "2026"),
    ("ends_day", "31"),
    ("ends_month", "3"),
    ("ends_year", "2030"),
    ("service_types", "short_breaks"),
    ("service_types", "replacement_care"),
    ("lots", "Overnight breaks\nDay breaks"),
    ("round_schedule", ""),
    ("cutoff_day", "15"),
    ("decision_working_days", "10"),
    ("cqc_rule", "yes"),
];

fn lot_ids(html: &str, id: &str) -> Vec<String> {
    let prefix = format!("href=\"/dps/{id}/lots/");
    html.split(prefix.as_str())
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_commissioner_sets_up_and_establishes_a_dps_through_the_task_list() {
    let app = spawn_app().await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    page(&mut c, "/dps", "Set up a DPS").await;
    let html = page(
        &mut c,
        "/dps/new",
        "0 0 9 1 * * is at 9am on the 1st of every month",
    )
    .await;
    assert!(html.contains("value=\"15\""));

    // Bad dates and no answer to the CQC question: each named, what was typed kept.
    let mut bad: Vec<(&str, &str)> = FORM.to_vec();
    bad.retain(|(k, _)| *k != "cqc_rule" && *k != "ends_day");
    let r = c.post("/dps/new", &bad, true).await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains("href=\"#ends_day\""), "{html}");
    assert!(html.contains("href=\"#cqc_rule\""), "{html}");
    assert!(html.contains("Overnight breaks") && html.contains("Day breaks"));

    let created = location(&c.post("/dps/new", FORM, true).await);
    assert!(created.ends_with("?done=created"), "{created}");
    let overview = created.split('?').next().unwrap().to_string();
    let id = overview.trim_start_matches("/dps/").to_string();
    let html = page(&mut c, &created, "DPS created").await;
    for task in [
        "Describe the DPS",
        "Lot 1: Overnight breaks, conditions of membership",
        "Lot 2: Day breaks, conditions of membership",
        "Prepare the notice of intention",
        "Check your answers and establish the DPS",
    ] {
        assert!(html.contains(task), "{task}: {html}");
    }
    assert!(html.contains("Cannot start yet"));
    let lots = lot_ids(&html, &id);
    assert_eq!(lots.len(), 2);

    // A condition needs its words.
    let lot1 = format!("/dps/{id}/lots/{}", lots[0]);
    let r = c
        .post(
            &lot1,
            &[
                ("title", " "),
                ("kind", "pass_fail"),
                ("pass_answer", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("Enter the condition, as a question applicants answer")
    );
    let r = c
        .post(
            &lot1,
            &[
                (
                    "title",
                    "Do you hold employer's liability insurance of £5 million?",
                ),
                ("kind", "pass_fail"),
                ("pass_answer", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(location(&r), format!("{lot1}?done=added"));
    let r = c
        .post(
            &lot1,
            &[
                ("title", "Describe your safeguarding"),
                ("kind", "judged"),
                ("word_limit", "400"),
            ],
            true,
        )
        .await;
    location(&r);
    page(
        &mut c,
        &lot1,
        "A written answer of up to 400 words, judged pass or fail",
    )
    .await;
    // Removing asks first, and changes nothing until confirmed.
    let remove = format!("{lot1}/remove");
    let r = c.post(&remove, &[("question_id", "Q2")], true).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("Are you sure you want to remove this condition?")
    );
    page(&mut c, &lot1, "Describe your safeguarding").await;
    let r = c
        .post(
            &remove,
            &[("question_id", "Q2"), ("confirmed", "yes")],
            true,
        )
        .await;
    let html = page(&mut c, &location(&r), "Condition removed.").await;
    assert!(!html.contains("Describe your safeguarding"));

    // Establishing with lot 2 still empty lists it, linked to its page.
    let r = c
        .post(
            &format!("/dps/{id}/establish"),
            &[("confirmed", "yes")],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(
        html.contains(&format!("href=\"/dps/{id}/lots/{}\"", lots[1])),
        "{html}"
    );
    assert!(html.contains("Lot 2 (Day breaks) needs at least one condition"));

    let lot2 = format!("/dps/{id}/lots/{}", lots[1]);
    location(
        &c.post(
            &lot2,
            &[
                ("title", "Are you registered with the CQC?"),
                ("kind", "pass_fail"),
                ("pass_answer", "yes"),
            ],
            true,
        )
        .await,
    );
    location(&c.post(&format!("/dps/{id}/notices"), &[], true).await);
    let html = page(
        &mut c,
        &format!("/dps/{id}/check"),
        "Check your answers before establishing the DPS",
    )
    .await;
    for row in [
        "Short breaks",
        "1 April 2026 to 31 March 2030",
        "Short breaks, Replacement (respite) care",
        "Rounds open at 9am on the 1st of every month (or the next working day)",
        "Within 10 working days of the round&#x27;s cut-off",
        "Are you registered with the CQC? (answer yes or no: yes passes)",
    ] {
        assert!(html.contains(row), "{row}: {html}");
    }
    assert!(html.contains(&format!("href=\"/dps/{id}/edit#round_schedule\"")));

    // Establishing asks first.
    let r = c.post(&format!("/dps/{id}/establish"), &[], true).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("Are you sure you want to establish Short breaks?")
    );
    assert!(r.text().contains("cannot change during the term"));
    page(&mut c, &overview, "Setting up the DPS").await;
    let done = location(
        &c.post(
            &format!("/dps/{id}/establish"),
            &[("confirmed", "yes")],
            true,
        )
        .await,
    );
    assert_eq!(done, format!("/dps/{id}/established"));
    let html = page(&mut c, &done, "DPS established").await;
    assert!(html.contains("WCC-DPS-PAGES"));
    let html = page(&mut c, &overview, "Open to applications").await;
    assert!(!html.contains("Setting up the DPS"));
    // The conditions page now only reads; a forged add is refused and changes nothing.
    let html = page(&mut c, &lot1, "cannot change during its term").await;
    assert!(!html.contains("Add a condition"));
    let r = c
        .post(
            &lot1,
            &[
                ("title", "Late"),
                ("kind", "pass_fail"),
                ("pass_answer", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("its details and conditions of membership are fixed")
    );
    // The notices, and each as data.
    let html = page(
        &mut c,
        &format!("/dps/{id}/notices"),
        "Dynamic market notice: establishment",
    )
    .await;
    assert!(html.contains("Dynamic market notice: intention to establish"));
    let r = c.get(&format!("/dps/{id}/notices/established.json")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("established-notice-WCC-DPS-PAGES.json")
    );
    assert_eq!(r.json()["lots"][0]["title"], "Overnight breaks");
}

#[actix_web::test]
async fn providers_and_other_councils_never_reach_the_set_up_pages() {
    let app = spawn_app().await;
    let token = app.token(COMMISSIONER).await;
    let draft = dps::create(&app, &token, "WCC-DPS-PRIVATE").await;
    let id = draft["id"].as_str().unwrap();
    let lot = draft["lots"][0]["id"].as_str().unwrap();
    let open = dps::established(&app, &token, "WCC-DPS-OPEN").await;
    let open_id = open["id"].as_str().unwrap();

    let mut bright = app.browser();
    bright.sign_in(BRIGHT).await;
    assert_eq!(bright.get(&format!("/dps/{id}")).await.status, 404);
    for path in [
        format!("/dps/{id}/edit"),
        format!("/dps/{id}/lots/{lot}"),
        format!("/dps/{id}/check"),
        format!("/dps/{id}/notices"),
        "/dps/new".to_string(),
    ] {
        assert_eq!(bright.get(&path).await.status, 403, "{path}");
    }
    let r = bright
        .post(
            &format!("/dps/{id}/lots/{lot}"),
            &[
                ("title", "Mine"),
                ("kind", "pass_fail"),
                ("pass_answer", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 403);
    // A provider reads an established DPS and its conditions, but not its set-up.
    let html = page(&mut bright, "/dps", "WCC-DPS-OPEN").await;
    assert!(!html.contains("WCC-DPS-PRIVATE"));
    let html = page(
        &mut bright,
        &format!("/dps/{open_id}"),
        "Are you registered with the CQC for personal care?",
    )
    .await;
    assert!(!html.contains("Setting up the DPS"));
    assert!(!html.contains("/notices"));

    let mut other = app.browser();
    other
        .sign_in(dps::other_council_commissioner(&app).await)
        .await;
    for path in [
        format!("/dps/{id}"),
        format!("/dps/{id}/edit"),
        format!("/dps/{id}/lots/{lot}"),
        format!("/dps/{id}/check"),
        format!("/dps/{id}/notices"),
    ] {
        assert_eq!(other.get(&path).await.status, 404, "{path}");
    }
    let r = other
        .post(
            &format!("/dps/{id}/establish"),
            &[("confirmed", "yes")],
            true,
        )
        .await;
    assert_eq!(r.status, 404);
    let html = page(
        &mut other,
        "/dps",
        "There are no dynamic purchasing systems yet",
    )
    .await;
    assert!(!html.contains("WCC-DPS"));
}

/// The demo DPS is established with three lots and their conditions, and renders for the
/// public, a provider and the commissioner (with its two notices).
#[actix_web::test]
async fn the_demo_dps_renders_for_every_role() {
    let app = spawn_app().await;
    let list = app.get("/api/v1/dps", None).await.json()["items"].clone();
    let demo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reference"] == "WCC-DPS-2026-01")
        .expect("the demo DPS is established");
    let id = demo["id"].as_str().unwrap();
    assert_eq!(demo["lots"].as_array().unwrap().len(), 3);
    assert!(
        demo["lots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["conditions"] == 3)
    );

    let mut public = app.browser();
    page(
        &mut public,
        "/dps",
        "Supported living and day opportunities",
    )
    .await;
    let html = page(&mut public, &format!("/dps/{id}"), "Lot 3: Short breaks").await;
    assert!(html.contains("Answer yes or no: no passes"));
    let mut bright = app.browser();
    bright.sign_in(BRIGHT).await;
    page(
        &mut bright,
        &format!("/dps/{id}"),
        "Lot 2: Day opportunities",
    )
    .await;
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    page(&mut c, "/dps", "Set up a DPS").await;
    let html = page(
        &mut c,
        &format!("/dps/{id}/notices"),
        "Dynamic market notice: establishment",
    )
    .await;
    assert!(html.contains("Dynamic market notice: intention to establish"));
}

#[actix_web::test]
async fn ceasing_asks_why_then_to_confirm() {
    let app = spawn_app().await;
    let token = app.token(COMMISSIONER).await;
    let open = dps::established(&app, &token, "WCC-DPS-CEASE").await;
    let id = open["id"].as_str().unwrap();
    let mut c = app.browser();
    c.sign_in(COMMISSIONER).await;
    page(&mut c, &format!("/dps/{id}"), "End the DPS early").await;
    let cease = format!("/dps/{id}/cease");
    let r = c.post(&cease, &[("reason", " ")], true).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("href=\"#reason\""));
    let reason = "Replaced by the county framework.";
    let r = c.post(&cease, &[("reason", reason)], true).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("Are you sure you want to cease Supported living and day opportunities?")
    );
    page(&mut c, &format!("/dps/{id}"), "Open to applications").await;
    let done = location(
        &c.post(&cease, &[("reason", reason), ("confirmed", "yes")], true)
            .await,
    );
    let html = page(&mut c, &done, "The DPS has ceased").await;
    assert!(html.contains(reason));
    assert!(!html.contains("End the DPS early"));
    // A provider cannot, even with the form.
    let mut bright = app.browser();
    bright.sign_in(BRIGHT).await;
    let r = bright
        .post(&cease, &[("reason", reason), ("confirmed", "yes")], true)
        .await;
    assert_eq!(r.status, 403);
}
