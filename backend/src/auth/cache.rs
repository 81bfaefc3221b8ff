//! A short-lived cache of signed-in users, so that most requests need no database round
//! trip to know who is asking, without weakening revocation.
//!
//! - Entries are keyed by token id and live at most [`TTL`].
//! - Any change that decides whether a token is still good (a user or organisation updated,
//!   a token revoked) raises a PostgreSQL `NOTIFY auth_changed` (triggers in the
//!   `auth_change_notices` migration). Every instance listens and empties its cache.
//! - The instance that made a change empties its own cache as soon as the request that made
//!   it finishes, without waiting for the notification (any request other than GET or HEAD).
//! - A lookup that was under way when the cache was emptied does not store its (possibly
//!   stale) answer: each entry records the generation it was read in.
//! - Without a working listener (connecting, reconnecting, or a server it cannot reach) the
//!   cache is bypassed, so correctness never depends on it.

use super::AuthUser;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an entry may be used.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; beyond it the cache starts again empty.
pub const MAX_ENTRIES: usize = 50_000;

/// The cache.
#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<Uuid, (AuthUser, Instant, u64)>>,
    generation: AtomicU64,
    listening: AtomicBool,
}

impl AuthCache {
    /// The current generation, read before a database lookup.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A fresh entry for this token, if the cache is live.
    pub fn get(&self, token_id: Uuid) -> Option<AuthUser> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (user, stored, entry_generation) = entries.get(&token_id)?;
        (stored.elapsed() < TTL && *entry_generation == generation).then(|| user.clone())
    }

    /// Stores a lookup made in `generation`, unless the cache was emptied since.
    pub fn put(&self, user: &AuthUser, generation: u64) {
        if !self.listening.load(Ordering::SeqCst) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation() != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(user.token_id, (user.clone(), Instant::now(), generation));
    }

    /// Forgets everything (something that decides who may do what has changed).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn set_listening(&self, on: bool) {
        self.clear();
        self.listening.store(on, Ordering::SeqCst);
    }

    /// Whether the cache is in use (its change listener is connected).
    pub fn is_live(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Listens for `auth_changed` notifications on its own connection, emptying the cache
    /// on each, and reconnects after a failure. Runs until the process ends.
    pub async fn listen(self: std::sync::Arc<Self>, database_url: String) {
        loop {
            if let Err(e) = self.listen_once(&database_url).await {
                tracing::warn!(error = %e, "auth cache listener: reconnecting in 1 s; the cache is off meanwhile");
            }
            self.set_listening(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, database_url: &str) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) =
            tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(m) => {
                        if tx.send(m).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        client.batch_execute("LISTEN auth_changed").await?;
        // Anything that changed before LISTEN took effect is covered by starting empty.
        self.set_listening(true);
        while let Some(message) = rx.recv().await {
            if let tokio_postgres::AsyncMessage::Notification(_) = message {
                self.clear();
            }
        }
        driver.abort();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn user(token: Uuid) -> AuthUser {
        AuthUser {
            id: Uuid::new_v4(),
            email: "a@b.example".into(),
            name: "A".into(),
            role: Role::Admin,
            organisation_id: Uuid::new_v4(),
            organisation_name: "O".into(),
            email_verified: true,
            token_id: token,
            token_expires: 0,
        }
    }

    #[test]
    fn nothing_is_cached_without_a_listener() {
        let cache = AuthCache::default();
        let token = Uuid::new_v4();
        cache.put(&user(token), cache.generation());
        assert!(cache.get(token).is_none());
    }

    #[test]
    fn clearing_drops_entries_and_refuses_stale_lookups() {
        let cache = AuthCache::default();
        cache.listening.store(true, Ordering::SeqCst);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(&user(a), cache.generation());
        assert!(cache.get(a).is_some());
        // A lookup starts, the cache is emptied, then the lookup finishes: not stored.
        let started = cache.generation();
        cache.clear();
        cache.put(&user(b), started);
        assert!(cache.get(a).is_none() && cache.get(b).is_none());
    }
}
