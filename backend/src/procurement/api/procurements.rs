//! Procurements: listing, creating, changing, the conflicts assessment, publishing,
//! cancelling, the timetable, the questionnaire, documents and interest.

use super::{UploadQuery, send_file, user_of};
use crate::auth::Role;
use crate::auth::extract::ApiUser;
use crate::evaluation::QuestionnaireView;
use crate::http::idempotency::CreateRequest;
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::procurement::model::{
    ProcurementFilter, ProcurementInput, ProcurementView, TimetableInput,
};
use crate::procurement::procurements::{self as procurements, QuestionnaireInput, VersionQuery};
use crate::procurement::{documents, load};
use crate::state::AppState;
use crate::storage::FileView;
use actix_web::{HttpResponse, web};
use actix_web::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The procurement as it now is, to the user.
async fn current(
    state: &AppState,
    user: &crate::auth::AuthUser,
    id: Uuid,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    let (row, _) = load(&mut conn, Some(user), id).await?;
    Ok(web::Json(procurements::view(&mut conn, &row).await?))
}

/// Procurements: published ones for the public and providers; the council's own; an
/// evaluator's assigned ones.
#[utoipa::path(tag = "procurement",
    params(ProcurementFilter, PageRequest),
    responses((status = 200, body = Paged<ProcurementView>), (status = 400, body = Problem)))]
#[get("/procurements")]
pub async fn list_procurements(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    filter: web::Query<ProcurementFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<ProcurementView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        procurements::list(&mut conn, user_of(&user), &filter, *page).await?,
    ))
}

/// Create a draft procurement (commissioners).
#[utoipa::path(tag = "procurement",
    request_body = ProcurementInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = ProcurementView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/procurements")]
pub async fn create_procurement(
    state: web::Data<AppState>,
    user: ApiUser,
    request: CreateRequest<ProcurementInput>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Commissioner])?;
    let mut conn = state.db().await?;
    let scope = format!("procurement:{}", user.0.id);
    let (actor, input) = (user.0.clone(), request.input.clone());
    request
        .once(&mut conn, &scope, move |tx| {
            Box::pin(async move { procurements::create(tx, &actor, &input).await })
        })
        .await
}

/// A procurement.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 404, body = Problem)))]
#[get("/procurements/{id}")]
pub async fn get_procurement(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    let (row, _) = load(&mut conn, user_of(&user), *id).await?;
    Ok(web::Json(procurements::view(&mut conn, &row).await?))
}

/// Change a draft procurement (commissioners).
#[utoipa::path(tag = "procurement",
    request_body = ProcurementInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[put("/procurements/{id}")]
pub async fn update_procurement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ProcurementInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        procurements::update(&mut conn, &user.0, *id, &input).await?,
    ))
}

/// The conflicts assessment.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ConflictsAssessmentInput {
    pub assessment: String,
}

/// Record the conflicts assessment (commissioners; required before publishing).
#[utoipa::path(tag = "procurement",
    request_body = ConflictsAssessmentInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/conflicts-assessment")]
pub async fn record_conflicts_assessment(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<ConflictsAssessmentInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    procurements::record_conflicts_assessment(&mut conn, &user.0, *id, &input.assessment).await?;
    current(&state, &user.0, *id).await
}

/// Publish (commissioners): needs the conflicts assessment and a complete questionnaire;
/// emails opening notices.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    procurements::publish(&mut conn, &state.mail, &user.0, *id).await?;
    current(&state, &user.0, *id).await
}

/// Cancel before award (commissioners; bidders are emailed).
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    procurements::cancel(&mut conn, &state.mail, &user.0, *id).await?;
    current(&state, &user.0, *id).await
}

/// Move a published procurement's deadlines later (commissioners; bidders are emailed).
#[utoipa::path(tag = "procurement",
    request_body = TimetableInput,
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/procurements/{id}/timetable")]
pub async fn change_timetable(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<TimetableInput>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        procurements::change_timetable(&mut conn, &state.mail, &user.0, *id, &input).await?,
    ))
}

/// The questionnaire (newest version, or `?version=`).
#[utoipa::path(tag = "procurement",
    params(VersionQuery), responses((status = 200, body = QuestionnaireView), (status = 404, body = Problem)))]
#[get("/procurements/{id}/questionnaire")]
pub async fn get_questionnaire(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    id: web::Path<Uuid>,
    query: web::Query<VersionQuery>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        procurements::questionnaire(&mut conn, user_of(&user), *id, query.version).await?,
    ))
}

/// Replace the questionnaire (commissioners). After publication this makes a new version
/// and emails bidders the change note.
#[utoipa::path(tag = "procurement",
    request_body = QuestionnaireInput,
    responses((status = 200, body = QuestionnaireView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/procurements/{id}/questionnaire")]
pub async fn replace_questionnaire(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    input: web::Json<QuestionnaireInput>,
) -> Result<web::Json<QuestionnaireView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        procurements::replace_questionnaire(
            &mut conn,
            &state.mail,
            &user.0,
            *id,
            input.into_inner(),
        )
        .await?,
    ))
}

/// Add a tender document (commissioners). The body is the file (at most 10 MB).
#[utoipa::path(tag = "procurement",
    params(UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView), (status = 413, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/documents")]
pub async fn add_document(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, Problem> {
    let body = crate::http::body::read_limited(body, crate::storage::MAX_FILE_BYTES + 1).await?;
    let title = query.title.as_deref().unwrap_or(&query.file_name);
    let mut conn = state.db().await?;
    let view = documents::add(
        &mut conn,
        &state.files,
        &user.0,
        *id,
        title,
        &query.file_name,
        body,
    )
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Download a tender document.
#[utoipa::path(tag = "procurement",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)))]
#[get("/procurements/{id}/documents/{file_id}")]
pub async fn download_document(
    state: web::Data<AppState>,
    user: Option<ApiUser>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = documents::find(&mut conn, user_of(&user), id, file_id).await?;
    drop(conn);
    send_file(&state, file).await
}

/// Register interest (providers): hear of changes and published clarifications.
#[utoipa::path(tag = "procurement",
    responses((status = 200, body = ProcurementView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/procurements/{id}/interest")]
pub async fn register_interest(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProcurementView>, Problem> {
    let mut conn = state.db().await?;
    procurements::register_interest(&mut conn, &user.0, *id).await?;
    current(&state, &user.0, *id).await
}
