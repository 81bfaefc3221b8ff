//! What the benchmark programs share: a fresh, migrated, seeded database on
//! `DATABASE_URL`'s server or the private cluster, dropped afterwards.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

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
