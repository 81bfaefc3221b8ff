//! The end of a bid: check your answers (every question and answer, each with a link to
//! change it), submit, and the confirmation with the receipt number to keep.

use super::bid_sections::first_input;
use super::bids::{Bid, load};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::calendar::{london_time, long_date};
use crate::evaluation::{Answer, QuestionKind};
use crate::money::Pence;
use crate::procurement::bids;
use crate::state::AppState;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::tasks::{AnswerRow, Panel};
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

/// Section `n`'s questions and answers as check your answers shows them: files by name,
/// prices in pounds, schedules as "band: rate"; with Change links (`change`) to the
/// question's first input on its section page.
pub(super) fn answer_rows(bid: &Bid, n: usize, change: bool) -> Vec<AnswerRow> {
    let Ok(section) = bid.section(n) else {
        return Vec::new();
    };
    let empty = Answer::default();
    section
        .questions
        .iter()
        .map(|q| {
            let a = bid.view.answers.get(&q.id).unwrap_or(&empty);
            let lines = match q.kind {
                QuestionKind::PassFail => a
                    .choice
                    .map(|c| if c { "Yes" } else { "No" }.to_string())
                    .into_iter()
                    .collect(),
                QuestionKind::Price => a
                    .price_pence
                    .map(|p| Pence(p).to_string())
                    .into_iter()
                    .collect(),
                QuestionKind::PriceSchedule => match &a.rates_pence {
                    Some(rates) => q
                        .bands
                        .iter()
                        .zip(rates)
                        .filter(|(_, r)| **r > 0)
                        .map(|(b, r)| format!("{}: {}", b.label, Pence(*r)))
                        .collect(),
                    None => Vec::new(),
                },
                QuestionKind::Evidence => bid
                    .view
                    .files
                    .iter()
                    .filter(|f| f.question_id == q.id)
                    .map(|f| f.file.file_name.clone())
                    .collect(),
                _ => a.text.clone().into_iter().collect(),
            };
            let row = AnswerRow::new(format!("{} {}", q.id, q.title), lines);
            if change {
                row.change_at(format!(
                    "/bids/{}/sections/{n}#{}",
                    bid.id(),
                    first_input(q)
                ))
            } else {
                row
            }
        })
        .collect()
}

#[derive(Serialize)]
struct CheckSection {
    title: String,
    rows: Vec<AnswerRow>,
}

#[derive(Serialize)]
struct CheckView {
    bid_id: Uuid,
    caption: String,
    title: String,
    organisation: String,
    deadline: String,
    sections: Vec<CheckSection>,
    open: bool,
    resubmit: bool,
}

async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let bid = load(state, user, id).await?;
    let open = bid.open();
    let view = CheckView {
        bid_id: id,
        caption: bid.caption(),
        title: bid.procurement.title.clone(),
        organisation: user.organisation_name.clone(),
        deadline: bid.deadline(),
        sections: bid
            .sections()
            .iter()
            .enumerate()
            .map(|(i, s)| CheckSection {
                title: s.title.clone(),
                rows: answer_rows(&bid, i + 1, open),
            })
            .collect(),
        open,
        resubmit: bid.view.submitted_at.is_some(),
    };
    let layout =
        Layout::new("Check your answers", "/bids", Some(user), csrf).back_to(format!("/bids/{id}"));
    Ok(render_page(
        "procurement/bid_check",
        layout,
        &view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /bids/{id}/check
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, Feedback::default()).await
}

/// POST /bids/{id}/check: submits the bid as saved. A bid that is not complete is
/// refused, nothing submitted, and each error links to the question's input on its
/// section page.
pub async fn submit(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (actor, id) = (&user.0, *id);
    let bid = load(&state, actor, id).await?;
    let mut conn = state.db().await?;
    let result = bids::submit(&mut conn, &state.mail, actor, id).await;
    drop(conn);
    let field = |qid: &str| match (bid.question(qid), bid.section_of(qid)) {
        (Some(q), Some(n)) => format!("/bids/{id}/sections/{n}#{}", first_input(q)),
        _ => "main-content".to_string(),
    };
    after_post(
        result,
        |_| format!("/bids/{id}/receipt"),
        field,
        async |errors| show(&state, actor, &form.csrf, id, Feedback::errors(errors)).await,
    )
    .await
}

#[derive(Serialize)]
struct ReceiptView {
    bid_id: Uuid,
    panel: Panel,
    title: String,
    received: String,
    deadline: String,
    planned_award: String,
    open: bool,
    awarded: bool,
    /// Whether the person reading submitted it (the receipt was emailed to them).
    emailed_you: bool,
}

/// GET /bids/{id}/receipt: the confirmation of the last submission, with the receipt
/// number to keep. A bid not submitted (or withdrawn) has none: back to the bid.
pub async fn receipt(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let bid = load(&state, &user.0, *id).await?;
    let v = &bid.view;
    let (Some(at), Some(digest), None) = (v.submitted_at, v.digest.clone(), v.withdrawn_at) else {
        return Ok(see_other(&format!("/bids/{id}")));
    };
    let view = ReceiptView {
        bid_id: *id,
        panel: Panel {
            title: "Bid submitted".into(),
            reference_label: "Your receipt number".into(),
            reference: Some(digest),
        },
        title: bid.procurement.title.clone(),
        received: london_time(at),
        deadline: london_time(bid.competition.submission_deadline),
        planned_award: long_date(bid.procurement.planned_award_date),
        open: bid.open(),
        awarded: bid.procurement.awarded_at.is_some(),
        emailed_you: bid.row.submitted_by == Some(user.0.id),
    };
    let layout =
        Layout::new("Bid submitted", "/bids", Some(&user.0), &csrf).back_to(format!("/bids/{id}"));
    Ok(render_page(
        "procurement/bid_receipt",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}
