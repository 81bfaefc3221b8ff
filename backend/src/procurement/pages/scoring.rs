//! An evaluator's scores for one bid: the scoring page (a draft can be saved at any
//! time), then a check of every score and reason, then "Submit my scores", which is final.
//! A sheet that is not finished goes back to the scoring page with each missing score or
//! reason linked from the error summary.

use super::{DoneQuery, ProcurementFacts, kind_hint, size};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::marking::{self, ScoreInput, Unfinished};
use crate::evaluation::scoring::Score;
use crate::evaluation::{EvaluationError, Question, QuestionKind, queries, questionnaires};
use crate::http::problem::{FieldError, Problem};
use crate::money::Pence;
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::page::{page_errors, shown_on_page};
use crate::web::tasks::AnswerRow;
use crate::web::{Feedback, Layout, PageError, PageUser, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct ScoreChoice {
    value: i32,
    /// The radio's id: the first is `score-Q2`, the input the error summary links to.
    input: String,
    label: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct OtherMark {
    evaluator: String,
    score: Option<i32>,
    reason: String,
}

#[derive(Serialize)]
struct FileLine {
    id: Uuid,
    name: String,
    size: String,
}

#[derive(Serialize)]
struct SheetQuestion {
    id: String,
    title: String,
    guidance: String,
    hint: String,
    marked: bool,
    answer: Option<String>,
    files: Vec<FileLine>,
    scores: Vec<ScoreChoice>,
    reason: String,
    others: Vec<OtherMark>,
    score_error: Option<String>,
    reason_error: Option<String>,
}

#[derive(Serialize)]
struct BidLine {
    id: Uuid,
    organisation_name: String,
    lot: Option<i32>,
}

#[derive(Serialize)]
struct SheetView {
    p: ProcurementFacts,
    bid: BidLine,
    questions: Vec<SheetQuestion>,
    submitted: bool,
    submitted_at: Option<String>,
    editable: bool,
}

/// The bidder's answer to a question, in a line.
fn answer_text(q: &Question, a: &crate::evaluation::Answer) -> Option<String> {
    match q.kind {
        QuestionKind::PassFail => a.choice.map(|c| if c { "Yes" } else { "No" }.to_string()),
        QuestionKind::Price => a.price_pence.map(|p| Pence(p).to_string()),
        QuestionKind::PriceSchedule => a.rates_pence.as_ref().map(|r| {
            r.iter()
                .zip(&q.bands)
                .map(|(p, b)| format!("{}: {}", b.label, Pence(*p)))
                .collect::<Vec<_>>()
                .join("; ")
        }),
        _ => a.text.clone(),
    }
}

/// "Bright Care Ltd's bid", "Bright Care Ltd's bid for lot 2".
fn bid_name(organisation_name: &str, lot: Option<i32>) -> String {
    match lot {
        Some(l) => format!("{organisation_name}'s bid for lot {l}"),
        None => format!("{organisation_name}'s bid"),
    }
}

async fn show_sheet(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    sid: Uuid,
    feedback: Feedback,
    entered: Option<&[ScoreInput]>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let bid = queries::read(&mut conn, user, sid).await?;
    let sheet = marking::score_sheet(&mut conn, user, sid).await?;
    let (row, _) = procurements::load(&mut conn, Some(user), bid.competition_id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let row_of = queries::find(&mut conn, sid).await?;
    let questionnaire = questionnaires::by_id(&mut conn, row_of.questionnaire_id).await?;
    drop(conn);
    let scores = entered
        .map(<[ScoreInput]>::to_vec)
        .unwrap_or(sheet.scores.clone());
    let error = |field: String| {
        feedback
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let questions = questionnaire
        .questionnaire
        .questions()
        .map(|q| {
            let a = bid.answers.get(&q.id).cloned().unwrap_or_default();
            let mine = scores.iter().find(|s| s.question_id == q.id);
            SheetQuestion {
                id: q.id.clone(),
                title: q.title.clone(),
                guidance: q.guidance.clone(),
                hint: kind_hint(q),
                marked: q.kind.is_marked(),
                answer: answer_text(q, &a),
                files: bid
                    .files
                    .iter()
                    .filter(|f| f.question_id == q.id)
                    .map(|f| FileLine {
                        id: f.file.id,
                        name: f.file.file_name.clone(),
                        size: size(f.file.size_bytes),
                    })
                    .collect(),
                scores: (0..=5)
                    .map(|n| ScoreChoice {
                        value: n,
                        input: if n == 0 {
                            format!("score-{}", q.id)
                        } else {
                            format!("score-{}-{n}", q.id)
                        },
                        label: Score::new(n).map(|s| s.meaning()).unwrap_or(""),
                        checked: mine.and_then(|m| m.score) == Some(n),
                    })
                    .collect(),
                reason: mine.map(|m| m.reason.clone()).unwrap_or_default(),
                others: sheet
                    .others
                    .iter()
                    .filter(|o| o.question_id == q.id)
                    .map(|o| OtherMark {
                        evaluator: o.evaluator.clone(),
                        score: o.score,
                        reason: o.reason.clone(),
                    })
                    .collect(),
                score_error: error(format!("score-{}", q.id)),
                reason_error: error(format!("reason-{}", q.id)),
            }
        })
        .collect();
    let page_view = SheetView {
        p: ProcurementFacts::from(&view),
        bid: BidLine {
            id: bid.id,
            organisation_name: bid.organisation_name.clone(),
            lot: bid.lot,
        },
        questions,
        submitted: sheet.submitted_at.is_some(),
        submitted_at: sheet.submitted_at.map(london_time),
        editable: sheet.submitted_at.is_none() && view.awarded_at.is_none(),
    };
    let layout = Layout::new(
        format!("Score {}", bid_name(&bid.organisation_name, bid.lot)),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{}/evaluation", view.id));
    Ok(render_page(
        "procurement/evaluation",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /evaluations/{sid}
pub async fn score_sheet_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    sid: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    show_sheet(&state, &user.0, &csrf, *sid, query.feedback(), None).await
}

/// What each unfinished question still needs, against its score radios and reason box.
fn unfinished_errors(unfinished: &[Unfinished]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for u in unfinished {
        let q = &u.question_id;
        if u.mark {
            errors.push(FieldError::new(
                format!("score-{q}"),
                format!("Choose a score from 0 to 5 for {q}"),
            ));
        }
        if u.reason {
            errors.push(FieldError::new(
                format!("reason-{q}"),
                format!("Give your reason for the score for {q}"),
            ));
        }
    }
    errors
}

/// POST /evaluations/{sid}: fields `score-Q2`, `reason-Q2`, ... and `action`: `save` keeps
/// a draft; `check` (Continue) keeps it too, then shows the check page, or the scoring
/// page again with what is still missing. Nothing here is final.
pub async fn save_score_sheet(
    state: web::Data<AppState>,
    user: PageUser,
    sid: web::Path<Uuid>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let scores: Vec<ScoreInput> = form
        .data
        .iter()
        .filter_map(|(k, v)| {
            let q = k.strip_prefix("reason-")?;
            let score = form
                .data
                .iter()
                .find(|(n, _)| *n == format!("score-{q}"))
                .and_then(|(_, s)| s.parse::<i32>().ok());
            Some(ScoreInput {
                question_id: q.to_string(),
                score,
                verdict: None,
                reason: v.clone(),
            })
        })
        .collect();
    let save_only = form.data.iter().any(|(k, v)| k == "action" && v == "save");
    let mut conn = state.db().await?;
    let saved = marking::save_scores(&mut conn, &user.0, *sid, &scores, false).await;
    let errors = match saved {
        Ok(_) if save_only => {
            return Ok(see_other(&format!("/evaluations/{sid}?done=scores-saved")));
        }
        Ok(_) => unfinished_errors(&marking::unfinished(&mut conn, &user.0, *sid).await?),
        Err(e) => {
            let p: Problem = e.into();
            if !shown_on_page(&p) {
                return Err(p.into());
            }
            page_errors(&p, |f| format!("score-{f}"))
        }
    };
    drop(conn);
    if errors.is_empty() {
        return Ok(see_other(&format!("/evaluations/{sid}/check")));
    }
    show_sheet(
        &state,
        &user.0,
        &form.csrf,
        *sid,
        Feedback::errors(errors),
        Some(&scores),
    )
    .await
}

#[derive(Serialize)]
struct CheckView {
    p: ProcurementFacts,
    bid: BidLine,
    rows: Vec<AnswerRow>,
}

/// GET /evaluations/{sid}/check: every score with its meaning and reason, each with a
/// Change link to its question, and the final button.
pub async fn check_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    sid: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let mut conn = state.db().await?;
    let sheet = marking::score_sheet(&mut conn, &user.0, *sid).await?;
    if sheet.submitted_at.is_some() {
        return Ok(see_other(&format!("/evaluations/{sid}")));
    }
    let row_of = queries::find(&mut conn, *sid).await?;
    let (row, _) = procurements::load(&mut conn, Some(&user.0), row_of.competition_id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let questionnaire = questionnaires::by_id(&mut conn, row_of.questionnaire_id).await?;
    let bid = queries::read(&mut conn, &user.0, *sid).await?;
    drop(conn);
    let rows = questionnaire
        .questionnaire
        .questions()
        .filter(|q| q.kind.is_marked())
        .map(|q| {
            let mine = sheet.scores.iter().find(|s| s.question_id == q.id);
            let mut lines = Vec::new();
            if let Some(score) = mine.and_then(|m| m.score) {
                let meaning = Score::new(score).map(|s| s.meaning()).unwrap_or("");
                lines.push(format!("{score} out of 5: {meaning}"));
                lines.push(mine.map(|m| m.reason.clone()).unwrap_or_default());
            }
            AnswerRow::new(format!("{} {}", q.id, q.title), lines)
                .change_at(format!("/evaluations/{sid}#question-{}", q.id))
        })
        .collect();
    let page_view = CheckView {
        p: ProcurementFacts::from(&view),
        bid: BidLine {
            id: bid.id,
            organisation_name: bid.organisation_name.clone(),
            lot: bid.lot,
        },
        rows,
    };
    let layout = Layout::new(
        format!(
            "Check your scores for {}",
            bid_name(&bid.organisation_name, bid.lot)
        ),
        "/procurements",
        Some(&user.0),
        &csrf,
    )
    .back_to(format!("/evaluations/{sid}"));
    Ok(render_page(
        "procurement/evaluation_check",
        layout,
        &page_view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// POST /evaluations/{sid}/submit: "Submit my scores", from the check page. A sheet
/// that is not finished goes back to the scoring page with what is missing.
pub async fn submit_scores(
    state: web::Data<AppState>,
    user: PageUser,
    sid: web::Path<Uuid>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let mut conn = state.db().await?;
    let result = marking::save_scores(&mut conn, &user.0, *sid, &[], true).await;
    let errors = match result {
        Ok(_) => {
            let row_of = queries::find(&mut conn, *sid).await?;
            return Ok(see_other(&format!(
                "/procurements/{}/evaluation?done=scores-confirmed",
                row_of.competition_id
            )));
        }
        Err(EvaluationError::Invalid { .. }) => {
            unfinished_errors(&marking::unfinished(&mut conn, &user.0, *sid).await?)
        }
        Err(e) => {
            let p: Problem = e.into();
            if !shown_on_page(&p) {
                return Err(p.into());
            }
            page_errors(&p, |f| format!("score-{f}"))
        }
    };
    drop(conn);
    show_sheet(
        &state,
        &user.0,
        &form.csrf,
        *sid,
        Feedback::errors(errors),
        None,
    )
    .await
}
