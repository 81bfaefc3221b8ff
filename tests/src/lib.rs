//! The test harness every integration test uses.
//!
//! Each test gets its own database, cloned (`CREATE DATABASE … TEMPLATE`) from a template
//! that is migrated and loaded with the demo data once per machine and migration set, so tests
//! run in parallel and leave nothing behind. The server is `DATABASE_URL`'s when given (the
//! test runner `cargo test-all` sets it), otherwise a private cluster under
//! `.data/test-postgres` is started (and left running for the next run).

pub mod bench;
pub mod browser;
pub mod s3;
pub mod tender;
pub mod tools;

use backend::config::{
    FileStorage, MailSettings, Secret, SecuritySettings, Settings, TokenSettings,
};
use backend::db::DbPool;
use backend::startup::Application;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::net::TcpListener;
use std::sync::OnceLock;

/// The password of every demo account.
pub const PASSWORD: &str = backend::seed::DEMO_PASSWORD;
/// The signing key tests use (tests may forge tokens with it).
pub const SIGNING_KEY: &[u8] = b"test-signing-key-0123456789abcdef0123456789";

/// The PostgreSQL server tests run against: its URL for the `postgres` database, and the
/// name of the migrated, seeded template.
struct Server {
    url: String,
    template: String,
}

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let server = match base.rfind('/') {
        Some(i) if base[..i].contains("//") && i > base.find("//").unwrap() + 1 => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

/// A fingerprint of the migrations and seed code, so a changed schema gets a new template.
fn fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut files = Vec::new();
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    walk(&repo_root().join("migrations"), &mut files);
    files.push(repo_root().join("backend/src/seed.rs"));
    files.push(repo_root().join("backend/src/organisations/demo.rs"));
    // The demo tenders are built by the procurement context's own functions, and their
    // deadlines and standstill are relative to the day they are made.
    walk(&repo_root().join("backend/src/procurement"), &mut files);
    hasher.update(chrono::Utc::now().date_naive().to_string().as_bytes());
    files.sort();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(&hasher.finalize()[..6])
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Its own thread and runtime: diesel's migration harness needs a multi-threaded
        // runtime, and tests run on a current-thread one.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(prepare_server())
        })
        .join()
        .expect("preparing the test database server panicked")
    })
}

async fn prepare_server() -> Server {
    let url = match std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(url) => with_database(&url, "postgres"),
        None => {
            let folder = repo_root().join(".data/test-postgres");
            let cluster = backend::db::embedded::EmbeddedPostgres::start(&folder)
                .expect("starting the private PostgreSQL cluster for tests");
            cluster.url.clone()
        }
    };
    let template = format!("commissioning_template_{}", fingerprint());
    let mut conn = AsyncPgConnection::establish(&url)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test server {url}: {e}"));
    // One process builds the template; the others wait for it.
    diesel::sql_query("SELECT pg_advisory_lock(7316099)")
        .execute(&mut conn)
        .await
        .unwrap();
    let exists = database_exists(&mut conn, &template).await;
    if !exists {
        let building = format!("{template}_building");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let building_url = with_database(&url, &building);
        backend::db::migrate(&building_url)
            .await
            .expect("migrating the template");
        {
            let mut c = AsyncPgConnection::establish(&building_url).await.unwrap();
            backend::seed::demo(&mut c)
                .await
                .expect("seeding the template");
        }
        diesel::sql_query(format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // Templates of older migration sets are of no further use; one still being cloned by
    // another run is left alone (no FORCE) and goes next time.
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'commissioning\\_template\\_%' AND datname <> $1")
        .bind::<diesel::sql_types::Text, _>(&template)
        .load(&mut conn)
        .await
        .unwrap_or_default();
    for Name { datname } in stale {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{datname}\""))
            .execute(&mut conn)
            .await;
    }
    diesel::sql_query("SELECT pg_advisory_unlock(7316099)")
        .execute(&mut conn)
        .await
        .unwrap();
    Server { url, template }
}

/// The URL of the migrated (and seeded) template every test database is cloned from: for
/// tests that read the schema itself, never for tests that write.
pub fn template_database_url() -> String {
    let server = server();
    with_database(&server.url, &server.template)
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    use diesel::OptionalExtension;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        #[allow(dead_code)]
        one: i32,
    }
    diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Row>(conn)
        .await
        .optional()
        .unwrap()
        .is_some()
}

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

/// The first UUID that follows `prefix` in an HTML page (e.g. a link to a record).
pub fn first_id_after(html: &str, prefix: &str) -> Option<String> {
    html.split(prefix).skip(1).find_map(|rest| {
        rest.get(..36)
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .map(String::from)
    })
}

/// A cookie-keeping client for page tests (no JavaScript, like the real pages need).
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: std::collections::BTreeMap<String, String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for c in reply
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
        {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || attrs.contains("Max-Age=0") {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
    }

    /// GET a page.
    pub async fn get(&mut self, path: &str) -> Reply {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .insert_header(("Accept", "text/html"))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self.app.send(r, None).await;
        self.keep(&reply);
        reply
    }

    /// POST a form with the CSRF token and extra headers (as the pages' scripts send).
    pub async fn post_with_headers(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send_form(path, fields, true, headers).await
    }

    /// The `_csrf` value the pages would put in a form now: the cookie's value signed for
    /// this browser's session.
    pub fn csrf(&self) -> String {
        let cookie = self.cookies.get("csrf").cloned().unwrap_or_default();
        let session = self.cookies.get("session").and_then(|t| {
            backend::auth::token::TokenKeys::new(&self.app.settings.tokens)
                .verify(t, backend::auth::token::TokenType::Session)
                .map(|c| c.jti.to_string())
        });
        backend::auth::csrf::form_value(
            &backend::auth::csrf::key(&self.app.settings),
            &cookie,
            session.as_deref(),
        )
    }

    /// POST a form; `_csrf` is added unless `with_csrf` is false.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> Reply {
        self.send_form(path, fields, with_csrf, &[("Accept", "text/html")])
            .await
    }

    async fn send_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if with_csrf {
            pairs.push(("_csrf".into(), self.csrf()));
        }
        let body = serde_html_form::to_string(&pairs).unwrap();
        let mut r = self
            .app
            .client
            .post(self.app.url(path))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Cookie", self.cookie_header()));
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        let reply = self.app.send(r, Some(body.into_bytes())).await;
        self.keep(&reply);
        reply
    }

    /// POST a multipart form with one file in the input `file` (as a browser sends an
    /// upload form), with the CSRF token first, as the pages put it.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Reply {
        self.post_multipart(path, fields, "file", file_name, bytes)
            .await
    }

    /// POST a multipart form whose file input is called `input`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        input: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "----commissioning-test-boundary";
        let mut body = Vec::new();
        let csrf = self.csrf();
        for (k, v) in [("_csrf", csrf.as_str())]
            .into_iter()
            .chain(fields.iter().copied())
        {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{input}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .insert_header(("Accept", "text/html"))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self.app.send(r, Some(body)).await;
        self.keep(&reply);
        reply
    }

    /// Signs in a demo user through the form.
    pub async fn sign_in(&mut self, email: &str) -> Reply {
        self.sign_in_with(email, PASSWORD).await
    }

    /// Signs in any user through the form.
    pub async fn sign_in_with(&mut self, email: &str, password: &str) -> Reply {
        self.get("/login").await;
        let reply = self
            .post(
                "/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/dashboard"),
                ],
                true,
            )
            .await;
        assert_eq!(reply.status, 303, "sign in as {email}: {}", reply.text());
        reply
    }
}

/// A real SMTP server process on loopback (`smtp-sink`), writing messages into a folder.
pub struct SmtpSink {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: std::process::Child,
}

impl SmtpSink {
    /// Starts the sink binary (pass `env!("CARGO_BIN_EXE_smtp-sink")`), optionally refusing
    /// one recipient with a permanent 550.
    pub fn start(exe: &str, reject: Option<&str>) -> Self {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("smtp-sink-{}", uuid::Uuid::new_v4().simple()));
        let mut command = std::process::Command::new(exe);
        command
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::piped());
        if let Some(r) = reject {
            command.arg("--reject").arg(r);
        }
        let mut child = command.spawn().expect("starting smtp-sink");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("smtp-sink port");
        Self { port, dir, child }
    }

    /// `smtp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How many messages have arrived.
    pub fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// The messages received so far, in arrival order.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Settings whose email goes to an SMTP server.
pub fn with_smtp(mut settings: Settings, url: &str) -> Settings {
    settings.mail.smtp_url = Some(url.to_string());
    settings
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
