//! The DPS through the HTTP API (DOMAIN.md, "Dynamic purchasing system / dynamic market"):
//! setting one up with its lots and their pass/fail conditions of membership, the
//! regime's dates, the defaults, establishing it (after which nothing about it changes),
//! its notices, and who may see or change a draft.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::dps::{self, BRIGHT, COMMISSIONER, EVALUATOR};
use tests::{TestApp, spawn_app};

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> tests::Reply {
    app.json(method, path, token, &body, &[]).await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut db = app.db().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut db)
        .await
        .unwrap()
        .n
}

#[derive(QueryableByName)]
struct Action {
    #[diesel(sql_type = Text)]
    action: String,
}

#[actix_web::test]
async fn bad_input_names_every_field_and_creates_nothing() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let before = count(&app, "SELECT count(*) AS n FROM dps").await;
    let competitions = count(&app, "SELECT count(*) AS n FROM competitions").await;
    let mut bad = dps::input("bad ref!");
    bad["title"] = json!("");
    bad["description"] = json!(" ");
    bad["ends_on"] = json!("2026-03-01");
    bad["service_types"] = json!([]);
    bad["round_schedule"] = json!("every month");
    bad["cutoff_day"] = json!(31);
    bad["decision_working_days"] = json!(0);
    bad["lots"] = json!([]);
    let r = send(&app, "POST", "/api/v1/dps", Some(&c), bad).await;
    let p = r.problem(422);
    assert_eq!(
        fields(&p),
        [
            "title",
            "reference",
            "decision_working_days",
            "description",
            "ends_on",
            "service_types",
            "cutoff_day",
            "round_schedule",
            "lots"
        ]
    );
    // An unknown regime or service type is refused before anything is read.
    let mut odd = dps::input("WCC-DPS-9");
    odd["regime"] = json!("pcr2006");
    assert_eq!(
        send(&app, "POST", "/api/v1/dps", Some(&c), odd)
            .await
            .status,
        400
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM dps").await, before);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM competitions").await,
        competitions
    );
}

#[actix_web::test]
async fn a_pcr_2015_dps_began_before_the_act_and_ends_by_23_february_2029() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let mut legacy = dps::input("WCC-DPS-2019");
    legacy["regime"] = json!("pcr2015");
    legacy["starts_on"] = json!("2019-04-01");
    legacy["ends_on"] = json!("2029-03-31");
    let p = send(&app, "POST", "/api/v1/dps", Some(&c), legacy.clone())
        .await
        .problem(422);
    assert_eq!(fields(&p), ["ends_on"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("23 February 2029")
    );
    legacy["ends_on"] = json!("2029-02-23");
    let r = send(&app, "POST", "/api/v1/dps", Some(&c), legacy).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["regime"], "pcr2015");
    // A new market cannot claim the old rules.
    let mut new = dps::input("WCC-DPS-2026");
    new["regime"] = json!("pcr2015");
    let p = send(&app, "POST", "/api/v1/dps", Some(&c), new)
        .await
        .problem(422);
    assert_eq!(fields(&p), ["starts_on", "ends_on"]);
}

#[actix_web::test]
async fn defaults_are_the_councils_monthly_practice() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let d = dps::create(&app, &c, "WCC-DPS-T1").await;
    assert_eq!(d["status"], "draft");
    assert_eq!(d["decision_working_days"], 10);
    assert_eq!(d["cqc_rule"], true);
    assert_eq!(d["round_schedule"], "0 0 9 1 * *");
    assert_eq!(
        d["round_schedule_words"],
        "at 9am on the 1st of every month (or the next working day)"
    );
    assert_eq!(d["cutoff_day"], 15);
    assert_eq!(d["lots"].as_array().unwrap().len(), 2);
    assert_eq!(d["lots"][0]["conditions"], 0);
    assert_eq!(
        d["service_types"],
        json!(["supported_living", "day_opportunities"])
    );
    // The next round closes at 5pm London time on a working day.
    let cutoff: chrono::DateTime<chrono::Utc> = d["next_round"]["cutoff_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let local = cutoff.with_timezone(&chrono_tz::Europe::London);
    assert_eq!(chrono::Timelike::hour(&local), 17);
    // The same reference is refused, naming the field.
    let r = send(
        &app,
        "POST",
        "/api/v1/dps",
        Some(&c),
        dps::input("WCC-DPS-T1"),
    )
    .await;
    assert_eq!(fields(&r.problem(422)), ["reference"]);
}

#[actix_web::test]
async fn establishing_needs_conditions_on_every_lot_and_then_fixes_everything() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let d = dps::create(&app, &c, "WCC-DPS-T2").await;
    let id = d["id"].as_str().unwrap();
    let lot1 = d["lots"][0]["id"].as_str().unwrap();
    let conditions = |lot: &str| format!("/api/v1/dps/{id}/lots/{lot}/conditions");
    // Conditions are pass or fail: a scored question is refused.
    let scored = json!({"sections": [{"title": "Quality", "questions": [
        {"kind": "scored", "title": "Describe your service", "weight": 100}]}]});
    let r = send(&app, "PUT", &conditions(lot1), Some(&c), scored).await;
    r.problem(422);
    // Another DPS's lot is not this one's.
    let other = dps::create(&app, &c, "WCC-DPS-T3").await;
    let foreign = other["lots"][0]["id"].as_str().unwrap();
    let r = send(
        &app,
        "PUT",
        &conditions(foreign),
        Some(&c),
        dps::conditions(),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(&app, "PUT", &conditions(lot1), Some(&c), dps::conditions()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["questionnaire"]["sections"][0]["questions"][0]["id"],
        "Q1"
    );
    // Lot 2 has none yet.
    let p = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/establish"),
        Some(&c),
        json!({}),
    )
    .await
    .problem(422);
    assert_eq!(fields(&p), ["lots[1]"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Lot 2 (Day opportunities)")
    );
    // The notice of intention, once.
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/notices/intention"),
        Some(&c),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json()["notice_name"],
        "Dynamic market notice: intention to establish"
    );
    assert_eq!(r.json()["contracting_authority"], "Wyvern County Council");
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/notices/intention"),
        Some(&c),
        json!({}),
    )
    .await;
    assert_eq!(
        r.problem(409)["type"],
        "urn:commissioning:problem:dps-notice-prepared"
    );

    let lot2 = d["lots"][1]["id"].as_str().unwrap();
    let r = send(&app, "PUT", &conditions(lot2), Some(&c), dps::conditions()).await;
    assert_eq!(r.status, 200);
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/establish"),
        Some(&c),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let e = r.json();
    assert_eq!(e["status"], "open");
    assert!(e["established_at"].is_string());
    assert_eq!(e["lots"][1]["conditions"], 2);

    // From now on the conditions, the details and the establishment are fixed.
    let refused = "urn:commissioning:problem:dps-established";
    let r = send(
        &app,
        "PUT",
        &conditions(lot1),
        Some(&c),
        json!({"sections": []}),
    )
    .await;
    assert_eq!(r.problem(409)["type"], refused);
    let r = send(
        &app,
        "PUT",
        &format!("/api/v1/dps/{id}"),
        Some(&c),
        dps::input("WCC-DPS-T2"),
    )
    .await;
    assert_eq!(r.problem(409)["type"], refused);
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/establish"),
        Some(&c),
        json!({}),
    )
    .await;
    assert_eq!(r.problem(409)["type"], refused);
    let r = app.get(&conditions(lot1), Some(&c)).await;
    assert_eq!(r.json()["questionnaire"], dps::conditions_with_ids());
    assert!(r.json()["frozen_at"].is_string());

    // Both notices are kept as data.
    let notices = app
        .get(&format!("/api/v1/dps/{id}/notices"), Some(&c))
        .await
        .json();
    let kinds: Vec<&str> = notices
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["intention", "established"]);
    assert_eq!(notices[1]["lots"][1]["title"], "Day opportunities");

    // Audited.
    let mut db = app.db().await;
    let actions: Vec<String> = diesel::sql_query(format!(
        "SELECT action FROM audit_log WHERE record_type = 'dps' AND record_id = '{id}' ORDER BY id"
    ))
    .load::<Action>(&mut db)
    .await
    .unwrap()
    .into_iter()
    .map(|a| a.action)
    .collect();
    assert_eq!(
        actions,
        [
            "dps.created",
            "dps.notice_prepared",
            "dps.notice_prepared",
            "dps.established"
        ]
    );
}

#[actix_web::test]
async fn a_draft_is_the_councils_alone_and_only_commissioners_change_it() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let evaluator = app.token(EVALUATOR).await;
    let draft = dps::create(&app, &c, "WCC-DPS-T4").await;
    let id = draft["id"].as_str().unwrap();
    let lot = draft["lots"][0]["id"].as_str().unwrap();
    // A provider, an evaluator and the public cannot see a draft, nor learn it exists.
    for token in [Some(bright.as_str()), Some(evaluator.as_str()), None] {
        assert_eq!(
            app.get(&format!("/api/v1/dps/{id}"), token).await.status,
            404
        );
        assert_eq!(
            app.get(&format!("/api/v1/dps/{id}/lots/{lot}/conditions"), token)
                .await
                .status,
            404
        );
        let list = app.get("/api/v1/dps", token).await.json()["items"].clone();
        assert!(list.as_array().unwrap().iter().all(|d| d["id"] != id));
    }
    // Nobody but a commissioner sets one up or changes it.
    let r = send(
        &app,
        "POST",
        "/api/v1/dps",
        Some(&bright),
        dps::input("BRIGHT-1"),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(
        &app,
        "PUT",
        &format!("/api/v1/dps/{id}/lots/{lot}/conditions"),
        Some(&bright),
        dps::conditions(),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/establish"),
        Some(&evaluator),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.get(&format!("/api/v1/dps/{id}/notices"), Some(&bright))
            .await
            .status,
        403
    );
    // A commissioner of another council sees nothing of it.
    let other = app.token(dps::other_council_commissioner(&app).await).await;
    assert_eq!(
        app.get(&format!("/api/v1/dps/{id}"), Some(&other))
            .await
            .status,
        404
    );
    let r = send(
        &app,
        "PUT",
        &format!("/api/v1/dps/{id}"),
        Some(&other),
        dps::input("WCC-DPS-T4"),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(
        &app,
        "POST",
        &format!("/api/v1/dps/{id}/establish"),
        Some(&other),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.get("/api/v1/dps", Some(&other)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Established, everyone sees it and its conditions.
    let open = dps::established(&app, &c, "WCC-DPS-T5").await;
    let open_id = open["id"].as_str().unwrap();
    for token in [Some(bright.as_str()), None] {
        let list = app.get("/api/v1/dps", token).await.json()["items"].clone();
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&open_id) && !ids.contains(&id));
        let lot = open["lots"][0]["id"].as_str().unwrap();
        let r = app
            .get(
                &format!("/api/v1/dps/{open_id}/lots/{lot}/conditions"),
                token,
            )
            .await;
        assert_eq!(r.status, 200);
    }
    // Its notices stay the council's.
    assert_eq!(
        app.get(&format!("/api/v1/dps/{open_id}/notices"), Some(&bright))
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn ceasing_ends_an_established_dps_once_with_its_reason_in_the_notice() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let draft = dps::create(&app, &c, "WCC-DPS-T6").await;
    let draft_id = draft["id"].as_str().unwrap();
    let cease = |id: &str| format!("/api/v1/dps/{id}/cease");
    let reason = json!({"reason": "The council is bringing these services in house."});
    let r = send(&app, "POST", &cease(draft_id), Some(&c), reason.clone()).await;
    assert_eq!(
        r.problem(409)["type"],
        "urn:commissioning:problem:dps-draft"
    );

    let open = dps::established(&app, &c, "WCC-DPS-T7").await;
    let id = open["id"].as_str().unwrap();
    assert!(open["next_round"].is_object());
    // A provider cannot; an empty reason changes nothing.
    let r = send(&app, "POST", &cease(id), Some(&bright), reason.clone()).await;
    assert_eq!(r.status, 403);
    let r = send(&app, "POST", &cease(id), Some(&c), json!({"reason": "  "})).await;
    assert_eq!(fields(&r.problem(422)), ["reason"]);
    assert_eq!(
        app.get(&format!("/api/v1/dps/{id}"), None).await.json()["status"],
        "open"
    );

    let r = send(&app, "POST", &cease(id), Some(&c), reason.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ceased = r.json();
    assert_eq!(ceased["status"], "ceased");
    assert!(
        ceased["next_round"].is_null(),
        "a ceased DPS has no more rounds"
    );
    assert_eq!(
        ceased["cease_reason"],
        "The council is bringing these services in house."
    );
    let r = send(&app, "POST", &cease(id), Some(&c), reason).await;
    assert_eq!(
        r.problem(409)["type"],
        "urn:commissioning:problem:dps-ceased"
    );
    let notices = app
        .get(&format!("/api/v1/dps/{id}/notices"), Some(&c))
        .await
        .json();
    let last = notices.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "ceased");
    assert_eq!(last["notice_name"], "Dynamic market notice: cessation");
    assert_eq!(
        last["reason"],
        "The council is bringing these services in house."
    );
}

/// How many statements a GET took (the fewest of three, after one to warm the caches:
/// the audit sealer shares the pool).
async fn statements(app: &TestApp, path: &str, token: Option<&str>) -> u64 {
    assert_eq!(app.get(path, token).await.status, 200);
    let mut least = u64::MAX;
    for _ in 0..3 {
        let before = app.statements.get();
        assert_eq!(app.get(path, token).await.status, 200);
        least = least.min(app.statements.get() - before);
    }
    least
}

#[actix_web::test]
async fn the_list_takes_the_same_statements_whatever_its_length() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    dps::established(&app, &c, "WCC-DPS-L0").await;
    let one = statements(&app, "/api/v1/dps", Some(&c)).await;
    let public = statements(&app, "/api/v1/dps", None).await;
    for i in 1..6 {
        dps::established(&app, &c, &format!("WCC-DPS-L{i}")).await;
    }
    assert_eq!(statements(&app, "/api/v1/dps", Some(&c)).await, one);
    assert_eq!(statements(&app, "/api/v1/dps", None).await, public);
    // The house rule (docs/architecture.md, "Adding a context"): at most three for the
    // list itself; a signed-in reader's token check adds one.
    assert!(public <= 3, "the public list took {public} statements");
    assert!(
        one <= public + 1,
        "the council's list took {one} statements"
    );
    // A page at a time, as every list.
    let page = app
        .get("/api/v1/dps?per_page=2&page=2", Some(&c))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["total"].as_i64().unwrap() >= 6, "{page}");
}
