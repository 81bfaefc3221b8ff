//! Delivers outbox rows: claims a batch with `FOR UPDATE SKIP LOCKED` under a lease, sends
//! them concurrently through lettre's pooled SMTP transport (or writes `.eml` files into
//! `MAIL_DIR` when no `SMTP_URL` is set), and records each result. Temporary failures are
//! retried with backoff; permanent ones (a 5xx answer) and messages out of attempts stay
//! `failed` for an administrator to see and re-send.
//!
//! A sender that dies mid-batch leaves rows `sending`; when their lease runs out another
//! sender takes them. Such a row may already have been delivered, so it can arrive twice,
//! but always with the same `Message-ID`, which mail clients use to recognise a repeat.

use crate::config::MailSettings;
use crate::db::DbPool;
use anyhow::Context;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// Attempts before a message stays failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// Messages claimed at a time.
pub const BATCH: i64 = 200;
/// Messages in flight at once.
pub const CONCURRENCY: usize = 16;
/// Seconds a claimed row is ours before another sender may take it.
pub const LEASE_SECONDS: i32 = 120;

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder, named by outbox id.
    Files(PathBuf),
}

impl Transport {
    /// From `SMTP_URL` and `MAIL_DIR`. A plain `smtp://` URL to a host other than this
    /// machine requires STARTTLS unless it says `?tls=opportunistic`.
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Self> {
        let Some(url) = &mail.smtp_url else {
            std::fs::create_dir_all(&mail.mail_dir)
                .with_context(|| format!("creating MAIL_DIR {}", mail.mail_dir.display()))?;
            return Ok(Transport::Files(mail.mail_dir.clone()));
        };
        let loopback = [
            "://127.",
            "://localhost",
            "://[::1]",
            "@127.",
            "@localhost",
            "@[::1]",
        ]
        .iter()
        .any(|p| url.contains(p));
        let url = if url.starts_with("smtp://") && !url.contains("tls=") && !loopback {
            format!(
                "{url}{}tls=required",
                if url.contains('?') { '&' } else { '?' }
            )
        } else {
            url.clone()
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .context("SMTP_URL is not a usable smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(CONCURRENCY as u32))
            .build();
        Ok(Transport::Smtp(transport))
    }
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    to_address: String,
    #[diesel(sql_type = Text)]
    to_name: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    text_body: String,
    #[diesel(sql_type = Text)]
    html_body: String,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    optional_kind: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    user_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// The email sender.
#[derive(Clone)]
pub struct Sender {
    pool: DbPool,
    transport: Transport,
    from: Mailbox,
    context: super::MailContext,
    /// Seconds a claimed batch is ours (tests shorten it to see a dead sender's batch retaken).
    pub lease_seconds: i32,
}

/// What one delivery attempt came to.
enum Delivery {
    Sent,
    Retry(String),
    Failed(String),
}

impl Sender {
    /// A sender from the settings; `from` is the address messages come from.
    pub fn new(
        pool: DbPool,
        transport: Transport,
        from: Mailbox,
        context: super::MailContext,
    ) -> Self {
        Self {
            pool,
            transport,
            from,
            context,
            lease_seconds: LEASE_SECONDS,
        }
    }

    /// Claims up to [`BATCH`] due messages and delivers them; returns how many it handled.
    pub async fn send_batch(&self) -> anyhow::Result<usize> {
        let claimed: Vec<Claimed> = {
            let mut conn = self.pool.get().await.context("mail: database pool")?;
            diesel::sql_query(
                "UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, \
                 lease_until = now() + make_interval(secs => $2) \
                 WHERE o.id IN (SELECT id FROM outbox \
                     WHERE (status = 'pending' AND run_after <= now()) OR (status = 'sending' AND lease_until < now()) \
                     ORDER BY run_after, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 RETURNING o.id, o.to_address, o.to_name, o.subject, o.text_body, o.html_body, o.message_id, \
                     o.optional_kind, o.user_id, o.attempts",
            )
            .bind::<BigInt, _>(BATCH)
            .bind::<Integer, _>(self.lease_seconds)
            .load(&mut conn)
            .await?
        };
        let count = claimed.len();
        let results: Vec<(i64, i32, Delivery)> = futures_util::stream::iter(claimed)
            .map(|m| async move {
                let attempts = m.attempts;
                let id = m.id;
                (id, attempts, self.deliver(m).await)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut conn = self.pool.get().await.context("mail: database pool")?;
        let sent: Vec<i64> = results
            .iter()
            .filter(|(_, _, d)| matches!(d, Delivery::Sent))
            .map(|(id, _, _)| *id)
            .collect();
        if !sent.is_empty() {
            diesel::sql_query("UPDATE outbox SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = ANY($1)")
                .bind::<diesel::sql_types::Array<BigInt>, _>(&sent)
                .execute(&mut conn)
                .await?;
        }
        for (id, attempts, delivery) in results {
            let (status, error, delay) = match delivery {
                Delivery::Sent => continue,
                Delivery::Retry(e) if attempts < MAX_ATTEMPTS => {
                    ("pending", e, backoff_seconds(attempts))
                }
                Delivery::Retry(e) | Delivery::Failed(e) => ("failed", e, 0),
            };
            tracing::warn!(outbox = id, attempts, status, error = %error, "email not delivered");
            diesel::sql_query(
                "UPDATE outbox SET status = $2::outbox_status, last_error = $3, lease_until = NULL, \
                 run_after = now() + make_interval(secs => $4) WHERE id = $1",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(status)
            .bind::<Text, _>(error)
            .bind::<Integer, _>(delay)
            .execute(&mut conn)
            .await?;
        }
        Ok(count)
    }

    fn message(&self, m: &Claimed) -> anyhow::Result<Message> {
        let to: Mailbox = if m.to_name.is_empty() {
            m.to_address.parse()?
        } else {
            Mailbox::new(Some(m.to_name.clone()), m.to_address.parse()?)
        };
        let unsubscribe = m
            .optional_kind
            .as_deref()
            .and_then(|k| k.parse().ok())
            .zip(m.user_id)
            .map(|(kind, user)| (user, kind));
        // The stored copy hides link secrets; they exist only in what is delivered.
        let text = self
            .context
            .reveal(&m.text_body, &m.message_id, unsubscribe);
        let html = self
            .context
            .reveal(&m.html_body, &m.message_id, unsubscribe);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()));
        if let (Some(kind), Some(user)) = (
            m.optional_kind.as_deref().and_then(|k| k.parse().ok()),
            m.user_id,
        ) {
            let url = super::unsubscribe::url(&self.context, user, kind);
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        Ok(builder.multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?)
    }

    async fn deliver(&self, m: Claimed) -> Delivery {
        let message = match self.message(&m) {
            Ok(message) => message,
            Err(e) => return Delivery::Failed(format!("the message could not be built: {e}")),
        };
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Delivery::Sent,
                Err(e) if e.is_permanent() => Delivery::Failed(e.to_string()),
                Err(e) => Delivery::Retry(e.to_string()),
            },
            Transport::Files(dir) => {
                let path = dir.join(format!("{:08}.eml", m.id));
                match tokio::fs::write(&path, message.formatted()).await {
                    Ok(()) => Delivery::Sent,
                    Err(e) => Delivery::Retry(format!("writing {}: {e}", path.display())),
                }
            }
        }
    }

    /// Sends until `shutdown` turns true, finishing the batch in hand first.
    pub async fn run_until_shutdown(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.send_batch().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "sending email"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Seconds to wait before retrying after attempt `n`: 1, 2, 4 … minutes, at most 2 hours.
fn backoff_seconds(attempt: i32) -> i32 {
    (60 * 2_i32.pow((attempt.max(1) - 1).min(7) as u32)).min(7200)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_to_two_hours() {
        assert_eq!(super::backoff_seconds(1), 60);
        assert_eq!(super::backoff_seconds(3), 240);
        assert_eq!(super::backoff_seconds(20), 7200);
    }
}
