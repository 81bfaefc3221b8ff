//! The administrator's users pages: the list with filters, and the new and edit forms.

use super::form::*;
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::auth::{OrganisationKind, Role};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::FieldError;
use crate::organisations::model::UserView;
use crate::organisations::queries::{self, OrganisationFilter, UserFilter};
use crate::organisations::{NewUserInput, OrganisationError, UserChanges, field_errors};
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::Pagination;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Serialize)]
struct UsersPage {
    users: Paged<UserRow>,
    q: String,
    roles: Vec<Choice>,
    statuses: Vec<Choice>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct UserRow {
    #[serde(flatten)]
    user: UserView,
    role_label: &'static str,
}

/// GET /admin/users
pub async fn users_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<UsersQuery>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let role = query.role.as_deref().and_then(|r| r.parse::<Role>().ok());
    let active = match query.status.as_deref() {
        Some("active") => Some(true),
        Some("deactivated") => Some(false),
        _ => None,
    };
    let filter = UserFilter {
        q: query.q.clone(),
        role,
        organisation_id: None,
        active,
    };
    let mut conn = state.db().await?;
    let users = queries::list_users(&mut conn, &filter, *page)
        .await?
        .map(|u| UserRow {
            role_label: u.role.label(),
            user: u,
        });
    let q = query.q.clone().unwrap_or_default();
    let encoded = format!(
        "q={}&role={}&status={}&",
        crate::web::url_encode(&q),
        role.map(|r| r.as_str()).unwrap_or(""),
        query
            .status
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
    );
    let pagination = Pagination::new("/admin/users", &encoded, &users);
    let mut roles = vec![Choice {
        value: String::new(),
        text: "Any role".into(),
        selected: role.is_none(),
    }];
    roles.extend(Role::ALL.iter().map(|r| Choice {
        value: r.as_str().into(),
        text: r.label().into(),
        selected: role == Some(*r),
    }));
    let statuses = [
        ("", "Any"),
        ("active", "Active"),
        ("deactivated", "Deactivated"),
    ]
    .iter()
    .map(|(v, t)| Choice {
        value: (*v).into(),
        text: (*t).into(),
        selected: query.status.as_deref().unwrap_or("") == *v,
    })
    .collect();
    Ok(render(
        "admin/users",
        Layout::new("Users", "/admin/users", Some(&user.0), &csrf),
        UsersPage {
            users,
            q,
            roles,
            statuses,
            pagination,
        },
        &csrf,
    ))
}

/// The user form as posted.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UserForm {
    email: String,
    name: String,
    role: String,
    organisation_id: String,
    active: String,
    #[serde(skip_serializing)]
    password: String,
}

#[derive(Serialize)]
struct UserFormPage {
    form: UserForm,
    errors: Vec<FieldError>,
    roles: Vec<Choice>,
    organisations: Vec<Choice>,
    is_new: bool,
    action: String,
    heading: String,
    user_id: Option<Uuid>,
}

async fn user_form_page(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    form: UserForm,
    errors: Vec<FieldError>,
    editing: Option<&UserView>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    // New users are council staff only: providers invite their own people.
    let adding = editing.is_none();
    let organisations = queries::list_organisations(
        &mut conn,
        &OrganisationFilter {
            active: Some(true),
            kind: adding.then_some(OrganisationKind::Council),
            ..Default::default()
        },
        PageRequest::new(1, 100),
    )
    .await?
    .items
    .into_iter()
    .map(|o| Choice {
        selected: form.organisation_id == o.id.to_string(),
        value: o.id.to_string(),
        text: o.legal_name,
    })
    .collect();
    let roles = Role::ALL
        .iter()
        .filter(|r| !(adding && **r == Role::Provider))
        .map(|r| Choice {
            value: r.as_str().into(),
            text: r.label().into(),
            selected: form.role == r.as_str(),
        })
        .collect();
    let (path, heading) = match editing {
        Some(u) => (
            format!("/admin/users/{}", u.id),
            format!("Change {}", u.name),
        ),
        None => ("/admin/users/new".to_string(), "Add a user".to_string()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = heading.clone();
    Ok(render_status(
        status,
        "admin/user_form",
        Layout::new(title, &path, Some(user), csrf).back_to("/admin/users"),
        UserFormPage {
            form,
            errors,
            roles,
            organisations,
            is_new: editing.is_none(),
            action: path.clone(),
            heading,
            user_id: editing.map(|u| u.id),
        },
        csrf,
    ))
}

/// GET /admin/users/new
pub async fn new_user_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    user_form_page(&state, &user.0, &csrf, UserForm::default(), vec![], None).await
}

/// POST /admin/users/new
pub async fn create_user(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<UserForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let CsrfForm { data: form, csrf } = form;
    let input = NewUserInput {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
        role: form.role.parse().ok(),
        organisation_id: form.organisation_id.parse().ok(),
    };
    let mut conn = state.db().await?;
    let actor = &user.0;
    let result = conn
        .transaction::<_, OrganisationError, _>(async move |tx| {
            crate::organisations::create_user(tx, actor, &input).await
        })
        .await;
    drop(conn);
    match result {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => {
            let errors = field_errors(&e).ok_or_else(|| problem_page(e))?;
            user_form_page(&state, &user.0, &csrf, form, errors, None).await
        }
    }
}

/// GET /admin/users/{id}
pub async fn edit_user_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let mut conn = state.db().await?;
    let target = queries::find_user(&mut conn, id.into_inner())
        .await?
        .ok_or(PageError::NotFound)?;
    drop(conn);
    let form = UserForm {
        email: target.email.clone(),
        name: target.name.clone(),
        role: target.role.as_str().into(),
        organisation_id: target.organisation_id.to_string(),
        active: target.active.to_string(),
        password: String::new(),
    };
    user_form_page(&state, &user.0, &csrf, form, vec![], Some(&target)).await
}

/// POST /admin/users/{id}
pub async fn update_user(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<UserForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let CsrfForm { data: form, csrf } = form;
    let id = id.into_inner();
    let changes = UserChanges {
        name: Some(form.name.clone()),
        role: form.role.parse().ok(),
        active: Some(form.active != "false"),
    };
    let mut conn = state.db().await?;
    let actor = &user.0;
    let mail = &state.mail;
    let result = conn
        .transaction::<_, OrganisationError, _>(async move |tx| {
            crate::organisations::update_user(tx, mail, actor, id, &changes).await
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => {
            let errors = field_errors(&e).ok_or_else(|| problem_page(e))?;
            let target = queries::find_user(&mut conn, id)
                .await?
                .ok_or(PageError::NotFound)?;
            drop(conn);
            let form = UserForm {
                email: target.email.clone(),
                organisation_id: target.organisation_id.to_string(),
                ..form
            };
            user_form_page(&state, &user.0, &csrf, form, errors, Some(&target)).await
        }
    }
}
