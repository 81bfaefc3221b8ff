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
use crate::http::routing::resource;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Registers this context's routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/registrations").route(web::post().to(register_provider)))
        .service(resource("/registrations/confirm").route(web::post().to(confirm_registration)))
        .service(resource("/invitations/accept").route(web::post().to(accept_invitation)))
        .service(resource("/organisations/{id}/users").route(web::get().to(list_people)))
        .service(
            resource("/organisations/{id}/users/{user_id}/remove")
                .route(web::post().to(remove_person)),
        )
        .service(
            resource("/organisations/{id}/invitations")
                .route(web::get().to(list_invitations))
                .route(web::post().to(invite)),
        )
        .service(
            resource("/organisations/{id}/invitations/{invitation_id}")
                .route(web::delete().to(cancel_invitation)),
        )
        .service(
            resource("/organisations/{id}/account-recovery").route(web::post().to(recover_account)),
        )
        .service(
            resource("/users")
                .route(web::get().to(list_users))
                .route(web::post().to(create_user)),
        )
        .service(
            resource("/users/{id}")
                .route(web::get().to(get_user))
                .route(web::patch().to(update_user)),
        )
        .service(
            resource("/organisations")
                .route(web::get().to(list_organisations))
                .route(web::post().to(create_organisation)),
        )
        .service(
            resource("/organisations/{id}")
                .route(web::get().to(get_organisation))
                .route(web::put().to(update_organisation)),
        )
        .service(resource("/districts").route(web::get().to(list_districts)));
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
#[utoipa::path(post, path = "/api/v1/registrations", tag = "organisations",
    request_body = RegistrationInput,
    responses((status = 202, body = RegistrationAccepted), (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
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
#[utoipa::path(post, path = "/api/v1/registrations/confirm", tag = "organisations",
    request_body = LinkToken,
    responses((status = 201, body = Registration), (status = 400, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
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
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "organisations",
    request_body = AcceptInput,
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
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
#[utoipa::path(get, path = "/api/v1/organisations/{id}/users", tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 200, body = Vec<UserView>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/organisations/{id}/users/{user_id}/remove", tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation"), ("user_id" = Uuid, Path, description = "The colleague")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/organisations/{id}/invitations", tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/organisations/{id}/invitations", tag = "organisations",
    request_body = InvitationInput,
    params(("id" = Uuid, Path, description = "The organisation")),
    responses((status = 201, body = InvitationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/invitations/{invitation_id}", tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation"), ("invitation_id" = Uuid, Path, description = "The invitation")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/organisations/{id}/account-recovery", tag = "organisations",
    request_body = InvitationInput,
    params(("id" = Uuid, Path, description = "The provider organisation")),
    responses((status = 201, body = InvitationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/users", tag = "organisations",
    params(UserFilter, PageRequest),
    responses((status = 200, body = Paged<UserView>), (status = 403, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/users", tag = "organisations",
    request_body = NewUserInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "organisations",
    responses((status = 200, body = UserView), (status = 404, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "organisations",
    request_body = UserChanges,
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    params(OrganisationFilter, PageRequest),
    responses((status = 200, body = Paged<Organisation>), (status = 403, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations",
    request_body = NewOrganisationInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = OrganisationView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem)), security(("bearer" = [])))]
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
#[utoipa::path(put, path = "/api/v1/organisations/{id}", tag = "organisations",
    request_body = OrganisationUpdate,
    responses((status = 200, body = OrganisationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
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

/// The council's districts (anyone signed in).
#[utoipa::path(get, path = "/api/v1/districts", tag = "organisations",
    responses((status = 200, body = Vec<District>)), security(("bearer" = [])))]
pub async fn list_districts(
    state: web::Data<AppState>,
    _user: ApiUser,
) -> Result<web::Json<Vec<District>>, Problem> {
    let mut conn = state.db().await?;
    Ok(web::Json(super::queries::list_districts(&mut conn).await?))
}
