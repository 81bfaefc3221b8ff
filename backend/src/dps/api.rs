//! The DPS's JSON API under `/api/v1/dps`. Handlers parse, call one function of the
//! context (which opens its own transaction) and answer, following docs/api.md: creating
//! `POST`s answer `201` with what they created, actions answer `200` with the DPS as it
//! now is, `PUT`s answer with what they stored.

use super::markets;
use super::model::{CeaseInput, DpsInput, DpsNotice, DpsView};
use super::queries;
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::evaluation::{Questionnaire, QuestionnaireView};
use crate::http::idempotency::CreateRequest;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, put, web};
use uuid::Uuid;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_dps)
        .service(create_dps)
        .service(get_dps)
        .service(update_dps)
        .service(get_conditions)
        .service(replace_conditions)
        .service(establish)
        .service(cease)
        .service(list_notices)
        .service(prepare_intention);
}

fn user_of(user: &Option<ApiUser>) -> Option<&AuthUser> {
    user.as_ref().map(|u| &u.0)
}

/// DPSs: the council's own for its staff; established ones for everyone else.
#[utoipa::path(tag = "dps",
    params(PageRequest),
    responses((status = 200, body = Paged<DpsView>), (status = 400, body = Problem)))]
#[get("/dps")]
pub async fn list_dps(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<DpsView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        queries::list(&mut conn, user_of(&user), *page).await?,
    ))
}

/// Set up a draft DPS or dynamic market with its lots (commissioners).
#[utoipa::path(tag = "dps",
    request_body = DpsInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = DpsView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/dps")]
pub async fn create_dps(
    state: web::Data<AppState>,
    user: ApiUser,
    request: CreateRequest<DpsInput>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Commissioner])?;
    let mut conn = state.db().await?;
    let scope = format!("dps:{}", user.0.id);
    let (actor, input) = (user.0.clone(), request.input.clone());
    request
        .once(&mut conn, &scope, move |tx| {
            Box::pin(async move { markets::create(tx, &actor, &input).await })
        })
        .await
}

/// A DPS.
#[utoipa::path(tag = "dps",
    responses((status = 200, body = DpsView)))]
#[get("/dps/{id}")]
pub async fn get_dps(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    id: web::Path<Uuid>,
) -> Result<web::Json<DpsView>, Problem> {
    let mut conn = state.db().await?;
    let (row, _) = queries::load(&mut conn, user_of(&user), *id).await?;
    Ok(web::Json(queries::view(&mut conn, &row).await?))
}

/// Change a draft DPS (commissioners); refused once established.
#[utoipa::path(tag = "dps",
    request_body = DpsInput,
    responses((status = 200, body = DpsView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[put("/dps/{id}")]
pub async fn update_dps(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<DpsInput>,
) -> Result<web::Json<DpsView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        markets::update(&mut conn, &user.0, *id, &input).await?,
    ))
}

/// A lot's conditions of membership: its pass/fail selection questionnaire.
#[utoipa::path(tag = "dps",
    responses((status = 200, body = QuestionnaireView)))]
#[get("/dps/{id}/lots/{lot_id}/conditions")]
pub async fn get_conditions(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let (id, lot_id) = path.into_inner();
    let mut conn = state.db().await?;
    Ok(web::Json(
        markets::conditions(&mut conn, user_of(&user), id, lot_id).await?,
    ))
}

/// Replace a lot's conditions of membership while the DPS is a draft (commissioners):
/// pass/fail, judged, information and evidence questions only.
#[utoipa::path(tag = "dps",
    request_body = Questionnaire,
    responses((status = 200, body = QuestionnaireView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[put("/dps/{id}/lots/{lot_id}/conditions")]
pub async fn replace_conditions(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
    document: web::Json<Questionnaire>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let (id, lot_id) = path.into_inner();
    let mut conn = state.db().await?;
    Ok(web::Json(
        markets::replace_conditions(&mut conn, &user.0, id, lot_id, document.into_inner()).await?,
    ))
}

/// Establish the DPS (commissioners): every lot needs a pass/fail condition; its
/// conditions are then fixed for the term, and the notice of establishment is prepared.
#[utoipa::path(tag = "dps",
    responses((status = 200, body = DpsView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/dps/{id}/establish")]
pub async fn establish(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<DpsView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        markets::establish(&mut conn, &user.0, *id).await?,
    ))
}

/// End an established DPS before its term is up (commissioners), saying why; prepares the
/// notice of cessation. `409 dps-draft` for a draft, `409 dps-ceased` the second time.
#[utoipa::path(tag = "dps",
    request_body = CeaseInput,
    responses((status = 200, body = DpsView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/dps/{id}/cease")]
pub async fn cease(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<CeaseInput>,
) -> Result<web::Json<DpsView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        markets::cease(&mut conn, &user.0, *id, &input).await?,
    ))
}

/// The notices prepared for the DPS, as data ready for publication (the council's staff).
#[utoipa::path(tag = "dps",
    responses((status = 200, body = Vec<DpsNotice>)),
    security(("bearer" = [])))]
#[get("/dps/{id}/notices")]
pub async fn list_notices(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<DpsNotice>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(markets::notices(&mut conn, &user.0, *id).await?))
}

/// Prepare the notice of intention to establish, while the DPS is a draft
/// (commissioners); once only.
#[utoipa::path(tag = "dps",
    responses((status = 201, body = DpsNotice), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/dps/{id}/notices/intention")]
pub async fn prepare_intention(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let notice = markets::prepare_intention(&mut conn, &user.0, *id).await?;
    Ok(HttpResponse::Created().json(notice))
}
