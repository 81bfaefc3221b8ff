//! The administrator's audit log page.

use super::{AuditFilter, AuditRow};
use crate::auth::csrf::CsrfToken;
use crate::auth::extract::PageUser;
use crate::http::AppState;
use crate::http::pagination::{PageRequest, Paged};
use crate::organisations::model::Role;
use crate::organisations::pages::Pagination;
use crate::web::{Layout, PageError, render, url_encode};
use actix_web::{HttpResponse, web};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    row: AuditRow,
    when: String,
    details: String,
}

#[derive(Serialize)]
struct AuditPage {
    rows: Paged<Row>,
    action: String,
    actor: String,
    record_type: String,
    pagination: Pagination,
    verification: super::Verification,
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
    let rows = super::list(&mut conn, &filter, *page)
        .await?
        .map(|row| Row {
            when: row
                .occurred_at
                .with_timezone(&chrono_tz::Europe::London)
                .format("%-d %b %Y %H:%M:%S")
                .to_string(),
            details: row.details.to_string(),
            row,
        });
    let verification = super::verify(&mut conn).await?;
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
        },
        &csrf,
    ))
}
