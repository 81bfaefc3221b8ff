//! The embedded default: a private PostgreSQL cluster inside the checkout, so that a newcomer
//! can run the platform with nothing configured.
//!
//! The cluster lives in a folder (normally `.data/postgres`), listens only on a free loopback
//! port, and is protected by a generated password. It never touches a server the user already
//! runs. PostgreSQL refuses to run as root, so as root the cluster is run by the `postgres`
//! system user; where PostgreSQL's binaries are missing and we are root, Debian's `postgresql`
//! package is installed.

use anyhow::{Context, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running private cluster.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<String>,
    /// `postgres://` URL of the cluster's `postgres` database.
    pub url: String,
    /// Whether this process started the server (and so should stop it).
    pub started_here: bool,
}

impl EmbeddedPostgres {
    /// Starts the cluster in `folder` (creating it on first use), or reuses it when it is
    /// already running. `folder` holds `pgdata/`, the log and the password file.
    pub fn start(folder: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir().or_else(|_| {
            install_postgresql()?;
            find_bin_dir()
        })?;
        let run_as = if is_root() {
            Some("postgres".to_string())
        } else {
            None
        };
        let folder = prepare_folder(folder, run_as.as_deref())?;
        let data_dir = folder.join("pgdata");
        let password_file = folder.join("password");

        if !data_dir.join("PG_VERSION").exists() {
            let password = random_password();
            std::fs::write(&password_file, &password)?;
            chown_to(&password_file, run_as.as_deref())?;
            run(
                &bin_dir,
                run_as.as_deref(),
                "initdb",
                &[
                    "-D",
                    path_str(&data_dir)?,
                    "-U",
                    "postgres",
                    "-A",
                    "scram-sha-256",
                    "--pwfile",
                    path_str(&password_file)?,
                    "-E",
                    "UTF8",
                    "--locale",
                    "C",
                ],
            )
            .context("initdb failed")?;
        }
        let password = std::fs::read_to_string(&password_file)
            .context("reading the embedded cluster's password file")?;

        let (port, started_here) = match running_port(&data_dir) {
            Some(port) => (port, false),
            None => {
                let port = free_port()?;
                let log = folder.join("postgres.log");
                let options = format!(
                    "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                );
                run(
                    &bin_dir,
                    run_as.as_deref(),
                    "pg_ctl",
                    &[
                        "-D",
                        path_str(&data_dir)?,
                        "-l",
                        path_str(&log)?,
                        "-o",
                        &options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                )
                .with_context(|| format!("pg_ctl start failed; see {}", log.display()))?;
                (port, true)
            }
        };
        Ok(Self {
            url: format!(
                "postgres://postgres:{}@127.0.0.1:{port}/postgres",
                password.trim()
            ),
            data_dir,
            bin_dir,
            run_as,
            started_here,
        })
    }

    /// The URL of another database on the same cluster.
    pub fn database_url(&self, database: &str) -> String {
        match self.url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{database}"),
            None => self.url.clone(),
        }
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&self) -> anyhow::Result<()> {
        run(
            &self.bin_dir,
            self.run_as.as_deref(),
            "pg_ctl",
            &["-D", path_str(&self.data_dir)?, "-m", "fast", "-w", "stop"],
        )
    }
}

/// The path of a PostgreSQL program (`pgbench`, `pg_dump`, ...) from the server binaries.
pub fn program(name: &str) -> anyhow::Result<PathBuf> {
    let path = find_bin_dir()?.join(name);
    if path.exists() {
        Ok(path)
    } else {
        bail!("{name} is not in {}", path.display())
    }
}

fn is_root() -> bool {
    // Without a libc dependency: `id -u` is on every Debian machine.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("path is not UTF-8: {}", path.display()))
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, or `pg_config --bindir`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    if let Ok(output) = output {
        let bin = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if bin.join("initdb").exists() {
            return Ok(bin);
        }
    }
    bail!("PostgreSQL's server binaries (initdb, pg_ctl) were not found")
}

fn install_postgresql() -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "PostgreSQL's server binaries are missing. Install them (Debian: `sudo apt-get install postgresql`) or set DATABASE_URL to a server you run"
        );
    }
    eprintln!("Installing PostgreSQL from Debian's packages (apt-get install postgresql)...");
    let status = Command::new("apt-get").arg("update").status()?;
    if !status.success() {
        bail!("apt-get update failed");
    }
    let status = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "postgresql"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !status.success() {
        bail!("apt-get install postgresql failed");
    }
    Ok(())
}

/// Creates the folder. When the server must run as another user who cannot reach the
/// checkout (a home folder closed to others), falls back to a folder under `/var/lib`.
fn prepare_folder(folder: &Path, run_as: Option<&str>) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let folder = folder.canonicalize()?;
    let Some(user) = run_as else {
        return Ok(folder);
    };
    chown_to(&folder, Some(user))?;
    let reachable = Command::new("runuser")
        .args(["-u", user, "--", "test", "-w"])
        .arg(&folder)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if reachable {
        return Ok(folder);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&folder, &mut hasher);
    let fallback = PathBuf::from(format!(
        "/var/lib/commissioning/{:016x}",
        std::hash::Hasher::finish(&hasher)
    ));
    eprintln!(
        "The {user} user cannot reach {}; keeping the database in {} instead",
        folder.display(),
        fallback.display()
    );
    std::fs::create_dir_all(&fallback)?;
    chown_to(&fallback, Some(user))?;
    Ok(fallback)
}

fn chown_to(path: &Path, user: Option<&str>) -> anyhow::Result<()> {
    if let Some(user) = user {
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:{user}"))
            .arg(path)
            .status()?;
        if !status.success() {
            bail!("chown {} failed", path.display());
        }
    }
    Ok(())
}

fn run(bin_dir: &Path, run_as: Option<&str>, program: &str, args: &[&str]) -> anyhow::Result<()> {
    let program = bin_dir.join(program);
    let mut command = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(&program);
            c
        }
        None => Command::new(&program),
    };
    let output = command
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} exited with {}: {}{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The port of a server already running on this data folder, read from `postmaster.pid`
/// (line 4), if its process is alive.
fn running_port(data_dir: &Path) -> Option<u16> {
    let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = pid_file.lines();
    let pid = lines.next()?.trim().to_string();
    let port = lines.nth(2)?.trim().parse().ok()?;
    Path::new("/proc").join(&pid).exists().then_some(port)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn random_password() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    hex::encode(bytes)
}
