//! Benchmark (not a test): the server's memory under the two floods issue 9's probe used,
//! measured on the real `commissioning` binary in its own process (its resident set read
//! from `/proc/<pid>/status`, sampled every 10 ms).
//!
//! 1. **Sign-in flood**: 100 token requests for unknown email addresses, 50 at a time. Each
//!    runs Argon2 (19 MiB); hashing is rationed to one per core and large blocks go back to
//!    the system. The per-address rate limit is raised for this run, so what is measured is
//!    the hashing itself.
//! 2. **Forged uploads**: a signed-in provider's session sends 20 multipart posts of 10 MB to
//!    its bid, 10 at a time, whose first field is not a valid CSRF token. They are refused
//!    after the first field, without reading the rest.
//!
//! ```sh
//! cargo build --release -p backend -p tests --bin commissioning --bin bench-security
//! ./target/release/bench-security
//! ```
//!
//! Uses `DATABASE_URL`'s server or the private cluster under `.data/test-postgres`, in a
//! fresh database that it drops afterwards (`tests::bench`). `COMMISSIONING_BIN=path`
//! measures another build of the server instead of the one beside this program (the
//! server migrates and seeds the database itself); for builds before issue 9, add
//! `UPLOAD_SUFFIX=/files`, where their bid uploads were posted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// Samples the resident set of `pid` until stopped; returns the peak.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self { peak, stop, thread }
    }

    fn peak(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok();
        self.peak.load(Ordering::Relaxed)
    }
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // The server migrates and seeds its own database, so an older build measures with the
    // schema it knows.
    let db = runtime.block_on(tests::bench::BenchDatabase::create_empty())?;
    // COMMISSIONING_BIN measures another build (an older commit's, for a before figure).
    let exe = std::env::var_os("COMMISSIONING_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()?
                .parent()
                .map(|d| d.join("commissioning"))
        })
        .filter(|p| p.exists())
        .ok_or_else(|| anyhow::anyhow!("build the server beside this program: cargo build --release -p backend -p tests --bin commissioning --bin bench-security"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let data = std::env::temp_dir().join(format!("bench-security-{port}"));
    for step in [&["migrate"][..], &["seed", "--demo"][..]] {
        let status = std::process::Command::new(&exe)
            .args(step)
            .env("DATABASE_URL", &db.url)
            .env(
                "TOKEN_SIGNING_KEY",
                "bench-security-signing-key-0123456789abcdef",
            )
            .env("LOG", "warn")
            .status()?;
        anyhow::ensure!(status.success(), "{} {step:?} failed", exe.display());
    }
    let mut server = std::process::Command::new(&exe)
        .args(["serve", "--no-jobs", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db.url)
        .env(
            "TOKEN_SIGNING_KEY",
            "bench-security-signing-key-0123456789abcdef",
        )
        .env("PUBLIC_URL", &address)
        .env("DATA_DIR", &data)
        .env("RATE_LIMIT_SIGN_IN_PER_MINUTE", "1000000")
        .env("LOG", "warn")
        .spawn()?;
    let pid = server.id();
    let result = runtime.block_on(run(&address, pid));
    server.kill().ok();
    server.wait().ok();
    std::fs::remove_dir_all(&data).ok();
    runtime.block_on(db.drop_database())?;
    result
}

async fn run(address: &str, pid: u32) -> anyhow::Result<()> {
    let client = reqwest_free::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(&format!("{address}/healthz"))
        .await
        .map(|r| r.0)
        .ok()
        != Some(200)
    {
        anyhow::ensure!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);
    println!("server at rest: {}", mib(idle));

    // 1. Sign-in flood.
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let statuses = run_concurrently(100, 50, |i| {
        let client = client.clone();
        let url = format!("{address}/api/v1/auth/token");
        async move {
            let body =
                format!(r#"{{"email":"nobody{i}@nowhere.example","password":"guess-{i}-guess"}}"#);
            client
                .post(&url, "application/json", body.into_bytes())
                .await
                .map(|r| r.0)
                .unwrap_or(0)
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let peak = sampler.peak();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid);
    println!(
        "sign-in flood: 100 unknown-address attempts, 50 at a time, in {seconds:.1} s: {} answered 401, {} 503 (busy, Retry-After), {} other",
        statuses.iter().filter(|s| **s == 401).count(),
        statuses.iter().filter(|s| **s == 503).count(),
        statuses.iter().filter(|s| **s != 401 && **s != 503).count(),
    );
    println!(
        "  resident set: peak {}, 2 s later {} (at rest {})",
        mib(peak),
        mib(after),
        mib(idle)
    );

    // 2. Forged uploads, from a signed-in provider's session to its own bid.
    let cookies = sign_in(&client, address, "bids@brightcare.example").await?;
    let bid = start_bid(&client, address, &cookies).await?;
    let boundary = "bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nforged\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + 10 * 1024 * 1024, b'a');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = Arc::new(body);
    let before = rss_kib(pid);
    let sampler = Sampler::start(pid);
    let statuses = run_concurrently(20, 10, |_| {
        let client = client.clone();
        let body = body.clone();
        // An older build took uploads at `/bids/{id}/files` (UPLOAD_SUFFIX=/files).
        let url = format!(
            "{address}{bid}{}",
            std::env::var("UPLOAD_SUFFIX").unwrap_or_default()
        );
        let cookies = cookies.clone();
        async move {
            client
                .post_with(
                    &url,
                    &format!("multipart/form-data; boundary={boundary}"),
                    &cookies,
                    body.to_vec(),
                )
                .await
                .map(|r| r.0)
                .unwrap_or(0)
        }
    })
    .await;
    let peak = sampler.peak();
    println!(
        "forged uploads: 20 posts of 10 MB, 10 at a time: {} answered 403, {} other; resident set peak {} (before {})",
        statuses.iter().filter(|s| **s == 403).count(),
        statuses.iter().filter(|s| **s != 403).count(),
        mib(peak),
        mib(before)
    );
    Ok(())
}

/// The `Set-Cookie` values of a reply, as one `Cookie` header.
fn cookies_of(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply)
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of the first hidden `_csrf` field in a page.
fn form_token(reply: &[u8]) -> String {
    let page = String::from_utf8_lossy(reply);
    page.split(r#"name="_csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

fn header(reply: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(reply)
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
}

/// Signs a demo user in through the pages; returns the session's cookies.
async fn sign_in(
    client: &reqwest_free::Client,
    address: &str,
    email: &str,
) -> anyhow::Result<String> {
    let (_, page) = client.get(&format!("{address}/login")).await?;
    let csrf_cookie = cookies_of(&page);
    let body = format!(
        "_csrf={}&email={}&password={}&next=%2Fdashboard",
        form_token(&page),
        email.replace('@', "%40"),
        backend::seed::DEMO_PASSWORD
    );
    let (status, reply) = client
        .post_with(
            &format!("{address}/login"),
            "application/x-www-form-urlencoded",
            &csrf_cookie,
            body.into_bytes(),
        )
        .await?;
    anyhow::ensure!(status == 303, "signing in answered {status}");
    // The cookies set on signing in, and any from the sign-in page it did not replace.
    let mut jar: Vec<(String, String)> = Vec::new();
    for pair in csrf_cookie.split("; ").chain(
        cookies_of(&reply)
            .split("; ")
            .map(|c| c as &str)
            .collect::<Vec<_>>(),
    ) {
        if let Some((k, v)) = pair.split_once('=') {
            jar.retain(|(name, _)| name != k);
            jar.push((k.to_string(), v.to_string()));
        }
    }
    Ok(jar
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; "))
}

/// Starts a bid on the demo tender that is open; returns its page's path.
async fn start_bid(
    client: &reqwest_free::Client,
    address: &str,
    cookies: &str,
) -> anyhow::Result<String> {
    let (_, list) = client
        .get_with(&format!("{address}/opportunities"), cookies)
        .await?;
    let list = String::from_utf8_lossy(&list);
    let id = list
        .split("/opportunities/")
        .skip(1)
        .find_map(|rest| {
            rest.get(..36)
                .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        })
        .ok_or_else(|| anyhow::anyhow!("no open opportunity"))?
        .to_string();
    let (_, page) = client
        .get_with(&format!("{address}/opportunities/{id}"), cookies)
        .await?;
    let text = String::from_utf8_lossy(&page);
    let lot = text
        .split(r#"<option value=""#)
        .nth(1)
        .and_then(|rest| rest.get(..36))
        .map(|l| format!("&lot_id={l}"))
        .unwrap_or_default();
    let body = format!("_csrf={}{lot}", form_token(&page));
    let (status, reply) = client
        .post_with(
            &format!("{address}/opportunities/{id}/bids"),
            "application/x-www-form-urlencoded",
            cookies,
            body.into_bytes(),
        )
        .await?;
    anyhow::ensure!(status == 303, "starting a bid answered {status}");
    header(&reply, "location").ok_or_else(|| anyhow::anyhow!("no bid page"))
}

async fn run_concurrently<F, Fut>(n: usize, at_once: usize, task: F) -> Vec<u16>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    use futures_util::StreamExt;
    futures_util::stream::iter((0..n).map(task))
        .buffer_unordered(at_once)
        .collect()
        .await
}

/// The smallest HTTP/1.1 client this needs, over tokio's TCP: the server runs in another
/// process, so actix's client (which needs its own runtime) is not used here.
mod reqwest_free {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[derive(Clone)]
    pub struct Client;

    impl Client {
        pub fn new() -> Self {
            Client
        }

        pub async fn get(&self, url: &str) -> std::io::Result<(u16, Vec<u8>)> {
            self.send("GET", url, None, "", Vec::new()).await
        }

        pub async fn get_with(&self, url: &str, cookies: &str) -> std::io::Result<(u16, Vec<u8>)> {
            self.send("GET", url, None, cookies, Vec::new()).await
        }

        pub async fn post(
            &self,
            url: &str,
            content_type: &str,
            body: Vec<u8>,
        ) -> std::io::Result<(u16, Vec<u8>)> {
            self.send("POST", url, Some(content_type), "", body).await
        }

        pub async fn post_with(
            &self,
            url: &str,
            content_type: &str,
            cookies: &str,
            body: Vec<u8>,
        ) -> std::io::Result<(u16, Vec<u8>)> {
            self.send("POST", url, Some(content_type), cookies, body)
                .await
        }

        async fn send(
            &self,
            method: &str,
            url: &str,
            content_type: Option<&str>,
            cookies: &str,
            body: Vec<u8>,
        ) -> std::io::Result<(u16, Vec<u8>)> {
            let rest = url.strip_prefix("http://").unwrap_or(url);
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let mut stream = tokio::net::TcpStream::connect(host).await?;
            let mut head = format!(
                "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
                body.len()
            );
            if let Some(ct) = content_type {
                head.push_str(&format!("Content-Type: {ct}\r\n"));
            }
            if !cookies.is_empty() {
                head.push_str(&format!("Cookie: {cookies}\r\nAccept: text/html\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            // The server may answer and close before the whole body is sent (a refused
            // upload): that is the behaviour under test, not an error.
            let _ = stream.write_all(&body).await;
            let mut reply = Vec::new();
            let _ = stream.read_to_end(&mut reply).await;
            let status = std::str::from_utf8(reply.get(9..12).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            Ok((status, reply))
        }
    }
}
