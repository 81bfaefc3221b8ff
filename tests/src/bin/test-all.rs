//! `cargo test-all`: the one command that runs the whole test suite on a fresh machine.
//!
//! 1. Installs what the browser tests need when it is missing: Node.js and npm (Debian
//!    packages), the npm packages in `frontend/` (`npm ci`), and Debian's `chromium`.
//! 2. Checks the committed CSS is what `frontend/scss` builds to.
//! 3. Uses `DATABASE_URL`'s PostgreSQL server when set; otherwise starts a private cluster
//!    under `.data/test-postgres` (installing PostgreSQL's binaries if needed).
//! 4. Uses the S3-compatible server `TEST_S3_ENDPOINT` names when set; otherwise installs a
//!    pinned `s3s-fs` from crates.io into `.data/tools` (once) and starts it on a free
//!    loopback port over a temporary folder (`tests::s3`).
//! 5. Installs the pinned diesel CLI (the schema-drift test) and schemathesis (the OpenAPI
//!    conformance test, in a virtual environment) into `.data/tools` when missing
//!    (`tests::tools`), installing Debian's `python3-venv` if Python cannot make one.
//! 6. Runs `cargo test --workspace` with those servers and tools, then stops the servers it
//!    started.
//!
//! Arguments after `--` go to `cargo test` (e.g. `cargo test-all -- auth::`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("test-all: {what}");
    let status = command.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn apt_install(packages: &[&str], updated: &mut bool) -> Result<(), String> {
    if !is_root() {
        return Err(format!(
            "{} missing; install it (Debian: sudo apt-get install {}) and run again",
            packages.join(", "),
            packages.join(" ")
        ));
    }
    if !*updated {
        run(
            "apt-get update",
            Command::new("apt-get").args(["update", "-qq"]),
        )?;
        *updated = true;
    }
    run(
        &format!("apt-get install {}", packages.join(" ")),
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn prepare_browser_tools(frontend: &Path) -> Result<(), String> {
    let mut updated = false;
    if !have("npm") || !have("node") {
        apt_install(&["nodejs", "npm"], &mut updated)?;
    }
    let installed = frontend.join("node_modules/.package-lock.json");
    let stale = match (
        std::fs::metadata(&installed),
        std::fs::metadata(frontend.join("package-lock.json")),
    ) {
        (Ok(i), Ok(l)) => i.modified().ok() < l.modified().ok(),
        _ => true,
    };
    if stale {
        run(
            "npm ci (frontend)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(frontend),
        )?;
    }
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        apt_install(&["chromium"], &mut updated)?;
    }
    run(
        "npm run check-build (committed CSS is current)",
        Command::new("npm")
            .args(["run", "--silent", "check-build"])
            .current_dir(frontend),
    )
}

fn main() -> ExitCode {
    let root = root();
    if let Err(e) = prepare_browser_tools(&root.join("frontend")) {
        eprintln!("test-all: {e}");
        return ExitCode::FAILURE;
    }
    let tools = match install_tools(&root) {
        Ok(tools) => tools,
        Err(e) => {
            eprintln!("test-all: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut cluster = None;
    let database_url = match std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(url) => url,
        None => {
            match backend::db::embedded::EmbeddedPostgres::start(&root.join(".data/test-postgres"))
            {
                Ok(c) => {
                    let url = c.url.clone();
                    cluster = Some(c);
                    url
                }
                Err(e) => {
                    eprintln!("test-all: starting a private PostgreSQL cluster: {e:#}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let status = match s3_server(&root) {
        Ok(s3) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["test", "--workspace"])
                .args(if args.is_empty() {
                    vec![]
                } else {
                    std::iter::once("--".to_string()).chain(args).collect()
                })
                .env("DATABASE_URL", &database_url)
                .envs(s3.as_ref().map(|s| s.env()).unwrap_or_default())
                .envs(tools.iter().cloned())
                .current_dir(&root)
                .status()
                .map_err(|e| format!("running cargo test: {e}"));
            // Stopped here, before the cluster, whatever the tests did.
            drop(s3);
            status
        }
        Err(e) => Err(e),
    };
    if let Some(c) = cluster.filter(|c| c.started_here)
        && let Err(e) = c.stop()
    {
        eprintln!("test-all: stopping the private cluster: {e:#}");
    }
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("test-all: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The S3-compatible server for the storage tests: none to start when `TEST_S3_ENDPOINT`
/// names one already, otherwise a fresh `s3s-fs`.
fn s3_server(root: &Path) -> Result<Option<tests::s3::S3Server>, String> {
    if std::env::var(tests::s3::ENDPOINT_VAR).is_ok_and(|v| !v.is_empty()) {
        return Ok(None);
    }
    eprintln!("test-all: starting s3s-fs (S3-compatible storage for the storage tests)");
    tests::s3::S3Server::start(root)
        .map(Some)
        .map_err(|e| format!("starting the S3-compatible test server: {e}"))
}

/// The pinned tools some tests run, as the variables that name them; a variable already set
/// names a tool of the caller's own and is left alone.
fn install_tools(root: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    use tests::tools;
    let mut env = Vec::new();
    if std::env::var_os(tools::DIESEL_CLI_VAR).is_none() {
        env.push((tools::DIESEL_CLI_VAR, tools::diesel_cli(root)?));
    }
    if std::env::var_os(tools::SCHEMATHESIS_VAR).is_none() {
        let venv_works = Command::new("python3")
            .args(["-c", "import ensurepip, venv"])
            .status()
            .is_ok_and(|s| s.success());
        if !venv_works {
            apt_install(&["python3", "python3-venv"], &mut false)?;
        }
        env.push((tools::SCHEMATHESIS_VAR, tools::schemathesis(root)?));
    }
    Ok(env)
}
