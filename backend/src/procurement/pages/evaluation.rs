//! The panel's pages: the commissioner chooses the evaluators; each evaluator declares
//! their interests, then marks each bid they may see on its score sheet.

use super::{DoneQuery, ProcurementFacts, kind_hint, size};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::marking::{self, ScoreInput};
use crate::evaluation::panels::{self, DeclarationInput};
use crate::evaluation::scoring::Score;
use crate::evaluation::{EvaluationError, QuestionKind, queries, questionnaires};
use crate::http::pagination::PageRequest;
use crate::http::problem::FieldError;
use crate::money::Pence;
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct EvaluatorBox {
    id: Uuid,
    name: String,
    email: String,
    checked: bool,
}

#[derive(Serialize)]
struct PanelView {
    p: ProcurementFacts,
    evaluators: Vec<EvaluatorBox>,
}

/// GET /procurements/{id}/panel
pub async fn panel_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, &user.0, *id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let panel = panels::panel(&mut conn, *id).await?;
    let evaluators = crate::organisations::queries::list_users(
        &mut conn,
        &crate::organisations::queries::UserFilter {
            q: None,
            role: Some(Role::Evaluator),
            organisation_id: Some(row.competition.council_id),
            active: Some(true),
        },
        PageRequest::new(1, 100),
    )
    .await?;
    drop(conn);
    let page_view = PanelView {
        p: ProcurementFacts::from(&view),
        evaluators: evaluators
            .items
            .iter()
            .map(|e| EvaluatorBox {
                id: e.id,
                name: e.name.clone(),
                email: e.email.clone(),
                checked: panel.iter().any(|m| m.user_id == e.id),
            })
            .collect(),
    };
    let layout = Layout::new(
        format!("Evaluation panel: {}", view.title),
        "/procurements",
        Some(&user.0),
        &csrf,
    );
    Ok(render_page(
        "procurement/panel",
        layout,
        &page_view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// The evaluators chosen.
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
    let ids: Vec<Uuid> = form
        .data
        .evaluator_ids
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, &user.0, *id).await?;
    let result = panels::assign_panel(&mut conn, &user.0, *id, &ids).await;
    drop(conn);
    // A refusal is shown on the procurement's page, as every refused action is.
    after_post(
        result,
        |_| format!("/procurements/{id}?done=panel"),
        |_| "main-content".into(),
        async |errors| {
            super::procurements::show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors))
                .await
        },
    )
    .await
}

#[derive(Serialize)]
struct BidderLine {
    index: usize,
    organisation_id: Uuid,
    name: String,
    declared: bool,
    conflicted: bool,
    details: String,
}

#[derive(Serialize)]
struct DeclarationsView {
    p: ProcurementFacts,
    bidders: Vec<BidderLine>,
    declared: bool,
    waiting: Option<String>,
}

async fn show_declarations(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (row, _) = procurements::load(&mut conn, Some(user), id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let bidders = panels::bidders(&mut conn, user, id).await;
    drop(conn);
    let (bidders, waiting) = match bidders {
        Ok(b) => (b, None),
        Err(EvaluationError::Refused { detail, .. }) => (Vec::new(), Some(detail)),
        Err(e) => return Err(e.into()),
    };
    let page_view = DeclarationsView {
        p: ProcurementFacts::from(&view),
        declared: bidders.iter().any(|b| b.conflicted.is_some()),
        bidders: bidders
            .into_iter()
            .enumerate()
            .map(|(i, b)| BidderLine {
                index: i,
                organisation_id: b.organisation_id,
                name: b.name,
                declared: b.conflicted.is_some(),
                conflicted: b.conflicted == Some(true),
                details: b.details,
            })
            .collect(),
        waiting,
    };
    let layout = Layout::new(
        format!("Declare your interests: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_page(
        "procurement/declarations",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
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
    show_declarations(&state, &user.0, &csrf, *id, Feedback::default()).await
}

/// The declaration's input for a field of the API's `declarations[n]`.
fn declaration_field(f: &str) -> String {
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
    if !errors.is_empty() {
        return show_declarations(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await;
    }
    let mut conn = state.db().await?;
    procurements::load(&mut conn, Some(&user.0), *id).await?;
    let result = panels::declare(&mut conn, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}?done=declared"),
        declaration_field,
        async |errors| {
            show_declarations(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await
        },
    )
    .await
}

#[derive(Serialize)]
struct ScoreChoice {
    value: i32,
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
    error: Option<String>,
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
    let questions = questionnaire
        .questionnaire
        .questions()
        .map(|q| {
            let a = bid.answers.get(&q.id).cloned().unwrap_or_default();
            let mine = scores.iter().find(|s| s.question_id == q.id);
            let answer = match q.kind {
                QuestionKind::PassFail => {
                    a.choice.map(|c| if c { "Yes" } else { "No" }.to_string())
                }
                QuestionKind::Price => a.price_pence.map(|p| Pence(p).to_string()),
                QuestionKind::PriceSchedule => a.rates_pence.as_ref().map(|r| {
                    r.iter()
                        .zip(&q.bands)
                        .map(|(p, b)| format!("{}: {}", b.label, Pence(*p)))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                _ => a.text.clone(),
            };
            SheetQuestion {
                id: q.id.clone(),
                title: q.title.clone(),
                guidance: q.guidance.clone(),
                hint: kind_hint(q),
                marked: q.kind.is_marked(),
                answer,
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
                error: feedback
                    .errors
                    .iter()
                    .find(|e| e.field == format!("score-{}", q.id))
                    .map(|e| e.message.clone()),
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
        format!("Score {}'s bid", bid.organisation_name),
        "/procurements",
        Some(user),
        csrf,
    );
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

/// POST /evaluations/{sid}: fields `score-Q2`, `reason-Q2`, ... and `action` (save|submit).
/// One transaction: the marks typed are kept even when the sheet cannot be submitted yet.
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
    let submit = form
        .data
        .iter()
        .any(|(k, v)| k == "action" && v == "submit");
    let mut conn = state.db().await?;
    let result = if submit {
        marking::save_then_submit(&mut conn, &user.0, *sid, &scores).await
    } else {
        marking::save_scores(&mut conn, &user.0, *sid, &scores, false)
            .await
            .map(|_| Vec::new())
    };
    drop(conn);
    // Marks kept but not submitted: show what is missing, with the marks as saved.
    let result = result.and_then(|missing| {
        if missing.is_empty() {
            Ok(())
        } else {
            Err(EvaluationError::Invalid {
                errors: missing,
                detail: Some("Your scores are saved, but not submitted.".into()),
            })
        }
    });
    after_post(
        result,
        |_| {
            format!(
                "/evaluations/{sid}?done={}",
                if submit {
                    "scores-submitted"
                } else {
                    "scores-saved"
                }
            )
        },
        |f| format!("score-{f}"),
        async |errors| {
            show_sheet(
                &state,
                &user.0,
                &form.csrf,
                *sid,
                Feedback::errors(errors),
                Some(&scores),
            )
            .await
        },
    )
    .await
}
