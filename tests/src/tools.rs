//! Pinned tools the test command installs for itself into `.data/tools`, so that a fresh
//! machine with only Rust needs no manual step: `s3s-fs` (the S3-compatible server of the
//! storage tests), the diesel CLI (the schema-drift test) and schemathesis (the OpenAPI
//! conformance test, in a throw-away Python virtual environment).
//!
//! Each is installed once, at the version named here, and re-installed when another version
//! is found. Versions are pinned so that a release of any of them cannot change what the
//! suite checks.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `s3s-fs` release. 0.14.1 is the newest whose `rust-version` (1.92) the machine's
/// toolchain meets; later ones need 1.96.
pub const S3S_FS_VERSION: &str = "0.14.1";
/// The diesel CLI release: the same as the `diesel` crate in `Cargo.lock`, so that
/// `print-schema` writes what this diesel reads.
pub const DIESEL_CLI_VERSION: &str = "2.3.14";
/// The schemathesis release the OpenAPI conformance test runs.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The variables through which test-all tells the tests where the tools are.
pub const DIESEL_CLI_VAR: &str = "TEST_DIESEL_CLI";
pub const SCHEMATHESIS_VAR: &str = "TEST_SCHEMATHESIS";

/// `root/.data/tools`.
pub fn folder(root: &Path) -> PathBuf {
    root.join(".data/tools")
}

/// Whether `exe --version` prints a line containing `version`.
fn has_version(exe: &Path, version: &str) -> bool {
    Command::new(exe)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(version))
        .unwrap_or(false)
}

/// `cargo install --locked` of `krate` at `version` into `.data/tools` unless `bin` there
/// already reports that version; `--locked` builds it with the dependency versions its
/// release was tested with.
fn cargo_install(
    root: &Path,
    krate: &str,
    version: &str,
    bin: &str,
    extra: &[&str],
) -> Result<PathBuf, String> {
    let tools = folder(root);
    let exe = tools.join("bin").join(bin);
    if has_version(&exe, version) {
        return Ok(exe);
    }
    eprintln!(
        "test-all: installing {krate} {version} into {} (once; a few minutes)",
        tools.display()
    );
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", krate, "--locked", "--quiet"])
        .args(["--version", &format!("={version}")])
        .args(extra)
        .arg("--root")
        .arg(&tools)
        .status()
        .map_err(|e| format!("running cargo install {krate}: {e}"))?;
    if status.success() {
        Ok(exe)
    } else {
        Err(format!("cargo install {krate} failed ({status})"))
    }
}

/// `s3s-fs`, the S3 server over a folder.
pub fn s3s_fs(root: &Path) -> Result<PathBuf, String> {
    cargo_install(
        root,
        "s3s-fs",
        S3S_FS_VERSION,
        "s3s-fs",
        &["--features", "binary"],
    )
}

/// The diesel CLI with PostgreSQL only. libpq is built from source (`pq-sys`'s bundled
/// copy, without OpenSSL: it only ever talks to a loopback server), so the machine needs no
/// libpq or OpenSSL headers.
pub fn diesel_cli(root: &Path) -> Result<PathBuf, String> {
    cargo_install(
        root,
        "diesel_cli",
        DIESEL_CLI_VERSION,
        "diesel",
        &[
            "--no-default-features",
            "--features",
            "postgres,pq-sys/bundled_without_openssl",
        ],
    )
}

/// schemathesis in its own virtual environment under `.data/tools/schemathesis`, from PyPI.
/// Python 3 with `venv` is Debian's `python3-venv`, which test-all installs when missing.
pub fn schemathesis(root: &Path) -> Result<PathBuf, String> {
    let venv = folder(root).join("schemathesis");
    let exe = venv.join("bin/st");
    if has_version(&exe, SCHEMATHESIS_VERSION) {
        return Ok(exe);
    }
    eprintln!(
        "test-all: installing schemathesis {SCHEMATHESIS_VERSION} into {}",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("running python3 -m venv: {e}"))?;
    if !status.success() {
        return Err(format!("python3 -m venv failed ({status})"));
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"))
        .status()
        .map_err(|e| format!("running pip install schemathesis: {e}"))?;
    if status.success() {
        Ok(exe)
    } else {
        Err(format!("pip install schemathesis failed ({status})"))
    }
}

/// The path in `var`, or a panic that says how to get one: a test that skips itself when
/// its tool is missing proves nothing.
pub fn required(var: &str, tool: &str) -> PathBuf {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => panic!(
            "{var} is not set. This test runs {tool}, which `cargo test-all` installs into \
             .data/tools and names in {var}: run it through `cargo test-all -- <filter>`, \
             or set {var} to a {tool} of your own."
        ),
    }
}
