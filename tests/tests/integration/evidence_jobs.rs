//! The insurance expiry reminders (once per insurance per threshold, however often the job
//! runs), CQC ratings recorded by the council, and the concerns the DPS context reads.

use super::evidence::{certificate, count};
use backend::organisations::evidence::{ConcernKind, provider_concerns};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel_async::RunQueryDsl;
use serde_json::json;
use tests::tender::{BRIGHT, COMMISSIONER, MEADOW};
use tests::{TestApp, spawn_app};

const SINK: &str = env!("CARGO_BIN_EXE_smtp-sink");
const JOB: &str = backend::organisations::jobs::insurance_reminders::NAME;

async fn sql(app: &TestApp, statement: &str) {
    let mut db = app.db().await;
    diesel::sql_query(statement).execute(&mut db).await.unwrap();
}

/// 08:00 London on `date` (and `minutes` later), as the job's tick.
fn tick(date: NaiveDate, minutes: i64) -> DateTime<Utc> {
    chrono_tz::Europe::London
        .from_local_datetime(&date.and_hms_opt(8, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minutes)
}

async fn reminders(app: &TestApp) -> i64 {
    count(
        app,
        &format!("SELECT count(*) AS n FROM outbox WHERE template = 'insurance_expiring' AND to_address = '{BRIGHT}'"),
    )
    .await
}

/// Bright Care's demo insurances, moved so that only one (`expires`) is in play.
async fn one_insurance(app: &TestApp, expires: NaiveDate) {
    sql(
        app,
        "UPDATE insurances SET starts_on = '2020-01-01', expires_on = '2020-01-02'",
    )
    .await;
    sql(
        app,
        &format!("UPDATE insurances SET starts_on = '2026-01-01', expires_on = '{expires}' WHERE kind = 'public_liability'"),
    )
    .await;
}

#[actix_web::test]
async fn each_reminder_is_sent_once_however_often_the_job_runs() {
    let app = spawn_app().await;
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let expires: NaiveDate = "2027-03-31".parse().unwrap();
    one_insurance(&app, expires).await;
    let day = |d: i64| expires + Duration::days(d);

    // 31 days ahead: nothing yet.
    state.jobs.run_now(JOB, tick(day(-31), 0)).await.unwrap();
    assert_eq!(reminders(&app).await, 0);
    // 30 days ahead: one email, however often it runs that day, on two instances too.
    let other = app.sibling();
    let other_state = backend::app::state(other.settings.clone(), other.pool.clone());
    state.jobs.run_now(JOB, tick(day(-30), 0)).await.unwrap();
    state.jobs.run_now(JOB, tick(day(-30), 5)).await.unwrap();
    other_state
        .jobs
        .run_now(JOB, tick(day(-29), 0))
        .await
        .unwrap();
    assert_eq!(reminders(&app).await, 1);
    // 7 days ahead: the second; then nothing until it lapses.
    state.jobs.run_now(JOB, tick(day(-7), 0)).await.unwrap();
    state.jobs.run_now(JOB, tick(day(-6), 0)).await.unwrap();
    state.jobs.run_now(JOB, tick(day(0), 0)).await.unwrap();
    assert_eq!(reminders(&app).await, 2);
    // The day after its last day of cover: the lapse, once.
    state.jobs.run_now(JOB, tick(day(1), 0)).await.unwrap();
    state.jobs.run_now(JOB, tick(day(1), 5)).await.unwrap();
    assert_eq!(reminders(&app).await, 3);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM insurance_reminders").await,
        3
    );

    // Each says why it was sent and how to update the certificate, through real SMTP.
    let sink = tests::SmtpSink::start(SINK, None);
    let settings = tests::with_smtp(app.settings.clone(), &sink.url());
    let sender = backend::mail::sender::Sender::new(
        app.pool.clone(),
        backend::mail::sender::Transport::from_settings(&settings.mail).unwrap(),
        settings.mail.from.parse().unwrap(),
        backend::mail::MailContext::from_settings(&settings),
    );
    while sender.send_batch().await.unwrap() > 0 {}
    let messages: Vec<String> = sink
        .messages()
        .into_iter()
        .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
        .filter(|m| m.contains(BRIGHT))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let first = messages
        .iter()
        .find(|m| m.contains("Subject: Your public liability insurance expires in 30 days"))
        .unwrap_or_else(|| panic!("{messages:?}"));
    assert!(first.contains("31 March 2027"));
    assert!(
        first
            .contains("You received this email because you are a user of Bright Care Services Ltd")
    );
    assert!(first.contains("upload the certificate"));
    assert!(first.contains("/organisation/insurances/"));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Subject: Your public liability insurance expires in 7 days"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Subject: Your public liability insurance has expired"))
    );
}

#[actix_web::test]
async fn a_renewed_insurance_is_not_reminded_and_a_moved_expiry_is_reminded_again() {
    let app = spawn_app().await;
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let expires: NaiveDate = "2027-03-31".parse().unwrap();
    one_insurance(&app, expires).await;
    state
        .jobs
        .run_now(JOB, tick(expires - Duration::days(30), 0))
        .await
        .unwrap();
    assert_eq!(reminders(&app).await, 1);
    // Renewed by a later policy of the same kind: the 7-day reminder does not go.
    sql(&app, "INSERT INTO insurances (organisation_id, kind, insurer, cover_pence, starts_on, expires_on, certificate_file_id, saved_at, created_by) \
        SELECT organisation_id, kind, 'Acme Mutual', cover_pence, '2027-04-01', '2028-03-31', certificate_file_id, now(), created_by FROM insurances WHERE kind = 'public_liability'").await;
    state
        .jobs
        .run_now(JOB, tick(expires - Duration::days(7), 0))
        .await
        .unwrap();
    assert_eq!(reminders(&app).await, 1);
    // A draft would not have counted: only saved cover renews. A changed expiry date is
    // news again.
    sql(&app, "DELETE FROM insurances WHERE insurer = 'Acme Mutual'").await;
    sql(
        &app,
        "UPDATE insurances SET expires_on = '2027-04-06' WHERE kind = 'public_liability'",
    )
    .await;
    state
        .jobs
        .run_now(JOB, tick(expires - Duration::days(6), 0))
        .await
        .unwrap();
    assert_eq!(reminders(&app).await, 2);
}

#[actix_web::test]
async fn the_council_records_cqc_ratings_and_concerns_follow_the_evidence() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let org = app.actor(BRIGHT).await.organisation_id;
    let meadow_org = app.actor(MEADOW).await.organisation_id;
    let today = backend::organisations::evidence::insurances::today();

    // The demo: Bright Care's professional indemnity lapsed 14 days ago; Meadow's nursing
    // home is rated Inadequate.
    let mut db = app.db().await;
    let concerns = provider_concerns(&mut db, today, None).await.unwrap();
    let lapsed = concerns
        .iter()
        .find(|c| c.organisation_id == org)
        .expect("Bright Care's lapse");
    assert_eq!(lapsed.kind, ConcernKind::InsuranceLapsed);
    assert_eq!(lapsed.since, today - Duration::days(14));
    assert!(
        lapsed
            .reason
            .starts_with("Professional indemnity insurance with Hereford Underwriting ended on"),
        "{}",
        lapsed.reason
    );
    assert!(
        concerns
            .iter()
            .any(|c| c.organisation_id == meadow_org && c.kind == ConcernKind::CqcInadequate)
    );
    // Before it lapsed there was no concern.
    let earlier = provider_concerns(&mut db, today - Duration::days(20), Some(org))
        .await
        .unwrap();
    assert!(earlier.is_empty(), "{earlier:?}");

    // The location's rating, by API: the provider may not record one; the commissioner may.
    let view = app
        .get(&format!("/api/v1/organisations/{org}"), Some(&bright))
        .await
        .json();
    let mut location = view["cqc_locations"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/organisations/{org}/cqc-locations/{location}/ratings");
    let body = json!({"rating": "inadequate", "report_date": today - Duration::days(3)});
    assert_eq!(
        app.json("POST", &path, Some(&bright), &body, &[])
            .await
            .status,
        403
    );
    let future = json!({"rating": "inadequate", "report_date": today + Duration::days(1)});
    let r = app.json("POST", &path, Some(&c), &future, &[]).await;
    assert_eq!(r.problem(422)["errors"][0]["field"], "report_date");
    let r = app.json("POST", &path, Some(&c), &body, &[]).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["rating"], "inadequate");
    let history = app
        .get(
            &format!("/api/v1/organisations/{org}/cqc-ratings"),
            Some(&bright),
        )
        .await
        .json();
    assert_eq!(history[0]["previous_rating"], "good");
    assert_eq!(history[0]["rating"], "inadequate");
    let r = app
        .get(
            &format!("/api/v1/provider-concerns?organisation_id={org}"),
            Some(&c),
        )
        .await;
    let kinds: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains(&"cqc_inadequate".into()) && kinds.contains(&"insurance_lapsed".into()),
        "{kinds:?}"
    );
    assert_eq!(
        app.get("/api/v1/provider-concerns", Some(&bright))
            .await
            .status,
        403
    );

    // The provider's own profile edit cannot put its rating back.
    let input = json!({
        "legal_name": view["legal_name"],
        "companies_house_number": view["companies_house_number"],
        "address_line1": view["address_line1"],
        "town": view["town"],
        "postcode": view["postcode"],
        "district_ids": view["districts"].as_array().unwrap().iter().map(|d| d["id"].clone()).collect::<Vec<_>>(),
        "cqc_locations": [{
            "location_id": view["cqc_locations"][0]["location_id"],
            "name": view["cqc_locations"][0]["name"],
            "rating": "outstanding",
        }],
    });
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/organisations/{org}"),
            Some(&bright),
            &input,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["cqc_locations"][0]["rating"], "inadequate");
    // Nor can removing the location and adding it again with a better rating.
    let mut without = input.clone();
    without["cqc_locations"] =
        json!([{"location_id": "1-555555555", "name": "Another home", "rating": "good"}]);
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/organisations/{org}"),
            Some(&bright),
            &without,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .json(
            "PUT",
            &format!("/api/v1/organisations/{org}"),
            Some(&bright),
            &input,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["cqc_locations"][0]["rating"],
        "inadequate",
        "the council's recorded rating comes back with the location"
    );
    // Added again, it is a new row.
    location = r.json()["cqc_locations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A new policy covering today ends the lapse; a better rating ends the other concern,
    // recorded through the commissioner's page.
    sql(&app, &format!("INSERT INTO insurances (organisation_id, kind, insurer, cover_pence, starts_on, expires_on, certificate_file_id, saved_at, created_by) \
        SELECT organisation_id, kind, 'New Underwriters', cover_pence, '{}', '{}', certificate_file_id, now(), created_by FROM insurances WHERE kind = 'professional_indemnity'", today - Duration::days(14), today + Duration::days(350))).await;
    let mut cp = app.browser();
    cp.sign_in(COMMISSIONER).await;
    let form = format!("/providers/{org}/cqc-locations/{location}/rating");
    assert!(
        cp.get(&form)
            .await
            .text()
            .contains("Record a new CQC rating")
    );
    let r = cp
        .post(
            &form,
            &[
                ("rating", "good"),
                ("report_date_day", "99"),
                ("report_date_month", "1"),
                ("report_date_year", "2026"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("The date of the report must be a real date")
    );
    let date = today - Duration::days(1);
    let (d, m, y) = (
        date.format("%-d").to_string(),
        date.format("%-m").to_string(),
        date.format("%Y").to_string(),
    );
    let r = cp
        .post(
            &form,
            &[
                ("rating", "good"),
                ("report_date_day", &d),
                ("report_date_month", &m),
                ("report_date_year", &y),
            ],
            true,
        )
        .await;
    assert_eq!(
        r.header("location").unwrap(),
        format!("/providers/{org}/evidence?done=rating")
    );
    let page = cp
        .get(&format!("/providers/{org}/evidence?done=rating"))
        .await
        .text();
    assert!(page.contains("CQC rating recorded"));
    assert!(page.contains("Inadequate to Good"));
    let now = provider_concerns(&mut db, today, Some(org)).await.unwrap();
    assert!(now.is_empty(), "{now:?}");
    assert!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'cqc_rating.recorded'"
        )
        .await
            >= 2
    );
    let concerns_page = cp.get("/providers/concerns").await.text();
    assert!(concerns_page.contains("Meadow Homes Ltd") && !concerns_page.contains("Bright Care"));
}

#[actix_web::test]
async fn an_insurance_started_and_never_saved_is_forgotten_after_30_days() {
    let app = spawn_app().await;
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    // Two drafts: one left 31 days ago, one yesterday.
    for (insurer, age) in [("Old Draft", 31), ("New Draft", 1)] {
        sql(&app, &format!("INSERT INTO insurances (organisation_id, kind, insurer, cover_pence, starts_on, expires_on, certificate_file_id, created_by, updated_at) \
            SELECT organisation_id, kind, '{insurer}', cover_pence, starts_on, expires_on, certificate_file_id, created_by, now() - interval '{age} days' \
            FROM insurances WHERE kind = 'public_liability' AND saved_at IS NOT NULL")).await;
    }
    state
        .jobs
        .run_now("housekeeping", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM insurances WHERE insurer = 'Old Draft'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM insurances WHERE insurer = 'New Draft'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM insurances WHERE saved_at IS NOT NULL"
        )
        .await,
        3,
        "saved ones stay"
    );
}

#[actix_web::test]
async fn adding_an_insurance_again_with_the_same_key_adds_it_once() {
    let app = spawn_app().await;
    let bright = app.token(BRIGHT).await;
    let org = app.actor(BRIGHT).await.organisation_id;
    let file = certificate(&app, &bright, org).await;
    let body = json!({"kind": "employers_liability", "insurer": "Severn Mutual", "cover_pence": 1_000_000_000,
        "starts_on": "2026-04-01", "expires_on": "2027-03-31", "certificate_file_id": file});
    let path = format!("/api/v1/organisations/{org}/insurances");
    let key = [("Idempotency-Key", "renewal-2026")];
    let first = app.json("POST", &path, Some(&bright), &body, &key).await;
    let again = app.json("POST", &path, Some(&bright), &body, &key).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM insurances WHERE insurer = 'Severn Mutual'"
        )
        .await,
        2,
        "the demo's and this one"
    );
}

#[actix_web::test]
async fn insurances_and_concerns_are_read_in_a_fixed_number_of_statements() {
    let app = spawn_app().await;
    let c = app.token(COMMISSIONER).await;
    let org = app.actor(BRIGHT).await.organisation_id;
    let insurances = format!("/api/v1/organisations/{org}/insurances");
    let concerns = "/api/v1/provider-concerns";
    let few = (
        super::reads::statements(&app, &insurances, &c).await,
        super::reads::statements(&app, concerns, &c).await,
    );
    // Forty more lapsed policies of other kinds: as many concerns, no more statements.
    sql(&app, "INSERT INTO insurances (organisation_id, kind, description, insurer, cover_pence, starts_on, expires_on, certificate_file_id, saved_at, created_by) \
        SELECT organisation_id, 'other', 'Cover ' || n, insurer, cover_pence, starts_on, expires_on, certificate_file_id, now(), created_by \
        FROM insurances, generate_series(1, 40) n WHERE kind = 'professional_indemnity'").await;
    let list = app.get(concerns, Some(&c)).await.json();
    assert!(list.as_array().unwrap().len() >= 42, "{list}");
    let many = (
        super::reads::statements(&app, &insurances, &c).await,
        super::reads::statements(&app, concerns, &c).await,
    );
    assert_eq!(few, many);
    assert!(many.0 <= 3 && many.1 <= 3, "{many:?}");
}
