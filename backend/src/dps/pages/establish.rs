//! Checking and establishing a DPS, and its notices: check your answers (every answer
//! with a Change link), the establishing button (confirmed first: it cannot be undone, and
//! the conditions are then fixed for the term), the confirmation panel, and the notices
//! page where the notice of intention is prepared and each notice downloaded as data.

use super::Facts;
use super::markets::{ConditionLine, DoneQuery};
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::dps::model::{DpsNoticeKind, DpsView};
use crate::dps::{markets, queries};
use crate::evaluation::questionnaires;
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::tasks::{AnswerRow, Panel};
use crate::web::{Feedback, Layout, PageError, PageUser, attachment, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct CheckView {
    d: Facts,
    rows: Vec<AnswerRow>,
}

/// The answers, one row per question, each changed where it was entered.
async fn check_view(
    conn: &mut diesel_async::AsyncPgConnection,
    view: &DpsView,
) -> Result<CheckView, PageError> {
    let d = Facts::from(view);
    let id = view.id;
    let edit = |input: &str| format!("/dps/{id}/edit#{input}");
    let mut rows = vec![
        AnswerRow::new("Name", vec![d.title.clone()]).change_at(edit("title")),
        AnswerRow::new("Reference", vec![d.reference.clone()]).change_at(edit("reference")),
        AnswerRow::new("Description", vec![d.description.clone()]).change_at(edit("description")),
        AnswerRow::new("Rules", vec![d.regime.into()]).change_at(edit("regime")),
        AnswerRow::new("Term", vec![d.term.clone()]).change_at(edit("starts_day")),
        AnswerRow::new("Types of service", vec![d.service_types.clone()])
            .change_at(edit("service_types")),
        AnswerRow::new("Rounds", vec![d.rounds.clone(), d.cutoff.clone()])
            .change_at(edit("round_schedule")),
        AnswerRow::new("Decisions", vec![d.decision.clone()])
            .change_at(edit("decision_working_days")),
        AnswerRow::new("CQC ratings", vec![d.cqc_rule.into()]).change_at(edit("cqc_rule")),
    ];
    let all = questionnaires::all_of(conn, id).await?;
    for lot in &d.lots {
        let lines: Vec<String> = questionnaires::current_among(&all, Some(lot.id))
            .map(|q| {
                q.questionnaire
                    .questions()
                    .map(ConditionLine::of)
                    .map(|c| format!("{} ({})", c.title, c.how.to_lowercase()))
                    .collect()
            })
            .unwrap_or_default();
        rows.push(
            AnswerRow::new(format!("Lot {}: {}", lot.number, lot.title), lines)
                .change_at(format!("/dps/{id}/lots/{}", lot.id)),
        );
    }
    Ok(CheckView { d, rows })
}

async fn show_check(
    state: &AppState,
    user: &PageUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, id).await?;
    if row.facts.established_at.is_some() {
        return Ok(see_other(&format!("/dps/{id}")));
    }
    let view = queries::view(&mut conn, &row).await?;
    let check = check_view(&mut conn, &view).await?;
    drop(conn);
    let layout = Layout::new(
        "Check your answers before establishing the DPS",
        "/dps",
        Some(&user.0),
        csrf,
    )
    .back_to(format!("/dps/{id}"));
    Ok(render_page(
        "dps/check",
        layout,
        &check,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /dps/{id}/check
pub async fn check_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    show_check(&state, &user, &csrf, *id, Feedback::default()).await
}

/// POST /dps/{id}/establish: confirmed first; a refusal (a lot without conditions) comes
/// back to check your answers with each problem linked to its lot.
pub async fn establish(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let id = *id;
    let CsrfForm { data: form, csrf } = form;
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, id).await?;
    let view = queries::view(&mut conn, &row).await?;
    if !form.confirmed() {
        drop(conn);
        let layout = Layout::new("Establish the DPS", "/dps", Some(&user.0), &csrf)
            .back_to(format!("/dps/{id}/check"));
        let confirmation = Confirmation {
            caption: view.reference.clone(),
            heading: format!("Are you sure you want to establish {}?", view.title),
            items: Vec::new(),
            paragraphs: vec![
                "Providers will be able to see it and apply to its lots at any time during its term.".into(),
                "The notice of establishment will be prepared for publication.".into(),
            ],
            warnings: vec![
                "Its details and each lot's conditions of membership cannot change during the term.".into(),
            ],
            action: format!("/dps/{id}/establish"),
            carry: Vec::new(),
            button: "Establish the DPS".into(),
            warning_button: false,
            back: format!("/dps/{id}/check"),
            back_text: "Go back to check your answers".into(),
        };
        return Ok(render_confirmation(layout, &confirmation, &csrf));
    }
    let result = markets::establish(&mut conn, &user.0, id).await;
    drop(conn);
    match result {
        Ok(_) => Ok(see_other(&format!("/dps/{id}/established"))),
        Err(e) => {
            let p: crate::http::problem::Problem = e.into();
            if !crate::web::page::shown_on_page(&p) {
                return Err(p.into());
            }
            // Each lot's problem links to that lot's conditions page.
            let lot_href = |field: &str| {
                field
                    .strip_prefix("lots[")
                    .and_then(|i| i.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| view.lots.get(i))
                    .map_or(field.to_string(), |l| {
                        format!("/dps/{id}/lots/{}", l.lot.id)
                    })
            };
            let errors = crate::web::page::page_errors(&p, lot_href);
            show_check(&state, &user, &csrf, id, Feedback::errors(errors)).await
        }
    }
}

#[derive(Serialize)]
struct ReceiptView {
    d: Facts,
    panel: Panel,
}

/// GET /dps/{id}/established: the confirmation panel and what happens next.
pub async fn receipt(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, *id).await?;
    if row.facts.established_at.is_none() {
        return Ok(see_other(&format!("/dps/{id}/check")));
    }
    let view = queries::view(&mut conn, &row).await?;
    drop(conn);
    let page = ReceiptView {
        panel: Panel {
            title: "DPS established".into(),
            reference_label: "Reference".into(),
            reference: Some(view.reference.clone()),
        },
        d: Facts::from(&view),
    };
    let layout = Layout::new("DPS established", "/dps", Some(&user.0), &csrf);
    Ok(render_page(
        "dps/established",
        layout,
        &page,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize)]
struct NoticeLine {
    kind: &'static str,
    name: String,
    prepared: String,
}

#[derive(Serialize)]
struct NoticesView {
    d: Facts,
    notices: Vec<NoticeLine>,
    can_prepare_intention: bool,
}

/// GET /dps/{id}/notices (the council's staff)
pub async fn notices_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let notices = markets::notices(&mut conn, &user.0, *id).await?;
    let (row, _) = queries::load(&mut conn, Some(&user.0), *id).await?;
    let view = queries::view(&mut conn, &row).await?;
    drop(conn);
    let page = NoticesView {
        can_prepare_intention: user.0.role == Role::Commissioner
            && view.established_at.is_none()
            && !notices.iter().any(|n| n.kind == DpsNoticeKind::Intention),
        notices: notices
            .iter()
            .map(|n| NoticeLine {
                kind: n.kind.as_str(),
                name: n.notice_name.clone(),
                prepared: crate::calendar::london_time(n.prepared_at),
            })
            .collect(),
        d: Facts::from(&view),
    };
    let layout = Layout::new("Notices", "/dps", Some(&user.0), &csrf).back_to(format!("/dps/{id}"));
    Ok(render_page(
        "dps/notices",
        layout,
        &page,
        query.feedback(),
        StatusCode::OK,
        &csrf,
    ))
}

/// POST /dps/{id}/notices: prepares the notice of intention.
pub async fn prepare_intention(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    markets::prepare_intention(&mut conn, &user.0, *id).await?;
    Ok(see_other(&format!("/dps/{id}/notices?done=intention")))
}

/// GET /dps/{id}/notices/{kind}.json: one notice's data, to publish.
pub async fn download_notice(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, PageError> {
    let (id, kind) = path.into_inner();
    let kind: DpsNoticeKind = kind.parse().map_err(|_| PageError::NotFound)?;
    let mut conn = state.db().await?;
    let notices = markets::notices(&mut conn, &user.0, id).await?;
    drop(conn);
    // The newest of its kind (a modification may be prepared more than once).
    let notice = notices
        .into_iter()
        .rev()
        .find(|n| n.kind == kind)
        .ok_or(PageError::NotFound)?;
    let body = serde_json::to_vec_pretty(&notice).map_err(anyhow::Error::from)?;
    Ok(attachment(
        "application/json",
        &format!("{}-notice", kind.as_str()),
        &notice.reference,
        "json",
        body,
    ))
}
