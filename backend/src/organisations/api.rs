//! JSON API for registration, users, organisations and districts.

use super::invitations::RecoveryHolds;
use super::invitations::{AcceptInput, InvitationInput, InvitationView};
use super::model::{District, Organisation, OrganisationView, UserView};
use super::queries::{OrganisationFilter, UserFilter};
use super::rules::OrganisationInput;
use super::{NewUserInput, RegistrationInput, UserChanges};
use crate::auth::extract::ApiUser;
use crate::auth::{OrganisationKind, Role};
use crate::http::idempotency::{CreateRequest, parse_json};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, patch, post, put};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register_provider)
        .service(confirm_registration)
        .service(accept_invitation)
        .service(list_people)
        .service(remove_person)
        .service(list_invitations)
        .service(invite)
        .service(cancel_invitation)
        .service(recover_account)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(list_organisations)
        .service(create_organisation)
        .service(get_organisation)
        .service(update_organisation)
        .service(list_districts);
}

/// A completed registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registration {
    pub organisation: OrganisationView,
    pub user: UserView,
}

/// The answer to a registration, the same whether or not the address had an account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationAccepted {
    /// What happens next, for the person registering.
    pub detail: String,
}

/// Register a provider organisation and its first user (no sign-in needed). Nothing is
/// created yet: the address is emailed a link to confirm (`POST /registrations/confirm`),
/// or, when it already has an account, its owner is told instead. The answer is the same
/// either way.
#[utoipa::path(tag = "organisations",
    request_body = RegistrationInput,
    responses((status = 202, body = RegistrationAccepted), (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
#[post("/registrations")]
pub async fn register_provider(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    state
        .rate_limits
        .check(crate::auth::throttle::Door::Registration, &req)?;
    let input: RegistrationInput = parse_json(&req, &body)?;
    let mut conn = state.db().await?;
    let email = input.user.email.trim().to_string();
    conn.transaction::<_, Problem, _>(async |tx| {
        Ok(super::registration::request(tx, &state.mail, &input).await?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(RegistrationAccepted {
        detail: format!("We have emailed {email}. Open the link in that email within {} hours to finish registering.", super::registration::CONFIRM_HOURS),
    }))
}

/// The secret from an emailed link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkToken {
    pub token: String,
}

/// Finish registering from the emailed link: creates the organisation and its first user.
#[utoipa::path(tag = "organisations",
    request_body = LinkToken,
    responses((status = 201, body = Registration), (status = 400, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/registrations/confirm")]
pub async fn confirm_registration(
    state: web::Data<AppState>,
    body: web::Json<LinkToken>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let (organisation, user) = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(super::registration::confirm(tx, &body.token).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(Registration { organisation, user }))
}

/// Accept an invitation from its emailed link, choosing a name and password (no sign-in).
#[utoipa::path(tag = "organisations",
    request_body = AcceptInput,
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
#[post("/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    holds: web::Data<RecoveryHolds>,
    req: HttpRequest,
    body: web::Json<AcceptInput>,
) -> Result<HttpResponse, Problem> {
    state
        .rate_limits
        .check(crate::auth::throttle::Door::Invitation, &req)?;
    let mut conn = state.db().await?;
    let user = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(super::invitations::accept(tx, &state.mail, &holds, &body).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// An organisation's people: its own provider users, or an administrator, see them.
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 200, body = Vec<UserView>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/users")]
pub async fn list_people(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<UserView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::invitations::people(&mut conn, &user.0, *id).await?,
    ))
}

/// Remove a colleague who has left (a provider user, for their own organisation): the
/// account is deactivated and its sessions end.
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation"), ("user_id" = Uuid, Path, description = "The colleague")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/users/{user_id}/remove")]
pub async fn remove_person(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (organisation, id) = path.into_inner();
    let mut conn = state.db().await?;
    conn.transaction::<_, Problem, _>(async |tx| {
        Ok(super::invitations::remove_person(tx, &state.mail, &user.0, organisation, id).await?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An organisation's invitations, newest first (its provider users and administrators).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<InvitationView>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::invitations::list(&mut conn, &user.0, *id).await?,
    ))
}

/// Invite a colleague (a provider user, into their own organisation). They are emailed a
/// link that works for 7 days.
#[utoipa::path(tag = "organisations",
    request_body = InvitationInput,
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 201, body = InvitationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    body: web::Json<InvitationInput>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let view = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(super::invitations::invite(tx, &state.mail, &user.0, *id, &body).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Cancel a pending invitation (the organisation's users, or an administrator).
#[utoipa::path(tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation"), ("invitation_id" = Uuid, Path, description = "The invitation")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
#[delete("/organisations/{id}/invitations/{invitation_id}")]
pub async fn cancel_invitation(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (organisation, id) = path.into_inner();
    let mut conn = state.db().await?;
    conn.transaction::<_, Problem, _>(async |tx| {
        Ok(super::invitations::revoke(tx, &user.0, organisation, id).await?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Account recovery for a provider that has lost every account (administrators; see
/// docs/operations.md). Sends a 24-hour invitation with the recorded reason and tells the
/// organisation's users; it cannot be accepted while a bid of theirs is before its deadline.
#[utoipa::path(tag = "organisations",
    request_body = InvitationInput,
    params(("id" = Uuid, Path, description = "The provider organisation")),
    responses((status = 201, body = InvitationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations/{id}/account-recovery")]
pub async fn recover_account(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    body: web::Json<InvitationInput>,
) -> Result<HttpResponse, Problem> {
    let mut conn = state.db().await?;
    let view = conn
        .transaction::<_, Problem, _>(async |tx| {
            Ok(super::invitations::recover(tx, &state.mail, &user.0, *id, &body).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// List users (administrators).
#[utoipa::path(tag = "organisations",
    params(UserFilter, PageRequest),
    responses((status = 200, body = Paged<UserView>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<UserFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<UserView>>, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::queries::list_users(&mut conn, &filter, *page).await?,
    ))
}

/// Create a council user (administrators). Provider users join by invitation only.
#[utoipa::path(tag = "organisations",
    request_body = NewUserInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: ApiUser,
    request: CreateRequest<NewUserInput>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let scope = format!("user:{}", user.0.id);
    let (actor, input) = (user.0.clone(), request.input.clone());
    request
        .once(&mut conn, &scope, move |tx| {
            Box::pin(async move { super::create_user(tx, &actor, &input).await })
        })
        .await
}

/// A user (administrators, or the user themself).
#[utoipa::path(tag = "organisations",
    responses((status = 200, body = UserView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserView>, Problem> {
    let id = id.into_inner();
    if user.0.role != Role::Admin && user.0.id != id {
        return Err(Problem::not_found("User"));
    }
    let mut conn = state.db().await?;
    super::queries::find_user(&mut conn, id)
        .await?
        .map(web::Json)
        .ok_or_else(|| Problem::not_found("User"))
}

/// Change a user's name, role or active flag (administrators). Deactivating ends the
/// user's sessions at once.
#[utoipa::path(tag = "organisations",
    request_body = UserChanges,
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    body: web::Json<UserChanges>,
) -> Result<web::Json<UserView>, Problem> {
    user.0.require(&[Role::Admin])?;
    let id = id.into_inner();
    let changes = body.into_inner();
    let mut conn = state.db().await?;
    let actor = &user.0;
    let view = conn
        .transaction::<_, Problem, _>(async move |tx| {
            Ok(super::update_user(tx, &state.mail, actor, id, &changes).await?)
        })
        .await?;
    Ok(web::Json(view))
}

/// List organisations (council staff).
#[utoipa::path(tag = "organisations",
    params(OrganisationFilter, PageRequest),
    responses((status = 200, body = Paged<Organisation>), (status = 403, body = Problem)), security(("bearer" = [])))]
#[get("/organisations")]
pub async fn list_organisations(
    state: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<OrganisationFilter>,
    page: web::Query<PageRequest>,
) -> Result<web::Json<Paged<Organisation>>, Problem> {
    user.0.require(&[
        Role::Admin,
        Role::Commissioner,
        Role::Evaluator,
        Role::ContractManager,
    ])?;
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::queries::list_organisations(&mut conn, &filter, *page).await?,
    ))
}

/// A new organisation as sent by an administrator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewOrganisationInput {
    pub kind: OrganisationKind,
    #[serde(flatten)]
    pub details: OrganisationInput,
}

/// Create an organisation (administrators).
#[utoipa::path(tag = "organisations",
    request_body = NewOrganisationInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = OrganisationView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/organisations")]
pub async fn create_organisation(
    state: web::Data<AppState>,
    user: ApiUser,
    request: CreateRequest<NewOrganisationInput>,
) -> Result<HttpResponse, Problem> {
    user.0.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let scope = format!("organisation:{}", user.0.id);
    let (actor, input) = (user.0.clone(), request.input.clone());
    request
        .once(&mut conn, &scope, move |tx| {
            Box::pin(async move {
                super::create_organisation(tx, &actor, input.kind, &input.details).await
            })
        })
        .await
}

/// An organisation: council staff see any; a provider user only their own (others are 404).
#[utoipa::path(tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/organisations/{id}")]
pub async fn get_organisation(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<OrganisationView>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(
        super::get_organisation(&mut conn, &user.0, id.into_inner()).await?,
    ))
}

/// An organisation's profile as sent for an update.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrganisationUpdate {
    #[serde(flatten)]
    pub details: OrganisationInput,
    /// Administrators only: `false` deactivates the organisation.
    pub active: Option<bool>,
}

/// Replace an organisation's profile: administrators any, a provider user only their own.
#[utoipa::path(tag = "organisations",
    request_body = OrganisationUpdate,
    responses((status = 200, body = OrganisationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
#[put("/organisations/{id}")]
pub async fn update_organisation(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<Uuid>,
    body: web::Json<OrganisationUpdate>,
) -> Result<web::Json<OrganisationView>, Problem> {
    let id = id.into_inner();
    let input = body.into_inner();
    let mut conn = state.db().await?;
    let actor = &user.0;
    let view = conn
        .transaction::<_, Problem, _>(async move |tx| {
            Ok(super::update_organisation(tx, actor, id, &input.details, input.active).await?)
        })
        .await?;
    Ok(web::Json(view))
}

/// The council's districts. Public: a provider registering names the districts it works
/// in before it has an account.
#[utoipa::path(tag = "organisations", responses((status = 200, body = Vec<District>)))]
#[get("/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<District>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(super::queries::list_districts(&mut conn).await?))
}
