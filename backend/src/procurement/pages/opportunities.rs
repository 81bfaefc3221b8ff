//! Opportunities, as providers and the public see them: the list of open tenders, one
//! opportunity with its documents, questions and clarifications, and a provider's first
//! steps (registering interest, asking a question, starting a bid).

use super::{Choice, DoneQuery, ProcurementFacts, SectionLines, choices, sections};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::Access;
use crate::evaluation::Lot;
use crate::http::pagination::PageRequest;
use crate::organisations::model::ServiceType;
use crate::procurement::bids::{self, MyBid};
use crate::procurement::model::{ProcurementFilter, ProcurementStatus};
use crate::procurement::{clarifications, documents, procurements};
use crate::state::AppState;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{
    Feedback, Layout, MaybePageUser, PageError, PageUser, Pagination, after_post, render_page,
    see_other,
};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The list's filters as typed.
#[derive(Debug, Default, Deserialize)]
pub struct OpportunityFilter {
    service_type: Option<String>,
    district_id: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    items: Vec<ProcurementFacts>,
    total: i64,
    types: Vec<Choice>,
    districts: Vec<Choice>,
    pagination: Pagination,
    filtered: bool,
}

/// GET /opportunities: open opportunities, filterable (public).
pub async fn list_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<OpportunityFilter>,
    paging: web::Query<PageRequest>,
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
    let list = procurements::list(&mut conn, None, &filter, *paging).await?;
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
    let selected_type = service_type.map(|s| s.as_str()).unwrap_or("");
    let selected_district = district_id.map(|d| d.to_string()).unwrap_or_default();
    let any = |selected: bool| Choice {
        value: String::new(),
        text: "Any".into(),
        selected,
    };
    let mut types = vec![any(selected_type.is_empty())];
    types.extend(choices(
        ServiceType::ALL,
        |s| s.as_str().to_string(),
        |s| s.label().to_string(),
        selected_type,
    ));
    let mut district_choices = vec![any(selected_district.is_empty())];
    district_choices.extend(districts.iter().map(|d| Choice {
        value: d.id.to_string(),
        text: d.name.clone(),
        selected: d.id.to_string() == selected_district,
    }));
    let view = ListView {
        items: list.items.iter().map(ProcurementFacts::from).collect(),
        total: list.total,
        types,
        districts: district_choices,
        pagination: Pagination::new("/opportunities", &query_string, &list),
        filtered: service_type.is_some() || district_id.is_some(),
    };
    let layout = Layout::new(
        "Find opportunities",
        "/opportunities",
        user.0.as_ref(),
        &csrf,
    );
    Ok(render_page(
        "procurement/opportunities",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize)]
struct ClarificationLine {
    question: String,
    answer: Option<String>,
    yours: bool,
    published: bool,
    asked_at: String,
}

#[derive(Serialize)]
struct BidLink {
    id: Uuid,
    lot: Option<i32>,
    /// As the list of bids words it.
    status: &'static str,
}

#[derive(Serialize)]
struct OpportunityView {
    p: ProcurementFacts,
    version: i32,
    change_note: String,
    questionnaire: Vec<SectionLines>,
    clarifications: Vec<ClarificationLine>,
    signed_in: bool,
    provider: bool,
    interest: bool,
    bids: Vec<BidLink>,
    can_start: bool,
    lots_without_bid: Vec<Lot>,
    can_ask: bool,
    question: String,
    next: String,
}

/// The opportunity page, with `feedback` and the question as typed.
async fn show(
    state: &AppState,
    user: Option<&AuthUser>,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    question: &str,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (row, access) = procurements::load(&mut conn, user, id).await?;
    if access != Access::Public {
        return Ok(see_other(&format!("/procurements/{id}")));
    }
    let view = procurements::view(&mut conn, &row).await?;
    let questionnaire = procurements::questionnaire(&mut conn, user, id, None).await?;
    let provider = user.filter(|u| u.role == Role::Provider);
    let clarifications = clarifications::list_clarifications(&mut conn, provider, id).await?;
    let (interest, bids): (bool, Vec<MyBid>) = match provider {
        Some(u) => (
            procurements::has_interest(&mut conn, u, id).await?,
            bids::mine(&mut conn, u)
                .await?
                .into_iter()
                .filter(|b| b.procurement_id == id)
                .collect(),
        ),
        None => (false, Vec::new()),
    };
    drop(conn);
    let lots_without_bid: Vec<Lot> = view
        .lots
        .iter()
        .filter(|l| !bids.iter().any(|b| b.lot_id == Some(l.id)))
        .cloned()
        .collect();
    let open = view.status == ProcurementStatus::Open;
    let page_view = OpportunityView {
        can_start: open
            && if view.lots.is_empty() {
                bids.is_empty()
            } else {
                !lots_without_bid.is_empty()
            },
        can_ask: open && chrono::Utc::now() < view.clarification_deadline,
        p: ProcurementFacts::from(&view),
        version: questionnaire.version.version,
        change_note: questionnaire.version.change_note.clone(),
        questionnaire: sections(&questionnaire.questionnaire),
        clarifications: clarifications
            .into_iter()
            .map(|c| ClarificationLine {
                question: c.question,
                answer: c.answer,
                yours: c.yours,
                published: c.published,
                asked_at: london_time(c.asked_at),
            })
            .collect(),
        signed_in: user.is_some(),
        provider: provider.is_some(),
        interest,
        bids: bids
            .iter()
            .map(|b| BidLink {
                id: b.id,
                lot: b.lot,
                status: b.status.label().0,
            })
            .collect(),
        lots_without_bid,
        question: question.to_string(),
        next: format!("/opportunities/{id}"),
    };
    let layout = Layout::new(view.title.clone(), "/opportunities", user, csrf);
    Ok(render_page(
        "procurement/opportunity",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /opportunities/{id}
pub async fn page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, user.0.as_ref(), &csrf, *id, query.feedback(), "").await
}

/// POST /opportunities/{id}/interest
pub async fn register_interest(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let result = procurements::register_interest(&mut conn, &user.0, *id).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/opportunities/{id}?done=interest"),
        |f: &str| f.to_string(),
        async |errors| {
            show(
                &state,
                Some(&user.0),
                &form.csrf,
                *id,
                Feedback::errors(errors),
                "",
            )
            .await
        },
    )
    .await
}

/// The question form.
#[derive(Debug, Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    question: String,
}

/// POST /opportunities/{id}/questions
pub async fn ask(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<QuestionForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let result = clarifications::ask_and_tell_council(
        &mut conn,
        &state.mail,
        &user.0,
        *id,
        &form.data.question,
    )
    .await;
    drop(conn);
    after_post(
        result,
        |_| format!("/opportunities/{id}?done=asked"),
        |f: &str| f.to_string(),
        async |errors| {
            show(
                &state,
                Some(&user.0),
                &form.csrf,
                *id,
                Feedback::errors(errors),
                &form.data.question,
            )
            .await
        },
    )
    .await
}

/// The lot a bid is started for.
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
    let lot = form.data.lot_id.parse::<Uuid>().ok();
    let mut conn = state.db().await?;
    let result = bids::start(&mut conn, &user.0, *id, lot).await;
    drop(conn);
    after_post(
        result,
        |(bid, _)| format!("/bids/{}", bid.id),
        |_| "lot_id".into(),
        async |errors| {
            show(
                &state,
                Some(&user.0),
                &form.csrf,
                *id,
                Feedback::errors(errors),
                "",
            )
            .await
        },
    )
    .await
}

/// GET /opportunities/{id}/documents/{file_id}
pub async fn download_document(
    state: web::Data<AppState>,
    user: MaybePageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = documents::find(&mut conn, user.0.as_ref(), id, file_id).await?;
    drop(conn);
    Ok(crate::procurement::api::send_file(&state, file).await?)
}
