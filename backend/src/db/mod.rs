//! The PostgreSQL store: connection pool, embedded migrations (applied under an advisory lock)
//! and the private cluster used when no `DATABASE_URL` is configured.

pub mod embedded;
mod pg_enum;
pub mod schema;
pub mod statement;

use anyhow::Context;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::AsyncConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every migration under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Advisory lock key held while migrations run, so that instances starting together apply
/// each migration once.
const MIGRATION_LOCK: i64 = 7_316_000;

/// A pool of asynchronous PostgreSQL connections.
pub type DbPool = Pool<AsyncPgConnection>;
/// A connection checked out of the pool.
pub type DbConn = Object<AsyncPgConnection>;

/// How many SQL statements a pool's connections have started, for the benchmark and the
/// tests that hold a list to a fixed number of statements whatever its length. Counting is
/// one relaxed atomic increment per statement.
#[derive(Clone, Debug, Default)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    /// Statements started so far.
    pub fn get(&self) -> u64 {
        AtomicU64::load(&self.0, Ordering::Relaxed)
    }
}

/// diesel's hook on every statement a connection starts.
struct Counting(Arc<AtomicU64>);

impl Instrumentation for Counting {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Builds the pool. `size` is the maximum number of open connections.
pub fn build_pool(database_url: &str, size: usize) -> anyhow::Result<DbPool> {
    build_counted_pool(database_url, size, &StatementCount::default())
}

/// Builds the pool, counting its statements in `count`.
///
/// Connections are recycled without a test query: diesel-async's default runs `SELECT 1`
/// on every checkout, which doubled the round trips of a simple request. A connection that
/// broke is noticed by its next query and dropped by the pool.
pub fn build_counted_pool(
    database_url: &str,
    size: usize,
    count: &StatementCount,
) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let counter = count.0.clone();
    config.custom_setup = Box::new(move |url| {
        let counter = counter.clone();
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_instrumentation(Counting(counter));
            Ok(conn)
        })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// Applies pending migrations and returns how many ran. Takes no lock when nothing is
/// pending, so many instances can start at once; otherwise holds a session advisory lock.
///
/// Must run on a multi-threaded tokio runtime (diesel's migration harness blocks in place).
pub async fn migrate(database_url: &str) -> anyhow::Result<usize> {
    use diesel_async::AsyncConnection;
    let conn = AsyncPgConnection::establish(database_url)
        .await
        .context("connecting to PostgreSQL to migrate")?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let pending = harness
        .pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("listing migrations: {e}"))?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut conn = harness.into_inner();
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let result = harness
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.len())
        .map_err(|e| anyhow::anyhow!("applying migrations: {e}"));
    let mut conn = harness.into_inner();
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .await?;
    result
}
