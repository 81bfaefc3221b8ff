//! One section of a bid: its questions only, one form whatever the button (save and
//! continue, save draft, upload the files chosen, remove a file), saved in one
//! transaction, so nothing typed is lost to a refused file. A section's form carries only
//! its own questions, and saving merges them into the bid: other sections never change.

use super::bid_check::answer_rows;
use super::bids::{Bid, load};
use super::{DoneQuery, size};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::evaluation::rules::word_count;
use crate::evaluation::submissions::Change;
use crate::evaluation::{Answer, Question, QuestionKind};
use crate::http::problem::{FieldError, Problem};
use crate::money::Pence;
use crate::procurement::bids;
use crate::state::AppState;
use crate::web::multipart::PageForm;
use crate::web::page::{page_errors, shown_on_page};
use crate::web::tasks::AnswerRow;
use crate::web::{Feedback, Layout, PageError, PageUser, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The first input of a question on its section page: where an error about it links to
/// (the Yes radio, the first band's rate, the file input).
pub(super) fn first_input(q: &Question) -> String {
    match q.kind {
        QuestionKind::PassFail => format!("answer-{}-yes", q.id),
        QuestionKind::PriceSchedule if !q.bands.is_empty() => format!("answer-{}-0", q.id),
        QuestionKind::Evidence => format!("file-{}", q.id),
        _ => format!("answer-{}", q.id),
    }
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
struct SectionView {
    bid_id: Uuid,
    n: usize,
    title: String,
    caption: String,
    deadline: String,
    questions: Vec<QuestionInput>,
    /// After the deadline: the answers, read only.
    rows: Vec<AnswerRow>,
    open: bool,
}

/// What was typed, when a form is shown again: the answers read from it, and the form's
/// fields as sent (a price that is not money has no answer, but is shown as typed).
type Typed<'a> = (&'a BTreeMap<String, Answer>, &'a [(String, String)]);

fn inputs(
    bid: &Bid,
    questions: &[Question],
    typed: Option<Typed<'_>>,
    errors: &[FieldError],
) -> Vec<QuestionInput> {
    let answers = typed.map_or(&bid.view.answers, |t| t.0);
    let sent = |name: &str| {
        typed.and_then(|(_, fields)| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        })
    };
    questions
        .iter()
        .map(|q| {
            let a = answers.get(&q.id).cloned().unwrap_or_default();
            let text = a.text.clone().unwrap_or_default();
            let words = word_count(&text);
            let input = first_input(q);
            QuestionInput {
                id: q.id.clone(),
                title: q.title.clone(),
                guidance: q.guidance.clone(),
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
                price: sent(&q.id).unwrap_or_else(|| {
                    a.price_pence
                        .map(|p| Pence(p).for_input())
                        .unwrap_or_default()
                }),
                bands: q
                    .bands
                    .iter()
                    .enumerate()
                    .map(|(i, b)| BandInput {
                        index: i,
                        label: b.label.clone(),
                        volume: b.volume,
                        rate: sent(&format!("{}.{i}", q.id)).unwrap_or_else(|| {
                            a.rates_pence
                                .as_ref()
                                .and_then(|r| r.get(i))
                                .filter(|p| **p > 0)
                                .map(|p| Pence(*p).for_input())
                                .unwrap_or_default()
                        }),
                    })
                    .collect(),
                files: bid
                    .view
                    .files
                    .iter()
                    .filter(|f| f.question_id == q.id)
                    .map(|f| FileLine {
                        id: f.file.id,
                        name: f.file.file_name.clone(),
                        size: size(f.file.size_bytes),
                    })
                    .collect(),
                error: errors
                    .iter()
                    .find(|e| e.field == input)
                    .map(|e| e.message.clone()),
            }
        })
        .collect()
}

/// Section `n` of the bid, with `feedback` and the answers as typed (when shown again).
async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    (id, n): (Uuid, usize),
    feedback: Feedback,
    typed: Option<Typed<'_>>,
) -> Result<HttpResponse, PageError> {
    let bid = load(state, user, id).await?;
    let section = bid.section(n)?;
    let open = bid.open();
    let view = SectionView {
        bid_id: id,
        n,
        title: section.title.clone(),
        caption: bid.caption(),
        deadline: bid.deadline(),
        questions: if open {
            inputs(&bid, &section.questions, typed, &feedback.errors)
        } else {
            Vec::new()
        },
        rows: if open {
            Vec::new()
        } else {
            answer_rows(&bid, n, false)
        },
        open,
    };
    let layout = Layout::new(section.title.clone(), "/bids", Some(user), csrf)
        .back_to(format!("/bids/{id}"));
    Ok(render_page(
        "procurement/bid_section",
        layout,
        &view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /bids/{id}/sections/{n}
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    path: web::Path<(Uuid, usize)>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *path, query.feedback(), None).await
}

/// Reads a section's form into answers to its questions only, with errors (against each
/// question's first input) for what cannot be read (prices).
fn answers_from_form(
    questions: &[Question],
    pairs: &[(String, String)],
) -> (BTreeMap<String, Answer>, Vec<FieldError>) {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut answers = BTreeMap::new();
    let mut errors = Vec::new();
    for q in questions {
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
                    first_input(q),
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
                let mut refused = false;
                for i in 0..q.bands.len() {
                    match get(&format!("{}.{i}", q.id)).map(Pence::parse_pounds) {
                        Some(Ok(Some(p))) => {
                            rates.push(p.0);
                            any = true;
                        }
                        Some(Err(_)) => {
                            refused = true;
                            rates.push(0);
                        }
                        _ => rates.push(0),
                    }
                }
                if refused {
                    errors.push(FieldError::new(
                        first_input(q),
                        format!("{}: enter each rate in pounds and pence, like 24.50", q.id),
                    ));
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

/// What a section form's buttons ask for (`action`): save and continue, save, upload the
/// files chosen, or remove a file. Files chosen are uploaded whichever button is pressed.
/// Only this section's questions are read, and only its files are taken.
fn change_of(questions: &[Question], form: PageForm) -> (Change, String, Vec<FieldError>) {
    let (answers, errors) = answers_from_form(questions, &form.fields);
    let action = form.get("action").unwrap_or("save").to_string();
    let remove = action
        .strip_prefix("remove:")
        .and_then(|f| Uuid::parse_str(f).ok());
    let uploads = form
        .files
        .into_iter()
        .filter_map(|f| {
            let question = f.field.strip_prefix("file:")?.to_string();
            questions
                .iter()
                .any(|q| q.id == question)
                .then_some((question, f.file_name, f.bytes))
        })
        .collect();
    let change = Change {
        answers,
        uploads,
        remove,
        submit: false,
    };
    (change, action, errors)
}

/// The page's input for an error about question `field` (else the page itself).
fn input_for(bid: &Bid, field: &str) -> String {
    bid.question(field)
        .map(first_input)
        .unwrap_or_else(|| "main-content".into())
}

/// POST /bids/{id}/sections/{n}: the section's form, one transaction whatever the button.
/// The answers typed are always kept, even when a file is refused. A request with
/// `X-Autosave: 1` (the page's script) only saves the answers and answers 204.
pub async fn save(
    state: web::Data<AppState>,
    user: PageUser,
    req: HttpRequest,
    path: web::Path<(Uuid, usize)>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let (actor, (id, n)) = (&user.0, *path);
    let autosave = req.headers().get("X-Autosave").is_some();
    let csrf = form.csrf.clone();
    let bid = load(&state, actor, id).await?;
    let questions = bid.section(n)?.questions.clone();
    let fields = form.fields.clone();
    let (mut change, action, mut errors) = change_of(&questions, form);
    if autosave {
        change.uploads.clear();
        change.remove = None;
    }
    let entered = change.answers.clone();
    let focus = change.uploads.first().map(|u| u.0.clone());
    let removing = change.remove.is_some();
    let mut conn = state.db().await?;
    let result = bids::change(&mut conn, &state.files, &state.mail, actor, id, change).await;
    drop(conn);
    if autosave {
        return Ok(match result {
            Ok(_) if errors.is_empty() => HttpResponse::NoContent().finish(),
            Ok(_) => HttpResponse::UnprocessableEntity().finish(),
            Err(e) => {
                let p = Problem::from(e);
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
                    .map(|e| FieldError::new(input_for(&bid, &e.field), e.message)),
            );
            if errors.is_empty() {
                let here = format!("/bids/{id}/sections/{n}");
                return Ok(see_other(&if let Some(q) = focus {
                    format!("{here}?done=uploaded#file-{q}")
                } else if removing {
                    format!("{here}?done=removed")
                } else if action == "continue" {
                    format!("/bids/{id}?done=draft")
                } else {
                    format!("{here}?done=draft")
                }));
            }
        }
        Err(e) => {
            let p = Problem::from(e);
            if !shown_on_page(&p) {
                return Err(p.into());
            }
            errors.extend(page_errors(&p, |f| input_for(&bid, f)));
        }
    }
    show(
        &state,
        actor,
        &csrf,
        (id, n),
        Feedback::errors(errors),
        Some((&entered, &fields)),
    )
    .await
}
