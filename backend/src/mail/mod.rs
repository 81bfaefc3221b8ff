//! Email through an outbox. A message is rendered from its templates
//! (`frontend/emails/<name>/{subject.txt,body.txt,body.html}.hbs`, strict handlebars) and
//! written as an `outbox` row in the same transaction as the change that causes it, so a
//! rolled-back change sends nothing and a committed one is never lost. The [`sender`]
//! delivers rows afterwards. Every email says why the reader got it; optional ones say how
//! to stop them and carry `List-Unsubscribe` headers.

pub mod sender;
pub mod unsubscribe;

use crate::db::schema::{notification_opt_outs, outbox};
use crate::http::pagination::{PageRequest, Paged};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use handlebars::Handlebars;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assets;

crate::pg_enum! {
    /// Where a message is on its way out.
    pub enum OutboxStatus: crate::db::schema::sql_types::OutboxStatus {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
    }
}

crate::pg_enum! {
    /// Notifications a reader may turn off. Security and account emails are not optional.
    pub enum NotificationKind: diesel::sql_types::Text {
        OpeningNotices => "opening_notices",
        DeadlineReminders => "deadline_reminders",
        ClarificationQuestions => "clarification_questions",
    }
}

impl NotificationKind {
    /// How the preferences page names it.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::OpeningNotices => {
                "Opening notices: when a dynamic purchasing system round or a tender opens"
            }
            NotificationKind::DeadlineReminders => {
                "Reminders a few days before a deadline you are working to"
            }
            NotificationKind::ClarificationQuestions => {
                "Clarification questions: when a provider asks about a procurement your council runs"
            }
        }
    }
}

/// The email templates (one registry escaping HTML, one plain for the text parts and
/// subjects). Like the page templates, they are embedded, immutable data.
fn registries() -> &'static (Handlebars<'static>, Handlebars<'static>) {
    static REGISTRIES: OnceLock<(Handlebars<'static>, Handlebars<'static>)> = OnceLock::new();
    REGISTRIES.get_or_init(|| {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        for (path, bytes) in assets::EMAIL_TEMPLATES {
            let source = std::str::from_utf8(bytes).expect("email templates are UTF-8");
            let Some(name) = path.strip_suffix(".hbs") else {
                continue;
            };
            let result = match name {
                "_layout.html" => html.register_partial("layout_html", source),
                "_layout.txt" => text.register_partial("layout_txt", source),
                n if n.ends_with(".html") => html.register_template_string(n, source),
                n => text.register_template_string(n, source.trim_end()),
            };
            if let Err(e) = result {
                panic!("email template {path} does not compile: {e}");
            }
        }
        (html, text)
    })
}

/// The names of every email template (folders under `frontend/emails`).
pub fn template_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = assets::EMAIL_TEMPLATES
        .iter()
        .filter_map(|(p, _)| p.split_once('/').map(|(dir, _)| dir))
        .collect();
    names.dedup();
    names
}

/// An email's data, typed: the template it fills, and a realistic sample of itself for
/// previews and the snapshot tests. Each context declares its messages in `emails.rs`
/// and lists their samples, which `app::email_samples` gathers (the snapshot tests
/// render each).
pub trait Message: Serialize {
    /// The folder under `frontend/emails`.
    const TEMPLATE: &'static str;
    /// Realistic data for previews and snapshots.
    fn sample() -> Self
    where
        Self: Sized;
}

/// A message as an email's data. Prefer [`Email::new`]; this is for emails built field by
/// field (a secret link's, an optional one's).
pub fn data<M: Message>(message: &M) -> serde_json::Value {
    serde_json::to_value(message).expect("a message serialises")
}

/// `M`'s template and sample, as the snapshot tests render them.
pub fn sample<M: Message>() -> (&'static str, serde_json::Value) {
    (
        M::TEMPLATE,
        serde_json::to_value(M::sample()).expect("a message serialises"),
    )
}

/// Who an email goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub address: String,
    pub name: String,
    /// The user, when the address is one (for opting out of optional emails).
    pub user_id: Option<Uuid>,
}

impl From<(String, String, Uuid)> for Recipient {
    /// From `(email, name, user id)`, as queries select them.
    fn from((address, name, id): (String, String, Uuid)) -> Self {
        Self {
            address,
            name,
            user_id: Some(id),
        }
    }
}

impl Email {
    /// `message` for `to`, saying in one sentence why they got it.
    pub fn new<M: Message>(
        message: &M,
        to: impl Into<Recipient>,
        reason: impl Into<String>,
    ) -> Self {
        let to = to.into();
        Self {
            template: M::TEMPLATE,
            to_address: to.address,
            to_name: to.name,
            user_id: to.user_id,
            reason: reason.into(),
            optional_kind: None,
            data: serde_json::to_value(message).expect("a message serialises"),
        }
    }

    /// Marks it as a notification the reader may stop.
    pub fn optional(mut self, kind: NotificationKind) -> Self {
        self.optional_kind = Some(kind);
        self
    }
}

/// A message to send: which template, to whom, why, and the template's data.
#[derive(Debug, Clone)]
pub struct Email {
    pub template: &'static str,
    pub to_address: String,
    pub to_name: String,
    pub user_id: Option<Uuid>,
    /// One sentence saying why the reader got this email.
    pub reason: String,
    /// Set for notifications the reader may stop.
    pub optional_kind: Option<NotificationKind>,
    pub data: serde_json::Value,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What templates see besides the email's own data.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub public_url: String,
    pub unsubscribe_key: Vec<u8>,
    /// Derives the secret in an emailed link from its message's id (see [`SecretLink`]).
    pub link_key: Vec<u8>,
}

impl MailContext {
    /// From the settings: the public URL, and the link keys derived from the token signing
    /// key (so there is no extra secret to configure).
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            public_url: settings.public_url.clone(),
            unsubscribe_key: settings.derived_key("commissioning unsubscribe links"),
            link_key: settings.derived_key("commissioning emailed link secrets"),
        }
    }

    /// A new, globally unique `Message-ID` on the public URL's host.
    pub fn new_message_id(&self) -> String {
        let host = self
            .public_url
            .split("://")
            .nth(1)
            .unwrap_or("localhost")
            .split(['/', ':'])
            .next()
            .unwrap_or("localhost");
        format!("<{}@{host}>", Uuid::new_v4())
    }

    /// The secret a message's links carry: HMAC of its `Message-ID` under [`Self::link_key`].
    /// Only the sender computes it when it delivers; nothing stores it.
    pub fn link_secret(&self, message_id: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.link_key).expect("any key length");
        mac.update(message_id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn unsubscribe_placeholder(&self) -> String {
        format!(
            "{}/notifications/unsubscribe?token={HIDDEN_UNSUBSCRIBE_TOKEN}",
            self.public_url
        )
    }

    /// A stored message's part with its secrets put back, for delivery only. Only the
    /// placeholders are replaced, so this works in the HTML part too, where the URLs
    /// around them are escaped.
    pub fn reveal(
        &self,
        part: &str,
        message_id: &str,
        unsubscribe: Option<(Uuid, NotificationKind)>,
    ) -> String {
        let mut out = part.to_string();
        if let Some((user, kind)) = unsubscribe
            && out.contains(HIDDEN_UNSUBSCRIBE_TOKEN)
        {
            out = out.replace(
                HIDDEN_UNSUBSCRIBE_TOKEN,
                &unsubscribe::token(&self.unsubscribe_key, user, kind),
            );
        }
        if out.contains(HIDDEN_LINK_TOKEN) {
            out = out.replace(HIDDEN_LINK_TOKEN, &self.link_secret(message_id));
        }
        out
    }
}

/// Stands in the stored copy of a message for the secret in its link (a password reset,
/// an email confirmation, an invitation): administrators can read the outbox, so it never
/// holds a live link. The sender puts the secret back as it delivers.
pub const HIDDEN_LINK_TOKEN: &str = "HIDDEN-LINK-TOKEN";
/// Stands in the stored copy for an unsubscribe link's signature, likewise.
pub const HIDDEN_UNSUBSCRIBE_TOKEN: &str = "HIDDEN-UNSUBSCRIBE-TOKEN";

/// A message that will carry a secret link: its `Message-ID`, fixed before it is written,
/// and the secret derived from it, whose hash the caller stores to recognise the link.
#[derive(Debug, Clone)]
pub struct SecretLink {
    pub message_id: String,
    pub token: String,
}

impl SecretLink {
    /// A new message id and its secret.
    pub fn new(context: &MailContext) -> Self {
        let message_id = context.new_message_id();
        let token = context.link_secret(&message_id);
        Self { message_id, token }
    }

    /// `{public_url}{path}?token=…` as stored: with the secret hidden.
    pub fn url(context: &MailContext, path: &str) -> String {
        format!("{}{path}?token={HIDDEN_LINK_TOKEN}", context.public_url)
    }
}

/// Renders an email's subject and both parts.
pub fn render(context: &MailContext, email: &Email) -> anyhow::Result<Rendered> {
    let (html, text) = registries();
    let mut data = match &email.data {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    data.insert("service_name".into(), crate::assets::SERVICE_NAME.into());
    data.insert("public_url".into(), context.public_url.clone().into());
    data.insert("recipient_name".into(), email.to_name.clone().into());
    data.insert("reason".into(), email.reason.clone().into());
    data.insert(
        "preferences_url".into(),
        format!("{}/account/notifications", context.public_url).into(),
    );
    // The stored copy carries a placeholder; the sender signs the real link.
    let unsubscribe = match (email.optional_kind, email.user_id) {
        (Some(_), Some(_)) => serde_json::Value::String(context.unsubscribe_placeholder()),
        _ => serde_json::Value::Null,
    };
    data.insert("unsubscribe_url".into(), unsubscribe);
    let subject = text
        .render(&format!("{}/subject.txt", email.template), &data)?
        .trim()
        .to_string();
    data.insert("subject".into(), subject.clone().into());
    Ok(Rendered {
        text: text.render(&format!("{}/body.txt", email.template), &data)?,
        html: html.render(&format!("{}/body.html", email.template), &data)?,
        subject,
    })
}

/// Renders and writes an email on the caller's connection (inside its transaction).
/// Returns `None` without writing when the reader has turned this kind of email off.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    context: &MailContext,
    email: Email,
) -> anyhow::Result<Option<i64>> {
    let message_id = context.new_message_id();
    enqueue_with_id(conn, context, email, message_id).await
}

/// As [`enqueue`], for a message whose links carry `link`'s secret (write them with
/// [`SecretLink::url`]).
pub async fn enqueue_with_secret(
    conn: &mut AsyncPgConnection,
    context: &MailContext,
    email: Email,
    link: &SecretLink,
) -> anyhow::Result<Option<i64>> {
    enqueue_with_id(conn, context, email, link.message_id.clone()).await
}

async fn enqueue_with_id(
    conn: &mut AsyncPgConnection,
    context: &MailContext,
    email: Email,
    message_id: String,
) -> anyhow::Result<Option<i64>> {
    if let (Some(kind), Some(user)) = (email.optional_kind, email.user_id) {
        let opted_out: bool = diesel::select(diesel::dsl::exists(
            notification_opt_outs::table
                .filter(notification_opt_outs::user_id.eq(user))
                .filter(notification_opt_outs::kind.eq(kind.as_str())),
        ))
        .get_result(conn)
        .await?;
        if opted_out {
            return Ok(None);
        }
    }
    let rendered = render(context, &email)?;
    let id = diesel::insert_into(outbox::table)
        .values((
            outbox::template.eq(email.template),
            outbox::to_address.eq(&email.to_address),
            outbox::to_name.eq(&email.to_name),
            outbox::user_id.eq(email.user_id),
            outbox::subject.eq(&rendered.subject),
            outbox::text_body.eq(&rendered.text),
            outbox::html_body.eq(&rendered.html),
            outbox::reason.eq(&email.reason),
            outbox::optional_kind.eq(email.optional_kind.map(|k| k.as_str())),
            outbox::message_id.eq(&message_id),
        ))
        .returning(outbox::id)
        .get_result(conn)
        .await?;
    Ok(Some(id))
}

/// One outbox row as administrators see it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: i64,
    pub template: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub reason: String,
    pub optional_kind: Option<String>,
    pub message_id: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub run_after: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message with its rendered parts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessageDetail {
    #[serde(flatten)]
    pub message: OutboxMessage,
    pub text_body: String,
    pub html_body: String,
}

/// A page of the outbox, newest first, optionally of one status or recipient.
pub async fn list(
    conn: &mut AsyncPgConnection,
    status: Option<OutboxStatus>,
    to: Option<&str>,
    page: PageRequest,
) -> QueryResult<Paged<OutboxMessage>> {
    let query = || {
        let mut q = outbox::table.into_boxed();
        if let Some(status) = status {
            q = q.filter(outbox::status.eq(status));
        }
        if let Some(to) = to.map(str::trim).filter(|t| !t.is_empty()) {
            q = q.filter(
                outbox::to_address.ilike(format!("%{}%", crate::http::pagination::escape_like(to))),
            );
        }
        q
    };
    let total = query().count().get_result(conn).await?;
    let items = query()
        .order(outbox::id.desc())
        .limit(page.limit())
        .offset(page.offset())
        .select(OutboxMessage::as_select())
        .load(conn)
        .await?;
    Ok(Paged::new(items, total, page))
}

/// One message with its parts.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<OutboxMessageDetail>> {
    outbox::table
        .find(id)
        .select((
            OutboxMessage::as_select(),
            outbox::text_body,
            outbox::html_body,
        ))
        .first::<(OutboxMessage, String, String)>(conn)
        .await
        .optional()
        .map(|row| {
            row.map(|(message, text_body, html_body)| OutboxMessageDetail {
                message,
                text_body,
                html_body,
            })
        })
}

/// Sends a failed (or sent) message again: back to pending, attempts reset. The
/// `Message-ID` stays, so a reader's mail client can tell it is the same message.
pub async fn resend(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.ne(OutboxStatus::Sending)),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending),
        outbox::attempts.eq(0),
        outbox::run_after.eq(diesel::dsl::now),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> MailContext {
        MailContext {
            public_url: "https://care.example".into(),
            unsubscribe_key: b"k".repeat(32),
            link_key: b"l".repeat(32),
        }
    }

    #[test]
    fn html_parts_escape_data() {
        let email = Email {
            template: "verify_email",
            to_address: "a@b.example".into(),
            to_name: "<script>".into(),
            user_id: None,
            reason: "r".into(),
            optional_kind: None,
            data: serde_json::json!({"link": "https://x", "organisation_name": "A & B", "valid_hours": 1}),
        };
        let r = render(&context(), &email).unwrap();
        assert!(r.html.contains("&lt;script&gt;") && !r.html.contains("<script>"));
        assert!(r.text.contains("Dear <script>,"));
    }

    #[test]
    fn stored_copies_hide_link_secrets_and_delivery_reveals_them() {
        let context = context();
        let link = SecretLink::new(&context);
        let email = Email {
            template: "reset_password",
            to_address: "a@b.example".into(),
            to_name: "Ann".into(),
            user_id: Some(Uuid::nil()),
            reason: "r".into(),
            optional_kind: Some(NotificationKind::DeadlineReminders),
            data: serde_json::json!({"link": SecretLink::url(&context, "/reset-password")}),
        };
        let stored = render(&context, &email).unwrap();
        for part in [&stored.text, &stored.html] {
            assert!(part.contains(HIDDEN_LINK_TOKEN), "{part}");
            assert!(!part.contains(&link.token));
            assert!(!part.contains(&unsubscribe::token(
                &context.unsubscribe_key,
                Uuid::nil(),
                NotificationKind::DeadlineReminders
            )));
        }
        let unsubscribe = Some((Uuid::nil(), NotificationKind::DeadlineReminders));
        for part in [&stored.text, &stored.html] {
            let sent = context.reveal(part, &link.message_id, unsubscribe);
            assert!(sent.contains(&link.token));
            assert!(!sent.contains(HIDDEN_LINK_TOKEN) && !sent.contains(HIDDEN_UNSUBSCRIBE_TOKEN));
            assert!(sent.contains(&unsubscribe::token(
                &context.unsubscribe_key,
                Uuid::nil(),
                NotificationKind::DeadlineReminders
            )));
        }
        // Another message's id gives another secret.
        assert_ne!(context.link_secret("<other@care.example>"), link.token);
    }
}
