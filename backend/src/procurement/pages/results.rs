//! After marking: moderation (the agreed score per question), the results with their
//! working, the check of an abnormally low price, and the award.

use super::{DoneQuery, ProcurementFacts};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::evaluation::SubmissionOutcome;
use crate::evaluation::marking::{self, Agreed};
use crate::evaluation::results;
use crate::http::problem::FieldError;
use crate::money::Pence;
use crate::procurement::award::{self, AwardInput};
use crate::procurement::{clarifications, procurements};
use crate::state::AppState;
use crate::web::confirm::{Carried, Confirmation, is_confirmed, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct Individual {
    evaluator: String,
    score: Option<i32>,
    reason: String,
}

#[derive(Serialize)]
struct ScoreRadio {
    value: i32,
    checked: bool,
}

#[derive(Serialize)]
struct ModerationLine {
    question_id: String,
    question: String,
    weight: u32,
    individual: Vec<Individual>,
    moderated_score: Option<i32>,
    moderated_reason: Option<String>,
    /// Agreed: a moderated score is recorded.
    agreed: bool,
    scores: Vec<ScoreRadio>,
}

#[derive(Serialize)]
struct ModerationBid {
    id: Uuid,
    organisation_name: String,
    lot: Option<i32>,
    waiting_for: String,
    ready: bool,
    /// Questions agreed, of `questions`.
    agreed: usize,
    questions: usize,
    items: Vec<ModerationLine>,
}

#[derive(Serialize)]
struct ModerationView {
    p: ProcurementFacts,
    submissions: Vec<ModerationBid>,
    editable: bool,
    /// Questions agreed across every bid, of `questions`.
    agreed: usize,
    questions: usize,
    complete: bool,
}

async fn show_moderation(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let items = marking::moderation(&mut conn, user, id).await?;
    drop(conn);
    let questions: usize = items.iter().map(|s| s.items.len()).sum();
    let agreed: usize = items
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.moderated_score.is_some() || i.moderated_verdict.is_some())
        .count();
    let page_view = ModerationView {
        p: ProcurementFacts::from(&view),
        agreed,
        questions,
        complete: questions > 0 && agreed == questions,
        submissions: items
            .into_iter()
            .map(|s| ModerationBid {
                id: s.submission_id,
                organisation_name: s.organisation_name,
                lot: s.lot,
                ready: s.waiting_for.is_empty(),
                waiting_for: s.waiting_for.join(", "),
                agreed: s
                    .items
                    .iter()
                    .filter(|i| i.moderated_score.is_some() || i.moderated_verdict.is_some())
                    .count(),
                questions: s.items.len(),
                items: s
                    .items
                    .into_iter()
                    .map(|i| ModerationLine {
                        scores: (0..=5)
                            .map(|n| ScoreRadio {
                                value: n,
                                checked: i.moderated_score == Some(n),
                            })
                            .collect(),
                        question_id: i.question_id,
                        question: i.question,
                        weight: i.weight,
                        individual: i
                            .individual
                            .into_iter()
                            .map(|m| Individual {
                                evaluator: m.evaluator,
                                score: m.score,
                                reason: m.reason,
                            })
                            .collect(),
                        agreed: i.moderated_score.is_some() || i.moderated_verdict.is_some(),
                        moderated_score: i.moderated_score,
                        moderated_reason: i.moderated_reason,
                    })
                    .collect(),
            })
            .collect(),
        editable: row.awarded_at().is_none(),
    };
    let layout = Layout::new(
        format!("Moderation: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        "procurement/moderation",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/{id}/moderation
pub async fn moderation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show_moderation(&state, &user.0, &csrf, *id, query.feedback()).await
}

/// An agreed score, as chosen.
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
    let field = format!("r-{sid}-{qid}");
    let Ok(score) = form.data.score.parse::<i32>() else {
        let errors = vec![FieldError::new(
            format!("m-{sid}-{qid}"),
            format!("{qid}: choose the agreed score, from 0 to 5"),
        )];
        return show_moderation(&state, &user.0, &form.csrf, id, Feedback::errors(errors)).await;
    };
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, &user.0, id).await?;
    let result = marking::moderate(
        &mut conn,
        &user.0,
        sid,
        &qid,
        Agreed::Score(score),
        &form.data.reason,
    )
    .await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/moderation?done=moderated#{sid}-{qid}"),
        |_| field.clone(),
        async |errors| {
            show_moderation(&state, &user.0, &form.csrf, id, Feedback::errors(errors)).await
        },
    )
    .await
}

#[derive(Serialize)]
struct ResultLine {
    /// The same words as the spreadsheet's "Outcome" column.
    outcome: &'static str,
    submission_id: Uuid,
    organisation_name: String,
    price: Option<String>,
    quality: String,
    social_value: String,
    price_score: Option<String>,
    total: Option<String>,
    excluded: Option<String>,
    abnormally_low: bool,
    rank: Option<u32>,
    moderated: bool,
    working: Vec<String>,
    price_check: Option<String>,
    successful: bool,
    preselect: bool,
}

#[derive(Serialize)]
struct LotLines {
    lot: Option<i32>,
    lot_title: Option<String>,
    complete: bool,
    bids: Vec<ResultLine>,
}

#[derive(Serialize)]
struct ResultsView {
    p: ProcurementFacts,
    lots: Vec<LotLines>,
    can_award: bool,
    awarded: bool,
}

async fn show_results(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let lots = results::results_of(&mut conn, &row.competition).await?;
    drop(conn);
    let awarded = row.awarded_at().is_some();
    let page_view = ResultsView {
        can_award: !awarded
            && lots.iter().all(|l| l.complete || l.bids.is_empty())
            && lots.iter().any(|l| !l.bids.is_empty()),
        awarded,
        p: ProcurementFacts::from(&view),
        lots: lots
            .into_iter()
            .map(|mut l| {
                l.bids.sort_by_key(|b| b.rank.unwrap_or(u32::MAX));
                LotLines {
                    lot: l.lot,
                    lot_title: l.lot_title,
                    complete: l.complete,
                    bids: l
                        .bids
                        .into_iter()
                        .map(|b| ResultLine {
                            outcome: super::results_export::outcome(&b),
                            preselect: b.rank == Some(1),
                            successful: b.outcome == Some(SubmissionOutcome::Successful),
                            submission_id: b.submission_id,
                            organisation_name: b.organisation_name,
                            price: b.price_pence.map(|p| Pence(p).to_string()),
                            quality: b.quality,
                            social_value: b.social_value,
                            price_score: b.price_score,
                            total: b.total,
                            excluded: b.excluded,
                            abnormally_low: b.abnormally_low,
                            rank: b.rank,
                            moderated: b.moderated,
                            working: b.working,
                            price_check: b.price_check,
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let layout = Layout::new(
        format!("Results: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        "procurement/results",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
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
    show_results(&state, &user.0, &csrf, *id, Feedback::default()).await
}

/// The record of a price check, as typed.
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
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, &user.0, id).await?;
    let result = results::record_price_check(&mut conn, &user.0, sid, &form.data.note).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/results#check-{sid}"),
        |_| format!("note-{sid}"),
        async |errors| {
            show_results(&state, &user.0, &form.csrf, id, Feedback::errors(errors)).await
        },
    )
    .await
}

/// The bids chosen as successful.
#[derive(Debug, Deserialize)]
pub struct AwardForm {
    #[serde(default)]
    successful: Vec<String>,
    #[serde(default)]
    confirmed: String,
}

/// POST /procurements/{id}/results: the award, successful bids in rank order.
pub async fn award(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<AwardForm>,
) -> Result<HttpResponse, PageError> {
    let chosen: Vec<Uuid> = form
        .data
        .successful
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut conn = state.db().await?;
    // Keep the ranking's order: the first chosen in each lot is its winning tender.
    let lots = results::results(&mut conn, &user.0, *id).await?;
    let mut ranked: Vec<(u32, Uuid)> = lots
        .iter()
        .flat_map(|l| &l.bids)
        .filter(|b| chosen.contains(&b.submission_id))
        .map(|b| (b.rank.unwrap_or(u32::MAX), b.submission_id))
        .collect();
    ranked.sort();
    // Awarding cannot be undone: say what will happen, and what is still open, first. A
    // choice the award would refuse (none, or an unranked bid) is refused straight away,
    // with its reason, rather than confirmed and then refused.
    let refusable = ranked.is_empty() || ranked.iter().any(|(rank, _)| *rank == u32::MAX);
    if !is_confirmed(&form.data.confirmed) && !refusable {
        let (procurement, _) = procurements::load(&mut conn, Some(&user.0), *id).await?;
        let unanswered = clarifications::list_clarifications(&mut conn, Some(&user.0), *id)
            .await?
            .iter()
            .filter(|c| c.answer.is_none())
            .count();
        drop(conn);
        let items = lots
            .iter()
            .flat_map(|l| l.bids.iter().map(move |b| (l, b)))
            .filter(|(_, b)| ranked.iter().any(|(_, s)| *s == b.submission_id))
            .map(|(l, b)| {
                let lot = l.lot.map(|n| format!("Lot {n}: ")).unwrap_or_default();
                let total = b
                    .total
                    .as_deref()
                    .map(|t| format!(", {t} out of 100"))
                    .unwrap_or_default();
                format!(
                    "{lot}{}, ranked {}{total}",
                    b.organisation_name,
                    b.rank.unwrap_or_default()
                )
            })
            .collect();
        let mut warnings = vec!["Awarding cannot be undone.".to_string()];
        if unanswered > 0 {
            warnings.push(format!(
                "{unanswered} clarification question{} not answered yet. Bidders may have relied on an answer: consider answering before you award.",
                if unanswered == 1 { " is" } else { "s are" }
            ));
        }
        let competition = &procurement.competition;
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!("Award {}?", competition.title),
            items,
            paragraphs: vec![
                "Every bidder is emailed its assessment summary: its scores and the reasons for them, and whether it was successful.".into(),
                "Standstill starts: you cannot enter into the contract until it ends.".into(),
            ],
            warnings,
            action: format!("/procurements/{id}/results"),
            carry: ranked
                .iter()
                .map(|(_, s)| Carried { name: "successful".into(), value: s.to_string() })
                .collect(),
            button: "Yes, award".into(),
            warning_button: false,
            back: format!("/procurements/{id}/results"),
            back_text: "No, go back to the results".into(),
        };
        let layout = Layout::new(
            format!("Award {}", competition.title),
            "/procurements",
            Some(&user.0),
            &form.csrf,
        );
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    let input = AwardInput {
        successful: ranked.into_iter().map(|(_, s)| s).collect(),
    };
    let result = award::award(&mut conn, &state.mail, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}?done=awarded"),
        |_| "successful".into(),
        async |errors| {
            show_results(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await
        },
    )
    .await
}
