//! Settings, read once at start from the environment and carried in `AppState`.
//!
//! | Variable | Meaning | Default |
//! |---|---|---|
//! | `DATABASE_URL` | PostgreSQL to use | unset: a private cluster under `.data/postgres` |
//! | `PUBLIC_URL` | the address people reach the service at, used in emails and links | `http://127.0.0.1:8080` |
//! | `SMTP_URL` | mail relay (`smtp://`, `smtps://`, with credentials) | unset: emails written to `MAIL_DIR` |
//! | `MAIL_DIR` | where `.eml` files go when `SMTP_URL` is unset | `.data/mail` |
//! | `MAIL_FROM` | the sender of every email | `Care commissioning <no-reply@PUBLIC_URL's host>` |
//! | `FEEDBACK_EMAIL` | where the Beta banner's feedback page asks people to write | `feedback@PUBLIC_URL's host` |
//! | `TOKEN_SIGNING_KEY` | secret (≥ 32 bytes) that signs access tokens; the same on every instance | required with `DATABASE_URL`; otherwise generated into `.data/signing-key` |
//! | `TOKEN_TTL_SECONDS` | lifetime of an API access token | `900` |
//! | `SESSION_TTL_SECONDS` | lifetime of a browser session | `28800` (8 hours) |
//! | `DATABASE_POOL_SIZE` | connections per instance | `8` |
//! | `AUTH_CACHE` | `off` stops caching signed-in users (needed behind pgbouncer in transaction mode, which cannot LISTEN) | `on` |
//! | `DEMO_MODE` | show demo logins on the sign-in page; set automatically with the embedded default | `false` |
//! | `RATE_LIMIT_SIGN_IN_PER_MINUTE` | sign-in and token requests allowed per client address per minute, per instance | `60` |
//! | `RATE_LIMIT_PER_MINUTE` | registrations, password resets and invitation acceptances per client address per minute, per instance | `10` |
//! | `TRUSTED_PROXY_HOPS` | proxies in front of the service whose `X-Forwarded-For` entries to believe (0: use the connection's address) | `0` |
//! | `UPLOAD_QUOTA_MB` | stored uploads allowed per organisation | `1024` |
//! | `FILES_S3_BUCKET` | keep uploaded files in this S3-compatible bucket (it must exist), which every instance shares | unset: files in `DATA_DIR/files` |
//! | `FILES_S3_ENDPOINT` | the S3-compatible service's address (MinIO, Ceph, Garage…), reached with path-style requests | unset: AWS S3 in `FILES_S3_REGION` |
//! | `FILES_S3_REGION` | the bucket's region | `us-east-1` |
//! | `FILES_S3_PREFIX` | keep files under this key prefix, so deployments can share a bucket | unset: the bucket's root |
//! | `FILES_S3_ACCESS_KEY_ID`, `FILES_S3_SECRET_ACCESS_KEY` | a key pair for the bucket (both or neither) | unset: the platform's credentials (an AWS instance, task or web-identity role) |
//! | `FILES_S3_ALLOW_HTTP` | `true` lets `FILES_S3_ENDPOINT` be plain `http://` to a host that is not loopback | `false` (loopback may always be `http://`) |

mod files;

pub use files::{FileStorage, S3Credentials, S3Settings};

use anyhow::{Context, bail};
use std::path::PathBuf;

/// A secret that never appears in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
    /// The secret bytes; call only where they are used.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything the running service needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Option<String>,
    pub database_pool_size: usize,
    pub public_url: String,
    pub mail: MailSettings,
    pub tokens: TokenSettings,
    /// Demo mode: the sign-in page lists the demo accounts.
    pub demo_mode: bool,
    /// Cache signed-in users per instance (needs a direct connection for LISTEN).
    pub auth_cache: bool,
    /// Folder for the embedded database, generated keys and mail (`.data`).
    pub data_dir: PathBuf,
    pub security: SecuritySettings,
    /// Where uploaded files are kept.
    pub file_storage: FileStorage,
}

/// Limits that keep one client from exhausting the service (docs/operations.md, Security).
#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// Sign-in and token requests per client address per minute (per instance).
    pub sign_in_per_minute: u32,
    /// Registrations, password resets and invitation acceptances per client address per
    /// minute (per instance).
    pub other_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` entries are believed.
    pub trusted_proxy_hops: usize,
    /// Bytes of stored uploads allowed per organisation.
    pub upload_quota_bytes: i64,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            sign_in_per_minute: 60,
            other_per_minute: 10,
            trusted_proxy_hops: 0,
            upload_quota_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// How email leaves the service.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    /// The sender, e.g. `Care commissioning <no-reply@council.example>`.
    pub from: String,
    /// Where people send feedback on the service (the Beta banner's link).
    pub feedback: String,
}

/// How access tokens and sessions are signed and how long they live.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub signing_key: Secret,
    pub access_ttl_seconds: i64,
    pub session_ttl_seconds: i64,
    /// `iss` and `aud` claims: the public URL, so tokens of one deployment fail at another.
    pub issuer: String,
}

impl Settings {
    /// Reads the settings from the environment; see the module documentation for each
    /// variable and its default. Names the variable when a value cannot be used.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| ".data".into()));
        let database_url = var("DATABASE_URL");
        let public_url = var("PUBLIC_URL")
            .unwrap_or_else(|| "http://127.0.0.1:8080".into())
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("PUBLIC_URL must start with http:// or https:// (got {public_url:?})");
        }
        let signing_key = match var("TOKEN_SIGNING_KEY") {
            Some(key) if key.len() >= 32 => Secret::new(key.into_bytes()),
            Some(_) => bail!("TOKEN_SIGNING_KEY must be at least 32 characters long"),
            None if database_url.is_none() => generated_key(&data_dir)?,
            None => bail!(
                "TOKEN_SIGNING_KEY must be set when DATABASE_URL is (at least 32 random characters, the same on every instance)"
            ),
        };
        let number =
            |name: &str, default: i64| -> anyhow::Result<i64> {
                match var(name) {
                    None => Ok(default),
                    Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).with_context(|| {
                        format!("{name} must be a positive whole number (got {v:?})")
                    }),
                }
            };
        let auth_cache = match var("AUTH_CACHE").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("AUTH_CACHE must be on or off (got {other:?})"),
        };
        let defaults = SecuritySettings::default();
        let security = SecuritySettings {
            sign_in_per_minute: number(
                "RATE_LIMIT_SIGN_IN_PER_MINUTE",
                defaults.sign_in_per_minute.into(),
            )?
            .try_into()
            .context("RATE_LIMIT_SIGN_IN_PER_MINUTE is too large")?,
            other_per_minute: number("RATE_LIMIT_PER_MINUTE", defaults.other_per_minute.into())?
                .try_into()
                .context("RATE_LIMIT_PER_MINUTE is too large")?,
            trusted_proxy_hops: match var("TRUSTED_PROXY_HOPS") {
                None => 0,
                Some(v) => v.parse().ok().filter(|n| *n <= 10).with_context(|| {
                    format!("TRUSTED_PROXY_HOPS must be a whole number from 0 to 10 (got {v:?})")
                })?,
            },
            upload_quota_bytes: number("UPLOAD_QUOTA_MB", 1024)?
                .checked_mul(1024 * 1024)
                .context("UPLOAD_QUOTA_MB is too large")?,
        };
        Ok(Self {
            file_storage: FileStorage::from_vars(var)?,
            security,
            auth_cache,
            demo_mode: database_url.is_none()
                || var("DEMO_MODE").is_some_and(|v| v == "true" || v == "1"),
            database_url,
            database_pool_size: number("DATABASE_POOL_SIZE", 8)? as usize,
            mail: MailSettings {
                smtp_url: var("SMTP_URL"),
                mail_dir: var("MAIL_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("mail")),
                from: var("MAIL_FROM").unwrap_or_else(|| default_from(&public_url)),
                feedback: var("FEEDBACK_EMAIL")
                    .unwrap_or_else(|| format!("feedback@{}", mail_domain(&public_url))),
            },
            tokens: TokenSettings {
                signing_key,
                access_ttl_seconds: number("TOKEN_TTL_SECONDS", 900)?,
                session_ttl_seconds: number("SESSION_TTL_SECONDS", 8 * 3600)?,
                issuer: public_url.clone(),
            },
            public_url,
            data_dir,
        })
    }
}

/// `Care commissioning <no-reply@DOMAIN>` for the public URL's domain.
fn default_from(public_url: &str) -> String {
    format!("Care commissioning <no-reply@{}>", mail_domain(public_url))
}

/// The public URL's host when it is a domain name; `localhost.localdomain` otherwise (an
/// address or a bare host name cannot take mail).
fn mail_domain(public_url: &str) -> &str {
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost");
    if host.contains('.') && !host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        host
    } else {
        "localhost.localdomain"
    }
}

impl Settings {
    /// A key for one purpose, derived from the token signing key (HMAC-SHA-256 of the
    /// purpose), so that one configured secret serves every signature the service makes
    /// and no two purposes share a key.
    pub fn derived_key(&self, purpose: &str) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(self.tokens.signing_key.expose())
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Sets the public URL (and so the tokens' issuer), e.g. from `serve --bind` when
    /// `PUBLIC_URL` is not configured.
    pub fn with_public_url(mut self, url: String) -> Self {
        self.tokens.issuer = url.clone();
        self.public_url = url;
        self
    }
}

/// The embedded default keeps its signing key beside its database, so sessions survive a
/// restart without any configuration.
fn generated_key(data_dir: &std::path::Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("signing-key");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(Secret::new(existing.trim().as_bytes().to_vec()));
    }
    std::fs::create_dir_all(data_dir)?;
    let key = {
        use rand::Rng;
        let bytes: [u8; 32] = rand::rng().random();
        hex::encode(bytes)
    };
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(key.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Secret::new(key.into_bytes()))
}
