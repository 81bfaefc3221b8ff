//! Benchmark (not a test): `GET /api/v1/me` with a token at 16 concurrent connections,
//! against `pgbench -S` (select-only) with the same client count on the same server.
//! Prints both throughputs and their ratio. Run in release mode:
//!
//! ```sh
//! cargo run --release -p tests --bin bench-foundation -- [SECONDS]
//! ```
//!
//! Uses `DATABASE_URL`'s server or the private cluster under `.data/test-postgres`, in a
//! fresh database that it drops afterwards (`tests::bench`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tests::bench::percentile;

const CLIENTS: usize = 16;

fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let db = runtime.block_on(tests::bench::BenchDatabase::create())?;
    let database_url = db.url.clone();

    let app_rps = actix_web::rt::System::new().block_on(async {
        let tests::bench::BenchApp {
            address,
            handle,
            workers: cores,
            pool_size,
            ..
        } = tests::bench::serve(&database_url)?;
        let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        let mut reply = client
            .post(format!("{address}/api/v1/auth/token"))
            .send_json(&serde_json::json!({"email": "admin@council.example", "password": tests::PASSWORD}))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let body: serde_json::Value = reply.json().await?;
        let token = body["access_token"].as_str().unwrap_or_default().to_string();
        // Warm up the pool and the caches.
        load(&address, &token, Duration::from_secs(2)).await;
        let (count, errors, latencies) = load(&address, &token, Duration::from_secs(seconds)).await;
        handle.stop(true).await;
        anyhow::ensure!(errors == 0, "{errors} requests failed");
        let rps = count as f64 / seconds as f64;
        println!(
            "app    GET /api/v1/me  clients={CLIENTS} duration={seconds}s requests={count} rps={rps:.0} p50={:.2}ms p99={:.2}ms (server workers={cores}, pool={pool_size})",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99)
        );
        anyhow::Ok(rps)
    })?;

    tests::bench::pgbench_init(&database_url)?;
    let tps = tests::bench::pgbench_tps(&["-S"], CLIENTS, seconds, &database_url)?;
    println!("pgbench -S             clients={CLIENTS} duration={seconds}s tps={tps:.0}");
    println!("ratio app/pgbench = {:.2} (aim: >= 0.70)", app_rps / tps);

    runtime.block_on(db.drop_database())?;
    Ok(())
}

/// Runs `CLIENTS` keep-alive connections for `duration`; returns requests, errors and latencies.
async fn load(address: &str, token: &str, duration: Duration) -> (u64, u64, Vec<f64>) {
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (done, count, errors) = (done.clone(), count.clone(), errors.clone());
        let url = format!("{address}/api/v1/me");
        let header = format!("Bearer {token}");
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish();
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                match client
                    .get(&url)
                    .insert_header(("Authorization", header.as_str()))
                    .send()
                    .await
                {
                    Ok(mut r) if r.status().is_success() => {
                        let _ = r.body().await;
                        count.fetch_add(1, Ordering::Relaxed);
                        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    actix_web::rt::time::sleep(duration).await;
    done.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        count.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        all,
    )
}
