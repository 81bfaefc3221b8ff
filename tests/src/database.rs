//! The PostgreSQL server the tests run against, and the migrated, seeded template each
//! test's database is cloned from (see the crate's documentation).

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::sync::OnceLock;

/// The PostgreSQL server tests run against: its URL for the `postgres` database, and the
/// name of the migrated, seeded template.
pub(crate) struct Server {
    pub url: String,
    pub template: String,
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

/// A short tag for this checkout's folder.
fn checkout_tag() -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(repo_root().to_string_lossy().as_bytes())[..3])
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
    // So is the demo DPS, by the dps context's.
    walk(&repo_root().join("backend/src/dps"), &mut files);
    hasher.update(chrono::Utc::now().date_naive().to_string().as_bytes());
    files.sort();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(&hasher.finalize()[..6])
}

pub(crate) fn server() -> &'static Server {
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
    // Each checkout (a worktree, a CI clone) keeps its own templates, named after it, so
    // runs in two checkouts on one server never drop each other's template mid-run.
    let checkout = checkout_tag();
    let template = format!("commissioning_template_{checkout}_{}", fingerprint());
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
        // The checkout's folder, so a later run elsewhere can tell when it has gone.
        let folder = repo_root().to_string_lossy().replace('\'', "''");
        diesel::sql_query(format!("COMMENT ON DATABASE \"{template}\" IS '{folder}'"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    // Templates of this checkout's older migration sets, and of checkouts whose folder has
    // gone, are of no further use; one still being cloned by another run is left alone (no
    // FORCE) and goes next time.
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        folder: Option<String>,
    }
    let others: Vec<Name> = diesel::sql_query("SELECT datname, shobj_description(oid, 'pg_database') AS folder FROM pg_database WHERE datname LIKE 'commissioning\\_template\\_%' AND datname <> $1")
        .bind::<diesel::sql_types::Text, _>(&template)
        .load(&mut conn)
        .await
        .unwrap_or_default();
    let mine = format!("commissioning_template_{checkout}_");
    let stale = others.into_iter().filter(|t| {
        let old_scheme = t.datname.len() == "commissioning_template_".len() + 12;
        t.datname.starts_with(&mine)
            || old_scheme
            || t.folder
                .as_deref()
                .is_some_and(|f| !std::path::Path::new(f).exists())
    });
    for Name { datname, .. } in stale {
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
