//! After the award: the standstill period, recording that the contract is entered into,
//! and the contract award notice (UK6) shown as the fields a person types into the
//! central digital platform (pounds, dates in words, in London time), with the notice's
//! data as a JSON download.

use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::calendar::long_date;
use crate::money::Pence;
use crate::procurement::award::{self, AwardNotice};
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::tasks::AnswerRow;
use crate::web::{Feedback, Layout, PageError, PageUser, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A date as the notice's form asks for it: "17 March 2027", in London.
fn date_in_words(t: DateTime<Utc>) -> String {
    long_date(t.with_timezone(&chrono_tz::Europe::London).date_naive())
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

/// The notice's fields, in the order the platform's form asks for them.
fn notice_rows(n: &AwardNotice) -> Vec<AnswerRow> {
    let mut rows = vec![
        AnswerRow::new(
            "Notice",
            vec![format!("{}: {}", n.notice_type, n.notice_name)],
        ),
        AnswerRow::new(
            "Procurement reference",
            vec![n.procurement_reference.clone()],
        ),
        AnswerRow::new("Title", vec![n.title.clone()]),
        AnswerRow::new("Procurement rules", vec![n.regime.label().into()]),
        AnswerRow::new("Light-touch contract", vec![yes_no(n.light_touch)]),
        AnswerRow::new("Procedure", vec![n.procedure.label().into()]),
        AnswerRow::new(
            "Estimated value (including VAT)",
            vec![Pence(n.estimated_value_pence).to_string()],
        ),
    ];
    if !n.lots.is_empty() {
        rows.push(AnswerRow::new(
            "Lots",
            n.lots
                .iter()
                .map(|(number, title)| format!("Lot {number}: {title}"))
                .collect(),
        ));
    }
    rows.push(AnswerRow::new(
        "Number of tenders received",
        vec![n.tenders_received.to_string()],
    ));
    rows.push(AnswerRow::new(
        "Award decision date",
        vec![date_in_words(n.award_decision_date)],
    ));
    rows.push(AnswerRow::new(
        "Standstill period",
        vec![format!("{} working days", n.standstill_working_days)],
    ));
    rows.push(AnswerRow::new(
        "Standstill ends",
        vec![date_in_words(n.standstill_ends_at)],
    ));
    rows
}

#[derive(Serialize)]
struct SupplierCard {
    name: String,
    rows: Vec<AnswerRow>,
}

fn supplier_cards(n: &AwardNotice) -> Vec<SupplierCard> {
    n.suppliers
        .iter()
        .map(|s| {
            let mut rows = vec![
                AnswerRow::new("Supplier name", vec![s.name.clone()]),
                AnswerRow::new(
                    "Companies House number",
                    vec![
                        s.companies_house_number
                            .clone()
                            .unwrap_or_else(|| "None given".into()),
                    ],
                ),
                AnswerRow::new("Town", vec![s.town.clone()]),
                AnswerRow::new("Postcode", vec![s.postcode.clone()]),
            ];
            if let Some(lot) = s.lot {
                rows.push(AnswerRow::new("Lot", vec![lot.to_string()]));
            }
            rows.push(AnswerRow::new(
                "Contract value (the price bid)",
                vec![
                    s.price_pence
                        .map_or("Not priced".into(), |p| Pence(p).to_string()),
                ],
            ));
            if let Some(score) = &s.total_score {
                rows.push(AnswerRow::new("Total score", vec![score.clone()]));
            }
            SupplierCard {
                name: s.name.clone(),
                rows,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct StandstillPage {
    p: ProcurementFacts,
    awarded: bool,
    in_standstill: bool,
    awaiting_contract: bool,
    has_notice: bool,
    notice_rows: Vec<AnswerRow>,
    suppliers: Vec<SupplierCard>,
}

/// GET /procurements/{id}/standstill
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback()).await
}

pub(super) async fn show(
    state: &AppState,
    user: &crate::auth::AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let notice = match row.procedure.award_notice {
        Some(_) => Some(award::notice(&mut conn, user, id).await?),
        None => None,
    };
    drop(conn);
    let p = ProcurementFacts::from(&view);
    let page = StandstillPage {
        awarded: p.awarded,
        in_standstill: p.in_standstill,
        awaiting_contract: p.awaiting_contract,
        has_notice: notice.is_some(),
        notice_rows: notice.as_ref().map(notice_rows).unwrap_or_default(),
        suppliers: notice.as_ref().map(supplier_cards).unwrap_or_default(),
        p,
    };
    let layout = Layout::new(
        format!("Standstill and contract award notice: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        "procurement/standstill",
        layout,
        &page,
        feedback,
        StatusCode::CONFLICT,
        csrf,
    ))
}

/// GET /procurements/{id}/award-notice.json: the notice's data, as the API gives it, to
/// keep or to upload.
pub async fn download(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let notice = award::notice(&mut conn, &user.0, *id).await?;
    drop(conn);
    let body =
        serde_json::to_string_pretty(&notice).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(crate::web::attachment(
        "application/json",
        "contract-award-notice",
        &notice.procurement_reference,
        "json",
        body,
    ))
}
