//! Pages for an organisation's people: a provider's users invite and remove colleagues and
//! cancel invitations; an invitee accepts; an administrator sees a provider's people and
//! runs account recovery (`invitations`).

use super::OrganisationError;
use super::invitations::{self, AcceptInput, InvitationInput, InvitationStatus, InvitationView};
use super::model::UserView;
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::auth::{OrganisationKind, Role};
use crate::calendar::london_time;
use crate::http::problem::{FieldError, Problem};
use crate::http::routing::resource;
use crate::state::AppState;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::{Layout, PageError, message_page, render_status, see_other};
use crate::web::{MaybePageUser, PageUser};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Registers these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/organisation/people").route(web::get().to(own_people_page)))
        .service(
            resource("/organisation/invitations/new")
                .route(web::get().to(invite_page))
                .route(web::post().to(invite)),
        )
        .service(
            resource("/organisation/invitations/{id}/cancel")
                .route(web::post().to(cancel_own_invitation)),
        )
        .service(
            resource("/organisation/people/{id}/remove").route(web::post().to(remove_colleague)),
        )
        .service(
            resource("/invitations/accept")
                .route(web::get().to(accept_page))
                .route(web::post().to(accept)),
        )
        .service(
            resource("/admin/organisations/{id}/people").route(web::get().to(admin_people_page)),
        )
        .service(
            resource("/admin/organisations/{id}/account-recovery")
                .route(web::post().to(recover_account)),
        )
        .service(
            resource("/admin/organisations/{id}/invitations/{invitation_id}/cancel")
                .route(web::post().to(cancel_invitation_as_admin)),
        );
}

fn page_error(e: OrganisationError) -> PageError {
    Problem::from(e).into()
}

#[derive(Serialize)]
struct Person {
    id: Uuid,
    name: String,
    email: String,
    active: bool,
    is_me: bool,
}

#[derive(Serialize)]
struct InvitationRow {
    id: Uuid,
    name: String,
    email: String,
    invited_by: String,
    recovery: bool,
    reason: String,
    status: &'static str,
    pending: bool,
    expires: String,
}

fn invitation_rows(views: Vec<InvitationView>) -> Vec<InvitationRow> {
    views
        .into_iter()
        .map(|v| InvitationRow {
            pending: v.status == InvitationStatus::Pending,
            status: match v.status {
                InvitationStatus::Pending => "Waiting for them to accept",
                InvitationStatus::Accepted => "Accepted",
                InvitationStatus::Cancelled => "Cancelled",
                InvitationStatus::Expired => "Expired",
            },
            recovery: v.kind == invitations::InvitationKind::SupportRecovery,
            expires: london_time(v.expires_at),
            id: v.id,
            name: v.name,
            email: v.email,
            invited_by: v.invited_by,
            reason: v.reason,
        })
        .collect()
}

fn people_rows(people: Vec<UserView>, me: Uuid) -> Vec<Person> {
    people
        .into_iter()
        .map(|p| Person {
            is_me: p.id == me,
            id: p.id,
            name: p.name,
            email: p.email,
            active: p.active,
        })
        .collect()
}

#[derive(Serialize)]
struct PeoplePage {
    organisation_name: String,
    organisation_id: Uuid,
    people: Vec<Person>,
    invitations: Vec<InvitationRow>,
    /// Provider users manage their own people; administrators see them and run recovery.
    as_admin: bool,
    is_provider: bool,
    notice: Option<&'static str>,
    recovery: InvitationInput,
    errors: Vec<FieldError>,
}

/// `?done=` after an action.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "invited" => Some("Invitation sent. It works for 7 days."),
        "cancelled" => Some("Invitation cancelled: its link no longer works."),
        "removed" => Some("Removed. Their account is closed and they have been signed out."),
        "recovery" => Some(
            "Account recovery invitation sent. It works for 24 hours, and the organisation's users have been told.",
        ),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_people(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    organisation: Uuid,
    done: Option<&str>,
    recovery: InvitationInput,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let view = super::get_organisation(&mut conn, user, organisation)
        .await
        .map_err(page_error)?;
    let people = invitations::people(&mut conn, user, organisation)
        .await
        .map_err(page_error)?;
    let invites = invitations::list(&mut conn, user, organisation)
        .await
        .map_err(page_error)?;
    let as_admin = user.role == Role::Admin;
    let name = view.organisation.legal_name.clone();
    let (title, path) = if as_admin {
        (
            format!("People at {name}"),
            "/admin/organisations".to_string(),
        )
    } else {
        (
            "Your organisation's people".to_string(),
            "/organisation".into(),
        )
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        "organisation_people",
        Layout::new(title, &path, Some(user), csrf).back_to(path.clone()),
        PeoplePage {
            organisation_name: name,
            organisation_id: organisation,
            people: people_rows(people, user.id),
            invitations: invitation_rows(invites),
            as_admin,
            is_provider: view.organisation.kind == OrganisationKind::Provider,
            notice: notice(done),
            recovery,
            errors,
        },
        csrf,
    ))
}

/// GET /organisation/people (provider users)
pub async fn own_people_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    render_people(
        &state,
        &user.0,
        &csrf,
        user.0.organisation_id,
        query.done.as_deref(),
        InvitationInput::default(),
        vec![],
    )
    .await
}

/// GET /admin/organisations/{id}/people (administrators)
pub async fn admin_people_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    render_people(
        &state,
        &user.0,
        &csrf,
        *id,
        query.done.as_deref(),
        InvitationInput::default(),
        vec![],
    )
    .await
}

#[derive(Serialize)]
struct InvitePage<'a> {
    form: &'a InvitationInput,
    errors: Vec<FieldError>,
    organisation_name: &'a str,
}

fn invite_form(
    user: &AuthUser,
    csrf: &CsrfToken,
    form: &InvitationInput,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let title = "Invite a colleague";
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        "invite",
        Layout::new(title, "/organisation", Some(user), csrf).back_to("/organisation"),
        InvitePage {
            form,
            errors,
            organisation_name: &user.organisation_name,
        },
        csrf,
    )
}

/// GET /organisation/invitations/new
pub async fn invite_page(user: PageUser, csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    Ok(invite_form(
        &user.0,
        &csrf,
        &InvitationInput::default(),
        vec![],
    ))
}

/// POST /organisation/invitations/new
pub async fn invite(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<InvitationInput>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let CsrfForm { data: form, csrf } = form;
    let actor = &user.0;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            invitations::invite(tx, &state.mail, actor, actor.organisation_id, &form).await
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/organisation/people?done=invited")),
        Err(OrganisationError::Invalid(errors)) => Ok(invite_form(actor, &csrf, &form, errors)),
        Err(e) => Err(page_error(e)),
    }
}

/// POST /organisation/invitations/{id}/cancel
pub async fn cancel_own_invitation(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let actor = &user.0;
    let mut conn = state.db().await?;
    conn.transaction::<_, OrganisationError, _>(async |tx| {
        invitations::revoke(tx, actor, actor.organisation_id, *id).await
    })
    .await
    .map_err(page_error)?;
    Ok(see_other("/organisation/people?done=cancelled"))
}

/// POST /organisation/people/{id}/remove
pub async fn remove_colleague(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let actor = &user.0;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            invitations::remove_person(tx, &state.mail, actor, actor.organisation_id, *id).await
        })
        .await;
    drop(conn);
    match result {
        Ok(()) => Ok(see_other("/organisation/people?done=removed")),
        Err(OrganisationError::Invalid(errors)) => {
            render_people(
                &state,
                actor,
                &form.csrf,
                actor.organisation_id,
                None,
                InvitationInput::default(),
                errors,
            )
            .await
        }
        Err(e) => Err(page_error(e)),
    }
}

/// POST /admin/organisations/{id}/account-recovery
pub async fn recover_account(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<InvitationInput>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let CsrfForm { data: form, csrf } = form;
    let actor = &user.0;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            invitations::recover(tx, &state.mail, actor, *id, &form).await
        })
        .await;
    drop(conn);
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/admin/organisations/{id}/people?done=recovery"
        ))),
        Err(OrganisationError::Invalid(errors)) => {
            render_people(&state, actor, &csrf, *id, None, form, errors).await
        }
        Err(e) => Err(page_error(e)),
    }
}

/// POST /admin/organisations/{id}/invitations/{invitation_id}/cancel
pub async fn cancel_invitation_as_admin(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let (organisation, id) = path.into_inner();
    let actor = &user.0;
    let mut conn = state.db().await?;
    conn.transaction::<_, OrganisationError, _>(async |tx| {
        invitations::revoke(tx, actor, organisation, id).await
    })
    .await
    .map_err(page_error)?;
    Ok(see_other(&format!(
        "/admin/organisations/{organisation}/people?done=cancelled"
    )))
}

#[derive(Serialize)]
struct AcceptPage<'a> {
    token: &'a str,
    name: &'a str,
    email: &'a str,
    organisation_name: &'a str,
    errors: Vec<FieldError>,
}

fn dead_invitation(csrf: &CsrfToken, user: Option<&AuthUser>) -> HttpResponse {
    message_page(
        StatusCode::BAD_REQUEST,
        csrf,
        user,
        "This invitation has expired or has already been used",
        vec![
            "Invitations work once, for a limited time, and can be cancelled. Ask the person who invited you to send a new one.".into(),
        ],
        Some(("/login", "Sign in")),
    )
}

/// `?token=` on the invitation link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

/// GET /invitations/accept?token=…
pub async fn accept_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let Some((invitation, organisation_name)) =
        invitations::find_live(&mut conn, &query.token).await?
    else {
        return Ok(dead_invitation(&csrf, user.0.as_ref()));
    };
    Ok(render_status(
        StatusCode::OK,
        "invitation_accept",
        Layout::new(
            format!("Join {organisation_name}"),
            "",
            user.0.as_ref(),
            &csrf,
        ),
        AcceptPage {
            token: &query.token,
            name: &invitation.name,
            email: &invitation.email,
            organisation_name: &organisation_name,
            errors: vec![],
        },
        &csrf,
    ))
}

/// POST /invitations/accept
pub async fn accept(
    state: web::Data<AppState>,
    holds: web::Data<invitations::RecoveryHolds>,
    req: HttpRequest,
    form: CsrfForm<AcceptInput>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    state
        .rate_limits
        .check(crate::auth::throttle::Door::Invitation, &req)?;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            invitations::accept(tx, &state.mail, &holds, &form).await
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/login?joined=1")),
        Err(OrganisationError::InvalidLink) => Ok(dead_invitation(&csrf, None)),
        Err(OrganisationError::Invalid(errors)) => {
            let Some((invitation, organisation_name)) =
                invitations::find_live(&mut conn, &form.token).await?
            else {
                return Ok(dead_invitation(&csrf, None));
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invitation_accept",
                Layout::new(format!("Join {organisation_name}"), "", None, &csrf),
                AcceptPage {
                    token: &form.token,
                    name: if form.name.trim().is_empty() {
                        &invitation.name
                    } else {
                        &form.name
                    },
                    email: &invitation.email,
                    organisation_name: &organisation_name,
                    errors,
                },
                &csrf,
            ))
        }
        Err(e) => Err(page_error(e)),
    }
}
