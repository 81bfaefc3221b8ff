//! Runs the Playwright + axe-core browser tests (`frontend/tests/*.test.mjs`) with Node's
//! test runner against a running app. `cargo test-all` installs Node packages and Chromium
//! first; run alone, a missing tool fails the test with instructions.

use std::path::PathBuf;

/// The `frontend/` folder.
pub fn frontend_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend")
}

/// Why the browser tests cannot run here, if they cannot.
pub fn missing_tools() -> Option<String> {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Some(format!(
            "Chromium is not at {chromium}; run `cargo test-all` (it installs Debian's chromium) or set CHROMIUM_PATH"
        ));
    }
    if !frontend_dir().join("node_modules/playwright-core").exists() {
        return Some(
            "frontend/node_modules is missing; run `cargo test-all` or `npm ci` in frontend/"
                .into(),
        );
    }
    None
}

/// Runs one browser test file against `base_url`; returns whether it passed and its output.
pub async fn run(test_file: &str, base_url: &str) -> (bool, String) {
    run_with(test_file, base_url, &[]).await
}

/// As [`run`], with extra environment variables for the test (e.g. a link from an email).
pub async fn run_with(test_file: &str, base_url: &str, env: &[(&str, &str)]) -> (bool, String) {
    if let Some(missing) = missing_tools() {
        return (false, missing);
    }
    let output = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(format!("tests/{test_file}"))
        .current_dir(frontend_dir())
        .env("BASE_URL", base_url)
        .env("DEMO_PASSWORD", backend::seed::DEMO_PASSWORD)
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output()
        .await
        .expect("running node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
