//! Password hashing with argon2id (the `argon2` crate's defaults follow OWASP's guidance:
//! 19 MiB of memory, two passes).
//!
//! Each hash takes 19 MiB, so hashing is rationed: at most one per core runs at once, and a
//! request that cannot start within [`WAIT`] is answered 503 with `Retry-After` rather than
//! queued without limit. Without the ration, a burst of sign-in attempts grew the server by
//! gigabytes (issue 9); `docs/performance.md` has the figures.

use crate::http::problem::{Busy, Problem};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a request waits for a turn to hash before it is told to try again.
pub const WAIT: Duration = Duration::from_secs(2);

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed busy for [`WAIT`]: the caller should answer 503.
    #[error("{0}")]
    Busy(#[source] Busy),
    #[error("hashing a password: {0}")]
    Failed(String),
}

impl HashError {
    fn busy() -> Self {
        HashError::Busy(Busy {
            detail: "Too many people are signing in at once. Try again in a moment.",
            retry_after_seconds: 1,
        })
    }
}

impl From<HashError> for Problem {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy(busy) => busy.into(),
            other => Problem::internal(other),
        }
    }
}

/// One permit per core: hashing is CPU-bound, so more at once only adds memory.
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        Semaphore::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    })
}

/// Runs `work` on the blocking pool once a hashing slot is free, waiting at most `wait`.
async fn rationed<T: Send + 'static>(
    wait: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let permit = tokio::time::timeout(wait, slots().acquire())
        .await
        .map_err(|_| HashError::busy())?
        .map_err(|_| HashError::busy())?;
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError::Failed(e.to_string()));
    drop(permit);
    result
}

/// Hashes a password into a PHC string.
pub async fn hash(password: &str) -> Result<String, HashError> {
    let password = password.to_string();
    rationed(WAIT, move || hash_now(&password))
        .await?
        .map_err(|e| HashError::Failed(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches. With
/// no stored hash (no such account) a dummy hash is checked, so that the answer takes as
/// long either way, and it never matches.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, HashError> {
    verify_within(WAIT, password, stored).await
}

async fn verify_within(
    wait: Duration,
    password: &str,
    stored: Option<&str>,
) -> Result<bool, HashError> {
    let (password, stored) = (password.to_string(), stored.map(str::to_string));
    rationed(wait, move || match stored {
        Some(stored) => verify_now(&password, &stored),
        None => {
            verify_now(&password, dummy_hash());
            false
        }
    })
    .await
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of a password nobody knows, checked when the email is unknown so that a
/// failed sign-in takes as long whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("no account has this password").expect("hashing a constant"))
}

/// Keeps large allocations out of the allocator's arenas, so that the memory a burst of
/// hashing took goes back to the system when the hashes finish.
///
/// glibc serves allocations above a threshold with `mmap` and returns them on `free`, but
/// raises the threshold to the size of any such block freed, up to 32 MiB: after the first
/// 19 MiB hash, every later one came from the heap of whichever thread ran it and stayed
/// there. Fixing the threshold turns that adjustment off.
pub fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; 1 MiB is a valid threshold.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let h = super::hash("correct-horse-demo").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct-horse-demo", Some(&h)).await.unwrap());
        assert!(
            !super::verify("correct-horse-demo ", Some(&h))
                .await
                .unwrap()
        );
        assert!(
            !super::verify("correct-horse-demo", Some("not a hash"))
                .await
                .unwrap()
        );
        assert!(
            !super::verify("no account has this password", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_waits_its_turn_and_then_gives_up() {
        // Hold every slot: the next hash waits, then reports Busy rather than queueing.
        let slots = super::slots();
        let all = u32::try_from(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
        .unwrap();
        let held = slots.acquire_many(all).await.unwrap();
        let wait = std::time::Duration::from_millis(20);
        let result = super::verify_within(wait, "x", None).await;
        assert!(
            matches!(result, Err(super::HashError::Busy(_))),
            "{result:?}"
        );
        drop(held);
        assert!(!super::verify_within(wait * 100, "x", None).await.unwrap());
    }
}
