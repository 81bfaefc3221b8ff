//! The evaluator's journey through the pages: a to-do list per procurement, conflict of
//! interest declarations checked before they are confirmed (nothing written until then),
//! each bid's scores checked before they are submitted, and the refusals: an evaluator
//! not on the panel, another panel's bids, and sealed bids before the deadline.

use serde_json::json;
use tests::tender::{self, BRIGHT, COMMISSIONER, EVALUATOR, MEADOW};
use tests::{TestApp, first_id_after, location, page, spawn_app};

/// A tender with bids from Bright Care and Meadow Homes, past its deadline and opened,
/// with the demo evaluator on its panel (not yet declared). Returns (id, bright, meadow).
async fn opened_with_panel(app: &TestApp, reference: &str) -> (String, String, String) {
    let c = app.token(COMMISSIONER).await;
    let id = tender::published(app, &c, reference, tender::questionnaire()).await;
    let bright = tender::bid(app, &app.token(BRIGHT).await, &id, true).await;
    let meadow = tender::bid(app, &app.token(MEADOW).await, &id, false).await;
    tender::close(app, &id).await;
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/open"),
            Some(&c),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let me = app
        .get("/api/v1/me", Some(&app.token(EVALUATOR).await))
        .await
        .json();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{id}/panel"),
            Some(&c),
            &json!({"evaluator_ids": [me["id"]]}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    (id, bright, meadow)
}

/// The declarations recorded for this procurement.
async fn declarations_written(app: &TestApp, id: &str) -> i64 {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut db = app.db().await;
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM conflict_declarations WHERE competition_id = '{id}'"
    ))
    .get_result::<Count>(&mut db)
    .await
    .unwrap()
    .n
}

#[actix_web::test]
async fn declarations_are_checked_then_confirmed_and_errors_keep_every_answer() {
    let app = spawn_app().await;
    let (id, bright, meadow) = opened_with_panel(&app, "EV-DECL").await;
    let mut e = app.browser();
    e.sign_in(EVALUATOR).await;

    // The procurement's page is the to-do list; no bid can be started before declaring.
    assert!(
        location(&e.get(&format!("/procurements/{id}")).await)
            .ends_with(&format!("/procurements/{id}/evaluation"))
    );
    let todo = page(
        &mut e,
        &format!("/procurements/{id}/evaluation"),
        "Declare conflicts of interest",
    )
    .await;
    assert!(
        todo.contains("Score Bright Care Services Ltd&#x27;s bid")
            || todo.contains("Score Bright Care Services Ltd's bid")
    );
    assert!(todo.contains("Declare your conflicts of interest first"));
    assert!(!todo.contains(&format!("/evaluations/{bright}")));

    let form = page(
        &mut e,
        &format!("/procurements/{id}/declarations"),
        "Do you have a conflict of interest with Bright Care Services Ltd?",
    )
    .await;
    assert!(form.contains("Do you have a conflict of interest with Meadow Homes Ltd?"));
    let org0 = first_id_after(&form, "name=\"organisation-0\" value=\"").unwrap();
    let org1 = first_id_after(&form, "name=\"organisation-1\" value=\"").unwrap();
    let path = format!("/procurements/{id}/declarations");

    // Yes without details, and no answer at all: each message names its bidder, links to
    // its input, and what was typed stays.
    let wrong = e
        .post(
            &path,
            &[
                ("organisation-0", &org0),
                ("interest-0", "yes"),
                ("details-0", "  "),
                ("organisation-1", &org1),
            ],
            true,
        )
        .await;
    assert_eq!(wrong.status, 422);
    let html = wrong.text();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains(
        "<a href=\"#details-0\">Describe your conflict of interest with Bright Care Services Ltd</a>"
    ));
    assert!(html.contains(
        "<a href=\"#interest-1\">Say whether you have a conflict of interest with Meadow Homes Ltd</a>"
    ));
    assert!(html.contains("govuk-textarea--error"));
    assert!(
        html.contains("id=\"interest-0\" name=\"interest-0\" type=\"radio\" value=\"yes\" checked")
    );
    let kept = e
        .post(
            &path,
            &[
                ("organisation-0", &org0),
                ("interest-0", "yes"),
                ("details-0", "My sister is their registered manager."),
                ("organisation-1", &org1),
            ],
            true,
        )
        .await;
    assert_eq!(kept.status, 422);
    assert!(
        kept.text()
            .contains(">My sister is their registered manager.</textarea>")
    );
    assert_eq!(declarations_written(&app, &id).await, 0);

    // Continue: the answers to check, with Change links that carry them; nothing written.
    let fields = [
        ("organisation-0", org0.as_str()),
        ("interest-0", "yes"),
        ("details-0", "My sister is their registered manager."),
        ("organisation-1", org1.as_str()),
        ("interest-1", "no"),
    ];
    let check = e.post(&path, &fields, true).await;
    assert_eq!(check.status, 200, "{}", check.text());
    let html = check.text();
    assert!(html.contains("Check your declarations"));
    assert!(html.contains("Conflict of interest with Bright Care Services Ltd"));
    assert!(html.contains("Confirm my declarations"));
    assert!(html.contains("name=\"confirmed\" value=\"yes\""));
    assert_eq!(declarations_written(&app, &id).await, 0);
    let change = html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or_default())
        .find(|h| h.contains("declarations?") && h.ends_with("#interest-0"))
        .expect("a Change link for the first bidder")
        .replace("&amp;", "&")
        .replace("&#x3D;", "=");
    let back = page(
        &mut e,
        change.split('#').next().unwrap(),
        ">My sister is their registered manager.</textarea>",
    )
    .await;
    assert!(
        back.contains(
            "id=\"interest-1-no\" name=\"interest-1\" type=\"radio\" value=\"no\" checked"
        )
    );
    assert_eq!(declarations_written(&app, &id).await, 0);

    // Confirmed: written once, and the to-do list moves on.
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "yes"));
    assert!(
        location(&e.post(&path, &confirmed, true).await).ends_with(&format!(
            "/procurements/{id}/evaluation?done=declarations-confirmed"
        ))
    );
    assert_eq!(declarations_written(&app, &id).await, 2);
    let todo = page(
        &mut e,
        &format!("/procurements/{id}/evaluation?done=declarations-confirmed"),
        "Your declarations are confirmed",
    )
    .await;
    assert!(todo.contains(
        "You declared a conflict of interest with Bright Care Services Ltd, so another evaluator scores this bid"
    ));
    assert!(todo.contains(&format!("href=\"/evaluations/{meadow}\"")));
    assert!(!todo.contains(&format!("/evaluations/{bright}")));
    assert_eq!(e.get(&format!("/evaluations/{bright}")).await.status, 403);
    // Final: the page shows what was declared, and declaring again changes nothing.
    page(&mut e, &path, "You have confirmed your declarations").await;
    let again = e.post(&path, &confirmed, true).await;
    assert_eq!(again.status, 422);
    assert!(
        again
            .text()
            .contains("You have already declared your interests")
    );
    assert_eq!(declarations_written(&app, &id).await, 2);
}

#[actix_web::test]
async fn scores_are_checked_before_they_are_submitted() {
    let app = spawn_app().await;
    let (id, bright, meadow) = opened_with_panel(&app, "EV-SCORE").await;
    let mut e = app.browser();
    e.sign_in(EVALUATOR).await;
    let form = page(
        &mut e,
        &format!("/procurements/{id}/declarations"),
        "Continue",
    )
    .await;
    let org0 = first_id_after(&form, "name=\"organisation-0\" value=\"").unwrap();
    let org1 = first_id_after(&form, "name=\"organisation-1\" value=\"").unwrap();
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
    location(&r);

    // Unfinished: back to the scoring page with each missing score or reason linked.
    let sheet = format!("/evaluations/{bright}");
    page(&mut e, &sheet, "Continue").await;
    let r = e
        .post(
            &sheet,
            &[
                ("score-Q2", "4"),
                ("reason-Q2", "Clear escalation route."),
                ("score-Q3", "3"),
                ("reason-Q3", ""),
                ("reason-Q5", "Some local hiring."),
                ("action", "check"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("<a href=\"#reason-Q3\">Give your reason for the score for Q3</a>"));
    assert!(html.contains("<a href=\"#score-Q5\">Choose a score from 0 to 5 for Q5</a>"));
    assert!(html.contains("govuk-textarea--error\" id=\"reason-Q3\""));
    assert!(html.contains(">Clear escalation route.</textarea>"));
    assert!(html.contains("id=\"score-Q5\" name=\"score-Q5\" type=\"radio\" value=\"0\""));
    assert!(html.contains("value=\"3\" checked"));

    // Complete: the check page, nothing submitted yet, then "Submit my scores".
    let r = e
        .post(
            &sheet,
            &[
                ("score-Q2", "4"),
                ("reason-Q2", "Clear escalation route."),
                ("score-Q3", "3"),
                ("reason-Q3", "Winter cover is thin."),
                ("score-Q5", "2"),
                ("reason-Q5", "Some local hiring."),
                ("action", "check"),
            ],
            true,
        )
        .await;
    assert!(location(&r).ends_with(&format!("/evaluations/{bright}/check")));
    let check = page(
        &mut e,
        &format!("/evaluations/{bright}/check"),
        "Submit my scores",
    )
    .await;
    assert!(check.contains("4 out of 5: good"));
    assert!(check.contains("Winter cover is thin."));
    assert!(check.contains(&format!("href=\"/evaluations/{bright}#question-Q3\"")));
    let todo = page(
        &mut e,
        &format!("/procurements/{id}/evaluation"),
        "In progress",
    )
    .await;
    assert!(!todo.contains("Scores submitted"));
    let r = e
        .post(&format!("/evaluations/{bright}/submit"), &[], true)
        .await;
    assert!(location(&r).ends_with(&format!(
        "/procurements/{id}/evaluation?done=scores-confirmed"
    )));
    let todo = page(
        &mut e,
        &format!("/procurements/{id}/evaluation?done=scores-confirmed"),
        "Scores submitted",
    )
    .await;
    assert!(todo.contains("You have completed 2 of 3 tasks"));
    // Submitted: the check page goes back to the (read-only) scores.
    assert!(location(&e.get(&format!("/evaluations/{bright}/check")).await).ends_with(&sheet));

    // A draft submitted from the check page while unfinished is refused, with the errors.
    let r = e
        .post(
            &format!("/evaluations/{meadow}"),
            &[
                ("score-Q2", "2"),
                ("reason-Q2", "Thin."),
                ("action", "save"),
            ],
            true,
        )
        .await;
    assert!(location(&r).ends_with("done=scores-saved"));
    let refused = e
        .post(&format!("/evaluations/{meadow}/submit"), &[], true)
        .await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains("<a href=\"#score-Q3\">Choose a score from 0 to 5 for Q3</a>"));
    assert!(html.contains(">Thin.</textarea>"));
    page(
        &mut e,
        &format!("/procurements/{id}/evaluation"),
        "Draft saved",
    )
    .await;
}

#[actix_web::test]
async fn only_the_panel_reads_its_bids_and_nothing_before_the_deadline() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    // A second tender, still open, with the evaluator already on its panel.
    let sealed = tender::published(&app, &c, "EV-SEALED", tender::questionnaire()).await;
    let sealed_bid = tender::bid(&app, &app.token(BRIGHT).await, &sealed, true).await;
    let me = app
        .get("/api/v1/me", Some(&app.token(EVALUATOR).await))
        .await
        .json();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/procurements/{sealed}/panel"),
            Some(&c),
            &json!({"evaluator_ids": [me["id"]]}),
            &[],
        )
        .await;
    let on_sealed_panel = r.status == 200;
    let (id, bright, _) = opened_with_panel(&app, "EV-PANEL").await;

    // An evaluator who is not on the panel.
    let admin = app.token("admin@council.example").await;
    let council = app
        .get("/api/v1/organisations?kind=council", Some(&admin))
        .await
        .json()["items"][0]["id"]
        .clone();
    let r = app
        .json(
            "POST",
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "outsider@council.example", "name": "Olu Outsider", "password": "another long password", "role": "evaluator", "organisation_id": council}),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let mut o = app.browser();
    o.sign_in_with("outsider@council.example", "another long password")
        .await;
    for path in [
        format!("/procurements/{id}/evaluation"),
        format!("/procurements/{id}/declarations"),
        format!("/evaluations/{bright}"),
        format!("/evaluations/{bright}/check"),
    ] {
        let r = o.get(&path).await;
        assert!(matches!(r.status, 403 | 404), "{path}: {}", r.status);
        assert!(!r.text().contains("safeguarding safeguarding"));
    }
    let form_org = first_id_after(
        &app.get(
            &format!("/api/v1/procurements/{id}/declarations"),
            Some(&app.token(EVALUATOR).await),
        )
        .await
        .text(),
        "\"organisation_id\":\"",
    )
    .unwrap();
    let r = o
        .post(
            &format!("/procurements/{id}/declarations"),
            &[
                ("organisation-0", &form_org),
                ("interest-0", "no"),
                ("confirmed", "yes"),
            ],
            true,
        )
        .await;
    assert!(matches!(r.status, 403 | 404), "{}", r.status);
    let r = o
        .post(&format!("/evaluations/{bright}/submit"), &[], true)
        .await;
    assert!(matches!(r.status, 403 | 404), "{}", r.status);

    // A provider has no evaluator pages.
    let mut p = app.browser();
    p.sign_in(BRIGHT).await;
    let r = p.get(&format!("/procurements/{id}/evaluation")).await;
    assert!(matches!(r.status, 403 | 404), "{}", r.status);

    // The panel's evaluator declaring against another organisation (not a bidder here)
    // is refused and nothing is written.
    let mut e = app.browser();
    e.sign_in(EVALUATOR).await;
    let r = e
        .post(
            &format!("/procurements/{id}/declarations"),
            &[
                ("organisation-0", council.as_str().unwrap()),
                ("interest-0", "no"),
                ("confirmed", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("There is a problem"));
    assert_eq!(declarations_written(&app, &id).await, 0);

    // Before the deadline: nothing to declare, no bid to read.
    let r = e.get(&format!("/evaluations/{sealed_bid}")).await;
    assert!(matches!(r.status, 403 | 404), "{}", r.status);
    assert!(!r.text().contains("safeguarding safeguarding"));
    if on_sealed_panel {
        let todo = page(
            &mut e,
            &format!("/procurements/{sealed}/evaluation"),
            "Cannot start yet",
        )
        .await;
        assert!(!todo.contains("/evaluations/"));
        let r = e
            .post(
                &format!("/procurements/{sealed}/declarations"),
                &[("confirmed", "yes")],
                true,
            )
            .await;
        assert!(r.status >= 400, "{}", r.status);
    }
    // Another panel's bid, through this panel's evaluator: refused before declaring.
    let r = e
        .post(&format!("/evaluations/{sealed_bid}/submit"), &[], true)
        .await;
    assert!(matches!(r.status, 403 | 404), "{}", r.status);
}

#[actix_web::test]
async fn moderation_shows_each_question_agreed_or_not_and_the_progress() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let ev = app.token(EVALUATOR).await;
    let id = tender::published(&app, &c, "EV-MOD", tender::questionnaire()).await;
    let bright = tender::bid(&app, &app.token(BRIGHT).await, &id, true).await;
    let meadow = tender::bid(&app, &app.token(MEADOW).await, &id, false).await;
    tender::close(&app, &id).await;
    tender::open_with_panel(&app, &c, &ev, &id).await;
    tender::score_and_moderate(&app, &c, &ev, &bright, 4, "Agreed at the meeting.").await;
    let marks: Vec<serde_json::Value> = ["Q2", "Q3", "Q5"]
        .iter()
        .map(|q| json!({"question_id": q, "score": 3, "reason": "Sound."}))
        .collect();
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/submissions/{meadow}/scores"),
            Some(&ev),
            &json!({"submit": true, "scores": marks}),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let mut b = app.browser();
    b.sign_in(COMMISSIONER).await;
    let path = format!("/procurements/{id}/moderation");
    let html = page(&mut b, &path, "3 of 6 questions moderated").await;
    assert_eq!(html.matches("govuk-tag--green\">Agreed").count(), 3);
    assert_eq!(html.matches("govuk-tag--grey\">Not agreed").count(), 3);
    assert!(html.contains("See the results so far"));
    // A missing score links to the first radio, with the red border on its group.
    let r = b
        .post(
            &format!("{path}/{meadow}/Q2"),
            &[("reason", "No score")],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains(&format!("href=\"#m-{meadow}-Q2\"")));
    assert!(
        r.text()
            .contains(&format!("id=\"m-{meadow}-Q2\" name=\"score\""))
    );
    for q in ["Q2", "Q3", "Q5"] {
        let r = b
            .post(
                &format!("{path}/{meadow}/{q}"),
                &[
                    ("score", "3"),
                    ("reason", "Sound, as both evaluators said."),
                ],
                true,
            )
            .await;
        location(&r);
    }
    let html = page(&mut b, &path, "6 of 6 questions moderated").await;
    assert!(html.contains("Moderation is complete"));
    assert!(!html.contains("Not agreed"));
}
