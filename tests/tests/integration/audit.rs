//! The audit log's chain (docs/decisions/0011): it verifies, and it reports an edited,
//! deleted, reordered or forged row, an altered signed state, and a tail cut off the end,
//! whatever else the person with database access changed to hide it.

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

const ADMIN: &str = "admin@council.example";

/// Some history, made through the API.
async fn history(app: &TestApp, admin: &str, n: usize, prefix: &str) {
    let council = app.get("/api/v1/me", Some(admin)).await.json()["organisation_id"].clone();
    for i in 0..n {
        let body = json!({"email": format!("{prefix}{i}@council.example"), "name": format!("User {i}"),
            "password": "kettle orchard lantern", "role": "evaluator", "organisation_id": council});
        let r = app
            .json("POST", "/api/v1/users", Some(admin), &body, &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

async fn verify(app: &TestApp, admin: &str, anchor: Option<&str>) -> Value {
    let path = match anchor {
        Some(a) => format!("/api/v1/audit/verify?anchor={a}"),
        None => "/api/v1/audit/verify".to_string(),
    };
    let r = app.get(&path, Some(admin)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// A connection that can do what an owner of the database can: triggers off.
async fn owner(app: &TestApp) -> AsyncPgConnection {
    let mut db = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    diesel::sql_query("SET session_replication_role = replica")
        .execute(&mut db)
        .await
        .unwrap();
    db
}

/// Runs each `;`-separated statement in turn.
async fn exec(db: &mut AsyncPgConnection, sql: &str) {
    for statement in sql.split("; ").filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement)
            .execute(db)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

async fn one(db: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Id>(db)
        .await
        .unwrap()
        .id
}

/// Runs the daily checkpoint for now and returns the anchor line emailed to the admin.
async fn checkpoint(app: &TestApp) -> String {
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    state
        .jobs
        .run_now(
            backend::admin::jobs::audit_checkpoint::NAME,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    #[derive(QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text_body: String,
    }
    let mut db = app.db().await;
    let body: Body = diesel::sql_query(
        "SELECT text_body FROM outbox WHERE template = 'audit_anchor' AND to_address = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(ADMIN)
    .get_result(&mut db)
    .await
    .unwrap();
    body.text_body
        .lines()
        .find(|l| l.starts_with("audit-anchor.v1."))
        .expect("the email carries the anchor")
        .to_string()
}

#[actix_web::test]
async fn the_chain_verifies_and_every_row_is_in_it() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 3, "u").await;
    let ok = verify(&app, &admin, None).await;
    assert_eq!(ok["ok"], true, "{ok}");
    let total = app.get("/api/v1/audit", Some(&admin)).await.json()["total"].clone();
    assert_eq!(ok["rows"], total, "every row was sealed and checked");
    assert!(ok["rows"].as_i64().unwrap() > 10);
    assert!(ok["first_bad"].is_null() && ok["problem"].is_null());
    // Rows cannot be changed through normal SQL.
    let mut db = app.db().await;
    let refused =
        diesel::sql_query("UPDATE audit_log SET actor_label = 'someone else' WHERE id = 3")
            .execute(&mut db)
            .await;
    assert!(
        refused.is_err(),
        "the append-only trigger must refuse updates"
    );
    // The checkpoint email's anchor checks out.
    let anchor = checkpoint(&app).await;
    for table in ["audit_seals", "audit_checkpoints"] {
        for sql in [format!("DELETE FROM {table}"), format!("TRUNCATE {table}")] {
            assert!(
                diesel::sql_query(&sql).execute(&mut db).await.is_err(),
                "{sql}: {table} is append-only"
            );
        }
    }
    let with_anchor = verify(&app, &admin, Some(&anchor)).await;
    assert_eq!(with_anchor["ok"], true, "{with_anchor}");
    assert!(with_anchor["anchor"].as_str().unwrap().contains("matches"));
    assert_eq!(with_anchor["checkpoints"], 1);
    // A mistyped anchor is refused, not trusted.
    let forged = anchor.replace("audit-anchor.v1.", "audit-anchor.v1.1");
    let r = verify(&app, &admin, Some(&forged)).await;
    assert_eq!(r["ok"], false);
    app.get("/api/v1/audit/verify?anchor=nonsense", Some(&admin))
        .await
        .problem(400);
}

#[actix_web::test]
async fn an_edited_deleted_reordered_or_forged_row_is_reported() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 3, "e").await;
    assert_eq!(verify(&app, &admin, None).await["ok"], true);
    let mut db = owner(&app).await;
    let victim = one(
        &mut db,
        "SELECT audit_id AS id FROM audit_seals WHERE seq = 5",
    )
    .await;

    // An edit, with the append-only trigger out of the way.
    exec(&mut db, &format!("UPDATE audit_log SET details = '{{\"email\":\"forged@council.example\"}}' WHERE id = {victim}")).await;
    // Replacing any database function changes nothing: no hash is computed there.
    exec(&mut db, "CREATE OR REPLACE FUNCTION audit_log_digest(bytea) RETURNS bytea LANGUAGE sql AS $$ SELECT $1 $$").await;
    let bad = verify(&app, &admin, None).await;
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["first_bad"], victim);
    assert!(
        bad["problem"].as_str().unwrap().contains("altered"),
        "{bad}"
    );

    // A deletion.
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 2, "d").await;
    verify(&app, &admin, None).await;
    let mut db = owner(&app).await;
    let victim = one(
        &mut db,
        "SELECT audit_id AS id FROM audit_seals WHERE seq = 4",
    )
    .await;
    exec(
        &mut db,
        &format!("DELETE FROM audit_log WHERE id = {victim}"),
    )
    .await;
    let bad = verify(&app, &admin, None).await;
    assert_eq!(bad["first_bad"], victim);
    assert!(
        bad["problem"].as_str().unwrap().contains("deleted"),
        "{bad}"
    );

    // A reordering: two rows' places in the chain swapped.
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 2, "r").await;
    verify(&app, &admin, None).await;
    let mut db = owner(&app).await;
    let a = one(
        &mut db,
        "SELECT audit_id AS id FROM audit_seals WHERE seq = 3",
    )
    .await;
    let b = one(
        &mut db,
        "SELECT audit_id AS id FROM audit_seals WHERE seq = 4",
    )
    .await;
    exec(&mut db, &format!("UPDATE audit_seals SET audit_id = -1 WHERE seq = 3; UPDATE audit_seals SET audit_id = {a} WHERE seq = 4; UPDATE audit_seals SET audit_id = {b} WHERE seq = 3")).await;
    let bad = verify(&app, &admin, None).await;
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["first_bad"], b);

    // A forged row, dated among rows already sealed.
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 1, "f").await;
    verify(&app, &admin, None).await;
    let mut db = owner(&app).await;
    let forged = one(&mut db, "INSERT INTO audit_log (actor_label, action, record_type, record_id, xact_id) VALUES ('admin@council.example', 'user.created', 'user', 'x', 1) RETURNING id").await;
    let bad = verify(&app, &admin, None).await;
    assert_eq!(bad["first_bad"], forged);
    assert!(
        bad["problem"].as_str().unwrap().contains("added outside"),
        "{bad}"
    );
}

#[actix_web::test]
async fn a_tail_cut_off_the_end_is_reported_and_the_anchor_catches_what_the_database_cannot() {
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    history(&app, &admin, 2, "t").await;
    verify(&app, &admin, None).await;
    let mut db = owner(&app).await;
    // A copy of the sealer's state as it is now, genuine and signed.
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        sealed_xmin: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        head_seq: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        head_hash: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        signature: String,
    }
    let early: State = diesel::sql_query("SELECT sealed_xmin, head_seq, encode(head_hash, 'hex') AS head_hash, encode(signature, 'hex') AS signature FROM audit_sealer")
        .get_result(&mut db)
        .await
        .unwrap();
    // Later history, checkpointed and emailed.
    history(&app, &admin, 3, "later").await;
    let anchor = checkpoint(&app).await;
    assert_eq!(verify(&app, &admin, Some(&anchor)).await["ok"], true);

    // Removing the newest rows and their seals is reported: the signed head names them.
    let cut = |after: i64| {
        format!(
            "DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM audit_seals WHERE seq > {after}); \
             DELETE FROM audit_seals WHERE seq > {after}"
        )
    };
    let head = one(&mut db, "SELECT head_seq AS id FROM audit_sealer").await;
    exec(&mut db, &cut(head - 2)).await;
    let bad = verify(&app, &admin, None).await;
    assert_eq!(bad["ok"], false);
    assert!(
        bad["problem"]
            .as_str()
            .unwrap()
            .contains("newest sealed rows were removed"),
        "{bad}"
    );

    // A careful attacker also puts back the earlier signed state and drops the
    // checkpoints since: the database alone now looks consistent...
    exec(&mut db, &cut(early.head_seq)).await;
    exec(&mut db, &format!(
        "UPDATE audit_sealer SET sealed_xmin = {}, head_seq = {}, head_hash = decode('{}', 'hex'), signature = decode('{}', 'hex'); DELETE FROM audit_checkpoints",
        early.sealed_xmin, early.head_seq, early.head_hash, early.signature
    ))
    .await;
    exec(&mut db, "DELETE FROM audit_log WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = audit_log.id)").await;
    let quiet = verify(&app, &admin, None).await;
    assert_eq!(quiet["ok"], true, "{quiet}");
    // ...but not the anchor the administrators were emailed.
    let caught = verify(&app, &admin, Some(&anchor)).await;
    assert_eq!(caught["ok"], false);
    assert!(
        caught["problem"].as_str().unwrap().contains("cut back"),
        "{caught}"
    );

    // A state edited without the key is refused, and sealing stops rather than hide it.
    exec(&mut db, "UPDATE audit_sealer SET head_seq = head_seq + 1").await;
    let bad = verify(&app, &admin, None).await;
    assert!(
        bad["problem"].as_str().unwrap().contains("signed state"),
        "{bad}"
    );
}

#[actix_web::test]
async fn audited_writes_do_not_wait_for_each_other() {
    // Two transactions each write an audit row; the first stays open while the second
    // commits. With the old chain lock the second waited for the first.
    let app = spawn_app().await;
    let admin = app.token(ADMIN).await;
    let mut first = app.db().await;
    let mut second = app.db().await;
    diesel::sql_query("BEGIN")
        .execute(&mut first)
        .await
        .unwrap();
    diesel::sql_query("INSERT INTO audit_log (actor_label, action, record_type, record_id) VALUES ('a', 'x', 't', '1')")
        .execute(&mut first)
        .await
        .unwrap();
    let committed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        second
            .transaction::<_, diesel::result::Error, _>(async |tx| {
                diesel::sql_query("INSERT INTO audit_log (actor_label, action, record_type, record_id) VALUES ('b', 'x', 't', '2')")
                    .execute(tx)
                    .await
            })
            .await
    })
    .await;
    assert!(matches!(committed, Ok(Ok(1))), "the second write waited");
    // The open transaction's row is not sealed until it ends (nor any row after it, as
    // the chain follows the order transactions began); then both are.
    let before = verify(&app, &admin, None).await;
    assert_eq!(before["ok"], true);
    diesel::sql_query("COMMIT")
        .execute(&mut first)
        .await
        .unwrap();
    let after = verify(&app, &admin, None).await;
    assert_eq!(after["ok"], true);
    assert_eq!(
        after["rows"].as_i64().unwrap(),
        before["rows"].as_i64().unwrap() + 2
    );
}

#[actix_web::test]
async fn only_administrators_read_the_audit_log() {
    let app = spawn_app().await;
    for email in ["commissioner@council.example", "bids@brightcare.example"] {
        let token = app.token(email).await;
        app.get("/api/v1/audit/verify", Some(&token))
            .await
            .problem(403);
        app.get("/api/v1/audit", Some(&token)).await.problem(403);
    }
}
