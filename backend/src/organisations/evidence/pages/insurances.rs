//! The provider's insurances list, the check-your-answers step that saves a draft, removal
//! after a confirmation, and certificate downloads.

use super::DoneQuery;
use crate::auth::csrf::CsrfToken;
use crate::organisations::evidence::insurances::{self, may_manage};
use crate::organisations::evidence::model::InsuranceView;
use crate::organisations::{OrganisationError, pages::problem_page};
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::tasks::AnswerRow;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Serialize;
use uuid::Uuid;

/// Only a provider's own users manage its insurances on these pages.
pub(super) fn require_provider(user: &PageUser) -> Result<uuid::Uuid, PageError> {
    if may_manage(&user.0, user.0.organisation_id) {
        Ok(user.0.organisation_id)
    } else {
        Err(PageError::Forbidden)
    }
}

#[derive(Serialize)]
struct ListView {
    insurances: Vec<InsuranceView>,
}

/// GET /organisation/insurances
pub async fn list_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let org = require_provider(&user)?;
    let mut conn = state.db().await?;
    let insurances = insurances::list(&mut conn, &user.0, org, insurances::today())
        .await
        .map_err(problem_page)?;
    let layout = Layout::new("Your insurances", "/organisation", Some(&user.0), &csrf)
        .back_to("/organisation");
    Ok(render_page(
        "evidence/insurances",
        layout,
        &ListView { insurances },
        Feedback::notice(query.notice()),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize)]
struct CheckView {
    rows: Vec<AnswerRow>,
    action: String,
    change: bool,
}

fn answer_rows(i: &InsuranceView) -> Vec<AnswerRow> {
    let at = |anchor: &str| format!("/organisation/insurances/{}/edit#{anchor}", i.id);
    let mut rows = vec![
        AnswerRow::new("Kind of insurance", vec![i.kind.label().into()]).change_at(at("kind")),
    ];
    if !i.description.is_empty() {
        rows.push(
            AnswerRow::new("What it covers", vec![i.description.clone()])
                .change_at(at("description")),
        );
    }
    rows.extend([
        AnswerRow::new("Insurer", vec![i.insurer.clone()]).change_at(at("insurer")),
        AnswerRow::new("Limit of cover", vec![i.cover.clone()]).change_at(at("cover")),
        AnswerRow::new("Start date", vec![crate::calendar::long_date(i.starts_on)])
            .change_at(at("starts_on_day")),
        AnswerRow::new(
            "Expiry date",
            vec![crate::calendar::long_date(i.expires_on)],
        )
        .change_at(at("expires_on_day")),
        AnswerRow::new("Certificate", vec![i.certificate.file_name.clone()])
            .change_at(at("certificate")),
    ]);
    rows
}

async fn draft(state: &AppState, user: &PageUser, id: Uuid) -> Result<InsuranceView, PageError> {
    let org = require_provider(user)?;
    let mut conn = state.db().await?;
    let view = insurances::get(&mut conn, &user.0, org, id, insurances::today())
        .await
        .map_err(problem_page)?;
    if !view.draft {
        return Err(problem_page(OrganisationError::Missing("Draft insurance")));
    }
    Ok(view)
}

fn show_check(
    user: &PageUser,
    csrf: &CsrfToken,
    view: &InsuranceView,
    change: bool,
    feedback: Feedback,
) -> HttpResponse {
    let layout = Layout::new(
        "Check your answers before saving this insurance",
        "/organisation",
        Some(&user.0),
        csrf,
    )
    .back_to(format!("/organisation/insurances/{}/edit", view.id));
    render_page(
        "evidence/insurance_check",
        layout,
        &CheckView {
            rows: answer_rows(view),
            action: format!("/organisation/insurances/{}/check", view.id),
            change,
        },
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    )
}

/// GET /organisation/insurances/{id}/check: the draft's answers, each with a Change link.
pub async fn check_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let view = draft(&state, &user, *id).await?;
    let change = is_change(&state, *id).await?;
    Ok(show_check(&user, &csrf, &view, change, Feedback::default()))
}

async fn is_change(state: &AppState, id: Uuid) -> Result<bool, PageError> {
    use crate::db::schema::insurances;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = state.db().await?;
    Ok(insurances::table
        .find(id)
        .select(insurances::replaces_id.is_not_null())
        .first(&mut conn)
        .await
        .optional()?
        .unwrap_or(false))
}

/// POST /organisation/insurances/{id}/check: saves the insurance.
pub async fn confirm(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let org = require_provider(&user)?;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            insurances::confirm_draft(tx, &user.0, org, *id).await
        })
        .await;
    drop(conn);
    after_post(
        result,
        |(_, changed)| {
            format!(
                "/organisation/insurances?done={}",
                if changed { "changed" } else { "added" }
            )
        },
        |f: &str| f.to_string(),
        async |errors| {
            let view = draft(&state, &user, *id).await?;
            Ok(show_check(
                &user,
                &form.csrf,
                &view,
                false,
                Feedback::errors(errors),
            ))
        },
    )
    .await
}

/// POST /organisation/insurances/{id}/remove: asks first, then removes.
pub async fn remove(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let org = require_provider(&user)?;
    let mut conn = state.db().await?;
    if !form.data.confirmed() {
        let view = insurances::get(&mut conn, &user.0, org, *id, insurances::today())
            .await
            .map_err(problem_page)?;
        let confirmation = Confirmation {
            caption: view.insurer.clone(),
            heading: format!("Are you sure you want to remove your {}?", view.name.to_lowercase()),
            items: Vec::new(),
            paragraphs: vec![
                format!(
                    "The {} with {}, ending on {}, and its certificate will no longer be on your organisation's profile.",
                    view.name.to_lowercase(),
                    view.insurer,
                    crate::calendar::long_date(view.expires_on)
                ),
                "Councils check your insurances before you can join or stay in a market. Remove only a policy you entered by mistake or that a newer one replaces.".into(),
            ],
            warnings: Vec::new(),
            action: format!("/organisation/insurances/{id}/remove"),
            carry: Vec::new(),
            button: "Yes, remove it".into(),
            warning_button: true,
            back: "/organisation/insurances".into(),
            back_text: "No, keep it".into(),
        };
        let layout = Layout::new(
            "Remove an insurance",
            "/organisation",
            Some(&user.0),
            &form.csrf,
        )
        .back_to("/organisation/insurances");
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    conn.transaction::<_, OrganisationError, _>(async |tx| {
        insurances::remove(tx, &user.0, org, *id).await
    })
    .await
    .map_err(problem_page)?;
    Ok(crate::web::see_other(
        "/organisation/insurances?done=removed",
    ))
}

/// GET /providers/{org}/insurances/{id}/certificate: the provider's own users, and
/// commissioners and administrators.
pub async fn certificate(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (org, id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = insurances::certificate(&mut conn, &user.0, org, id)
        .await
        .map_err(problem_page)?;
    drop(conn);
    Ok(crate::storage::send(&state.files, file).await?)
}
