//! The generic scheduler against real PostgreSQL, with time driven by a manual clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel_async::RunQueryDsl;
use jobs::{Job, ManualClock, Outcome, Registry, Runner};
use std::sync::{Arc, Mutex};
use tests::spawn_app;

/// What test jobs record: (job, tick, attempt).
type Log = Arc<Mutex<Vec<(String, DateTime<Utc>, i32)>>>;

/// A well-behaved job that records each tick it runs for.
fn every_minute() -> Job<Log> {
    Job::new(
        "every-minute",
        "counts",
        "0 * * * * *",
        |log: Log, tick| async move {
            log.lock()
                .unwrap()
                .push(("every-minute".into(), tick.at, tick.attempt));
            Ok(())
        },
    )
    .unwrap()
}

fn registry() -> Registry<Log> {
    Registry::default()
        .with(every_minute())
        .with(
            Job::new(
                "always-fails",
                "fails",
                "0 0 9 * * *",
                |log: Log, tick| async move {
                    log.lock()
                        .unwrap()
                        .push(("always-fails".into(), tick.at, tick.attempt));
                    anyhow::bail!("the provider's system is down")
                },
            )
            .unwrap()
            .max_attempts(2),
        )
        .with(
            Job::new(
                "hangs-first",
                "hangs on its first attempt",
                "0 0 10 * * *",
                |log: Log, tick| async move {
                    log.lock()
                        .unwrap()
                        .push(("hangs-first".into(), tick.at, tick.attempt));
                    if tick.attempt == 1 {
                        futures_util::future::pending::<()>().await;
                    }
                    Ok(())
                },
            )
            .unwrap(),
        )
}

fn runner(app: &tests::TestApp, clock: Arc<ManualClock>, log: Log, name: &str) -> Runner<Log> {
    Runner::new(
        app.pool.clone(),
        Arc::new(registry()),
        log,
        clock,
        name.into(),
    )
}

/// A runner with only the well-behaved minutely job.
fn minutely_runner(
    app: &tests::TestApp,
    clock: Arc<ManualClock>,
    log: Log,
    name: &str,
) -> Runner<Log> {
    let only = Registry::default().with(every_minute());
    Runner::new(app.pool.clone(), Arc::new(only), log, clock, name.into())
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn count(app: &tests::TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut app.db().await)
        .await
        .unwrap()
        .n
}

#[actix_web::test]
async fn three_schedulers_over_the_same_ticks_run_each_tick_exactly_once() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    // Across the spring-forward change (01:00 GMT becomes 02:00 BST), minute by minute.
    let clock = Arc::new(ManualClock::new(at("2026-03-29T00:45:30Z")));
    let runners: Vec<_> = (0..3)
        .map(|i| minutely_runner(&app, clock.clone(), log.clone(), &format!("instance-{i}")))
        .collect();
    runners[0].schedule_due().await.unwrap(); // the job's history starts now
    for _ in 0..30 {
        clock.advance(Duration::minutes(1));
        let rounds = runners.iter().map(|r| async move {
            r.schedule_due().await.unwrap();
            while r.run_next().await.unwrap().is_some() {}
        });
        futures_util::future::join_all(rounds).await;
    }
    let minutes: Vec<_> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(j, _, _)| j == "every-minute")
        .map(|(_, t, _)| *t)
        .collect();
    assert_eq!(minutes.len(), 30, "{minutes:?}");
    let mut unique = minutes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 30, "no tick ran twice");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM job_runs WHERE job = 'every-minute' AND status = 'succeeded'"
        )
        .await,
        30
    );
}

#[actix_web::test]
async fn after_downtime_missed_ticks_are_caught_up_once() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    let clock = Arc::new(ManualClock::new(at("2026-06-01T08:00:00Z")));
    let r = minutely_runner(&app, clock.clone(), log.clone(), "only");
    r.schedule_due().await.unwrap(); // first sight: nothing from the past
    clock.set(at("2026-06-03T12:34:10Z")); // two days down
    let outcomes = r.run_pending().await.unwrap();
    let minutes: Vec<_> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(j, _, _)| j == "every-minute")
        .map(|(_, t, _)| *t)
        .collect();
    assert_eq!(
        minutes,
        vec![at("2026-06-03T12:34:00Z")],
        "one catch-up run, for the latest tick"
    );
    assert!(outcomes.iter().any(|(_, o)| *o == Outcome::Succeeded));
}

#[actix_web::test]
async fn failures_retry_with_backoff_then_stay_failed_and_visible() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap(),
    ));
    let r = runner(&app, clock.clone(), log.clone(), "only");
    r.schedule_due().await.unwrap();
    clock.set(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 1).unwrap());
    r.schedule_due().await.unwrap();
    let first = loop {
        match r.run_next().await.unwrap() {
            Some((_, o @ Outcome::Retrying { .. })) => break o,
            Some(_) => continue,
            None => panic!("the failing job did not run"),
        }
    };
    let Outcome::Retrying { retry_at, error } = first else {
        unreachable!()
    };
    assert_eq!(
        retry_at,
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 31).unwrap(),
        "30 seconds' backoff"
    );
    assert!(error.contains("system is down"));
    // Not before the backoff...
    clock.advance(Duration::seconds(10));
    assert!(r.run_next().await.unwrap().is_none());
    // ...then the last attempt fails for good.
    clock.advance(Duration::seconds(30));
    let (_, last) = r.run_next().await.unwrap().unwrap();
    assert!(matches!(last, Outcome::Failed { .. }), "{last:?}");
    let status = r.status().await.unwrap();
    let failing = status.iter().find(|s| s.name == "always-fails").unwrap();
    assert_eq!(failing.failures, 1);
    assert_eq!(failing.last_run.as_ref().unwrap().status, "failed");
    assert_eq!(failing.last_run.as_ref().unwrap().attempts, 2);
}

#[actix_web::test]
async fn a_run_whose_worker_died_is_taken_over_after_its_lease() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    let clock = Arc::new(ManualClock::new(at("2026-02-02T09:00:00Z")));
    let a = runner(&app, clock.clone(), log.clone(), "dies");
    let b = runner(&app, clock.clone(), log.clone(), "survives");
    a.schedule_due().await.unwrap();
    clock.set(at("2026-02-02T10:00:00Z"));
    a.schedule_due().await.unwrap();
    // Worker A starts the run and then vanishes (its future is dropped mid-run).
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        while a.run_next().await.unwrap().is_some() {}
    })
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM job_runs WHERE job = 'hangs-first' AND status = 'running'"
        )
        .await,
        1
    );
    // While A's lease lasts, nobody else takes it.
    clock.advance(Duration::minutes(4));
    assert!(b.run_next().await.unwrap().is_none());
    // After it, B does.
    clock.advance(Duration::minutes(2));
    let (_, outcome) = b.run_next().await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Succeeded);
    let attempts: Vec<i32> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(j, _, _)| j == "hangs-first")
        .map(|(_, _, a)| *a)
        .collect();
    assert_eq!(attempts, vec![1, 2]);
}

#[actix_web::test]
async fn jobs_run_at_behaves_as_the_tick_would() {
    let app = spawn_app().await;
    let mut db = app.db().await;
    // Something housekeeping removes: a token revoked long ago, past its expiry.
    diesel::sql_query("INSERT INTO revoked_tokens (jti, expires_at) VALUES (gen_random_uuid(), '2026-01-01T00:00:00Z'), (gen_random_uuid(), '2027-01-01T00:00:00Z')")
        .execute(&mut db)
        .await
        .unwrap();
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let tick = at("2026-06-01T02:15:00Z"); // 03:15 in London, the schedule's own time
    let (run, outcome) = state.jobs.run_now("housekeeping", tick).await.unwrap();
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM revoked_tokens").await,
        1,
        "only the expired token is removed"
    );
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM job_runs WHERE id = {run} AND tick = '2026-06-01T02:15:00Z' AND manual")).await, 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM audit_log WHERE action = 'housekeeping.ran' AND details->>'tick' LIKE '2026-06-01T02:15:00%'").await, 1);
    // The same tick cannot run twice.
    assert!(state.jobs.run_now("housekeeping", tick).await.is_err());
    assert!(state.jobs.run_now("no-such-job", tick).await.is_err());
}

#[actix_web::test]
async fn administrators_see_jobs_and_queue_a_run() {
    let app = spawn_app().await;
    let admin = app.token("admin@council.example").await;
    let jobs = app.get("/api/v1/jobs", Some(&admin)).await.json();
    let housekeeping = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "housekeeping")
        .unwrap();
    assert_eq!(housekeeping["schedule"], "0 15 3 * * *");
    assert_eq!(housekeeping["time_zone"], "Europe/London");
    assert!(housekeeping["next_tick"].is_string());
    let r = app
        .json(
            "POST",
            "/api/v1/jobs/housekeeping/runs",
            Some(&admin),
            &serde_json::json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let runs = app
        .get("/api/v1/jobs/runs?job=housekeeping", Some(&admin))
        .await
        .json();
    assert_eq!(runs[0]["status"], "pending");
    // The answer names the run the list shows, as the CLI's `jobs run` does.
    assert_eq!(r.json()["run_id"], runs[0]["id"], "{}", r.text());
    assert_eq!(r.json()["job"], "housekeeping");
    app.json(
        "POST",
        "/api/v1/jobs/nope/runs",
        Some(&admin),
        &serde_json::json!({}),
        &[],
    )
    .await
    .problem(404);
    let provider = app.token("bids@brightcare.example").await;
    app.get("/api/v1/jobs", Some(&provider)).await.problem(403);
    let mut b = app.browser();
    b.sign_in("admin@council.example").await;
    let page = b.get("/admin/jobs").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("housekeeping"));
    let r = b.post("/admin/jobs/housekeeping/run", &[], true).await;
    assert_eq!(r.status, 303);
    assert!(
        b.get(&r.header("location").unwrap())
            .await
            .text()
            .contains("will run as soon as a worker is free")
    );
}

#[actix_web::test]
async fn on_shutdown_a_run_that_cannot_finish_is_given_back() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    let clock = Arc::new(ManualClock::new(at("2026-02-02T09:59:00Z")));
    let mut r = runner(&app, clock.clone(), log.clone(), "stopping");
    r.grace = std::time::Duration::from_millis(200);
    r.poll = std::time::Duration::from_millis(20);
    r.schedule_due().await.unwrap();
    clock.set(at("2026-02-02T10:00:00Z"));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let r = Arc::new(r);
    let worker = {
        let r = r.clone();
        actix_web::rt::spawn(async move { r.run_until_shutdown(stopped).await })
    };
    // Wait until the hanging job is running (polling the database, not sleeping blindly).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count(
        &app,
        "SELECT count(*) AS n FROM job_runs WHERE job = 'hangs-first' AND status = 'running'",
    )
    .await
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never started"
        );
        actix_web::rt::task::yield_now().await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM job_runs WHERE job = 'hangs-first' AND status = 'pending' AND attempts = 0 AND worker IS NULL").await,
        1,
        "released for another worker, the attempt not counted"
    );
}

#[actix_web::test]
async fn job_runs_are_counted_by_job_and_outcome_and_timed_by_job() {
    let app = spawn_app().await;
    let log: Log = Default::default();
    let metrics = Arc::new(backend::http::metrics::Metrics::new());
    let names: Vec<&str> = registry().jobs().iter().map(|j| j.name).collect();
    let observer = backend::background::JobMetrics::new(metrics.clone(), names);
    let clock = Arc::new(ManualClock::new(at("2026-01-05T08:59:30Z")));
    let r = runner(&app, clock.clone(), log, "observed").with_observer(Arc::new(observer));
    r.schedule_due().await.unwrap();
    // 09:00: the minutely job succeeds, the failing one fails and will retry.
    clock.set(at("2026-01-05T09:00:01Z"));
    r.run_pending().await.unwrap();
    // After the backoff, its last attempt fails for good.
    clock.advance(Duration::seconds(40));
    r.run_pending().await.unwrap();
    let text = metrics.render(&app.pool);
    for line in [
        r#"job_runs_total{job="every-minute",outcome="succeeded"} 1"#,
        r#"job_runs_total{job="always-fails",outcome="retrying"} 1"#,
        r#"job_runs_total{job="always-fails",outcome="failed"} 1"#,
        r#"job_runs_total{job="always-fails",outcome="succeeded"} 0"#,
        r#"job_runs_total{job="hangs-first",outcome="succeeded"} 0"#,
        r#"job_run_duration_seconds_count{job="always-fails"} 2"#,
        r#"job_run_duration_seconds_count{job="every-minute"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
}

#[actix_web::test]
async fn a_job_run_by_the_serving_process_shows_in_its_metrics() {
    let app = spawn_app().await;
    let before = app.get("/metrics", None).await.text();
    // Every registered job is listed at zero before it first runs here.
    for line in [
        r#"job_runs_total{job="housekeeping",outcome="succeeded"} 0"#,
        r#"job_runs_total{job="audit-checkpoint",outcome="failed"} 0"#,
    ] {
        assert!(
            before.lines().any(|l| l == line),
            "missing {line} in\n{before}"
        );
    }
    let (_, outcome) = app
        .jobs
        .run_now("housekeeping", at("2026-06-01T02:15:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Succeeded);
    let after = app.get("/metrics", None).await.text();
    for line in [
        r#"job_runs_total{job="housekeeping",outcome="succeeded"} 1"#,
        r#"job_runs_total{job="housekeeping",outcome="failed"} 0"#,
        r#"job_run_duration_seconds_count{job="housekeeping"} 1"#,
        r#"job_runs_total{job="audit-checkpoint",outcome="succeeded"} 0"#,
    ] {
        assert!(
            after.lines().any(|l| l == line),
            "missing {line} in\n{after}"
        );
    }
}
