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
        backend::db::migrate(&url).await?;
        let mut conn = AsyncPgConnection::establish(&url).await?;
        backend::seed::demo(&mut conn).await?;
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
