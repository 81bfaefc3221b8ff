//! A provider's bids: their list, and the bid page, one form whatever the button (save,
//! submit, attach files, remove a file), saved in one transaction, so nothing typed is
//! ever lost to a refused file or an incomplete bid.

use super::{DoneQuery, ProcurementFacts, kind_hint, size};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::rules::word_count;
use crate::evaluation::submissions::{Change, own};
use crate::evaluation::{Answer, QuestionKind, Questionnaire, queries, questionnaires};
use crate::http::problem::FieldError;
use crate::money::Pence;
use crate::procurement::emails::AssessmentSummaryEmail;
use crate::procurement::{bids, procurements};
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::multipart::PageForm;
use crate::web::page::{page_errors, shown_on_page};
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Serialize)]
struct BidRow {
    id: Uuid,
    reference: String,
    title: String,
    lot: Option<i32>,
    deadline: String,
    status: &'static str,
    colour: &'static str,
}

#[derive(Serialize)]
struct ListView {
    bids: Vec<BidRow>,
}

/// GET /bids: the provider's bids.
pub async fn list_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let mut conn = state.db().await?;
    let mine = bids::mine(&mut conn, &user.0).await?;
    drop(conn);
    let view = ListView {
        bids: mine
            .into_iter()
            .map(|b| {
                let (status, colour) = b.status.label();
                BidRow {
                    id: b.id,
                    reference: b.reference,
                    title: b.title,
                    lot: b.lot,
                    deadline: london_time(b.submission_deadline),
                    status,
                    colour,
                }
            })
            .collect(),
    };
    let layout = Layout::new("Your bids", "/bids", Some(&user.0), &csrf);
    Ok(render_page(
        "procurement/bids",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize)]
struct BandInput {
    index: usize,
    label: String,
    volume: i64,
    rate: String,
}

#[derive(Serialize)]
struct FileLine {
    id: Uuid,
    name: String,
    size: String,
}

#[derive(Serialize)]
struct QuestionInput {
    id: String,
    title: String,
    guidance: String,
    hint: String,
    is_pass_fail: bool,
    is_text: bool,
    is_price: bool,
    is_schedule: bool,
    is_evidence: bool,
    yes: bool,
    no: bool,
    text: String,
    words: usize,
    word_limit: Option<u32>,
    over: bool,
    price: String,
    bands: Vec<BandInput>,
    files: Vec<FileLine>,
    error: Option<String>,
}

#[derive(Serialize)]
struct SectionInputs {
    title: String,
    questions: Vec<QuestionInput>,
}

#[derive(Serialize)]
struct BidFacts {
    id: Uuid,
    status: &'static str,
    lot: Option<i32>,
    submitted_at: Option<String>,
    digest: Option<String>,
    withdrawn_at: Option<String>,
    changed_since: bool,
    submitted: bool,
}

#[derive(Serialize)]
struct BidView {
    bid: BidFacts,
    p: ProcurementFacts,
    sections: Vec<SectionInputs>,
    open: bool,
    summary: Option<AssessmentSummaryEmail>,
    version_changed: bool,
}

/// The bid page, with `feedback` and the answers as typed (when shown again).
async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    entered: Option<&BTreeMap<String, Answer>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])
        .map_err(|_| PageError::Forbidden)?;
    let mut conn = state.db().await?;
    let (row, competition) = own(&mut conn, user, id).await?;
    let bid = queries::read(&mut conn, user, id).await?;
    let (procurement, _) = procurements::load(&mut conn, Some(user), competition.id).await?;
    let view = procurements::view(&mut conn, &procurement).await?;
    // The form always shows the newest version; a submitted bid keeps the one it answered.
    let current = questionnaires::current(&mut conn, competition.id, row.lot_id).await?;
    let summary = bids::assessment_summary(&mut conn, user, id).await.ok();
    drop(conn);
    let answers = entered.unwrap_or(&bid.answers);
    let files = |q: &str| {
        bid.files
            .iter()
            .filter(|f| f.question_id == q)
            .map(|f| FileLine {
                id: f.file.id,
                name: f.file.file_name.clone(),
                size: size(f.file.size_bytes),
            })
            .collect()
    };
    let sections = current
        .questionnaire
        .sections
        .iter()
        .map(|s| SectionInputs {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                .map(|q| {
                    let a = answers.get(&q.id).cloned().unwrap_or_default();
                    let text = a.text.clone().unwrap_or_default();
                    let words = word_count(&text);
                    QuestionInput {
                        id: q.id.clone(),
                        title: q.title.clone(),
                        guidance: q.guidance.clone(),
                        hint: kind_hint(q),
                        is_pass_fail: q.kind == QuestionKind::PassFail,
                        is_text: q.kind.takes_text(),
                        is_price: q.kind == QuestionKind::Price,
                        is_schedule: q.kind == QuestionKind::PriceSchedule,
                        is_evidence: q.kind == QuestionKind::Evidence,
                        yes: a.choice == Some(true),
                        no: a.choice == Some(false),
                        words,
                        word_limit: q.word_limit,
                        over: q.word_limit.is_some_and(|l| words > l as usize),
                        text,
                        price: a
                            .price_pence
                            .map(|p| Pence(p).for_input())
                            .unwrap_or_default(),
                        bands: q
                            .bands
                            .iter()
                            .enumerate()
                            .map(|(i, b)| BandInput {
                                index: i,
                                label: b.label.clone(),
                                volume: b.volume,
                                rate: a
                                    .rates_pence
                                    .as_ref()
                                    .and_then(|r| r.get(i))
                                    .map(|p| Pence(*p).for_input())
                                    .unwrap_or_default(),
                            })
                            .collect(),
                        files: files(&q.id),
                        error: feedback
                            .errors
                            .iter()
                            .find(|e| e.field == format!("answer-{}", q.id))
                            .map(|e| e.message.clone()),
                    }
                })
                .collect(),
        })
        .collect();
    let page_view = BidView {
        bid: BidFacts {
            id: bid.id,
            status: bid.status.label(),
            lot: bid.lot,
            submitted_at: bid.submitted_at.map(london_time),
            digest: bid.digest.clone(),
            withdrawn_at: bid.withdrawn_at.map(london_time),
            changed_since: bid
                .submitted_at
                .is_some_and(|s| bid.updated_at > s + chrono::Duration::seconds(1)),
            submitted: bid.submitted_at.is_some(),
        },
        open: view.status == crate::procurement::ProcurementStatus::Open,
        p: ProcurementFacts::from(&view),
        sections,
        summary: summary.as_ref().map(AssessmentSummaryEmail::from),
        version_changed: bid.questionnaire_version != current.version.version,
    };
    let layout = Layout::new(
        format!("Your bid for {}", view.title),
        "/bids",
        Some(user),
        csrf,
    );
    Ok(render_page(
        "procurement/bid",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /bids/{id}
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback(), None).await
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
            QuestionKind::Evidence => continue,
            QuestionKind::Price => match get(&q.id).map(Pence::parse_pounds) {
                Some(Ok(Some(p))) => a.price_pence = Some(p.0),
                Some(Err(_)) => errors.push(FieldError::new(
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
                    match get(&format!("{}.{i}", q.id)).map(Pence::parse_pounds) {
                        Some(Ok(Some(p))) => {
                            rates.push(p.0);
                            any = true;
                        }
                        Some(Err(_)) => {
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
            _ => a.text = get(&q.id).map(|t| t.replace("\r\n", "\n")),
        }
        answers.insert(q.id.clone(), a);
    }
    (answers, errors)
}

/// What the bid form's buttons ask for (`action`): save, submit, upload the files chosen
/// for a question, or remove a file. Files chosen are uploaded whichever button is pressed.
fn change_of(questionnaire: &Questionnaire, form: PageForm) -> (Change, Vec<FieldError>) {
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
    let change = Change {
        answers,
        uploads,
        remove,
        submit: action == "submit",
    };
    (change, errors)
}

/// The page's input for an answer's error.
fn answer_field(field: &str) -> String {
    if field == "main-content" {
        field.into()
    } else {
        format!("answer-{field}")
    }
}

/// POST /bids/{id}: the whole bid form, one transaction whatever the button. The answers
/// typed are always kept, even when a file is refused or the bid is not yet complete. A
/// request with `X-Autosave: 1` (the page's script) only saves and answers 204.
pub async fn save(
    state: web::Data<AppState>,
    user: PageUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let (actor, id) = (&user.0, *id);
    let autosave = req.headers().get("X-Autosave").is_some();
    let csrf = form.csrf.clone();
    let mut conn = state.db().await?;
    let (row, competition) = own(&mut conn, actor, id).await?;
    // The form shows (and the draft answers) the newest version.
    let current = questionnaires::current(&mut conn, competition.id, row.lot_id).await?;
    let (mut change, mut errors) = change_of(&current.questionnaire, form);
    if autosave {
        change.uploads.clear();
        change.remove = None;
        change.submit = false;
    }
    let entered = change.answers.clone();
    let focus = change.uploads.first().map(|u| u.0.clone());
    let removing = change.remove.is_some();
    change.submit = change.submit && errors.is_empty();
    let result = bids::change(&mut conn, &state.files, &state.mail, actor, id, change).await;
    drop(conn);
    if autosave {
        return Ok(match result {
            Ok(_) if errors.is_empty() => HttpResponse::NoContent().finish(),
            Ok(_) => HttpResponse::UnprocessableEntity().finish(),
            Err(e) => {
                let p = crate::http::problem::Problem::from(e);
                HttpResponse::build(StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT))
                    .finish()
            }
        });
    }
    match result {
        Ok(outcome) => {
            errors.extend(
                outcome
                    .errors
                    .into_iter()
                    .map(|e| FieldError::new(answer_field(&e.field), e.message)),
            );
            if errors.is_empty() {
                let done = if outcome.submitted.is_some() {
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
        Err(e) => {
            let p = crate::http::problem::Problem::from(e);
            if !shown_on_page(&p) {
                return Err(p.into());
            }
            errors.extend(page_errors(&p, answer_field));
        }
    }
    show(
        &state,
        actor,
        &csrf,
        id,
        Feedback::errors(errors),
        Some(&entered),
    )
    .await
}

/// POST /bids/{id}/withdraw
pub async fn withdraw(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    // `own` refuses a bid that is not this organisation's, before anything is shown. A bid
    // that cannot be withdrawn (not submitted, or past its deadline) is not asked about:
    // withdrawing it is refused below with the reason.
    let (row, competition) = own(&mut conn, &user.0, *id).await?;
    let withdrawable = row.submitted_at.is_some()
        && row.withdrawn_at.is_none()
        && competition.submission_deadline > chrono::Utc::now();
    if withdrawable && !form.data.confirmed() {
        let deadline = london_time(competition.submission_deadline);
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!(
                "Are you sure you want to withdraw your bid for {}?",
                competition.title
            ),
            items: Vec::new(),
            paragraphs: vec![
                "Your bid will be taken out of the competition: the council will not evaluate it."
                    .into(),
                format!(
                    "Your answers and files are kept. You can submit again before the deadline, {deadline}."
                ),
            ],
            warnings: vec![format!(
                "If you do not submit again before {deadline}, you will not be considered for this contract."
            )],
            action: format!("/bids/{id}/withdraw"),
            carry: Vec::new(),
            button: "Yes, withdraw my bid".into(),
            warning_button: true,
            back: format!("/bids/{id}"),
            back_text: "No, go back to my bid".into(),
        };
        let layout = Layout::new("Withdraw your bid", "/bids", Some(&user.0), &form.csrf);
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    let result = bids::withdraw(&mut conn, &user.0, *id).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/bids/{id}?done=withdrawn"),
        |f: &str| f.to_string(),
        async |errors| {
            show(
                &state,
                &user.0,
                &form.csrf,
                *id,
                Feedback::errors(errors),
                None,
            )
            .await
        },
    )
    .await
}

/// GET /submissions/{id}/files/{file_id}: the same access rule as the content.
pub async fn download_file(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = bids::file(&mut conn, &user.0, id, file_id).await?;
    drop(conn);
    Ok(crate::procurement::api::send_file(&state, file).await?)
}
