//! The OpenAPI document describes exactly what the server does, because councils generate
//! clients from it: schemathesis (pinned, installed by `cargo test-all`) generates requests
//! from `/api/v1/openapi.json` for every operation and checks that no answer is a server
//! error, every status is one the operation documents, and every body matches its schema.
//! It runs once as an administrator and once as a provider, each on its own copy of the
//! demo data.

use tests::spawn_app;
use tests::tools::{SCHEMATHESIS_VAR, required};

async fn schemathesis_finds_nothing_as(email: &str) {
    let st = required(SCHEMATHESIS_VAR, "schemathesis");
    let app = spawn_app().await;
    let token = app.token(email).await;
    let document = app.get("/api/v1/openapi.json", None).await.json();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().keys())
        .filter(|key| ["get", "post", "put", "patch", "delete"].contains(&key.as_str()))
        .count();
    let work = std::env::temp_dir().join(format!("schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).unwrap();
    let schema = format!("{}/api/v1/openapi.json", app.address);
    // Blocking on its own thread: the server under test runs on this test's runtime.
    let output = tokio::task::spawn_blocking({
        let work = work.clone();
        move || {
            std::process::Command::new(st)
                .arg("run")
                .arg(&schema)
                .args([
                    "--checks",
                    "not_a_server_error,status_code_conformance,response_schema_conformance",
                ])
                .args(["--header", &format!("Authorization: Bearer {token}")])
                // Signing out would revoke the token the rest of the run relies on.
                .args(["--exclude-path", "/api/v1/auth/logout"])
                .args([
                    "--max-examples",
                    "10",
                    "--seed",
                    "20261203",
                    // One worker: with threads, hypothesis describes lambdas with
                    // `ast.parse` concurrently, which CPython 3.11 does not survive ("AST
                    // constructor recursion depth mismatch"): a failure of schemathesis's own.
                    "--workers",
                    "1",
                ])
                .args(["--generation-database", "none", "--no-color"])
                .current_dir(&work)
                .output()
        }
    })
    .await
    .unwrap()
    .expect("running schemathesis");
    let _ = std::fs::remove_dir_all(&work);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers the OpenAPI document does not describe, as {email}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // It must have exercised every operation but signing out, not given up on the document.
    let tested = format!("Tested: {}", operations - 1);
    assert!(
        stdout.contains(&tested),
        "schemathesis did not test the {} operations it should have:\n{stdout}",
        operations - 1
    );
}

#[actix_web::test]
async fn the_openapi_document_describes_what_an_administrator_meets() {
    schemathesis_finds_nothing_as("admin@council.example").await;
}

#[actix_web::test]
async fn the_openapi_document_describes_what_a_provider_meets() {
    schemathesis_finds_nothing_as("bids@brightcare.example").await;
}
