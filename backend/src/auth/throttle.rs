//! Limits on the doors an attacker knocks at: signing in, getting a token, registering,
//! asking for a password reset and accepting an invitation.
//!
//! Two layers:
//! - **Per client address**, in memory on each instance ([`RateLimits`], GCRA from the
//!   `governor` crate): a burst from one address is answered 429 with `Retry-After` before
//!   any work is done. Behind a load balancer set `TRUSTED_PROXY_HOPS` so that the address
//!   comes from `X-Forwarded-For`; IPv6 addresses count per /64.
//! - **Per email address**, in the database so every instance shares it ([`reserve`]):
//!   at most [`PAIR_LIMIT`] failed sign-ins per address from one client address, and
//!   [`EMAIL_LIMIT`] from all, in a [`WINDOW`] that later attempts do not extend. Each
//!   attempt is counted *before* the password is checked, in one statement per count, so
//!   concurrent guesses cannot slip past it. Counts are kept for addresses with and without
//!   accounts alike, so the answer never says which exist; and an attacker at one client
//!   address cannot lock a person out of their own network (it takes
//!   `EMAIL_LIMIT / PAIR_LIMIT` addresses).

use crate::config::Settings;
use crate::http::problem::Problem;
use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bytea, Int4, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use governor::{Quota, RateLimiter, clock::Clock};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Failed sign-ins allowed per email address from one client address in a [`WINDOW`].
pub const PAIR_LIMIT: i32 = 5;
/// Failed sign-ins allowed per email address from everywhere in a [`WINDOW`].
pub const EMAIL_LIMIT: i32 = 20;
/// The counting window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// The counting window.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(WINDOW_MINUTES);

/// Which door a request knocks at; each has its own per-address allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    SignIn,
    Registration,
    PasswordReset,
    Invitation,
}

impl Door {
    fn label(self) -> &'static str {
        match self {
            Door::SignIn => "sign-in",
            Door::Registration => "registration",
            Door::PasswordReset => "password reset",
            Door::Invitation => "invitation",
        }
    }
}

/// The client's address as far as this service can tell: the peer, or with
/// `TRUSTED_PROXY_HOPS = n` the n-th address from the right of `X-Forwarded-For` (the one
/// the outermost trusted proxy saw). IPv6 addresses are cut to their /64, which one
/// household or office usually holds whole.
pub fn client_address(req: &HttpRequest, trusted_hops: usize) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let ip = if trusted_hops == 0 {
        peer
    } else {
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .len()
            .checked_sub(trusted_hops)
            .and_then(|i| forwarded.get(i).copied())
            .or(peer)
    }?;
    Some(match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
        v4 => v4,
    })
}

type Limiter = governor::DefaultKeyedRateLimiter<(Door, Option<IpAddr>)>;

/// Per-address allowances, per instance.
pub struct RateLimits {
    sign_in: Limiter,
    others: Limiter,
    trusted_hops: usize,
}

impl RateLimits {
    /// From the settings: `RATE_LIMIT_SIGN_IN_PER_MINUTE` for sign-in and tokens,
    /// `RATE_LIMIT_PER_MINUTE` for the other doors.
    pub fn new(settings: &Settings) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        Self {
            sign_in: RateLimiter::keyed(quota(settings.security.sign_in_per_minute)),
            others: RateLimiter::keyed(quota(settings.security.other_per_minute)),
            trusted_hops: settings.security.trusted_proxy_hops,
        }
    }

    /// Counts a knock at `door` from the request's address; 429 with `Retry-After` once the
    /// address has used its allowance.
    pub fn check(&self, door: Door, req: &HttpRequest) -> Result<(), Problem> {
        let limiter = match door {
            Door::SignIn => &self.sign_in,
            _ => &self.others,
        };
        // Addresses not seen for a while are forgotten, so the table stays small.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        let key = (door, client_address(req, self.trusted_hops));
        match limiter.check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until
                    .wait_time_from(governor::clock::DefaultClock::default().now())
                    .as_secs()
                    + 1;
                Err(too_many(
                    format!(
                        "Too many {} requests have come from your network. Wait {wait} second{} and try again.",
                        door.label(),
                        if wait == 1 { "" } else { "s" }
                    ),
                    wait,
                ))
            }
        }
    }

    /// The client address the limits use (for the per-email sign-in count).
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        client_address(req, self.trusted_hops)
    }
}

fn too_many(detail: String, retry_after: u64) -> Problem {
    let mut p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
        "Too many attempts",
    )
    .with_detail(detail);
    p.retry_after = Some(retry_after);
    p
}

fn key(parts: &[&str]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().to_vec()
}

fn keys(email: &str, client: Option<IpAddr>) -> (Vec<u8>, Vec<u8>) {
    let email = email.trim().to_lowercase();
    let client = client.map(|c| c.to_string()).unwrap_or_default();
    (key(&["email", &email]), key(&["pair", &email, &client]))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Bytea)]
    #[allow(dead_code)]
    key: Vec<u8>,
    #[diesel(sql_type = Int4)]
    failures: i32,
    #[diesel(sql_type = Timestamptz)]
    window_started_at: DateTime<Utc>,
}

/// What [`reserve`] allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Check the password; the attempt is counted as a failure until [`succeeded`].
    Go,
    /// Too many failures: refuse without checking, for this many seconds. `first` is set on
    /// the attempt that crossed the limit (for the audit log).
    Locked {
        retry_after_seconds: i64,
        first: bool,
    },
}

async fn count(
    conn: &mut AsyncPgConnection,
    key: &[u8],
    email_key: &[u8],
) -> diesel::QueryResult<Count> {
    diesel::sql_query(format!(
        "INSERT INTO sign_in_throttle AS t (key, email_key, failures, window_started_at) \
         VALUES ($1, $2, 1, now()) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN t.window_started_at < now() - interval '{WINDOW_MINUTES} minutes' THEN 1 ELSE t.failures + 1 END, \
           window_started_at = CASE WHEN t.window_started_at < now() - interval '{WINDOW_MINUTES} minutes' THEN now() ELSE t.window_started_at END \
         RETURNING t.key, t.failures, t.window_started_at"
    ))
    .bind::<Bytea, _>(key)
    .bind::<Bytea, _>(email_key)
    .get_result(conn)
    .await
}

fn locked(c: &Count, limit: i32) -> Option<Reservation> {
    (c.failures > limit).then(|| Reservation::Locked {
        retry_after_seconds: (c.window_started_at + WINDOW - Utc::now())
            .num_seconds()
            .max(1),
        first: c.failures == limit + 1,
    })
}

/// Counts a sign-in attempt for `email` from `client` before the password is checked:
/// first against this client address, then, only if that allows it, against the address
/// from everywhere. So guesses refused at one client do not add to the wider count, and
/// one client alone cannot lock the person out of their own network.
pub async fn reserve(
    conn: &mut AsyncPgConnection,
    email: &str,
    client: Option<IpAddr>,
) -> diesel::QueryResult<Reservation> {
    let (email_key, pair_key) = keys(email, client);
    let pair = count(conn, &pair_key, &email_key).await?;
    if let Some(refusal) = locked(&pair, PAIR_LIMIT) {
        return Ok(refusal);
    }
    let everywhere = count(conn, &email_key, &email_key).await?;
    Ok(locked(&everywhere, EMAIL_LIMIT).unwrap_or(Reservation::Go))
}

/// The reserved attempt was the right password: it was not a failure after all.
pub async fn succeeded(
    conn: &mut AsyncPgConnection,
    email: &str,
    client: Option<IpAddr>,
) -> diesel::QueryResult<()> {
    let (email_key, pair_key) = keys(email, client);
    diesel::sql_query(
        "WITH gone AS (DELETE FROM sign_in_throttle WHERE key = $2) \
         UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1",
    )
    .bind::<Bytea, _>(&email_key)
    .bind::<Bytea, _>(&pair_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets every count for `email` (a new password was set through an emailed link).
pub async fn clear(conn: &mut AsyncPgConnection, email: &str) -> diesel::QueryResult<()> {
    let email = email.trim().to_lowercase();
    diesel::sql_query("DELETE FROM sign_in_throttle WHERE email_key = $1")
        .bind::<Bytea, _>(key(&["email", &email]))
        .execute(conn)
        .await?;
    Ok(())
}
