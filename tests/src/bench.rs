//! What the benchmark programs share: a fresh, migrated, seeded database on
//! `DATABASE_URL`'s server or the private cluster, dropped afterwards; a JSON client for
//! the API; concurrent keep-alive clients; percentiles.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A database made for one benchmark run.
pub struct BenchDatabase {
    pub server_url: String,
    pub url: String,
    name: String,
    cluster: Option<backend::db::embedded::EmbeddedPostgres>,
}

impl BenchDatabase {
    /// Creates, migrates and seeds a database called `bench_<random>`.
    pub async fn create() -> anyhow::Result<Self> {
        let db = Self::create_empty().await?;
        backend::db::migrate(&db.url).await?;
        let mut conn = AsyncPgConnection::establish(&db.url).await?;
        backend::seed::demo(&mut conn).await?;
        Ok(db)
    }

    /// Creates an empty database called `bench_<random>` (for a server binary to migrate
    /// and seed itself).
    pub async fn create_empty() -> anyhow::Result<Self> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let (server_url, cluster) =
            match std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()) {
                Some(url) => (crate::with_database(&url, "postgres"), None),
                None => {
                    let folder = root.join(".data/test-postgres");
                    let c = tokio::task::spawn_blocking(move || {
                        backend::db::embedded::EmbeddedPostgres::start(&folder)
                    })
                    .await??;
                    (c.url.clone(), Some(c))
                }
            };
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let url = crate::with_database(&server_url, &name);
        let mut admin = AsyncPgConnection::establish(&server_url).await?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        Ok(Self {
            server_url,
            url,
            name,
            cluster,
        })
    }

    /// Drops the database (and stops the private cluster if this run started it).
    pub async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = AsyncPgConnection::establish(&self.server_url).await?;
        diesel::sql_query(format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await?;
        if let Some(c) = self.cluster.filter(|c| c.started_here) {
            c.stop()?;
        }
        Ok(())
    }
}

/// The app served for a benchmark on a free loopback port.
pub struct BenchApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub settings: backend::config::Settings,
    pub pool: backend::db::DbPool,
    /// The SQL statements the server's pool has run.
    pub statements: backend::db::StatementCount,
    pub handle: actix_web::dev::ServerHandle,
    /// Server workers (one per core).
    pub workers: usize,
    pub pool_size: usize,
    /// Dropping it stops the audit sealer running beside the server.
    pub stop_sealing: tokio::sync::watch::Sender<bool>,
}

/// Serves the app on `database_url` with one worker per core and a pool of four
/// connections per core (at least 8). Call inside an actix system.
pub fn serve(database_url: &str) -> anyhow::Result<BenchApp> {
    let workers = cores();
    let pool_size = (workers * 4).max(8);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let settings = crate::test_settings(database_url, &address);
    let statements = backend::db::StatementCount::default();
    let pool = backend::db::build_counted_pool(database_url, pool_size, &statements)?;
    let app = backend::startup::Application::build_with_workers(
        settings.clone(),
        pool.clone(),
        listener,
        workers,
    )?;
    let handle = app.handle();
    // Every instance seals the audit log as it goes; its work counts in the figures.
    let (stop_sealing, shutdown) = tokio::sync::watch::channel(false);
    actix_web::rt::spawn(backend::audit::sealer::run_sealer(
        pool.clone(),
        backend::audit::AuditKey::from_settings(&settings),
        shutdown,
    ));
    actix_web::rt::spawn(app.run());
    Ok(BenchApp {
        address,
        settings,
        pool,
        statements,
        handle,
        workers,
        pool_size,
        stop_sealing,
    })
}

/// This machine's cores (server workers, and pgbench's threads).
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// `pgbench -i -s 1` on `url`: the tables its transactions use.
pub fn pgbench_init(url: &str) -> anyhow::Result<()> {
    let pgbench = backend::db::embedded::program("pgbench")?;
    let init = std::process::Command::new(&pgbench)
        .args(["-i", "-s", "1", "-q", url])
        .output()?;
    anyhow::ensure!(
        init.status.success(),
        "pgbench -i failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    Ok(())
}

/// Runs pgbench with `extra` arguments (`-S`, `-N`, or none for tpcb-like), `clients`
/// clients and one thread per core for `seconds`; returns its transactions per second.
pub fn pgbench_tps(extra: &[&str], clients: usize, seconds: u64, url: &str) -> anyhow::Result<f64> {
    let pgbench = backend::db::embedded::program("pgbench")?;
    let run = std::process::Command::new(pgbench)
        .args(extra)
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &cores().to_string(),
            "-T",
            &seconds.to_string(),
            url,
        ])
        .output()?;
    anyhow::ensure!(
        run.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let output = String::from_utf8_lossy(&run.stdout);
    output
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench output: {output}"))
}

/// CPU seconds (user + system) used so far by this process and by every PostgreSQL
/// process on the machine: taken before and after a phase, they show where its time went.
pub fn cpu_seconds() -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let of = |stat: &str| -> Option<f64> {
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / ticks)
    };
    let me = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| of(&s))
        .unwrap_or(0.0);
    let mut postgres = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let is_postgres =
            std::fs::read_to_string(path.join("comm")).is_ok_and(|c| c.trim() == "postgres");
        if is_postgres
            && let Some(t) = std::fs::read_to_string(path.join("stat"))
                .ok()
                .and_then(|s| of(&s))
        {
            postgres += t;
        }
    }
    (me, postgres)
}

/// A JSON client for the app.
#[derive(Clone)]
pub struct Api {
    client: awc::Client,
    address: String,
}

impl Api {
    pub fn new(address: &str) -> Self {
        Self {
            client: awc::Client::builder()
                .timeout(Duration::from_secs(120))
                .finish(),
            address: address.to_string(),
        }
    }

    /// Sends a request; returns the status and the body as JSON (`Null` when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value, usize)> {
        let method = awc::http::Method::from_bytes(method.as_bytes())?;
        let request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .insert_header(("Authorization", format!("Bearer {token}")));
        let mut reply = match body {
            Some(b) => request.send_json(b).await,
            None => request.send().await,
        }
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let bytes = reply.body().limit(64 * 1024 * 1024).await?;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((reply.status().as_u16(), json, bytes.len()))
    }

    /// A GET whose body is read but not parsed (as a load generator reads it); returns the
    /// status.
    pub async fn get_unparsed(&self, path: &str, token: &str) -> anyhow::Result<u16> {
        let mut reply = self
            .client
            .get(format!("{}{path}", self.address))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        reply.body().limit(64 * 1024 * 1024).await?;
        Ok(reply.status().as_u16())
    }

    /// Sends a request that must succeed; returns its JSON.
    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, json, _) = self.call(method, path, token, body).await?;
        anyhow::ensure!(
            (200..300).contains(&status),
            "{method} {path}: {status} {json}"
        );
        Ok(json)
    }

    pub async fn sign_in(&self, email: &str) -> anyhow::Result<String> {
        let mut reply = self
            .client
            .post(format!("{}/api/v1/auth/token", self.address))
            .send_json(&json!({"email": email, "password": crate::PASSWORD}))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let body: Value = reply.json().await?;
        body["access_token"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| anyhow::anyhow!("signing in {email}: {body}"))
    }
}

/// Runs `work(i)` for `i` in `0..n` on `clients` concurrent tasks, each with its own
/// keep-alive connection; returns each call's latency in milliseconds.
pub async fn concurrently<F, Fut>(
    address: &str,
    clients: usize,
    n: usize,
    work: F,
) -> anyhow::Result<Vec<f64>>
where
    F: Fn(Api, usize) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, work, api) = (next.clone(), work.clone(), Api::new(address));
        tasks.push(actix_web::rt::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let started = Instant::now();
                work(api.clone(), i).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(all)
}

/// The `p` quantile (0 to 1) of sorted figures, nearest rank; 0 for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
