//! The test harness every integration test uses.
//!
//! Each test gets its own database, cloned (`CREATE DATABASE … TEMPLATE`) from a template
//! that is migrated and loaded with the demo data once per machine and migration set, so tests
//! run in parallel and leave nothing behind. The server is `DATABASE_URL`'s when given (the
//! test runner `cargo test-all` sets it), otherwise a private cluster under
//! `.data/test-postgres` is started (and left running for the next run).

pub mod bench;
pub mod browser;
mod database;
pub mod dps;
mod page_client;
pub mod s3;
mod smtp;
pub mod tender;
pub mod tools;

use database::server;
pub use database::{template_database_url, with_database};
pub use page_client::{Browser, first_id_after, location, page};
pub use smtp::{SmtpSink, with_smtp};

use backend::config::{
    FileStorage, MailSettings, Secret, SecuritySettings, Settings, TokenSettings,
};
use backend::db::DbPool;
use backend::startup::Application;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::net::TcpListener;

/// The password of every demo account.
pub const PASSWORD: &str = backend::seed::DEMO_PASSWORD;
/// The signing key tests use (tests may forge tokens with it).
pub const SIGNING_KEY: &[u8] = b"test-signing-key-0123456789abcdef0123456789";

/// A running application on its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub pool: DbPool,
    /// The SQL statements this app's pool has run.
    pub statements: backend::db::StatementCount,
    pub settings: Settings,
    pub database_url: String,
    db_name: String,
    handle: actix_web::dev::ServerHandle,
    client: awc::Client,
    /// This instance's signed-in-user cache (to check it is in use).
    pub auth_cache: std::sync::Arc<backend::auth::cache::AuthCache>,
    /// This instance's job runner: a job run through it is counted in this instance's
    /// `/metrics`, as a job run by `serve` is.
    pub jobs: std::sync::Arc<backend::background::JobRunner>,
    /// Whether dropping this app drops its database (a sibling instance does not).
    owns_database: bool,
}

/// Settings for a test app on `database_url`.
pub fn test_settings(database_url: &str, address: &str) -> Settings {
    Settings {
        database_url: Some(database_url.to_string()),
        database_pool_size: 4,
        public_url: address.to_string(),
        mail: MailSettings {
            smtp_url: None,
            mail_dir: std::env::temp_dir().join("commissioning-test-mail"),
            from: "Care commissioning <no-reply@council.example>".into(),
            feedback: "feedback@council.example".into(),
        },
        tokens: TokenSettings {
            signing_key: Secret::new(SIGNING_KEY.to_vec()),
            access_ttl_seconds: 900,
            session_ttl_seconds: 3600,
            issuer: address.to_string(),
        },
        demo_mode: true,
        auth_cache: true,
        data_dir: std::env::temp_dir().join("commissioning-test-data"),
        // The storage tests put theirs in the S3-compatible server (`s3::test_bucket`).
        file_storage: FileStorage::Local,
        // Tests sign in many times from one address; the rate-limit tests set their own.
        security: SecuritySettings {
            sign_in_per_minute: 100_000,
            other_per_minute: 100_000,
            ..SecuritySettings::default()
        },
    }
}

/// Creates a fresh database from the template and serves the app on a free port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with settings changed by `adjust` (rate limits, quotas).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let server = server();
    let db_name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&server.url).await.unwrap();
    diesel::sql_query(format!(
        "CREATE DATABASE \"{db_name}\" TEMPLATE \"{}\"",
        server.template
    ))
    .execute(&mut conn)
    .await
    .expect("cloning the template database");
    let database_url = with_database(&server.url, &db_name);
    serve_with(database_url, db_name, true, None, adjust)
}

/// Starts an app on an existing database, with settings changed by `adjust`; `public_url`
/// defaults to its own address.
fn serve_with(
    database_url: String,
    db_name: String,
    owns_database: bool,
    public_url: Option<&str>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = test_settings(&database_url, public_url.unwrap_or(&address));
    // Each database has its own files, so sweeping one never touches another's.
    settings.data_dir = settings.data_dir.join(&db_name);
    adjust(&mut settings);
    let statements = backend::db::StatementCount::default();
    let pool = backend::db::build_counted_pool(&database_url, 4, &statements).unwrap();
    let app = Application::build_with_workers(settings.clone(), pool.clone(), listener, 1).unwrap();
    let handle = app.handle();
    let auth_cache = app.state().gate.cache.clone();
    let jobs = app.state().jobs.clone();
    actix_web::rt::spawn(app.run());
    TestApp {
        address,
        pool,
        statements,
        settings,
        database_url,
        db_name,
        handle,
        auth_cache,
        jobs,
        owns_database,
        client: awc::Client::builder()
            .disable_redirects()
            .timeout(std::time::Duration::from_secs(60))
            .finish(),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(handle.stop(false));
        if !self.owns_database {
            return;
        }
        let url = server().url.clone();
        let name = self.db_name.clone();
        let _ = std::fs::remove_dir_all(&self.settings.data_dir);
        // Drop the database from another thread: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(mut conn) = AsyncPgConnection::establish(&url).await {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// The fields a problem document's `errors` name, in order.
pub fn error_fields(problem: &serde_json::Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
    /// The value of a cookie this response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let (pair, _) = c.split_once(';').unwrap_or((c, ""));
                let (k, v) = pair.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
    }
    /// Asserts the status and that the body is problem+json; returns it.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "body: {}",
            self.text()
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(
            p["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:commissioning:problem:")
        );
        p
    }
}

impl TestApp {
    /// Another instance of the app on the same database, as behind a load balancer. Its
    /// settings (signing key, public URL, file store) are this one's, so tokens and files
    /// work on both.
    pub fn sibling(&self) -> TestApp {
        let file_storage = self.settings.file_storage.clone();
        serve_with(
            self.database_url.clone(),
            self.db_name.clone(),
            false,
            Some(&self.settings.public_url),
            |s| s.file_storage = file_storage,
        )
    }

    async fn send(&self, request: awc::ClientRequest, body: Option<Vec<u8>>) -> Reply {
        let mut response = match body {
            Some(b) => request.send_body(b).await,
            None => request.send().await,
        }
        .expect("request failed");
        let body = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .expect("reading body")
            .to_vec();
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.insert_header(("Authorization", format!("Bearer {t}")));
        }
        self.send(r, None).await
    }

    /// A request with a JSON body, an optional token and extra headers.
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self
            .client
            .request(method, self.url(path))
            .insert_header(("Content-Type", "application/json"));
        if let Some(t) = token {
            r = r.insert_header(("Authorization", format!("Bearer {t}")));
        }
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        self.send(r, Some(serde_json::to_vec(body).unwrap())).await
    }

    /// A request with a raw body and headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self.client.request(method, self.url(path));
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        self.send(r, Some(body)).await
    }

    /// An access token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        self.token_with(email, PASSWORD).await
    }

    /// An access token for any user.
    pub async fn token_with(&self, email: &str, password: &str) -> String {
        let reply = self
            .json(
                "POST",
                "/api/v1/auth/token",
                None,
                &serde_json::json!({"email": email, "password": password}),
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "token for {email}: {}", reply.text());
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    /// A browser: keeps cookies between page requests.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: Default::default(),
        }
    }

    /// The live link in the newest email to `to` whose stored copy links to `path` (say
    /// `/reset-password`), as its recipient gets it. The stored copy hides the link's
    /// secret, which is derived from the message's id; this asserts that it is hidden.
    pub async fn emailed_link(&self, to: &str, path: &str) -> String {
        use backend::db::schema::outbox;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let hidden = format!("{path}?token={}", backend::mail::HIDDEN_LINK_TOKEN);
        let mut conn = self.db().await;
        let rows: Vec<(String, String, String)> = outbox::table
            .filter(outbox::to_address.eq(to))
            .order(outbox::id.desc())
            .select((outbox::message_id, outbox::text_body, outbox::html_body))
            .load(&mut conn)
            .await
            .unwrap();
        let (message_id, text, html) = rows
            .into_iter()
            .find(|(_, text, _)| text.contains(&hidden))
            .unwrap_or_else(|| panic!("no email to {to} links to {path}"));
        let token =
            backend::mail::MailContext::from_settings(&self.settings).link_secret(&message_id);
        assert!(
            !text.contains(&token) && !html.contains(&token),
            "the stored email must not hold the live link"
        );
        format!("{path}?token={token}")
    }

    /// Registers a provider through the API and confirms it from the emailed link, as its
    /// first user would; returns the confirmation's answer (`organisation`, `user`).
    pub async fn register(&self, registration: &serde_json::Value) -> serde_json::Value {
        let r = self
            .json("POST", "/api/v1/registrations", None, registration, &[])
            .await;
        assert_eq!(r.status, 202, "{}", r.text());
        let email = registration["user"]["email"].as_str().unwrap().trim();
        let link = self.emailed_link(email, "/register/confirm").await;
        let token = link.split("token=").nth(1).unwrap();
        let r = self
            .json(
                "POST",
                "/api/v1/registrations/confirm",
                None,
                &serde_json::json!({"token": token}),
                &[],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    }

    /// The signed-in user `email` would be, for calling a context's functions directly
    /// (as the tests of the evaluation engine's second owner do).
    pub async fn actor(&self, email: &str) -> backend::auth::AuthUser {
        use backend::db::schema::{organisations, users};
        use diesel::{ExpressionMethods, QueryDsl};
        let mut conn = self.db().await;
        let (id, email, name, role, organisation_id, organisation_name) = users::table
            .inner_join(organisations::table)
            .filter(users::email.eq(email))
            .select((
                users::id,
                users::email,
                users::name,
                users::role,
                users::organisation_id,
                organisations::legal_name,
            ))
            .first::<(
                uuid::Uuid,
                String,
                String,
                backend::auth::Role,
                uuid::Uuid,
                String,
            )>(&mut conn)
            .await
            .unwrap();
        backend::auth::AuthUser {
            id,
            email,
            name,
            role,
            organisation_id,
            organisation_name,
            email_verified: true,
            token_id: uuid::Uuid::nil(),
            token_expires: 0,
        }
    }

    /// A direct database connection (for checks and for tampering in tests).
    pub async fn db(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.database_url)
            .await
            .unwrap()
    }
}

/// A ZIP archive of these entries, stored uncompressed (for upload tests).
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let offset = out.len() as u32;
        let (crc, size, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for n in [crc, size, size] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for n in [crc, size, size] {
            central.extend_from_slice(&n.to_le_bytes());
        }
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (start, count) = (out.len() as u32, entries.len() as u16);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
