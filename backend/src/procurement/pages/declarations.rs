//! The evaluator's conflict-of-interest declarations: one yes / no question per bidder,
//! then a check of the answers, then "Confirm my declarations", which is final. Nothing is
//! written until the person confirms: the check page carries the answers as hidden fields,
//! and its Change links carry them back to the form in the address.

use super::ProcurementFacts;
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::evaluation::EvaluationError;
use crate::evaluation::panels::{self, Bidder, DeclarationInput};
use crate::http::problem::{FieldError, Problem};
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::confirm::is_confirmed;
use crate::web::forms::CsrfForm;
use crate::web::page::{page_errors, shown_on_page};
use crate::web::tasks::AnswerRow;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

/// The answers as typed, by the form's field names (`interest-0`, `details-0`, ...).
type Typed = Vec<(String, String)>;

fn typed<'a>(typed: &'a Typed, name: &str) -> Option<&'a str> {
    typed
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Serialize)]
struct BidderLine {
    index: usize,
    organisation_id: Uuid,
    /// The bidder's name (not `name`: the yes / no partial's parameter is called that).
    bidder: String,
    /// The radios' name and the id of the "Yes" radio.
    field: String,
    legend: String,
    /// "yes", "no" or "" (not answered).
    interest: String,
    details_field: String,
    details: String,
    reveal: String,
}

#[derive(Serialize)]
struct DeclarationsView {
    p: ProcurementFacts,
    bidders: Vec<BidderLine>,
    /// Declared already: the declarations, read only.
    declared: bool,
    rows: Vec<AnswerRow>,
    waiting: Option<String>,
}

/// What each bidder's declaration says, as check your answers shows it.
fn answer_row(b: &Bidder) -> AnswerRow {
    let lines = match b.conflicted {
        Some(true) => vec!["Yes".to_string(), b.details.clone()],
        Some(false) => vec!["No".to_string()],
        None => Vec::new(),
    };
    AnswerRow::new(format!("Conflict of interest with {}", b.name), lines)
}

async fn show_form(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    entered: &Typed,
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
    let declared = bidders.iter().any(|b| b.conflicted.is_some());
    let page_view = DeclarationsView {
        p: ProcurementFacts::from(&view),
        declared,
        rows: if declared {
            bidders.iter().map(answer_row).collect()
        } else {
            Vec::new()
        },
        bidders: bidders
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let interest = typed(entered, &format!("interest-{i}"))
                    .filter(|v| matches!(*v, "yes" | "no"))
                    .unwrap_or_default()
                    .to_string();
                BidderLine {
                    index: i,
                    organisation_id: b.organisation_id,
                    field: format!("interest-{i}"),
                    legend: format!("Do you have a conflict of interest with {}?", b.name),
                    interest,
                    details_field: format!("details-{i}"),
                    details: typed(entered, &format!("details-{i}"))
                        .unwrap_or_default()
                        .to_string(),
                    reveal: format!("conflict-{i}"),
                    bidder: b.name,
                }
            })
            .collect(),
        waiting,
    };
    let layout = Layout::new(
        format!("Declare conflicts of interest: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}/evaluation"));
    Ok(render_page(
        "procurement/declarations",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/{id}/declarations: the form, with any answers a Change link carries.
pub async fn declarations_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<Typed>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    show_form(&state, &user.0, &csrf, *id, Feedback::default(), &query).await
}

/// The declaration's input for a field of the engine's `declarations[n]`.
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

/// The declarations typed: a bidder left unanswered is left out (the engine names it).
fn declarations(form: &Typed) -> Vec<DeclarationInput> {
    (0..1000)
        .map_while(|i| {
            let org = typed(form, &format!("organisation-{i}"))?
                .parse::<Uuid>()
                .ok()?;
            Some((i, org))
        })
        .filter_map(|(i, org)| {
            let conflicted = match typed(form, &format!("interest-{i}"))? {
                "yes" => true,
                "no" => false,
                _ => return None,
            };
            Some(DeclarationInput {
                organisation_id: org,
                conflicted,
                details: if conflicted {
                    typed(form, &format!("details-{i}"))
                        .unwrap_or_default()
                        .to_string()
                } else {
                    String::new()
                },
            })
        })
        .collect()
}

#[derive(Serialize)]
struct Hidden {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct CheckView {
    p: ProcurementFacts,
    rows: Vec<AnswerRow>,
    carry: Vec<Hidden>,
}

/// Check your answers: each bidder's answer with a Change link that carries every answer
/// back to the form, and the final button, which posts them again with `confirmed=yes`.
fn check_page(
    user: &AuthUser,
    csrf: &CsrfToken,
    p: ProcurementFacts,
    bidders: &[Bidder],
) -> HttpResponse {
    let mut carry = Vec::new();
    for (i, b) in bidders.iter().enumerate() {
        carry.push(Hidden {
            name: format!("organisation-{i}"),
            value: b.organisation_id.to_string(),
        });
        carry.push(Hidden {
            name: format!("interest-{i}"),
            value: if b.conflicted == Some(true) {
                "yes"
            } else {
                "no"
            }
            .into(),
        });
        if b.conflicted == Some(true) {
            carry.push(Hidden {
                name: format!("details-{i}"),
                value: b.details.clone(),
            });
        }
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for h in carry
        .iter()
        .filter(|h| !h.name.starts_with("organisation-"))
    {
        query.append_pair(&h.name, &h.value);
    }
    let query = query.finish();
    let rows = bidders
        .iter()
        .enumerate()
        .map(|(i, b)| {
            answer_row(b).change_at(format!(
                "/procurements/{}/declarations?{query}#interest-{i}",
                p.id
            ))
        })
        .collect();
    let layout = Layout::new(
        format!("Check your declarations: {}", p.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{}/declarations?{query}", p.id));
    render_page(
        "procurement/declarations_check",
        layout,
        &CheckView { p, rows, carry },
        Feedback::default(),
        StatusCode::OK,
        csrf,
    )
}

/// POST /procurements/{id}/declarations: fields `organisation-N`, `interest-N` (yes / no)
/// and `details-N` for each bidder N. Without `confirmed=yes` the answers are checked and
/// shown to check (nothing is written); with it they are recorded, once and for all.
pub async fn declare(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<Typed>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let input = declarations(&form.data);
    let confirmed = typed(&form.data, "confirmed").is_some_and(is_confirmed);
    let mut conn = state.db().await?;
    let (row, _) = procurements::load(&mut conn, Some(&user.0), *id).await?;
    if !confirmed {
        let checked = panels::check_declarations(&mut conn, &user.0, *id, &input).await;
        let view = procurements::view(&mut conn, &row).await?;
        drop(conn);
        return match checked {
            Ok(bidders) => Ok(check_page(
                &user.0,
                &form.csrf,
                ProcurementFacts::from(&view),
                &bidders,
            )),
            Err(e) => {
                let p: Problem = e.into();
                if !shown_on_page(&p) {
                    return Err(p.into());
                }
                let errors: Vec<FieldError> = page_errors(&p, declaration_field);
                show_form(
                    &state,
                    &user.0,
                    &form.csrf,
                    *id,
                    Feedback::errors(errors),
                    &form.data,
                )
                .await
            }
        };
    }
    let result = panels::declare(&mut conn, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/evaluation?done=declarations-confirmed"),
        declaration_field,
        async |errors| {
            show_form(
                &state,
                &user.0,
                &form.csrf,
                *id,
                Feedback::errors(errors),
                &form.data,
            )
            .await
        },
    )
    .await
}
