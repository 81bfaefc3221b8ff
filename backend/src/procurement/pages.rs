//! Pages of the evaluation engine: opportunities and bids for providers, procurements for
//! commissioners, declarations and score sheets for evaluators. Handlers stay thin: they
//! read the form, call the same context functions as the API inside a transaction, and
//! either redirect (Post/Redirect/Get, with a fixed `?done=` notice) or re-render the page
//! with an error summary.

use super::evaluation::{self, AwardInput, DeclarationInput, ScoreInput};
use super::model::*;
use super::submissions;
use super::{
    Access, ProcurementFilter, ProcurementInput, QuestionnaireInput, QuestionnaireView, rules,
};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::calendar::{london_time, long_date};
use crate::http::pagination::PageRequest;
use crate::http::problem::{FieldError, Problem};
use crate::http::routing::resource;
use crate::organisations::model::ServiceType;
use crate::state::AppState;
use crate::web::Pagination;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{Layout, PageError, render_status, see_other};
use crate::web::{MaybePageUser, PageUser};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Registers this context's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/opportunities").route(web::get().to(opportunities_page)))
        .service(resource("/opportunities/{id}").route(web::get().to(opportunity_page)))
        .service(resource("/opportunities/{id}/interest").route(web::post().to(register_interest)))
        .service(resource("/opportunities/{id}/questions").route(web::post().to(ask_question)))
        .service(resource("/opportunities/{id}/bids").route(web::post().to(start_bid)))
        .service(
            resource("/opportunities/{id}/documents/{file_id}")
                .route(web::get().to(download_document)),
        )
        .service(resource("/bids").route(web::get().to(bids_page)))
        .service(
            resource("/bids/{id}")
                .route(web::get().to(bid_page))
                .route(web::post().to(save_bid)),
        )
        .service(resource("/bids/{id}/withdraw").route(web::post().to(withdraw_bid)))
        .service(
            resource("/submissions/{id}/files/{file_id}")
                .route(web::get().to(download_submission_file)),
        )
        .service(resource("/procurements").route(web::get().to(procurements_page)))
        .service(
            resource("/procurements/new")
                .route(web::get().to(new_procurement_page))
                .route(web::post().to(create_procurement)),
        )
        .service(resource("/procurements/{id}").route(web::get().to(procurement_page)))
        .service(
            resource("/procurements/{id}/edit")
                .route(web::get().to(edit_procurement_page))
                .route(web::post().to(update_procurement)),
        )
        .service(
            resource("/procurements/{id}/conflicts-assessment")
                .route(web::post().to(record_conflicts_assessment)),
        )
        .service(resource("/procurements/{id}/timetable").route(web::post().to(change_timetable)))
        .service(resource("/procurements/{id}/documents").route(web::post().to(upload_document)))
        .service(
            resource("/procurements/{id}/{action:publish|open|cancel|contract-entered}")
                .route(web::post().to(procurement_action)),
        )
        .service(
            resource("/procurements/{id}/questionnaire")
                .route(web::get().to(questionnaire_page))
                .route(web::post().to(add_question)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/remove")
                .route(web::post().to(remove_question)),
        )
        .service(
            resource("/procurements/{id}/clarifications").route(web::get().to(clarifications_page)),
        )
        .service(
            resource("/procurements/{id}/clarifications/{cid}")
                .route(web::post().to(answer_clarification)),
        )
        .service(
            resource("/procurements/{id}/panel")
                .route(web::get().to(panel_page))
                .route(web::post().to(set_panel)),
        )
        .service(
            resource("/procurements/{id}/declarations")
                .route(web::get().to(declarations_page))
                .route(web::post().to(declare)),
        )
        .service(resource("/procurements/{id}/moderation").route(web::get().to(moderation_page)))
        .service(
            resource("/procurements/{id}/moderation/{sid}/{qid}").route(web::post().to(moderate)),
        )
        .service(
            resource("/procurements/{id}/price-check/{sid}")
                .route(web::post().to(record_price_check)),
        )
        .service(
            resource("/procurements/{id}/results")
                .route(web::get().to(results_page))
                .route(web::post().to(award)),
        )
        .service(
            resource("/evaluations/{sid}")
                .route(web::get().to(evaluation_page))
                .route(web::post().to(save_evaluation)),
        );
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/// A success notice chosen by a fixed key (never text from the query string).
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => {
            "Procurement created. Next, build the questionnaire and record the conflicts assessment."
        }
        "saved" => "Saved.",
        "published" => "Published. Providers can now see this opportunity and bid.",
        "assessed" => "Conflicts assessment recorded.",
        "opened" => {
            "The submissions are open. Assign the evaluation panel if you have not already."
        }
        "cancelled" => "The procurement is cancelled.",
        "contract-entered" => "The contract is recorded as entered into.",
        "document" => "Document added.",
        "timetable" => {
            "Timetable changed. Everyone who registered interest or started a bid has been emailed."
        }
        "panel" => {
            "Panel saved. Each evaluator must declare their interests before they can see any bid."
        }
        "answered" => "Answer saved and emailed.",
        "moderated" => "Agreed score saved.",
        "awarded" => {
            "Awarded. Every bidder has been emailed their assessment summary, and standstill has started."
        }
        "interest" => {
            "Interest registered. We will email you about changes and published clarifications."
        }
        "asked" => "Question sent. We will email you when the council answers.",
        "draft" => "Your draft is saved.",
        "submitted" => "Your bid is submitted and sealed. We have emailed you a receipt.",
        "withdrawn" => "Your bid is withdrawn. You can submit again before the deadline.",
        "uploaded" => "File attached.",
        "removed" => "File removed.",
        "declared" => "Declarations recorded.",
        "scores-saved" => "Your scores are saved as a draft.",
        "scores-submitted" => {
            "Your scores are submitted. You can now see the other evaluators' marks."
        }
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// Field errors for an error summary: the problem's own, or its detail as one message.
/// `field` maps an API field name to the page's input id.
fn page_errors(p: &Problem, field: impl Fn(&str) -> String) -> Vec<FieldError> {
    if p.errors.is_empty() {
        vec![FieldError::new(
            "main-content",
            p.detail.clone().unwrap_or_else(|| p.title.clone()),
        )]
    } else {
        p.errors
            .iter()
            .map(|e| FieldError::new(field(&e.field), e.message.clone()))
            .collect()
    }
}

/// The status of a page that may carry an error summary: `failed` when it does.
fn status_for(data: &Value, failed: StatusCode) -> StatusCode {
    if data["errors"].as_array().is_some_and(|e| !e.is_empty()) {
        failed
    } else {
        StatusCode::OK
    }
}

/// Whether a problem is one to show on the page (validation or a refused state change)
/// rather than an error page.
fn shown_on_page(p: &Problem) -> bool {
    p.status == 422 || p.status == 409
}

fn status_tag(status: ProcurementStatus) -> Value {
    let colour = match status {
        ProcurementStatus::Draft => "grey",
        ProcurementStatus::Open => "green",
        ProcurementStatus::Closed => "yellow",
        ProcurementStatus::InEvaluation => "blue",
        ProcurementStatus::Standstill => "purple",
        ProcurementStatus::AwaitingContract => "turquoise",
        ProcurementStatus::ContractEntered => "green",
        ProcurementStatus::Cancelled => "red",
    };
    json!({"text": status.label(), "colour": colour})
}

/// A procurement as pages show it.
fn procurement_json(v: &ProcurementView) -> Value {
    json!({
        "id": v.id,
        "reference": v.reference,
        "title": v.title,
        "description": v.description,
        "council_name": v.council_name,
        "service_type": v.service_type.label(),
        "districts": v.district_names.join(", "),
        "value": rules::pounds(v.estimated_value_pence),
        "regime": v.regime.label(),
        "light_touch": v.light_touch,
        "procedure": v.procedure.label(),
        "lots": v.lots,
        "clarification_deadline": london_time(v.clarification_deadline),
        "submission_deadline": london_time(v.submission_deadline),
        "planned_award_date": long_date(v.planned_award_date),
        "standstill_working_days": v.standstill_working_days,
        "status": status_tag(v.status),
        "status_key": v.status,
        "is_draft": v.status == ProcurementStatus::Draft,
        "cancelled": v.status == ProcurementStatus::Cancelled,
        "is_open": v.status == ProcurementStatus::Open,
        "is_closed": v.status == ProcurementStatus::Closed,
        "in_evaluation": v.status == ProcurementStatus::InEvaluation,
        "awarded": v.awarded_at.is_some(),
        "published_at": v.published_at.map(london_time),
        "opened_at": v.opened_at.map(london_time),
        "awarded_at": v.awarded_at.map(london_time),
        "standstill_ends_at": v.standstill_ends_at.map(london_time),
        "in_standstill": v.status == ProcurementStatus::Standstill,
        "awaiting_contract": v.status == ProcurementStatus::AwaitingContract,
        "contract_entered_at": v.contract_entered_at.map(london_time),
        "conflicts_assessed": v.conflicts_assessed_at.is_some(),
        "questionnaire_version": v.questionnaire_version,
        "documents": v.documents.iter().map(|d| json!({
            "id": d.id, "title": d.title, "file_name": d.file_name, "size": size(d.size_bytes),
        })).collect::<Vec<_>>(),
    })
}

fn size(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn kind_hint(q: &Question) -> String {
    let mut parts = vec![q.kind.label().to_string()];
    if let Some(w) = q.weight {
        parts.push(format!("weight {w}%"));
    }
    if let Some(l) = q.word_limit {
        parts.push(format!("up to {l} words"));
    }
    if let Some(p) = q.pass_answer {
        parts.push(format!("passes with \"{}\"", if p { "Yes" } else { "No" }));
    }
    parts.join(", ")
}

fn questionnaire_json(q: &Questionnaire) -> Value {
    json!(
        q.sections
            .iter()
            .map(|s| json!({
                "title": s.title,
                "questions": s.questions.iter().map(|q| json!({
                    "id": q.id, "title": q.title, "guidance": q.guidance, "hint": kind_hint(q),
                    "kind": q.kind.as_str(), "bands": q.bands,
                })).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>()
    )
}

async fn view_of(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<(ProcurementView, Access), Problem> {
    let (row, access) = super::load(conn, user, id).await?;
    Ok((super::view(conn, &row).await?, access))
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> String,
    text: impl Fn(T) -> String,
    selected: &str,
) -> Vec<Value> {
    all.iter()
        .map(|x| json!({"value": value(*x), "text": text(*x), "selected": value(*x) == selected}))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Providers and the public

#[derive(Debug, Default, Deserialize)]
pub struct OpportunityFilter {
    service_type: Option<String>,
    district_id: Option<String>,
}

/// GET /opportunities: open opportunities, filterable (public).
pub async fn opportunities_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<OpportunityFilter>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    let service_type = query
        .service_type
        .as_deref()
        .and_then(|s| s.parse::<ServiceType>().ok());
    let district_id = query
        .district_id
        .as_deref()
        .and_then(|d| d.parse::<Uuid>().ok());
    let filter = ProcurementFilter {
        service_type,
        district_id,
        open: Some(true),
    };
    let mut conn = state.db().await?;
    // The public list: what anyone may see, whoever is signed in.
    let list = super::list(&mut conn, None, &filter, *page).await?;
    let districts = crate::organisations::queries::list_districts(&mut conn).await?;
    drop(conn);
    let query_string = format!(
        "{}{}",
        service_type
            .map(|s| format!("service_type={}&", s.as_str()))
            .unwrap_or_default(),
        district_id
            .map(|d| format!("district_id={d}&"))
            .unwrap_or_default()
    );
    let pagination = Pagination::new("/opportunities", &query_string, &list);
    let selected_type = service_type.map(|s| s.as_str()).unwrap_or("");
    let selected_district = district_id.map(|d| d.to_string()).unwrap_or_default();
    let mut types = vec![json!({"value": "", "text": "Any", "selected": selected_type.is_empty()})];
    types.extend(choices(
        ServiceType::ALL,
        |s| s.as_str().to_string(),
        |s| s.label().to_string(),
        selected_type,
    ));
    let mut district_choices =
        vec![json!({"value": "", "text": "Any", "selected": selected_district.is_empty()})];
    district_choices.extend(districts.iter().map(|d| json!({"value": d.id, "text": d.name, "selected": d.id.to_string() == selected_district})));
    let data = json!({
        "items": list.items.iter().map(procurement_json).collect::<Vec<_>>(),
        "total": list.total,
        "types": types,
        "districts": district_choices,
        "pagination": pagination,
        "filtered": service_type.is_some() || district_id.is_some(),
    });
    let layout = Layout::new(
        "Find opportunities",
        "/opportunities",
        user.0.as_ref(),
        &csrf,
    );
    Ok(render_status(
        StatusCode::OK,
        "procurement/opportunities",
        layout,
        data,
        &csrf,
    ))
}

async fn render_opportunity(
    state: &AppState,
    user: Option<&AuthUser>,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    question: &str,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (view, access) = view_of(&mut conn, user, id).await?;
    if access != Access::Public {
        return Ok(see_other(&format!("/procurements/{id}")));
    }
    let (version, questionnaire) = super::questionnaire(&mut conn, id, None).await?;
    let clarifications =
        super::list_clarifications(&mut conn, user.filter(|u| u.role == Role::Provider), id)
            .await?;
    let provider = user.filter(|u| u.role == Role::Provider);
    let (interest, bids) = match provider {
        Some(u) => (
            super::has_interest(&mut conn, u, id).await?,
            submissions::mine(&mut conn, u)
                .await?
                .into_iter()
                .filter(|b| b.procurement_id == id)
                .collect::<Vec<_>>(),
        ),
        None => (false, Vec::new()),
    };
    drop(conn);
    let lots_without_bid: Vec<&Lot> = view
        .lots
        .iter()
        .filter(|l| !bids.iter().any(|b| b.lot == Some(l.number)))
        .collect();
    let can_start = view.status == ProcurementStatus::Open
        && if view.lots.is_empty() {
            bids.is_empty()
        } else {
            !lots_without_bid.is_empty()
        };
    let data = json!({
        "p": procurement_json(&view),
        "version": version.version,
        "change_note": version.change_note,
        "questionnaire": questionnaire_json(&questionnaire),
        "clarifications": clarifications.iter().map(|c| json!({
            "question": c.question, "answer": c.answer, "yours": c.yours, "published": c.published,
            "asked_at": london_time(c.asked_at),
        })).collect::<Vec<_>>(),
        "signed_in": user.is_some(),
        "provider": provider.is_some(),
        "interest": interest,
        "bids": bids.iter().map(|b| json!({"id": b.id, "lot": b.lot, "submitted": b.submitted_at.is_some()})).collect::<Vec<_>>(),
        "can_start": can_start,
        "lots_without_bid": lots_without_bid,
        "can_ask": view.status == ProcurementStatus::Open && chrono::Utc::now() < view.clarification_deadline,
        "notice": notice(done),
        "errors": errors,
        "question": question,
        "next": format!("/opportunities/{id}"),
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(view.title.clone(), "/opportunities", user, csrf);
    Ok(render_status(
        status,
        "procurement/opportunity",
        layout,
        data,
        csrf,
    ))
}

/// GET /opportunities/{id}
pub async fn opportunity_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_opportunity(
        &state,
        user.0.as_ref(),
        &csrf,
        *id,
        query.done.as_deref(),
        Vec::new(),
        "",
    )
    .await
}

/// POST /opportunities/{id}/interest
pub async fn register_interest(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    match in_tx!(state, |tx| super::register_interest(tx, actor, *id).await) {
        Ok(()) => Ok(see_other(&format!("/opportunities/{id}?done=interest"))),
        Err(p) if shown_on_page(&p) => {
            render_opportunity(
                &state,
                Some(actor),
                &form.csrf,
                *id,
                None,
                page_errors(&p, |f| f.into()),
                "",
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    question: String,
}

/// POST /opportunities/{id}/questions
pub async fn ask_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<QuestionForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let text = form.data.question.clone();
    match in_tx!(state, |tx| super::ask(tx, actor, *id, &text).await) {
        Ok(_) => Ok(see_other(&format!("/opportunities/{id}?done=asked"))),
        Err(p) if shown_on_page(&p) => {
            render_opportunity(
                &state,
                Some(actor),
                &form.csrf,
                *id,
                None,
                page_errors(&p, |f| f.into()),
                &text,
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    lot_id: String,
}

/// POST /opportunities/{id}/bids: starts (or reopens) a bid.
pub async fn start_bid(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<StartForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let lot = form.data.lot_id.parse::<Uuid>().ok();
    match in_tx!(state, |tx| submissions::start(tx, actor, *id, lot).await) {
        Ok(view) => Ok(see_other(&format!("/bids/{}", view.id))),
        Err(p) if shown_on_page(&p) => {
            render_opportunity(
                &state,
                Some(actor),
                &form.csrf,
                *id,
                None,
                page_errors(&p, |_| "lot_id".into()),
                "",
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

/// GET /opportunities/{id}/documents/{file_id}
pub async fn download_document(
    state: web::Data<AppState>,
    user: MaybePageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = super::document(&mut conn, user.0.as_ref(), id, file_id).await?;
    drop(conn);
    Ok(super::api::send_file(&state, file).await?)
}

/// GET /bids: the provider's bids.
pub async fn bids_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let mut conn = state.db().await?;
    let bids = submissions::mine(&mut conn, &user.0).await?;
    drop(conn);
    let now = chrono::Utc::now();
    let rows: Vec<Value> = bids
        .iter()
        .map(|b| {
            let (text, colour) = match (b.outcome.as_deref(), b.submitted_at, b.withdrawn_at) {
                (Some("successful"), _, _) => ("Successful", "green"),
                (Some(_), _, _) => ("Not successful", "red"),
                (_, _, Some(_)) => ("Withdrawn", "grey"),
                (_, Some(_), _) => ("Submitted", "blue"),
                (_, None, _) if b.submission_deadline <= now => ("Not submitted", "grey"),
                _ => ("Draft", "yellow"),
            };
            json!({"id": b.id, "reference": b.reference, "title": b.title, "lot": b.lot,
               "deadline": london_time(b.submission_deadline), "status": text, "colour": colour})
        })
        .collect();
    let layout = Layout::new("Your bids", "/bids", Some(&user.0), &csrf);
    Ok(render_status(
        StatusCode::OK,
        "procurement/bids",
        layout,
        json!({"bids": rows}),
        &csrf,
    ))
}

async fn render_bid(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    entered: Option<&BTreeMap<String, Answer>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])
        .map_err(|_| PageError::Forbidden)?;
    let mut conn = state.db().await?;
    let (row, procurement) = submissions::own(&mut conn, user, id).await?;
    let bid = submissions::read(&mut conn, user, id).await?;
    let view = super::view(&mut conn, &procurement).await?;
    let latest = super::latest_version(&mut conn, procurement.id).await?;
    let (_, questionnaire) = super::questionnaire(&mut conn, procurement.id, Some(latest)).await?;
    drop(conn);
    let answers = entered.unwrap_or(&bid.answers);
    let open = view.status == ProcurementStatus::Open;
    let sections: Vec<Value> = questionnaire.sections.iter().map(|s| json!({
        "title": s.title,
        "questions": s.questions.iter().map(|q| {
            let a = answers.get(&q.id).cloned().unwrap_or_default();
            let text = a.text.clone().unwrap_or_default();
            let words = rules::word_count(&text);
            let error = errors.iter().find(|e| e.field == format!("answer-{}", q.id)).map(|e| e.message.clone());
            json!({
                "id": q.id, "title": q.title, "guidance": q.guidance, "hint": kind_hint(q),
                "is_pass_fail": q.kind == QuestionKind::PassFail,
                "is_text": q.kind.takes_text(),
                "is_price": q.kind == QuestionKind::Price,
                "is_schedule": q.kind == QuestionKind::PriceSchedule,
                "is_evidence": q.kind == QuestionKind::Evidence,
                "yes": a.choice == Some(true), "no": a.choice == Some(false),
                "text": text, "words": words, "word_limit": q.word_limit,
                "over": q.word_limit.is_some_and(|l| words > l as usize),
                "price": a.price_pence.map(pence_to_pounds).unwrap_or_default(),
                "bands": q.bands.iter().enumerate().map(|(i, b)| json!({
                    "index": i, "label": b.label, "volume": b.volume,
                    "rate": a.rates_pence.as_ref().and_then(|r| r.get(i)).map(|p| pence_to_pounds(*p)).unwrap_or_default(),
                })).collect::<Vec<_>>(),
                "files": bid.files.iter().filter(|f| f.question_id == q.id).map(|f| json!({
                    "id": f.file.id, "name": f.file.file_name, "size": size(f.file.size_bytes),
                })).collect::<Vec<_>>(),
                "error": error,
            })
        }).collect::<Vec<_>>(),
    })).collect();
    let summary = row.assessment_summary.clone();
    let data = json!({
        "bid": {"id": bid.id, "status": bid.status.label(), "lot": bid.lot,
                "submitted_at": bid.submitted_at.map(london_time), "digest": bid.digest,
                "withdrawn_at": bid.withdrawn_at.map(london_time),
                "changed_since": bid.submitted_at.is_some_and(|s| bid.updated_at > s + chrono::Duration::seconds(1)),
                "submitted": bid.submitted_at.is_some()},
        "p": procurement_json(&view),
        "sections": sections,
        "open": open,
        "summary": summary,
        "notice": notice(done),
        "errors": errors,
        "version_changed": bid.questionnaire_version != latest,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Your bid for {}", view.title),
        "/bids",
        Some(user),
        csrf,
    );
    Ok(render_status(status, "procurement/bid", layout, data, csrf))
}

fn pence_to_pounds(p: i64) -> String {
    format!("{}.{:02}", p / 100, p % 100)
}

/// "1,234.56", "£1234.5", "1234" → pence.
fn pounds_to_pence(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if t.is_empty() {
        return None;
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(-1);
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// GET /bids/{id}
pub async fn bid_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_bid(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        Vec::new(),
        None,
    )
    .await
}

/// Reads the bid form into answers, with errors for what cannot be read (prices).
fn answers_from_form(
    questionnaire: &Questionnaire,
    pairs: &[(String, String)],
) -> (BTreeMap<String, Answer>, Vec<FieldError>) {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut answers = BTreeMap::new();
    let mut errors = Vec::new();
    for q in questionnaire.questions() {
        let mut a = Answer::default();
        match q.kind {
            QuestionKind::PassFail => {
                a.choice = get(&q.id).and_then(|v| match v {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                })
            }
            QuestionKind::Scored | QuestionKind::SocialValue | QuestionKind::Information => {
                a.text = get(&q.id).map(|t| t.replace("\r\n", "\n"));
            }
            QuestionKind::Price => match get(&q.id).map(pounds_to_pence) {
                Some(Some(p)) if p >= 0 => a.price_pence = Some(p),
                Some(Some(_)) => errors.push(FieldError::new(
                    format!("answer-{}", q.id),
                    format!(
                        "{}: enter the price in pounds and pence, like 1250.00",
                        q.id
                    ),
                )),
                _ => {}
            },
            QuestionKind::PriceSchedule => {
                let mut rates = Vec::new();
                let mut any = false;
                for i in 0..q.bands.len() {
                    match get(&format!("{}.{i}", q.id)).map(pounds_to_pence) {
                        Some(Some(p)) if p >= 0 => {
                            rates.push(p);
                            any = true;
                        }
                        Some(Some(_)) => {
                            errors.push(FieldError::new(
                                format!("answer-{}", q.id),
                                format!(
                                    "{}: enter each rate in pounds and pence, like 24.50",
                                    q.id
                                ),
                            ));
                            rates.push(0);
                        }
                        _ => rates.push(0),
                    }
                }
                if any {
                    a.rates_pence = Some(rates);
                }
            }
            QuestionKind::Evidence => continue,
        }
        answers.insert(q.id.clone(), a);
    }
    (answers, errors)
}

/// What the bid form's buttons ask for (`action`): save, submit, upload the files chosen
/// for a question, or remove a file. Files chosen are uploaded whichever button is pressed.
fn bid_change(
    questionnaire: &Questionnaire,
    form: crate::web::multipart::PageForm,
) -> (submissions::BidChange, Vec<FieldError>) {
    let (answers, errors) = answers_from_form(questionnaire, &form.fields);
    let action = form.get("action").unwrap_or("save").to_string();
    let remove = action
        .strip_prefix("remove:")
        .and_then(|f| Uuid::parse_str(f).ok());
    let uploads = form
        .files
        .into_iter()
        .filter_map(|f| {
            let question = f.field.strip_prefix("file:")?.to_string();
            Some((question, f.file_name, f.bytes))
        })
        .collect();
    let change = submissions::BidChange {
        answers,
        uploads,
        remove,
        submit: action == "submit",
    };
    (change, errors)
}

/// POST /bids/{id}: the whole bid form, one transaction whatever the button (`bid_change`).
/// The answers typed are always kept, even when a file is refused or the bid is not yet
/// complete. A request with `X-Autosave: 1` (the page's script) only saves and answers 204.
pub async fn save_bid(
    state: web::Data<AppState>,
    user: PageUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    form: crate::web::multipart::PageForm,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let id = *id;
    let autosave = req.headers().get("X-Autosave").is_some();
    let csrf = form.csrf.clone();
    let mut conn = state.db().await?;
    let (row, _) = submissions::own(&mut conn, actor, id).await?;
    // The form shows (and the draft answers) the newest version.
    let (_, questionnaire) = super::questionnaire(&mut conn, row.procurement_id, None).await?;
    let (mut change, mut errors) = bid_change(&questionnaire, form);
    if autosave {
        change.uploads.clear();
        change.remove = None;
        change.submit = false;
    }
    let entered = change.answers.clone();
    let focus = change.uploads.first().map(|u| u.0.clone());
    let removing = change.remove.is_some();
    let submitting = change.submit && errors.is_empty();
    change.submit = submitting;
    let result = submissions::change(&mut conn, &state.files, &state.mail, actor, id, change).await;
    drop(conn);
    if autosave {
        return Ok(match result {
            Ok(_) if errors.is_empty() => HttpResponse::NoContent().finish(),
            Ok(_) => HttpResponse::UnprocessableEntity().finish(),
            Err(p) => {
                HttpResponse::build(StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT))
                    .finish()
            }
        });
    }
    match result {
        Ok(outcome) => {
            errors.extend(outcome.errors.into_iter().map(|e| {
                FieldError::new(
                    if e.field == "main-content" {
                        e.field
                    } else {
                        format!("answer-{}", e.field)
                    },
                    e.message,
                )
            }));
            if errors.is_empty() {
                let done = if outcome.receipt.is_some() {
                    "submitted".to_string()
                } else if let Some(q) = focus {
                    format!("uploaded#{q}")
                } else if removing {
                    "removed".into()
                } else {
                    "draft".into()
                };
                return Ok(see_other(&format!("/bids/{id}?done={done}")));
            }
        }
        Err(p) if shown_on_page(&p) => errors.extend(page_errors(&p, |f| format!("answer-{f}"))),
        Err(p) => return Err(p.into()),
    }
    render_bid(&state, actor, &csrf, id, None, errors, Some(&entered)).await
}

/// POST /bids/{id}/withdraw
pub async fn withdraw_bid(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    match in_tx!(state, |tx| submissions::withdraw(tx, actor, *id).await) {
        Ok(()) => Ok(see_other(&format!("/bids/{id}?done=withdrawn"))),
        Err(p) if shown_on_page(&p) => {
            render_bid(
                &state,
                actor,
                &form.csrf,
                *id,
                None,
                page_errors(&p, |f| f.into()),
                None,
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

/// GET /submissions/{id}/files/{file_id}: the same access rule as the content.
pub async fn download_submission_file(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = submissions::file(&mut conn, &user.0, id, file_id).await?;
    drop(conn);
    Ok(super::api::send_file(&state, file).await?)
}

// ---------------------------------------------------------------------------------------
// Commissioners (and evaluators' view of their procurements)

fn require_council(user: &PageUser) -> Result<(), PageError> {
    user.require(&[
        Role::Admin,
        Role::Commissioner,
        Role::ContractManager,
        Role::Evaluator,
    ])
}

/// GET /procurements
pub async fn procurements_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let mut conn = state.db().await?;
    let list = super::list(
        &mut conn,
        Some(&user.0),
        &ProcurementFilter::default(),
        *page,
    )
    .await?;
    drop(conn);
    let pagination = Pagination::new("/procurements", "", &list);
    let data = json!({
        "items": list.items.iter().map(procurement_json).collect::<Vec<_>>(),
        "total": list.total,
        "pagination": pagination,
        "can_create": user.0.role == Role::Commissioner,
        "evaluator": user.0.role == Role::Evaluator,
    });
    let layout = Layout::new("Procurements", "/procurements", Some(&user.0), &csrf);
    Ok(render_status(
        StatusCode::OK,
        "procurement/procurements",
        layout,
        data,
        &csrf,
    ))
}

/// The procurement form as posted. Times are London wall-clock times.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ProcurementForm {
    title: String,
    reference: String,
    description: String,
    service_type: String,
    district_ids: Vec<String>,
    estimated_value: String,
    regime: String,
    light_touch: String,
    procedure: String,
    lots: String,
    clarification_date: String,
    clarification_time: String,
    submission_date: String,
    submission_time: String,
    planned_award_date: String,
    standstill_working_days: String,
}

fn london_instant(date: &str, time: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let t = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    chrono_tz::Europe::London
        .from_local_datetime(&d.and_time(t))
        .single()
        .map(|x| x.with_timezone(&chrono::Utc))
}

impl ProcurementForm {
    fn from_view(v: &ProcurementView) -> Self {
        let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::London);
        Self {
            title: v.title.clone(),
            reference: v.reference.clone(),
            description: v.description.clone(),
            service_type: v.service_type.as_str().into(),
            district_ids: v.district_ids.iter().map(|d| d.to_string()).collect(),
            estimated_value: pence_to_pounds(v.estimated_value_pence),
            regime: v.regime.as_str().into(),
            light_touch: if v.light_touch { "yes" } else { "no" }.into(),
            procedure: v.procedure.as_str().into(),
            lots: v
                .lots
                .iter()
                .map(|l| l.title.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            clarification_date: local(v.clarification_deadline)
                .format("%Y-%m-%d")
                .to_string(),
            clarification_time: local(v.clarification_deadline).format("%H:%M").to_string(),
            submission_date: local(v.submission_deadline).format("%Y-%m-%d").to_string(),
            submission_time: local(v.submission_deadline).format("%H:%M").to_string(),
            planned_award_date: v.planned_award_date.to_string(),
            standstill_working_days: v.standstill_working_days.to_string(),
        }
    }

    fn to_input(&self) -> Result<ProcurementInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let service_type = self
            .service_type
            .parse::<ServiceType>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "service_type",
                    "Choose the type of service",
                ))
            })
            .ok();
        let regime = Regime::parse(&self.regime).or_else(|| {
            errors.push(FieldError::new("regime", "Choose the regime"));
            None
        });
        let procedure = Procedure::parse(&self.procedure).or_else(|| {
            errors.push(FieldError::new("procedure", "Choose the procedure"));
            None
        });
        let light_touch = match self.light_touch.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    "light_touch",
                    "Say whether the contract is light-touch",
                ));
                None
            }
        };
        let value = match pounds_to_pence(&self.estimated_value) {
            Some(p) if p >= 0 => Some(p),
            _ => {
                errors.push(FieldError::new(
                    "estimated_value",
                    "Enter the estimated value in pounds, like 2400000",
                ));
                None
            }
        };
        let clarification = london_instant(&self.clarification_date, &self.clarification_time)
            .or_else(|| {
                errors.push(FieldError::new(
                    "clarification_date",
                    "Enter the clarification deadline as a date and a 24-hour time, like 17:00",
                ));
                None
            });
        let submission =
            london_instant(&self.submission_date, &self.submission_time).or_else(|| {
                errors.push(FieldError::new(
                    "submission_date",
                    "Enter the submission deadline as a date and a 24-hour time, like 12:00",
                ));
                None
            });
        let award = chrono::NaiveDate::parse_from_str(self.planned_award_date.trim(), "%Y-%m-%d")
            .ok()
            .or_else(|| {
                errors.push(FieldError::new(
                    "planned_award_date",
                    "Enter the planned award date",
                ));
                None
            });
        let standstill = if self.standstill_working_days.trim().is_empty() {
            Some(8)
        } else {
            self.standstill_working_days
                .trim()
                .parse::<i32>()
                .ok()
                .or_else(|| {
                    errors.push(FieldError::new(
                        "standstill_working_days",
                        "Enter the standstill period as a whole number of working days",
                    ));
                    None
                })
        };
        let district_ids: Vec<Uuid> = self
            .district_ids
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect();
        if !errors.is_empty() {
            // Also report the text fields' own rules, so one round trip shows every problem.
            let now = chrono::Utc::now();
            let text_errors = rules::check_procurement(
                &self.title,
                self.reference.trim(),
                &self.description,
                now + chrono::Duration::days(1),
                now + chrono::Duration::days(2),
                (now + chrono::Duration::days(3)).date_naive(),
                Regime::Pa2023,
                true,
                8,
                now,
            );
            let mut all: Vec<FieldError> = text_errors
                .into_iter()
                .filter(|e| matches!(e.field.as_str(), "title" | "reference" | "description"))
                .collect();
            all.extend(errors);
            return Err(all);
        }
        Ok(ProcurementInput {
            title: self.title.clone(),
            reference: self.reference.clone(),
            description: self.description.clone(),
            service_type: service_type.unwrap_or(ServiceType::Domiciliary),
            district_ids,
            estimated_value_pence: value.unwrap_or_default(),
            regime: regime.unwrap_or(Regime::Pa2023),
            light_touch: light_touch.unwrap_or(true),
            procedure: procedure.unwrap_or(Procedure::Open),
            lots: self
                .lots
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|t| super::LotInput {
                    title: t.to_string(),
                    description: String::new(),
                })
                .collect(),
            clarification_deadline: clarification.unwrap_or_default(),
            submission_deadline: submission.unwrap_or_default(),
            planned_award_date: award.unwrap_or_default(),
            standstill_working_days: standstill.unwrap_or(8),
        })
    }
}

/// API field names → the form's input ids.
fn form_field(f: &str) -> String {
    match f {
        "clarification_deadline" => "clarification_date".into(),
        "submission_deadline" => "submission_date".into(),
        "estimated_value_pence" => "estimated_value".into(),
        f if f.starts_with("lots") => "lots".into(),
        f => f.into(),
    }
}

async fn render_procurement_form(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Option<Uuid>,
    form: ProcurementForm,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let districts = crate::organisations::queries::list_districts(&mut conn).await?;
    drop(conn);
    let data = json!({
        "id": id,
        "action": id.map(|i| format!("/procurements/{i}/edit")).unwrap_or_else(|| "/procurements/new".into()),
        "types": choices(ServiceType::ALL, |s| s.as_str().to_string(), |s| s.label().to_string(), &form.service_type),
        "regimes": choices(&Regime::ALL, |s| s.as_str().to_string(), |s| s.label().to_string(), &form.regime),
        "procedures": choices(&Procedure::ALL, |s| s.as_str().to_string(), |s| s.label().to_string(), &form.procedure),
        "districts": districts.iter().map(|d| json!({"id": d.id, "name": d.name, "checked": form.district_ids.contains(&d.id.to_string())})).collect::<Vec<_>>(),
        "light_touch_yes": form.light_touch == "yes",
        "light_touch_no": form.light_touch == "no",
        "form": form,
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let title = if id.is_some() {
        "Change the procurement"
    } else {
        "Create a procurement"
    };
    let layout = Layout::new(title, "/procurements", Some(user), csrf);
    Ok(render_status(
        status,
        "procurement/procurement_form",
        layout,
        data,
        csrf,
    ))
}

/// GET /procurements/new
pub async fn new_procurement_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let form = ProcurementForm {
        light_touch: "yes".into(),
        regime: "pa2023".into(),
        procedure: "open".into(),
        standstill_working_days: "8".into(),
        clarification_time: "17:00".into(),
        submission_time: "12:00".into(),
        ..Default::default()
    };
    render_procurement_form(&state, &user.0, &csrf, None, form, Vec::new()).await
}

/// POST /procurements/new
pub async fn create_procurement(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<ProcurementForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let CsrfForm { data: form, csrf } = form;
    let input = match form.to_input() {
        Ok(i) => i,
        Err(errors) => {
            return render_procurement_form(&state, &user.0, &csrf, None, form, errors).await;
        }
    };
    let actor = &user.0;
    match in_tx!(state, |tx| super::create(tx, actor, &input).await) {
        Ok(v) => Ok(see_other(&format!("/procurements/{}?done=created", v.id))),
        Err(p) if shown_on_page(&p) => {
            render_procurement_form(
                &state,
                actor,
                &csrf,
                None,
                form,
                page_errors(&p, form_field),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

/// GET /procurements/{id}/edit
pub async fn edit_procurement_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, &user.0, *id).await?;
    let view = super::view(&mut conn, &row).await?;
    drop(conn);
    render_procurement_form(
        &state,
        &user.0,
        &csrf,
        Some(*id),
        ProcurementForm::from_view(&view),
        Vec::new(),
    )
    .await
}

/// POST /procurements/{id}/edit
pub async fn update_procurement(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ProcurementForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let CsrfForm { data: form, csrf } = form;
    let input = match form.to_input() {
        Ok(i) => i,
        Err(errors) => {
            return render_procurement_form(&state, &user.0, &csrf, Some(*id), form, errors).await;
        }
    };
    let actor = &user.0;
    match in_tx!(state, |tx| super::update(tx, actor, *id, &input).await) {
        Ok(_) => Ok(see_other(&format!("/procurements/{id}?done=saved"))),
        Err(p) if shown_on_page(&p) => {
            render_procurement_form(
                &state,
                actor,
                &csrf,
                Some(*id),
                form,
                page_errors(&p, form_field),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

async fn render_procurement(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (view, access) = view_of(&mut conn, Some(user), id).await?;
    if access == Access::Public {
        return Ok(see_other(&format!("/opportunities/{id}")));
    }
    let (row, _) = super::load(&mut conn, Some(user), id).await?;
    let (version, questionnaire) = super::questionnaire(&mut conn, id, None).await?;
    let weights: u32 = questionnaire.questions().filter_map(|q| q.weight).sum();
    let questions = questionnaire.questions().count();
    let submissions = if view.status == ProcurementStatus::Draft
        || view.status == ProcurementStatus::Open && access == Access::Panel
    {
        Vec::new()
    } else {
        evaluation::list_submissions(&mut conn, user, id)
            .await
            .unwrap_or_default()
    };
    let panel = evaluation::panel(&mut conn, id).await?;
    let clarifications = super::list_clarifications(&mut conn, Some(user), id).await?;
    let unanswered = clarifications.iter().filter(|c| c.answer.is_none()).count();
    let me_on_panel = panel.iter().find(|m| m.user_id == user.id);
    drop(conn);
    let commissioner = access == Access::Council && user.role == Role::Commissioner;
    let data = json!({
        "p": procurement_json(&view),
        "commissioner": commissioner,
        "evaluator": access == Access::Panel,
        "declared": me_on_panel.is_some_and(|m| m.declared_at.is_some()),
        "conflicts_assessment": row.conflicts_assessment,
        "questions": questions,
        "weights": weights,
        "weights_ok": weights == 100 && questions > 0,
        "version": version.version,
        "submissions": submissions.iter().map(|s| json!({
            "id": s.id, "organisation_name": s.organisation_name, "lot": s.lot,
            "status": s.status.label(), "submitted_at": s.submitted_at.map(london_time),
        })).collect::<Vec<_>>(),
        "submission_count": submissions.len(),
        "panel": panel.iter().map(|m| json!({
            "name": m.name, "declared": m.declared_at.is_some(), "conflicts": m.conflicts.join(", "),
        })).collect::<Vec<_>>(),
        "clarification_count": clarifications.len(),
        "unanswered": unanswered,
        "timetable": ProcurementForm::from_view(&view),
        "award_notice": row.award_notice.as_ref().map(|n| serde_json::to_string_pretty(n).unwrap_or_default()),
        "notice": notice(done),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::CONFLICT);
    let layout = Layout::new(view.title.clone(), "/procurements", Some(user), csrf);
    Ok(render_status(
        status,
        "procurement/procurement",
        layout,
        data,
        csrf,
    ))
}

/// GET /procurements/{id}
pub async fn procurement_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_procurement(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        Vec::new(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    assessment: String,
}

/// POST /procurements/{id}/conflicts-assessment
pub async fn record_conflicts_assessment(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<AssessmentForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let text = form.data.assessment.clone();
    match in_tx!(state, |tx| super::record_conflicts_assessment(
        tx, actor, *id, &text
    )
    .await)
    {
        Ok(()) => Ok(see_other(&format!("/procurements/{id}?done=assessed"))),
        Err(p) if shown_on_page(&p) => {
            render_procurement(
                &state,
                actor,
                &form.csrf,
                *id,
                None,
                page_errors(&p, |f| f.into()),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct TimetableForm {
    #[serde(default)]
    clarification_date: String,
    #[serde(default)]
    clarification_time: String,
    #[serde(default)]
    submission_date: String,
    #[serde(default)]
    submission_time: String,
    #[serde(default)]
    planned_award_date: String,
    #[serde(default)]
    reason: String,
}

/// POST /procurements/{id}/timetable: moves the deadlines later.
pub async fn change_timetable(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<TimetableForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let f = &form.data;
    let mut errors = Vec::new();
    let clarification = london_instant(&f.clarification_date, &f.clarification_time);
    let submission = london_instant(&f.submission_date, &f.submission_time);
    let award = chrono::NaiveDate::parse_from_str(f.planned_award_date.trim(), "%Y-%m-%d").ok();
    if clarification.is_none() {
        errors.push(FieldError::new(
            "new_clarification_date",
            "Enter the clarification deadline as a date and a 24-hour time",
        ));
    }
    if submission.is_none() {
        errors.push(FieldError::new(
            "new_submission_date",
            "Enter the submission deadline as a date and a 24-hour time",
        ));
    }
    if award.is_none() {
        errors.push(FieldError::new(
            "new_planned_award_date",
            "Enter the planned award date",
        ));
    }
    if let (Some(clarification_deadline), Some(submission_deadline), Some(planned_award_date)) =
        (clarification, submission, award)
    {
        let input = super::TimetableInput {
            clarification_deadline,
            submission_deadline,
            planned_award_date,
            reason: f.reason.clone(),
        };
        let mail = &state.mail;
        match in_tx!(state, |tx| super::change_timetable(
            tx, mail, actor, *id, &input
        )
        .await)
        {
            Ok(_) => return Ok(see_other(&format!("/procurements/{id}?done=timetable"))),
            Err(p) if shown_on_page(&p) => {
                errors = page_errors(&p, |f| match f {
                    "reason" => "reason".into(),
                    "main-content" => "main-content".into(),
                    other => format!("new_{}", other.replace("_deadline", "_date")),
                })
            }
            Err(p) => return Err(p.into()),
        }
    }
    render_procurement(&state, actor, &form.csrf, *id, None, errors).await
}

/// POST /procurements/{id}/{publish|open|cancel|contract-entered}
pub async fn procurement_action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let actor = &user.0;
    let result = match action.as_str() {
        "publish" => in_tx!(state, |tx| super::publish(tx, &state.mail, actor, id).await)
            .map(|_| "published"),
        "open" => in_tx!(state, |tx| evaluation::open(tx, actor, id).await).map(|_| "opened"),
        "cancel" => {
            in_tx!(state, |tx| super::cancel(tx, &state.mail, actor, id).await).map(|_| "cancelled")
        }
        _ => in_tx!(state, |tx| evaluation::enter_contract(tx, actor, id).await)
            .map(|_| "contract-entered"),
    };
    match result {
        Ok(done) => Ok(see_other(&format!("/procurements/{id}?done={done}"))),
        Err(p) if shown_on_page(&p) => {
            let mut errors = page_errors(&p, |_| "main-content".into());
            if let Some(first) = errors.first_mut()
                && p.errors.len() > 1
            {
                first.message = p
                    .detail
                    .clone()
                    .unwrap_or_else(|| "Fix the questionnaire before publishing.".into());
                errors.truncate(1);
            }
            render_procurement(&state, actor, &form.csrf, id, None, errors).await
        }
        Err(p) => Err(p.into()),
    }
}

/// POST /procurements/{id}/documents (multipart: title, file)
pub async fn upload_document(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: crate::web::multipart::PageForm,
) -> Result<HttpResponse, PageError> {
    let title = form.get("title").unwrap_or_default().to_string();
    let crate::web::multipart::PageForm { files, csrf, .. } = form;
    let file = files.into_iter().find(|f| f.field == "file");
    let actor = &user.0;
    let store = &state.files;
    let result = match file {
        None => Err(Problem::validation(vec![FieldError::new(
            "file",
            "Choose a file to upload",
        )])),
        Some(crate::web::multipart::Upload {
            file_name: name,
            bytes,
            ..
        }) => {
            in_tx!(state, |tx| super::add_document(
                tx, store, actor, *id, &title, &name, bytes
            )
            .await)
        }
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/procurements/{id}?done=document"))),
        Err(p) if shown_on_page(&p) => {
            render_procurement(
                &state,
                actor,
                &csrf,
                *id,
                None,
                page_errors(&p, |f| f.into()),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The questionnaire builder

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct QuestionForm2 {
    section: String,
    new_section: String,
    kind: String,
    title: String,
    guidance: String,
    weight: String,
    word_limit: String,
    pass_answer: String,
    bands: String,
    change_note: String,
}

async fn render_questionnaire(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    form: QuestionForm2,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, user, id).await?;
    let view = super::view(&mut conn, &row).await?;
    let (version, questionnaire) = super::questionnaire(&mut conn, id, None).await?;
    drop(conn);
    let weights: u32 = questionnaire.questions().filter_map(|q| q.weight).sum();
    let data = json!({
        "p": procurement_json(&view),
        "version": version.version,
        "published": row.published_at.is_some(),
        "editable": row.opened_at.is_none() && row.cancelled_at.is_none() && (row.published_at.is_none() || view.status == ProcurementStatus::Open),
        "sections": questionnaire_json(&questionnaire),
        "section_names": questionnaire.sections.iter().map(|s| json!({"value": s.title, "selected": s.title == form.section})).collect::<Vec<_>>(),
        "has_sections": !questionnaire.sections.is_empty(),
        "weights": weights,
        "weights_ok": weights == 100,
        "kinds": QuestionKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label(), "checked": k.as_str() == form.kind})).collect::<Vec<_>>(),
        "pass_yes": form.pass_answer == "yes",
        "pass_no": form.pass_answer == "no",
        "form": form,
        "notice": notice(done),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Questionnaire: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/questionnaire",
        layout,
        data,
        csrf,
    ))
}

/// GET /procurements/{id}/questionnaire
pub async fn questionnaire_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_questionnaire(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        QuestionForm2::default(),
        Vec::new(),
    )
    .await
}

fn question_from_form(form: &QuestionForm2) -> Result<(String, Question), Vec<FieldError>> {
    let mut errors = Vec::new();
    let section = if form.new_section.trim().is_empty() {
        form.section.trim().to_string()
    } else {
        form.new_section.trim().to_string()
    };
    if section.is_empty() {
        errors.push(FieldError::new(
            "new_section",
            "Choose a section or name a new one",
        ));
    }
    let kind = QuestionKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose the kind of question"));
    }
    let number =
        |text: &str, field: &str, what: &str, errors: &mut Vec<FieldError>| -> Option<u32> {
            if text.trim().is_empty() {
                return None;
            }
            text.trim()
                .trim_end_matches('%')
                .parse::<u32>()
                .map_err(|_| {
                    errors.push(FieldError::new(
                        field,
                        format!("Enter the {what} as a whole number"),
                    ))
                })
                .ok()
        };
    let weight = number(&form.weight, "weight", "weight", &mut errors);
    let word_limit = number(&form.word_limit, "word_limit", "word limit", &mut errors);
    let mut bands = Vec::new();
    for line in form.bands.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line
            .rsplit_once(':')
            .and_then(|(l, v)| v.trim().parse::<i64>().ok().map(|v| (l.trim(), v)))
        {
            Some((label, volume)) => bands.push(Band {
                label: label.into(),
                volume,
            }),
            None => {
                errors.push(FieldError::new("bands", "Write each band on its own line as a name, a colon and the expected volume, like \"Weekday day: 300\""));
                break;
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let kind = kind.unwrap_or(QuestionKind::Information);
    Ok((
        section,
        Question {
            id: String::new(),
            kind,
            title: form.title.clone(),
            guidance: form.guidance.trim().to_string(),
            word_limit: if kind.takes_text() { word_limit } else { None },
            weight: if kind.is_weighted() { weight } else { None },
            pass_answer: (kind == QuestionKind::PassFail).then(|| form.pass_answer == "yes"),
            bands: if kind == QuestionKind::PriceSchedule {
                bands
            } else {
                Vec::new()
            },
        },
    ))
}

/// Maps a questionnaire error's field to the builder's inputs.
fn builder_field(f: &str) -> String {
    [
        "weight",
        "word_limit",
        "pass_answer",
        "bands",
        "title",
        "guidance",
        "change_note",
    ]
    .into_iter()
    .find(|n| f.ends_with(n))
    .unwrap_or("main-content")
    .to_string()
}

async fn replace(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    questionnaire: Questionnaire,
    change_note: String,
) -> Result<QuestionnaireView, Problem> {
    let mail = &state.mail;
    let input = QuestionnaireInput {
        questionnaire,
        change_note,
    };
    in_tx!(state, |tx| super::replace_questionnaire(
        tx, mail, user, id, input
    )
    .await)
}

/// POST /procurements/{id}/questionnaire: adds a question.
pub async fn add_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<QuestionForm2>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let actor = &user.0;
    let (section, question) = match question_from_form(&form) {
        Ok(x) => x,
        Err(errors) => {
            return render_questionnaire(&state, actor, &csrf, *id, None, form, errors).await;
        }
    };
    let mut conn = state.db().await?;
    super::load_managed(&mut conn, actor, *id).await?;
    let (_, mut questionnaire) = super::questionnaire(&mut conn, *id, None).await?;
    drop(conn);
    // A draft may be saved incomplete, but a new question must itself be complete.
    let mut alone = Questionnaire {
        sections: vec![Section {
            title: "Check".into(),
            questions: vec![question.clone()],
        }],
    };
    if let Err(errors) = rules::normalise_questionnaire(&mut alone, &[]) {
        let mine: Vec<FieldError> = errors
            .into_iter()
            .filter(|e| {
                e.field.starts_with("sections[0].questions[0]") && !e.field.ends_with(".id")
            })
            .map(|e| FieldError::new(builder_field(&e.field), e.message))
            .collect();
        if !mine.is_empty() {
            return render_questionnaire(&state, actor, &csrf, *id, None, form, mine).await;
        }
    }
    match questionnaire
        .sections
        .iter_mut()
        .find(|s| s.title == section)
    {
        Some(s) => s.questions.push(question),
        None => questionnaire.sections.push(Section {
            title: section,
            questions: vec![question],
        }),
    }
    match replace(&state, actor, *id, questionnaire, form.change_note.clone()).await {
        Ok(_) => Ok(see_other(&format!(
            "/procurements/{id}/questionnaire?done=saved"
        ))),
        Err(p) if shown_on_page(&p) => {
            render_questionnaire(
                &state,
                actor,
                &csrf,
                *id,
                None,
                form,
                page_errors(&p, builder_field),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    change_note: String,
}

/// POST /procurements/{id}/questionnaire/remove
pub async fn remove_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let mut conn = state.db().await?;
    super::load_managed(&mut conn, actor, *id).await?;
    let (_, mut questionnaire) = super::questionnaire(&mut conn, *id, None).await?;
    drop(conn);
    for s in &mut questionnaire.sections {
        s.questions.retain(|q| q.id != form.data.question_id);
    }
    questionnaire.sections.retain(|s| !s.questions.is_empty());
    match replace(
        &state,
        actor,
        *id,
        questionnaire,
        form.data.change_note.clone(),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/procurements/{id}/questionnaire?done=saved"
        ))),
        Err(p) if shown_on_page(&p) => {
            render_questionnaire(
                &state,
                actor,
                &form.csrf,
                *id,
                None,
                QuestionForm2::default(),
                page_errors(&p, builder_field),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Clarifications and the panel

/// GET /procurements/{id}/clarifications
pub async fn clarifications_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_clarifications(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        Vec::new(),
    )
    .await
}

async fn render_clarifications(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, user, id).await?;
    let view = super::view(&mut conn, &row).await?;
    let list = super::list_clarifications(&mut conn, Some(user), id).await?;
    drop(conn);
    let data = json!({
        "p": procurement_json(&view),
        "items": list.iter().map(|c| json!({
            "id": c.id, "question": c.question, "answer": c.answer, "published": c.published,
            "organisation_name": c.organisation_name, "asked_at": london_time(c.asked_at),
        })).collect::<Vec<_>>(),
        "notice": notice(done),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Clarifications: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/clarifications",
        layout,
        data,
        csrf,
    ))
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    publish: String,
}

/// POST /procurements/{id}/clarifications/{cid}
pub async fn answer_clarification(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, PageError> {
    let (id, cid) = path.into_inner();
    let actor = &user.0;
    let mail = &state.mail;
    let publish = form.data.publish == "yes";
    let text = form.data.answer.clone();
    match in_tx!(state, |tx| super::answer(
        tx, mail, actor, id, cid, &text, publish
    )
    .await)
    {
        Ok(_) => Ok(see_other(&format!(
            "/procurements/{id}/clarifications?done=answered"
        ))),
        Err(p) if shown_on_page(&p) => {
            let errors = page_errors(&p, |_| format!("answer-{cid}"));
            render_clarifications(&state, actor, &form.csrf, id, None, errors).await
        }
        Err(p) => Err(p.into()),
    }
}

/// GET /procurements/{id}/panel
pub async fn panel_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, &user.0, *id).await?;
    let view = super::view(&mut conn, &row).await?;
    let panel = evaluation::panel(&mut conn, *id).await?;
    let evaluators = crate::organisations::queries::list_users(
        &mut conn,
        &crate::organisations::queries::UserFilter {
            q: None,
            role: Some(Role::Evaluator),
            organisation_id: Some(row.council_id),
            active: Some(true),
        },
        PageRequest::new(1, 100),
    )
    .await?;
    drop(conn);
    let data = json!({
        "p": procurement_json(&view),
        "evaluators": evaluators.items.iter().map(|e| json!({
            "id": e.id, "name": e.name, "email": e.email, "checked": panel.iter().any(|m| m.user_id == e.id),
        })).collect::<Vec<_>>(),
    });
    let layout = Layout::new(
        format!("Evaluation panel: {}", view.title),
        "/procurements",
        Some(&user.0),
        &csrf,
    );
    Ok(render_status(
        StatusCode::OK,
        "procurement/panel",
        layout,
        data,
        &csrf,
    ))
}

#[derive(Debug, Deserialize)]
pub struct PanelForm {
    #[serde(default)]
    evaluator_ids: Vec<String>,
}

/// POST /procurements/{id}/panel
pub async fn set_panel(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<PanelForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let ids: Vec<Uuid> = form
        .data
        .evaluator_ids
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    match in_tx!(state, |tx| evaluation::assign_panel(tx, actor, *id, &ids)
        .await)
    {
        Ok(_) => Ok(see_other(&format!("/procurements/{id}?done=panel"))),
        Err(p) if shown_on_page(&p) => {
            render_procurement(
                &state,
                actor,
                &form.csrf,
                *id,
                None,
                page_errors(&p, |_| "main-content".into()),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Evaluators

async fn render_declarations(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (view, _) = view_of(&mut conn, Some(user), id).await?;
    let bidders = evaluation::bidders(&mut conn, user, id).await;
    drop(conn);
    let (bidders, waiting) = match bidders {
        Ok(b) => (b, None),
        Err(p) if p.status == 409 => (Vec::new(), p.detail),
        Err(p) => return Err(p.into()),
    };
    let data = json!({
        "p": procurement_json(&view),
        "bidders": bidders.iter().enumerate().map(|(i, b)| json!({
            "index": i, "organisation_id": b.organisation_id, "name": b.name,
            "declared": b.conflicted.is_some(), "conflicted": b.conflicted == Some(true), "details": b.details,
        })).collect::<Vec<_>>(),
        "declared": bidders.iter().any(|b| b.conflicted.is_some()),
        "waiting": waiting,
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Declare your interests: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/declarations",
        layout,
        data,
        csrf,
    ))
}

/// GET /procurements/{id}/declarations
pub async fn declarations_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    render_declarations(&state, &user.0, &csrf, *id, Vec::new()).await
}

/// POST /procurements/{id}/declarations: fields `interest-N` (yes/no), `details-N` and
/// `organisation-N` for each bidder N.
pub async fn declare(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let get = |k: String| {
        form.data
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
    };
    let mut input = Vec::new();
    let mut errors = Vec::new();
    for i in 0..100 {
        let Some(org) = get(format!("organisation-{i}")).and_then(|o| o.parse::<Uuid>().ok())
        else {
            break;
        };
        match get(format!("interest-{i}")).as_deref() {
            Some("yes") => input.push(DeclarationInput {
                organisation_id: org,
                conflicted: true,
                details: get(format!("details-{i}")).unwrap_or_default(),
            }),
            Some("no") => input.push(DeclarationInput {
                organisation_id: org,
                conflicted: false,
                details: String::new(),
            }),
            _ => errors.push(FieldError::new(
                format!("interest-{i}"),
                "Say whether you have an interest in this bidder",
            )),
        }
    }
    let actor = &user.0;
    if errors.is_empty() {
        match in_tx!(state, |tx| evaluation::declare(tx, actor, *id, &input)
            .await)
        {
            Ok(_) => return Ok(see_other(&format!("/procurements/{id}?done=declared"))),
            Err(p) if shown_on_page(&p) => {
                errors = page_errors(&p, |f| {
                    f.strip_prefix("declarations[")
                        .and_then(|r| r.split(']').next())
                        .map(|n| {
                            if f.ends_with("details") {
                                format!("details-{n}")
                            } else {
                                format!("interest-{n}")
                            }
                        })
                        .unwrap_or_else(|| "main-content".into())
                })
            }
            Err(p) => return Err(p.into()),
        }
    }
    render_declarations(&state, actor, &form.csrf, *id, errors).await
}

async fn render_evaluation(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    sid: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    entered: Option<&[ScoreInput]>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let bid = submissions::read(&mut conn, user, sid).await?;
    let sheet = evaluation::score_sheet(&mut conn, user, sid).await?;
    let (view, _) = view_of(&mut conn, Some(user), bid.procurement_id).await?;
    let (_, questionnaire) = super::questionnaire(
        &mut conn,
        bid.procurement_id,
        Some(bid.questionnaire_version),
    )
    .await?;
    drop(conn);
    let scores = entered
        .map(<[ScoreInput]>::to_vec)
        .unwrap_or(sheet.scores.clone());
    let questions: Vec<Value> = questionnaire.questions().map(|q| {
        let a = bid.answers.get(&q.id).cloned().unwrap_or_default();
        let mine = scores.iter().find(|s| s.question_id == q.id);
        let answer_text = match q.kind {
            QuestionKind::PassFail => a.choice.map(|c| if c { "Yes" } else { "No" }.to_string()),
            QuestionKind::Price => a.price_pence.map(rules::pounds),
            QuestionKind::PriceSchedule => a.rates_pence.as_ref().map(|r| r.iter().zip(&q.bands).map(|(p, b)| format!("{}: {}", b.label, rules::pounds(*p))).collect::<Vec<_>>().join("; ")),
            _ => a.text.clone(),
        };
        json!({
            "id": q.id, "title": q.title, "guidance": q.guidance, "hint": kind_hint(q),
            "marked": q.kind.is_marked(),
            "answer": answer_text,
            "files": bid.files.iter().filter(|f| f.question_id == q.id).map(|f| json!({"id": f.file.id, "name": f.file.file_name, "size": size(f.file.size_bytes)})).collect::<Vec<_>>(),
            "scores": (0..=5).map(|n| json!({"value": n, "label": crate::procurement::scoring::Score::new(n).map(|s| s.meaning()).unwrap_or(""), "checked": mine.and_then(|m| m.score) == Some(n)})).collect::<Vec<_>>(),
            "reason": mine.map(|m| m.reason.clone()).unwrap_or_default(),
            "others": sheet.others.iter().filter(|o| o.question_id == q.id).map(|o| json!({"evaluator": o.evaluator, "score": o.score, "reason": o.reason})).collect::<Vec<_>>(),
            "error": errors.iter().find(|e| e.field == format!("score-{}", q.id)).map(|e| e.message.clone()),
        })
    }).collect();
    let data = json!({
        "p": procurement_json(&view),
        "bid": {"id": bid.id, "organisation_name": bid.organisation_name, "lot": bid.lot},
        "questions": questions,
        "submitted": sheet.submitted_at.is_some(),
        "submitted_at": sheet.submitted_at.map(london_time),
        "editable": sheet.submitted_at.is_none() && view.awarded_at.is_none(),
        "notice": notice(done),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Score {}'s bid", bid.organisation_name),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/evaluation",
        layout,
        data,
        csrf,
    ))
}

/// GET /evaluations/{sid}
pub async fn evaluation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    sid: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    render_evaluation(
        &state,
        &user.0,
        &csrf,
        *sid,
        query.done.as_deref(),
        Vec::new(),
        None,
    )
    .await
}

/// POST /evaluations/{sid}: fields `score-Q2`, `reason-Q2`, ... and `action` (save|submit).
pub async fn save_evaluation(
    state: web::Data<AppState>,
    user: PageUser,
    sid: web::Path<Uuid>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let mut scores = Vec::new();
    for (k, v) in &form.data {
        if let Some(q) = k.strip_prefix("reason-") {
            let score = form
                .data
                .iter()
                .find(|(n, _)| *n == format!("score-{q}"))
                .and_then(|(_, s)| s.parse::<i32>().ok());
            scores.push(ScoreInput {
                question_id: q.to_string(),
                score,
                reason: v.clone(),
            });
        }
    }
    let submit = form
        .data
        .iter()
        .any(|(k, v)| k == "action" && v == "submit");
    let actor = &user.0;
    let saved = {
        let scores = scores.clone();
        in_tx!(state, |tx| evaluation::save_scores(
            tx, actor, *sid, &scores, false
        )
        .await)
    };
    let result = match saved {
        Ok(_) if submit => in_tx!(state, |tx| evaluation::save_scores(
            tx,
            actor,
            *sid,
            &[],
            true
        )
        .await),
        other => other,
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/evaluations/{sid}?done={}",
            if submit {
                "scores-submitted"
            } else {
                "scores-saved"
            }
        ))),
        Err(p) if shown_on_page(&p) => {
            render_evaluation(
                &state,
                actor,
                &form.csrf,
                *sid,
                None,
                page_errors(&p, |f| format!("score-{f}")),
                Some(&scores),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Moderation, results and award

/// GET /procurements/{id}/moderation
pub async fn moderation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_moderation(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        Vec::new(),
    )
    .await
}

async fn render_moderation(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, user, id).await?;
    let view = super::view(&mut conn, &row).await?;
    let items = evaluation::moderation(&mut conn, user, id).await?;
    drop(conn);
    let data = json!({
        "p": procurement_json(&view),
        "submissions": items.iter().map(|s| json!({
            "id": s.submission_id, "organisation_name": s.organisation_name, "lot": s.lot,
            "waiting_for": s.waiting_for.join(", "), "ready": s.waiting_for.is_empty(),
            "items": s.items.iter().map(|i| json!({
                "question_id": i.question_id, "question": i.question, "weight": i.weight,
                "individual": i.individual.iter().map(|m| json!({"evaluator": m.evaluator, "score": m.score, "reason": m.reason})).collect::<Vec<_>>(),
                "moderated_score": i.moderated_score, "moderated_reason": i.moderated_reason,
                "scores": (0..=5).map(|n| json!({"value": n, "checked": i.moderated_score == Some(n)})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "editable": row.awarded_at.is_none(),
        "notice": notice(done),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Moderation: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/moderation",
        layout,
        data,
        csrf,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ModerationForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    reason: String,
}

/// POST /procurements/{id}/moderation/{sid}/{qid}
pub async fn moderate(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid, String)>,
    form: CsrfForm<ModerationForm>,
) -> Result<HttpResponse, PageError> {
    let (id, sid, qid) = path.into_inner();
    let actor = &user.0;
    let field = format!("r-{sid}-{qid}");
    let Ok(score) = form.data.score.parse::<i32>() else {
        let errors = vec![FieldError::new(
            field,
            format!("{qid}: choose the agreed score, from 0 to 5"),
        )];
        return render_moderation(&state, actor, &form.csrf, id, None, errors).await;
    };
    let reason = form.data.reason.clone();
    match in_tx!(state, |tx| evaluation::moderate(
        tx, actor, sid, &qid, score, &reason
    )
    .await)
    {
        Ok(()) => Ok(see_other(&format!(
            "/procurements/{id}/moderation?done=moderated#{sid}-{qid}"
        ))),
        Err(p) if shown_on_page(&p) => {
            let errors = page_errors(&p, |_| field.clone());
            render_moderation(&state, actor, &form.csrf, id, None, errors).await
        }
        Err(p) => Err(p.into()),
    }
}

async fn render_results(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = super::load_managed(&mut conn, user, id).await?;
    let view = super::view(&mut conn, &row).await?;
    let results = evaluation::results(&mut conn, user, id).await?;
    drop(conn);
    let mut ordered = results.clone();
    for lot in &mut ordered {
        lot.bids.sort_by_key(|b| b.rank.unwrap_or(u32::MAX));
    }
    let data = json!({
        "p": procurement_json(&view),
        "lots": ordered.iter().map(|l| json!({
            "lot": l.lot, "lot_title": l.lot_title, "complete": l.complete,
            "bids": l.bids.iter().map(|b| json!({
                "submission_id": b.submission_id, "organisation_name": b.organisation_name,
                "price": b.price_pence.map(rules::pounds), "quality": b.quality, "social_value": b.social_value,
                "price_score": b.price_score, "total": b.total, "excluded": b.excluded,
                "abnormally_low": b.abnormally_low, "rank": b.rank, "working": b.working,
                "price_check": b.price_check,
                "successful": b.outcome.as_deref() == Some("successful"),
                "preselect": b.rank == Some(1),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "can_award": row.awarded_at.is_none() && results.iter().all(|l| l.complete || l.bids.is_empty()) && results.iter().any(|l| !l.bids.is_empty()),
        "awarded": row.awarded_at.is_some(),
        "errors": errors,
    });
    let status = status_for(&data, StatusCode::UNPROCESSABLE_ENTITY);
    let layout = Layout::new(
        format!("Results: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_status(
        status,
        "procurement/results",
        layout,
        data,
        csrf,
    ))
}

/// GET /procurements/{id}/results
pub async fn results_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    render_results(&state, &user.0, &csrf, *id, Vec::new()).await
}

#[derive(Debug, Deserialize)]
pub struct PriceCheckForm {
    #[serde(default)]
    note: String,
}

/// POST /procurements/{id}/price-check/{sid}: records the check of an abnormally low price.
pub async fn record_price_check(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<PriceCheckForm>,
) -> Result<HttpResponse, PageError> {
    let (id, sid) = path.into_inner();
    let actor = &user.0;
    let note = form.data.note.clone();
    match in_tx!(state, |tx| evaluation::record_price_check(
        tx, actor, sid, &note
    )
    .await)
    {
        Ok(()) => Ok(see_other(&format!(
            "/procurements/{id}/results#check-{sid}"
        ))),
        Err(p) if shown_on_page(&p) => {
            render_results(
                &state,
                actor,
                &form.csrf,
                id,
                page_errors(&p, |_| format!("note-{sid}")),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AwardForm {
    #[serde(default)]
    successful: Vec<String>,
}

/// POST /procurements/{id}/results: the award, successful bids in rank order.
pub async fn award(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<AwardForm>,
) -> Result<HttpResponse, PageError> {
    let actor = &user.0;
    let chosen: Vec<Uuid> = form
        .data
        .successful
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    // Keep the ranking's order: the first chosen in each lot is its winning tender.
    let mut conn = state.db().await?;
    let results = evaluation::results(&mut conn, actor, *id).await?;
    drop(conn);
    let mut ranked: Vec<(u32, Uuid)> = results
        .iter()
        .flat_map(|l| &l.bids)
        .filter(|b| chosen.contains(&b.submission_id))
        .map(|b| (b.rank.unwrap_or(u32::MAX), b.submission_id))
        .collect();
    ranked.sort();
    let input = AwardInput {
        successful: ranked.into_iter().map(|(_, s)| s).collect(),
    };
    let mail = &state.mail;
    match in_tx!(state, |tx| evaluation::award(tx, mail, actor, *id, &input)
        .await)
    {
        Ok(_) => Ok(see_other(&format!("/procurements/{id}?done=awarded"))),
        Err(p) if shown_on_page(&p) => {
            render_results(
                &state,
                actor,
                &form.csrf,
                *id,
                page_errors(&p, |_| "successful".into()),
            )
            .await
        }
        Err(p) => Err(p.into()),
    }
}
