//! JSON API for provider evidence: insurances and their certificates, CQC ratings
//! recorded by the council, and the providers with a concern.

use super::concerns::Concern;
use super::insurances;
use super::model::{InsuranceInput, InsuranceView, RatingChange, RatingInput};
use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::http::idempotency::CreateRequest;
use crate::http::problem::Problem;
use crate::organisations::model::CqcLocation;
use crate::state::AppState;
use crate::storage::FileView;
use actix_web::{HttpResponse, delete, get, post, put, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Registers these routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_insurances)
        .service(upload_certificate)
        .service(create_insurance)
        .service(get_insurance)
        .service(update_insurance)
        .service(delete_insurance)
        .service(download_certificate)
        .service(record_rating)
        .service(rating_history)
        .service(list_concerns);
}

/// An organisation's insurances, soonest expiry first: its own provider users,
/// commissioners and administrators (anyone else: 404).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation")),
    responses((status = 200, body = Vec<InsuranceView>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/insurances")]
pub async fn list_insurances(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<InsuranceView>>, Problem> {
    let mut conn = state.db().await?;
    let today = insurances::today();
    Ok(web::Json(
        insurances::list(&mut conn, &user.0, *id, today).await?,
    ))
}

/// How an uploaded certificate is described (the body is the file's bytes).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// The name shown to readers (cleaned; never used to store or type the file).
    pub file_name: String,
}

/// Upload an insurance certificate (the organisation's own provider users): the body is
/// the file (PDF, image or office document, at most 10 MB; its type is found from its
/// content). Name its `id` as `certificate_file_id` when adding or changing an insurance.
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation"), CertificateQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem), (status = 507, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/certificates")]
pub async fn upload_certificate(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    query: web::Query<CertificateQuery>,
    body: web::Payload,
) -> Result<HttpResponse, Problem> {
    let body = crate::http::body::read_limited(body, crate::storage::MAX_FILE_BYTES + 1).await?;
    let mut conn = state.db().await?;
    let file = conn
        .transaction::<_, Problem, _>(async |tx| {
            insurances::upload_certificate(tx, &state.files, &user.0, *id, &query.file_name, body)
                .await
        })
        .await?;
    Ok(HttpResponse::Created().json(file))
}

/// Add an insurance (the organisation's own provider users), with a certificate uploaded
/// first.
#[utoipa::path(tag = "organisations",
    request_body = InsuranceInput,
    params(("id" = Uuid, Path, description = "The provider organisation"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = InsuranceView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/insurances")]
pub async fn create_insurance(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    request: CreateRequest<InsuranceInput>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let scope = format!("insurance:{}", user.0.id);
    let (actor, input, org) = (user.0.clone(), request.input.clone(), *id);
    request
        .once(&mut conn, &scope, move |tx| {
            Box::pin(async move { insurances::create(tx, &actor, org, &input).await })
        })
        .await
}

/// One insurance (the same readers as the list).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation"), ("insurance_id" = Uuid, Path, description = "The insurance")),
    responses((status = 200, body = InsuranceView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/insurances/{insurance_id}")]
pub async fn get_insurance(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<InsuranceView>, Problem> {
    let (org, id) = path.into_inner();
    let mut conn = state.db().await?;
    let today = insurances::today();
    Ok(web::Json(
        insurances::get(&mut conn, &user.0, org, id, today).await?,
    ))
}

/// Replace an insurance's details, say on renewal (the organisation's own provider users).
#[utoipa::path(tag = "organisations",
    request_body = InsuranceInput,
    params(("id" = Uuid, Path, description = "The provider organisation"), ("insurance_id" = Uuid, Path, description = "The insurance")),
    responses((status = 200, body = InsuranceView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/organisations/{id}/insurances/{insurance_id}")]
pub async fn update_insurance(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<InsuranceInput>,
) -> Result<web::Json<InsuranceView>, Problem> {
    let (org, id) = path.into_inner();
    let mut conn = state.db().await?;
    let view = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(insurances::update(tx, &user.0, org, id, &body).await?)
        })
        .await?;
    Ok(web::Json(view))
}

/// Remove an insurance (the organisation's own provider users).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation"), ("insurance_id" = Uuid, Path, description = "The insurance")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[delete("/organisations/{id}/insurances/{insurance_id}")]
pub async fn delete_insurance(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (org, id) = path.into_inner();
    let mut conn = state.db().await?;
    conn.transaction::<_, Problem, _>(async |tx| {
        Ok(insurances::remove(tx, &user.0, org, id).await?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Download an insurance's certificate (the same readers as the insurance).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation"), ("insurance_id" = Uuid, Path, description = "The insurance")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/insurances/{insurance_id}/certificate")]
pub async fn download_certificate(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (org, id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = insurances::certificate(&mut conn, &user.0, org, id).await?;
    drop(conn);
    crate::storage::send(&state.files, file).await
}

/// Record a new CQC rating for one of a provider's locations (commissioners and
/// administrators), with the date of CQC's report. The change is kept in the history; a
/// rating of Inadequate puts the provider among those with a concern.
#[utoipa::path(tag = "organisations",
    request_body = RatingInput,
    params(("id" = Uuid, Path, description = "The provider organisation"), ("location_id" = Uuid, Path, description = "The location's `id` (not CQC's location ID)")),
    responses((status = 201, body = CqcLocation), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/cqc-locations/{location_id}/ratings")]
pub async fn record_rating(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<RatingInput>,
) -> Result<HttpResponse, Problem> {
    let (org, location) = path.into_inner();
    let mut conn = state.db().await?;
    let today = insurances::today();
    let view = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(super::ratings::record(tx, &user.0, org, location, &body, today).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The CQC ratings the council recorded for an organisation's locations, newest first
/// (its own users and council staff).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The provider organisation")),
    responses((status = 200, body = Vec<RatingChange>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/cqc-ratings")]
pub async fn rating_history(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<RatingChange>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::ratings::history(&mut conn, &user.0, *id).await?,
    ))
}

/// Which provider the concerns are wanted for.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ConcernQuery {
    /// One provider only.
    pub organisation_id: Option<Uuid>,
}

/// Providers with a concern today: a lapsed insurance or a CQC location rated Inadequate,
/// with the reason in words and since when (commissioners and administrators).
#[utoipa::path(tag = "organisations",
    params(ConcernQuery),
    responses((status = 200, body = Vec<Concern>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/provider-concerns")]
pub async fn list_concerns(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<ConcernQuery>,
) -> Result<web::Json<Vec<Concern>>, Problem> {
    user.0.require(&[Role::Admin, Role::Commissioner])?;
    let mut conn = state.db().await?;
    let today = insurances::today();
    Ok(web::Json(
        super::concerns::provider_concerns(&mut conn, today, query.organisation_id).await?,
    ))
}
