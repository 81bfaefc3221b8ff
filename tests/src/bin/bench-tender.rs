//! Benchmark (not a test) of the evaluation engine, through the HTTP API:
//!
//! 1. **Sealing bids**: `PROVIDERS` providers (2,000 by default), each with a complete draft,
//!    submit at 16 concurrent connections (`POST /api/v1/submissions/{id}/submit`: the
//!    sealed copy, a receipt row, an audit row and an outbox email per bid). Compared with
//!    `pgbench`'s write transactions (tpcb-like, and simple-update `-N`) at 16 clients on
//!    the same server for the same time.
//! 2. **Reading a big evaluation**: 200 bids in one procurement, opened, the panel declared,
//!    every bid scored and moderated; a commissioner's `GET .../results` and
//!    `GET .../submissions`: the SQL statements one request takes (the server's pool
//!    counts them), 20 requests one at a time (median and p95), then requests per second
//!    at 16 concurrent keep-alive clients, beside `pgbench -S` (read-only) at 16 clients
//!    on the same server.
//!
//! `bench-tender 200` seals just the 200 bids the reads need (a minute or two).
//!
//! ```sh
//! cargo build --release -p tests --bin bench-tender && ./target/release/bench-tender [PROVIDERS]
//! ```
//!
//! Uses `DATABASE_URL`'s server or the private cluster under `.data/test-postgres`, in a
//! fresh database that it drops afterwards (`tests::bench`).

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tests::bench::{Api, percentile};

const CLIENTS: usize = 16;
const EVALUATION_BIDS: usize = 200;
const READS: usize = 20;
/// Seconds of `pgbench -S` beside the concurrent reads.
const READ_SECONDS: u64 = 10;
/// Requests of each big read at `CLIENTS` clients.
const CONCURRENT_READS: usize = 1600;

fn main() -> anyhow::Result<()> {
    let providers: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
        .max(EVALUATION_BIDS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let db = runtime.block_on(tests::bench::BenchDatabase::create())?;
    let database_url = db.url.clone();
    let figures = actix_web::rt::System::new().block_on(async {
        let app = tests::bench::serve(&database_url)?;
        let (address, handle) = (app.address.clone(), app.handle.clone());
        let (cores, pool_size) = (app.workers, app.pool_size);
        let (settings, pool, statements) = (app.settings, app.pool, app.statements);
        let result = run(
            &address,
            &settings,
            &pool,
            &statements,
            providers,
            (cores, pool_size),
        )
        .await;
        handle.stop(true).await;
        result
    })?;
    let Figures {
        submitted,
        submit_seconds,
        reads,
    } = figures;
    let rate = submitted as f64 / submit_seconds;

    // pgbench for as long as the submissions took (at least 5 s), on the same server.
    let seconds = (submit_seconds.ceil() as u64).max(5);
    tests::bench::pgbench_init(&database_url)?;
    let tpcb = tests::bench::pgbench_tps(&[], CLIENTS, seconds, &database_url)?;
    println!(
        "pgbench tpcb-like (default, scale 1)              clients={CLIENTS} duration={seconds}s tps={tpcb:.0}"
    );
    let simple = tests::bench::pgbench_tps(&["-N"], CLIENTS, seconds, &database_url)?;
    println!(
        "pgbench simple-update (-N, scale 1)               clients={CLIENTS} duration={seconds}s tps={simple:.0}"
    );
    println!(
        "ratio submissions/pgbench: {:.3} of tpcb-like, {:.3} of simple-update",
        rate / tpcb,
        rate / simple
    );
    let select_only = tests::bench::pgbench_tps(&["-S"], CLIENTS, READ_SECONDS, &database_url)?;
    println!(
        "pgbench select-only (-S, scale 1)                 clients={CLIENTS} duration={READ_SECONDS}s tps={select_only:.0}"
    );
    for (path, rps) in reads {
        println!(
            "ratio GET {path} / pgbench -S: {:.4} ({rps:.0} requests/s)",
            rps / select_only
        );
    }

    // BENCH_KEEP_DATABASE=1 keeps it, to EXPLAIN what the figures measured.
    if std::env::var_os("BENCH_KEEP_DATABASE").is_some() {
        println!("kept    {database_url}");
    } else {
        runtime.block_on(db.drop_database())?;
    }
    Ok(())
}

/// Requests a second that `wrk` (when installed: Debian's `wrk`) reaches on `url` with
/// `CLIENTS` keep-alive connections for 10 s; `None` without wrk.
async fn wrk(url: &str, token: &str) -> anyhow::Result<Option<f64>> {
    let (url, header) = (url.to_string(), format!("Authorization: Bearer {token}"));
    let output = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args(["-t2", &format!("-c{CLIENTS}"), "-d10s", "-H", &header, &url])
            .output()
    })
    .await?;
    let Ok(output) = output else { return Ok(None) };
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        !text.contains("Non-2xx"),
        "wrk met answers other than 200: {text}"
    );
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok()))
}

struct Figures {
    submitted: usize,
    submit_seconds: f64,
    /// (path, requests per second at `CLIENTS` clients) of each big read.
    reads: Vec<(String, f64)>,
}

/// A small questionnaire: pass/fail, one scored question (60 %), a price schedule (30 %)
/// and social value (10 %).
fn questionnaire() -> Value {
    json!({"sections": [
        {"title": "Eligibility", "questions": [
            {"id": "Q1", "kind": "pass_fail", "title": "Are you registered with CQC for personal care?", "pass_answer": true}]},
        {"title": "Quality", "questions": [
            {"id": "Q2", "kind": "scored", "title": "How will you deliver the service?", "weight": 60, "word_limit": 500}]},
        {"title": "Price", "questions": [
            {"id": "Q3", "kind": "price_schedule", "title": "Hourly rates", "weight": 30,
             "bands": [{"label": "Weekdays", "volume": 76}, {"label": "Weekends", "volume": 24}]}]},
        {"title": "Social value", "questions": [
            {"id": "Q4", "kind": "social_value", "title": "Local jobs", "weight": 10, "word_limit": 300}]}
    ]})
}

fn answers(i: usize) -> Value {
    json!({
        "Q1": {"choice": true},
        "Q2": {"text": "Our care workers are organised in small teams by area, so that each person sees the same few faces. Every visit is planned and recorded on our electronic call monitoring system, and a supervisor reviews missed or late calls every morning. We review each person's care at six weeks with them and their family, and reduce it where they can do more for themselves. ".repeat(2)},
        "Q3": {"rates_pence": [2300 + (i % 400) as i64, 2700 + (i % 300) as i64]},
        "Q4": {"text": "We will recruit locally, pay the Real Living Wage and offer two apprenticeships a year, and we will report each measure quarterly."},
    })
}

/// Creates and publishes a procurement taking bids for the next two hours; returns its id.
async fn procurement(api: &Api, token: &str, reference: &str) -> anyhow::Result<String> {
    let districts = api.ok("GET", "/api/v1/districts", token, None).await?;
    let now = chrono::Utc::now();
    let input = json!({
        "title": format!("Benchmark home care {reference}"),
        "reference": reference,
        "description": "Home care, for the benchmark.",
        "service_type": "domiciliary",
        "district_ids": [districts[0]["id"]],
        "estimated_value_pence": 100_000_000_i64,
        "regime": "pa2023",
        "light_touch": true,
        "procedure": "open",
        "clarification_deadline": now + chrono::Duration::hours(1),
        "submission_deadline": now + chrono::Duration::hours(2),
        "planned_award_date": (now + chrono::Duration::days(30)).date_naive(),
    });
    let id = api
        .ok("POST", "/api/v1/procurements", token, Some(&input))
        .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    api.ok(
        "PUT",
        &format!("/api/v1/procurements/{id}/questionnaire"),
        token,
        Some(&json!({"questionnaire": questionnaire()})),
    )
    .await?;
    api.ok(
        "POST",
        &format!("/api/v1/procurements/{id}/conflicts-assessment"),
        token,
        Some(&json!({"assessment": "None found."})),
    )
    .await?;
    api.ok(
        "POST",
        &format!("/api/v1/procurements/{id}/publish"),
        token,
        Some(&json!({})),
    )
    .await?;
    Ok(id)
}

/// Each of the first `n` providers starts a bid and saves a complete draft; returns the
/// submission ids.
async fn drafts(
    address: &str,
    tokens: &Arc<Vec<String>>,
    id: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let sids = Arc::new(std::sync::Mutex::new(vec![String::new(); n]));
    let (tokens2, sids2, id2) = (tokens.clone(), sids.clone(), id.to_string());
    tests::bench::concurrently(address, CLIENTS, n, move |api, i| {
        let (tokens, sids, id) = (tokens2.clone(), sids2.clone(), id2.clone());
        async move {
            let view = api
                .ok(
                    "POST",
                    &format!("/api/v1/procurements/{id}/submissions"),
                    &tokens[i],
                    Some(&json!({})),
                )
                .await?;
            let sid = view["id"].as_str().unwrap_or_default().to_string();
            api.ok(
                "PATCH",
                &format!("/api/v1/submissions/{sid}/answers"),
                &tokens[i],
                Some(&json!({"answers": answers(i)})),
            )
            .await?;
            sids.lock().unwrap()[i] = sid;
            Ok(())
        }
    })
    .await?;
    let sids = sids.lock().unwrap().clone();
    Ok(sids)
}

async fn submit_all(
    address: &str,
    tokens: &Arc<Vec<String>>,
    sids: &[String],
) -> anyhow::Result<Vec<f64>> {
    let (tokens, sids) = (tokens.clone(), Arc::new(sids.to_vec()));
    tests::bench::concurrently(address, CLIENTS, sids.len(), move |api, i| {
        let (tokens, sids) = (tokens.clone(), sids.clone());
        async move {
            api.ok(
                "POST",
                &format!("/api/v1/submissions/{}/submit", sids[i]),
                &tokens[i],
                Some(&json!({})),
            )
            .await?;
            Ok(())
        }
    })
    .await
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn).await?.n)
}

async fn run(
    address: &str,
    settings: &backend::config::Settings,
    pool: &backend::db::DbPool,
    statements: &backend::db::StatementCount,
    providers: usize,
    (cores, pool_size): (usize, usize),
) -> anyhow::Result<Figures> {
    let api = Api::new(address);
    let commissioner = api.sign_in("commissioner@council.example").await?;
    let evaluator = api.sign_in("evaluator@council.example").await?;

    // Provider organisations and users, straight into the database; tokens minted with the
    // app's key (as the race test does).
    let mut conn = pool.get().await?;
    diesel::sql_query(format!(
        "WITH orgs AS (
           INSERT INTO organisations (kind, legal_name, address_line1, address_line2, town, postcode)
           SELECT 'provider', 'Bench Provider ' || n, '1 High Street', '', 'Worcester', 'WR1 1AA'
           FROM generate_series(1, {providers}) AS n RETURNING id, legal_name)
         INSERT INTO users (organisation_id, email, name, role, password_hash, email_verified_at)
         SELECT id, lower(replace(legal_name, ' ', '.')) || '@bench.example', legal_name, 'provider',
                (SELECT password_hash FROM users WHERE email = 'bids@brightcare.example'), now()
         FROM orgs"
    ))
    .execute(&mut conn)
    .await?;
    let users: Vec<(uuid::Uuid, uuid::Uuid)> = {
        use backend::db::schema::users;
        use diesel::{QueryDsl, TextExpressionMethods};
        users::table
            .filter(users::email.like("%@bench.example"))
            .order(users::email)
            .select((users::id, users::organisation_id))
            .load(&mut conn)
            .await?
    };
    let keys = backend::auth::token::TokenKeys::new(&settings.tokens);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let tokens: Vec<String> = users
        .iter()
        .map(|(user, org)| {
            keys.issue(
                *user,
                *org,
                backend::auth::Role::Provider,
                backend::auth::token::TokenType::Access,
                now_ms,
            )
            .map(|t| t.token)
        })
        .collect::<anyhow::Result<_>>()?;
    let tokens = Arc::new(tokens);

    // 1. Sealing bids.
    let a = procurement(&api, &commissioner, "BENCH-SUBMIT").await?;
    let started = Instant::now();
    let sids = drafts(address, &tokens, &a, providers).await?;
    eprintln!(
        "setup: {providers} drafts started and filled in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let (app_cpu, pg_cpu) = tests::bench::cpu_seconds();
    let submit_latencies = submit_all(address, &tokens, &sids).await?;
    let submit_seconds = started.elapsed().as_secs_f64();
    let (app_cpu_after, pg_cpu_after) = tests::bench::cpu_seconds();
    println!(
        "cpu     during the submissions: this process (server, sealer and client) {:.2}s, PostgreSQL {:.2}s, of {:.2}s on {cores} cores",
        app_cpu_after - app_cpu,
        pg_cpu_after - pg_cpu,
        submit_seconds * cores as f64
    );
    println!(
        "app     POST /api/v1/submissions/{{id}}/submit       clients={CLIENTS} bids={providers} in {submit_seconds:.2}s: {:.0} submissions/s p50={:.1}ms p95={:.1}ms p99={:.1}ms (server workers={cores}, pool={pool_size})",
        providers as f64 / submit_seconds,
        percentile(&submit_latencies, 0.50),
        percentile(&submit_latencies, 0.95),
        percentile(&submit_latencies, 0.99),
    );
    let receipts = count(&mut conn, &format!("SELECT count(*) AS n FROM submission_receipts r JOIN submissions s ON s.id = r.submission_id WHERE s.competition_id = '{a}'")).await?;
    let emails = count(
        &mut conn,
        "SELECT count(*) AS n FROM outbox WHERE template = 'submission_receipt'",
    )
    .await?;
    let audits = count(
        &mut conn,
        "SELECT count(*) AS n FROM audit_log WHERE action = 'submission.submitted'",
    )
    .await?;
    anyhow::ensure!(
        receipts == providers as i64,
        "{receipts} receipts for {providers} bids"
    );
    // The demo data's submitted bids have receipts, audit rows (no emails) of their own.
    anyhow::ensure!(
        emails >= providers as i64 && audits >= providers as i64,
        "{emails} emails and {audits} audit rows for {providers} bids"
    );

    // 2. A big evaluation: 200 bids, opened, declared, scored and moderated.
    let b = procurement(&api, &commissioner, "BENCH-EVALUATE").await?;
    let started = Instant::now();
    let bids = drafts(address, &tokens, &b, EVALUATION_BIDS).await?;
    submit_all(address, &tokens, &bids).await?;
    diesel::sql_query(format!(
        "WITH c AS (UPDATE competitions SET submission_deadline = now() - interval '1 second' WHERE id = '{b}') UPDATE procurements SET clarification_deadline = now() - interval '2 seconds' WHERE id = '{b}'"
    ))
    .execute(&mut conn)
    .await?;
    drop(conn);
    api.ok(
        "POST",
        &format!("/api/v1/procurements/{b}/open"),
        &commissioner,
        Some(&json!({})),
    )
    .await?;
    let me = api.ok("GET", "/api/v1/me", &evaluator, None).await?;
    api.ok(
        "PUT",
        &format!("/api/v1/procurements/{b}/panel"),
        &commissioner,
        Some(&json!({"evaluator_ids": [me["id"]]})),
    )
    .await?;
    let bidders = api
        .ok(
            "GET",
            &format!("/api/v1/procurements/{b}/declarations"),
            &evaluator,
            None,
        )
        .await?;
    let declarations: Vec<Value> = bidders
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|x| json!({"organisation_id": x["organisation_id"], "conflicted": false}))
        .collect();
    api.ok(
        "POST",
        &format!("/api/v1/procurements/{b}/declarations"),
        &evaluator,
        Some(&json!({"declarations": declarations})),
    )
    .await?;
    let bids = Arc::new(bids);
    let (ev, list) = (evaluator.clone(), bids.clone());
    tests::bench::concurrently(address, CLIENTS, EVALUATION_BIDS, move |api, i| {
        let (ev, list) = (ev.clone(), list.clone());
        async move {
            let score = 2 + (i % 4) as i64;
            api.ok(
                "PUT",
                &format!("/api/v1/submissions/{}/scores", list[i]),
                &ev,
                Some(&json!({"submit": true, "scores": [
                    {"question_id": "Q2", "score": score, "reason": "Small teams by area and daily checks of late calls; reviews at six weeks."},
                    {"question_id": "Q4", "score": 3, "reason": "Measurable local commitments."}]})),
            )
            .await?;
            Ok(())
        }
    })
    .await?;
    let (c, list) = (commissioner.clone(), bids.clone());
    tests::bench::concurrently(address, CLIENTS, EVALUATION_BIDS, move |api, i| {
        let (c, list) = (c.clone(), list.clone());
        async move {
            for (q, score) in [("Q2", 2 + (i % 4) as i64), ("Q4", 3)] {
                api.ok(
                    "PUT",
                    &format!("/api/v1/submissions/{}/moderation/{q}", list[i]),
                    &c,
                    Some(&json!({"score": score, "reason": "Agreed at moderation: the individual score stands."})),
                )
                .await?;
            }
            Ok(())
        }
    })
    .await?;
    eprintln!(
        "setup: {EVALUATION_BIDS} bids submitted, opened, declared, scored and moderated in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let results = api
        .ok(
            "GET",
            &format!("/api/v1/procurements/{b}/results"),
            &commissioner,
            None,
        )
        .await?;
    anyhow::ensure!(
        results[0]["complete"] == true
            && results[0]["bids"].as_array().map(Vec::len) == Some(EVALUATION_BIDS),
        "the evaluation is not complete: {}",
        &results.to_string()[..500.min(results.to_string().len())]
    );
    let mut reads = Vec::new();
    for path in ["results", "submissions"] {
        let path = format!("/api/v1/procurements/{b}/{path}");
        let shown = path.replace(&b, "{id}");
        for _ in 0..2 {
            api.ok("GET", &path, &commissioner, None).await?;
        }
        // The least of five: the audit sealer shares the pool and may run in between.
        let mut per_request = u64::MAX;
        for _ in 0..5 {
            let before = statements.get();
            api.ok("GET", &path, &commissioner, None).await?;
            per_request = per_request.min(statements.get() - before);
        }
        let mut latencies = Vec::new();
        let mut size = 0;
        for _ in 0..READS {
            let started = Instant::now();
            let (status, _, bytes) = api.call("GET", &path, &commissioner, None).await?;
            anyhow::ensure!(status == 200, "GET {path}: {status}");
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            size = bytes;
        }
        latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "app     GET {shown:<40} bids={EVALUATION_BIDS} SQL statements per request={per_request}; requests={READS} one at a time: median={:.1}ms p95={:.1}ms ({} KB)",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.95),
            size / 1024
        );
        let started = Instant::now();
        let (app_cpu, pg_cpu) = tests::bench::cpu_seconds();
        let latencies = tests::bench::concurrently(address, CLIENTS, CONCURRENT_READS, {
            let (path, token) = (path.clone(), commissioner.clone());
            move |api: Api, _| {
                let (path, token) = (path.clone(), token.clone());
                async move {
                    let status = api.get_unparsed(&path, &token).await?;
                    anyhow::ensure!(status == 200, "GET {path}: {status}");
                    Ok(())
                }
            }
        })
        .await?;
        let rps = CONCURRENT_READS as f64 / started.elapsed().as_secs_f64();
        let (app_cpu_after, pg_cpu_after) = tests::bench::cpu_seconds();
        println!(
            "cpu     per request: this process (server and client) {:.2}ms, PostgreSQL {:.2}ms",
            (app_cpu_after - app_cpu) * 1000.0 / CONCURRENT_READS as f64,
            (pg_cpu_after - pg_cpu) * 1000.0 / CONCURRENT_READS as f64,
        );
        println!(
            "app     GET {shown:<40} bids={EVALUATION_BIDS} clients={CLIENTS} requests={CONCURRENT_READS}: {rps:.0} requests/s p50={:.1}ms p95={:.1}ms",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.95),
        );
        reads.push((shown.clone(), rps));
        // The same read measured by wrk in its own process, as the figures this work
        // started from were (`wrk -c16`, keep-alive): the client's cost is wrk's, not ours.
        if let Some(wrk_rps) = wrk(&format!("{address}{path}"), &commissioner).await? {
            println!(
                "wrk     GET {shown:<40} bids={EVALUATION_BIDS} connections={CLIENTS} threads=2 duration=10s: {wrk_rps:.0} requests/s"
            );
        }
    }

    Ok(Figures {
        submitted: providers,
        submit_seconds,
        reads,
    })
}
