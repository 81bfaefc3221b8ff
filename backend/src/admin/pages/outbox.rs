//! The administrator's Email pages: the outbox, one message with its parts, and sending
//! one again.

use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::routing::resource;
use crate::mail::{self, OutboxStatus};
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::Pagination;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{Layout, PageError, render, see_other};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// Registers the Email pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/outbox").route(web::get().to(outbox_page)))
        .service(resource("/admin/outbox/{id}").route(web::get().to(message_page)))
        .service(resource("/admin/outbox/{id}/html").route(web::get().to(message_html)))
        .service(resource("/admin/outbox/{id}/resend").route(web::post().to(resend_message)));
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    message: mail::OutboxMessage,
    created: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    text: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct OutboxPage {
    messages: Paged<Row>,
    statuses: Vec<Choice>,
    to: String,
    pagination: Pagination,
    file_mode: Option<String>,
}

fn london(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::London)
        .format("%-d %b %Y %H:%M")
        .to_string()
}

/// GET /admin/outbox
pub async fn outbox_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<OutboxQuery>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let status = query
        .status
        .as_deref()
        .and_then(|s| s.parse::<OutboxStatus>().ok());
    let mut conn = state.db().await?;
    let messages = mail::list(&mut conn, status, query.to.as_deref(), *page)
        .await?
        .map(|m| Row {
            created: london(m.created_at),
            message: m,
        });
    let to = query.to.clone().unwrap_or_default();
    let encoded = format!(
        "status={}&to={}&",
        status.map(|s| s.as_str()).unwrap_or(""),
        crate::web::url_encode(&to)
    );
    let pagination = Pagination::new("/admin/outbox", &encoded, &messages);
    let mut statuses = vec![Choice {
        value: "",
        text: "Any",
        selected: status.is_none(),
    }];
    statuses.extend(
        [
            ("pending", "Waiting to send"),
            ("sending", "Sending"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ]
        .map(|(v, t)| Choice {
            value: v,
            text: t,
            selected: status.map(|s| s.as_str()) == Some(v),
        }),
    );
    let file_mode = state
        .settings
        .mail
        .smtp_url
        .is_none()
        .then(|| state.settings.mail.mail_dir.display().to_string());
    Ok(render(
        "admin/outbox",
        Layout::new("Email", "/admin/outbox", Some(&user.0), &csrf),
        OutboxPage {
            messages,
            statuses,
            to,
            pagination,
            file_mode,
        },
        &csrf,
    ))
}

#[derive(Serialize)]
struct MessagePage {
    message: mail::OutboxMessageDetail,
    created: String,
    sent: String,
    can_resend: bool,
}

/// GET /admin/outbox/{id}
pub async fn message_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let message = mail::find(&mut conn, *id)
        .await?
        .ok_or(PageError::NotFound)?;
    let title = format!("Email {}", message.message.id);
    Ok(render(
        "admin/outbox_message",
        Layout::new(title, "/admin/outbox", Some(&user.0), &csrf).back_to("/admin/outbox"),
        MessagePage {
            created: london(message.message.created_at),
            sent: message
                .message
                .sent_at
                .map(london)
                .unwrap_or_else(|| "Not sent".into()),
            can_resend: message.message.status != OutboxStatus::Sending,
            message,
        },
        &csrf,
    ))
}

/// GET /admin/outbox/{id}/html: the HTML part as the reader sees it, sandboxed (no scripts,
/// no same-origin access), for opening in its own tab.
pub async fn message_html(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let message = mail::find(&mut conn, *id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        ))
        .body(message.html_body))
}

/// POST /admin/outbox/{id}/resend
pub async fn resend_message(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<i64>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let id = *id;
    let mut conn = state.db().await?;
    mail::find(&mut conn, id)
        .await?
        .ok_or(PageError::NotFound)?;
    if mail::resend(&mut conn, id).await? {
        crate::audit::record(
            &mut conn,
            &user.0.actor(),
            crate::audit::Entry::new("email.resend", "outbox", id),
        )
        .await?;
    }
    Ok(see_other(&format!("/admin/outbox/{id}")))
}
