//! The administrator's audit log page.

use crate::admin::audit_words;
use crate::audit::{AuditFilter, AuditRow};
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::routing::resource;
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::Pagination;
use crate::web::{Layout, PageError, render, url_encode};
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// Registers the audit log page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/audit").route(web::get().to(audit_page)));
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    row: AuditRow,
    when: String,
    /// What was done, to which named record: "added a user: Bob Jones (bob@…)".
    what: String,
    details: Vec<Detail>,
}

#[derive(Serialize)]
struct Detail {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct AuditPage {
    rows: Paged<Row>,
    action: String,
    actor: String,
    record_type: String,
    pagination: Pagination,
    verification: crate::audit::Verification,
    anchor: String,
    anchor_error: Option<&'static str>,
}

/// GET /admin/audit
pub async fn audit_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    filter: web::Query<AuditFilter>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let rows = crate::audit::list(&mut conn, &filter, *page).await?;
    let records: Vec<(String, String)> = rows
        .items
        .iter()
        .map(|r| (r.record_type.clone(), r.record_id.clone()))
        .collect();
    let names = audit_words::record_names(&mut conn, &records).await?;
    let rows = rows.map(|row| {
        let name = names.get(&(row.record_type.clone(), row.record_id.clone()));
        let what = match (audit_words::action_words(&row.action), name) {
            (Some(words), Some(name)) => format!("{words} {name}"),
            (Some(words), None) => words.trim_end_matches(':').to_string(),
            (None, Some(name)) => format!("{} {name}", row.action),
            (None, None) => format!("{} {} {}", row.action, row.record_type, row.record_id),
        };
        Row {
            when: row
                .occurred_at
                .with_timezone(&chrono_tz::Europe::London)
                .format("%-d %b %Y %H:%M:%S")
                .to_string(),
            what,
            details: audit_words::detail_lines(&row.details)
                .into_iter()
                .map(|(label, value)| Detail { label, value })
                .collect(),
            row,
        }
    });
    let key = crate::audit::AuditKey::from_settings(&state.settings);
    let anchor_text = filter.anchor.clone().unwrap_or_default();
    let anchor = crate::audit::Anchor::parse(&anchor_text);
    let verification = crate::audit::seal_and_verify(
        &mut conn,
        &key,
        anchor.as_ref(),
        crate::audit::seal::WAIT_FOR_PEOPLE,
    )
    .await?;
    let anchor_error = (!anchor_text.trim().is_empty() && anchor.is_none())
        .then_some("Enter the whole line from the email, starting audit-anchor.v1");
    let f = &*filter;
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let encoded = format!(
        "action={}&actor={}&record_type={}&",
        url_encode(&text(&f.action)),
        url_encode(&text(&f.actor)),
        url_encode(&text(&f.record_type))
    );
    let pagination = Pagination::new("/admin/audit", &encoded, &rows);
    Ok(render(
        "admin/audit",
        Layout::new("Audit log", "/admin/audit", Some(&user.0), &csrf),
        AuditPage {
            rows,
            action: text(&f.action),
            actor: text(&f.actor),
            record_type: text(&f.record_type),
            pagination,
            verification,
            anchor: anchor_text,
            anchor_error,
        },
        &csrf,
    ))
}
