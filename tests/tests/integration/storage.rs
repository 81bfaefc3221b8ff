//! Uploaded files in an S3-compatible bucket (decision 14), against the real server
//! `cargo test-all` starts (`s3s-fs`, see `tests::s3`): files are stored in the bucket and
//! read back by every instance, and housekeeping sweeps what no one refers to from the
//! bucket while leaving what is referred to. Each test has its own prefix in the bucket.

use backend::config::{FileStorage, S3Settings, Secret};
use backend::storage::FileStore;
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::json;
use tests::tender::{self, BRIGHT, COMMISSIONER, PDF};
use tests::{Reply, TestApp, spawn_app_with};

/// An app whose files go to this test's own prefix in the test bucket.
async fn app_on_s3() -> (TestApp, S3Settings) {
    let bucket = tests::s3::test_bucket();
    let settings = bucket.clone();
    let app = spawn_app_with(move |s| s.file_storage = FileStorage::S3(settings)).await;
    (app, bucket)
}

/// A client of the bucket itself, not through the service's `FileStore`, to see what the
/// service really left there.
fn bucket_client(s3: &S3Settings) -> impl ObjectStore {
    let key = s3.credentials.as_ref().expect("the test server has a key");
    AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_endpoint(s3.endpoint.as_deref().expect("the test server's address"))
        .with_region(&s3.region)
        .with_allow_http(true)
        .with_access_key_id(&key.access_key_id)
        .with_secret_access_key(std::str::from_utf8(key.secret_access_key.expose()).unwrap())
        .build()
        .expect("a client of the test bucket")
}

/// Every key under the test's prefix, sorted, without the prefix.
async fn keys(bucket: &impl ObjectStore, s3: &S3Settings) -> Vec<String> {
    let prefix = Key::from(s3.prefix.as_str());
    let mut keys: Vec<String> = bucket
        .list(Some(&prefix))
        .map_ok(|meta| meta.location.as_ref()[s3.prefix.len() + 1..].to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}

async fn start_bid(app: &TestApp, token: &str, id: &str) -> String {
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procurements/{id}/submissions"),
            Some(token),
            &json!({}),
            &[],
        )
        .await;
    assert!(matches!(r.status, 200 | 201), "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// A PDF no other upload has the same bytes as.
fn pdf(marker: &str) -> Vec<u8> {
    [PDF, format!("% {marker}\n").as_bytes()].concat()
}

/// Attaches a file to a draft bid through the API; returns its id.
async fn attach(app: &TestApp, token: &str, sid: &str, bytes: Vec<u8>) -> String {
    let r = app
        .raw(
            "POST",
            &format!("/api/v1/submissions/{sid}/files?question_id=Q6&file_name=policy.pdf"),
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/octet-stream"),
            ],
            bytes,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn download(app: &TestApp, token: &str, sid: &str, file: &str) -> Reply {
    app.get(
        &format!("/api/v1/submissions/{sid}/files/{file}"),
        Some(token),
    )
    .await
}

#[derive(QueryableByName)]
struct ObjectKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    object_key: String,
}

/// The keys of the uploads the database names (not the built-in demo certificate, which
/// lives in the program, never in the bucket).
async fn object_keys(app: &TestApp) -> Vec<String> {
    let mut keys: Vec<String> = diesel::sql_query(
        "SELECT object_key FROM stored_files WHERE object_key LIKE 'uploads/%' ORDER BY object_key",
    )
    .load::<ObjectKey>(&mut app.db().await)
    .await
    .unwrap()
    .into_iter()
    .map(|k| k.object_key)
    .collect();
    keys.sort();
    keys
}

#[actix_web::test]
async fn uploads_go_to_the_shared_bucket_and_every_instance_reads_them_back() {
    let (app, s3) = app_on_s3().await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &commissioner, "S3-1", tender::questionnaire()).await;
    let sid = start_bid(&app, &bright, &id).await;
    let bytes = pdf("stored in the bucket");
    let file = attach(&app, &bright, &sid, bytes.clone()).await;

    // The bytes are in the bucket under the key the database names, and nowhere else.
    let bucket = bucket_client(&s3);
    let stored = object_keys(&app).await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("uploads/"), "{stored:?}");
    assert_eq!(keys(&bucket, &s3).await, stored);
    let in_bucket = bucket
        .get(&Key::from(format!("{}/{}", s3.prefix, stored[0])))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(in_bucket.as_ref(), bytes.as_slice());
    assert!(
        !app.settings.data_dir.join("files/uploads").exists(),
        "nothing is written to the local folder"
    );

    // This instance and another behind the same load balancer both serve it.
    let sibling = app.sibling();
    for instance in [&app, &sibling] {
        let r = download(instance, &bright, &sid, &file).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body, bytes);
    }
}

#[actix_web::test]
async fn housekeeping_sweeps_the_bucket_of_what_no_one_refers_to_and_keeps_the_rest() {
    let (app, s3) = app_on_s3().await;
    let commissioner = app.token(COMMISSIONER).await;
    let bright = app.token(BRIGHT).await;
    let id = tender::published(&app, &commissioner, "S3-2", tender::questionnaire()).await;
    let sid = start_bid(&app, &bright, &id).await;
    let files = FileStore::from_settings(&app.settings).unwrap();
    let bucket = bucket_client(&s3);

    // Kept: evidence attached to the draft.
    let kept_bytes = pdf("kept");
    let kept = attach(&app, &bright, &sid, kept_bytes.clone()).await;
    let kept_key = object_keys(&app).await.remove(0);
    // An object left by a transaction that failed after its upload: no row names it.
    let user = {
        use backend::auth::token::{TokenKeys, TokenType};
        let claims = TokenKeys::new(&app.settings.tokens)
            .verify(&bright, TokenType::Access)
            .expect("the test's own token");
        backend::auth::load_user(&mut app.db().await, &claims)
            .await
            .unwrap()
            .expect("Bright Care's bid writer")
    };
    let mut db = app.db().await;
    let rolled_back = db
        .transaction::<(), diesel::result::Error, _>(async |tx| {
            backend::storage::store(tx, &files, &user, "draft.pdf", pdf("rolled back"))
                .await
                .expect("stored before the failure");
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    // An object whose row was released when the bidder removed the file from the draft.
    let removed = attach(&app, &bright, &sid, pdf("removed from the draft")).await;
    let r = app
        .json(
            "DELETE",
            &format!("/api/v1/submissions/{sid}/files/{removed}"),
            Some(&bright),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    // A row nothing refers to any more, and its object.
    let unlinked = attach(&app, &bright, &sid, pdf("unlinked")).await;
    diesel::sql_query(format!(
        "DELETE FROM submission_files WHERE file_id = '{unlinked}'"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    // Something else in the same prefix, outside the uploads the sweep looks after.
    let other = Key::from(format!("{}/reports/summary.csv", s3.prefix));
    bucket.put(&other, "a,b\n".into()).await.unwrap();
    assert_eq!(keys(&bucket, &s3).await.len(), 5);
    assert_eq!(
        object_keys(&app).await.len(),
        2,
        "the kept and unlinked rows"
    );

    // Uploads younger than the cutoff are left alone, by the bucket's clock: an upload
    // whose transaction is still running is never swept.
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let swept = backend::storage::sweep(&mut db, &files, hour_ago)
        .await
        .unwrap();
    assert_eq!(swept, backend::storage::sweep::Swept::default());
    assert_eq!(keys(&bucket, &s3).await.len(), 5);

    // The nightly housekeeping, two hours on, sweeps the three and leaves the rest.
    let state = backend::app::state(app.settings.clone(), app.pool.clone());
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let (_, outcome) = state
        .jobs
        .run_now(backend::worker::housekeeping::NAME, later)
        .await
        .unwrap();
    assert_eq!(outcome, jobs::Outcome::Succeeded);
    assert_eq!(
        keys(&bucket, &s3).await,
        vec!["reports/summary.csv".to_string(), kept_key.clone()]
    );
    assert_eq!(object_keys(&app).await, vec![kept_key]);
    #[derive(QueryableByName)]
    struct Details {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        details: serde_json::Value,
    }
    let Details { details } = diesel::sql_query(
        "SELECT details FROM audit_log WHERE action = 'housekeeping.ran' ORDER BY id DESC LIMIT 1",
    )
    .get_result(&mut db)
    .await
    .unwrap();
    let files_swept = &details["removed"]["files"];
    assert_eq!(files_swept["rows"], 1, "{details}");
    assert_eq!(files_swept["objects"], 3, "{details}");
    let r = download(&app, &bright, &sid, &kept).await;
    assert_eq!((r.status, r.body), (200, kept_bytes));
}

#[actix_web::test]
async fn a_wrong_key_or_bucket_is_reported_when_the_store_is_checked() {
    let good = tests::s3::test_bucket();
    FileStore::s3(&good, 1).unwrap().check().await.unwrap();
    let mut wrong_key = good.clone();
    if let Some(key) = wrong_key.credentials.as_mut() {
        key.secret_access_key = Secret::new(b"not-the-secret".to_vec());
    }
    let mut wrong_bucket = good.clone();
    wrong_bucket.bucket = "no-such-bucket".into();
    for s3 in [wrong_key, wrong_bucket] {
        let why = FileStore::s3(&s3, 1)
            .unwrap()
            .check()
            .await
            .expect_err("the store cannot be listed");
        assert!(
            why.to_string().starts_with(&format!(
                "the uploaded files' store s3://{}/{} at http://",
                s3.bucket, s3.prefix
            )),
            "{why}"
        );
    }
}
