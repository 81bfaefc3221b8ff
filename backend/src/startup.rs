//! Building and running the application: the database (configured or embedded), migrations,
//! the HTTP server on a bound listener (port 0 in tests) and graceful shutdown.

use crate::app::{middleware, routes};
use crate::config::Settings;
use crate::db::{self, DbPool, embedded::EmbeddedPostgres};
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;

/// The database to use: `DATABASE_URL`, or the private cluster under the data folder.
pub struct Database {
    pub url: String,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects to the configured database, or starts the embedded one and makes sure its
    /// `commissioning` database exists.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(url) = &settings.database_url {
            return Ok(Self {
                url: url.clone(),
                embedded: None,
            });
        }
        let folder = settings.data_dir.join("postgres");
        let cluster =
            tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&folder)).await??;
        create_database_if_missing(&cluster.url, "commissioning").await?;
        Ok(Self {
            url: cluster.database_url("commissioning"),
            embedded: Some(cluster),
        })
    }
}

/// Creates a database on the server at `server_url` unless it exists.
pub async fn create_database_if_missing(server_url: &str, name: &str) -> anyhow::Result<()> {
    use diesel::prelude::*;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        #[allow(dead_code)]
        one: i32,
    }
    let mut conn = AsyncPgConnection::establish(server_url).await?;
    let exists = diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Found>(&mut conn)
        .await
        .optional()?
        .is_some();
    if !exists {
        let quoted = name.replace('"', "\"\"");
        diesel::sql_query(format!("CREATE DATABASE \"{quoted}\""))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

/// A built application: bound, not yet running.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds `listener` and builds the server over `pool`, with one worker per core.
    pub fn build(settings: Settings, pool: DbPool, listener: TcpListener) -> anyhow::Result<Self> {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::build_with_workers(settings, pool, listener, workers)
    }

    /// As [`Application::build`], with a set number of worker threads (tests use few).
    pub fn build_with_workers(
        settings: Settings,
        pool: DbPool,
        listener: TcpListener,
        workers: usize,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let database_url = settings
            .database_url
            .clone()
            .filter(|_| settings.auth_cache);
        let state = web::Data::new(crate::app::state(settings, pool));
        let gate = web::Data::from(state.gate.clone());
        if let Some(url) = database_url {
            tokio::spawn(state.gate.cache.clone().listen(url));
        }
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(gate.clone())
                .wrap(from_fn(middleware::request_context))
                .wrap(from_fn(middleware::security_headers))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .workers(workers)
        .shutdown_timeout(20)
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The state handlers share (for starting workers beside the server).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM or SIGINT stop it gracefully).
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Connects the pool and applies pending migrations.
pub async fn prepare(settings: &Settings, url: &str) -> anyhow::Result<DbPool> {
    let applied = db::migrate(url).await?;
    if applied > 0 {
        tracing::info!(applied, "applied migrations");
    }
    db::build_pool(url, settings.database_pool_size)
}
