//! The S3-compatible server the storage tests run against.
//!
//! `cargo test-all` calls [`S3Server::start`]: it installs a pinned `s3s-fs` (an S3 server
//! over a folder, from crates.io) into `.data/tools` when it is missing (`tests::tools`), starts it on a free
//! loopback port over a temporary folder with generated credentials, and hands its address
//! to the tests through the `TEST_S3_*` variables ([`S3Server::env`]). Tests call
//! [`test_bucket`] for settings of their own corner of that bucket.

use backend::config::{S3Credentials, S3Settings, Secret};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The bucket test-all creates on the server it starts.
pub const BUCKET: &str = "commissioning-test";

/// The variables that tell tests where the server is.
pub const ENDPOINT_VAR: &str = "TEST_S3_ENDPOINT";
const BUCKET_VAR: &str = "TEST_S3_BUCKET";
const ACCESS_KEY_VAR: &str = "TEST_S3_ACCESS_KEY_ID";
const SECRET_KEY_VAR: &str = "TEST_S3_SECRET_ACCESS_KEY";

/// A running `s3s-fs`, stopped (and its folder removed) on drop.
pub struct S3Server {
    child: Child,
    folder: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    access_key_id: String,
    secret_access_key: String,
}

impl S3Server {
    /// Installs `s3s-fs` under `root/.data/tools` unless that version is there, and starts
    /// it on a free loopback port, serving one empty bucket, [`BUCKET`].
    pub fn start(root: &Path) -> Result<Self, String> {
        let exe = crate::tools::s3s_fs(root)?;
        let folder =
            std::env::temp_dir().join(format!("commissioning-test-s3-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        // s3s-fs serves each folder under its root as a bucket.
        std::fs::create_dir_all(folder.join(BUCKET))
            .map_err(|e| format!("creating {}: {e}", folder.display()))?;
        let access_key_id = "commissioning-test".to_string();
        let secret_access_key = uuid::Uuid::new_v4().simple().to_string();
        let log_path = root.join(".data/test-s3.log");
        let mut log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        let mut child = Command::new(&exe)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", &access_key_id])
            .args(["--secret-key", &secret_access_key])
            .arg(&folder)
            // The address it bound is only in its log, at INFO.
            .env("RUST_LOG", "s3s_fs=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
            .spawn()
            .map_err(|e| format!("starting {}: {e}", exe.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, address) = std::sync::mpsc::channel();
        // Read its log until it says where it listens, then keep copying it to the log file
        // so that the pipe never fills.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                if let Some(at) = line.find("server is running at http://")
                    && let Some(tx) = found.take()
                {
                    let url = line[at + "server is running at ".len()..].trim();
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let server = |endpoint| Self {
            child,
            folder,
            endpoint,
            access_key_id,
            secret_access_key,
        };
        match address.recv_timeout(Duration::from_secs(30)) {
            Ok(endpoint) => Ok(server(endpoint)),
            Err(_) => {
                drop(server(String::new()));
                Err(format!(
                    "s3s-fs did not say where it listens within 30 s; see {}",
                    log_path.display()
                ))
            }
        }
    }

    /// The `TEST_S3_*` variables for the tests.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (ENDPOINT_VAR, self.endpoint.clone()),
            (BUCKET_VAR, BUCKET.into()),
            (ACCESS_KEY_VAR, self.access_key_id.clone()),
            (SECRET_KEY_VAR, self.secret_access_key.clone()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Settings for this test's own prefix in the test server's bucket, so that one test's
/// sweep never sees another's objects.
///
/// Panics when the `TEST_S3_*` variables are unset rather than passing without S3: a storage
/// test that skips itself proves nothing. `cargo test-all -- storage` runs just these tests
/// with the server started.
pub fn test_bucket() -> S3Settings {
    let var =
        |name: &str| {
            std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
            panic!(
                "{name} is not set. The S3 storage tests run against the S3-compatible server \
                 (s3s-fs) that `cargo test-all` installs and starts: run them with \
                 `cargo test-all -- storage`, or set {ENDPOINT_VAR}, {BUCKET_VAR}, \
                 {ACCESS_KEY_VAR} and {SECRET_KEY_VAR} for a server and bucket of your own."
            )
        })
        };
    let endpoint = var(ENDPOINT_VAR);
    S3Settings {
        bucket: var(BUCKET_VAR),
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        prefix: format!("test-{}", uuid::Uuid::new_v4().simple()),
        credentials: Some(S3Credentials {
            access_key_id: var(ACCESS_KEY_VAR),
            secret_access_key: Secret::new(var(SECRET_KEY_VAR).into_bytes()),
        }),
        allow_http: true,
    }
}
