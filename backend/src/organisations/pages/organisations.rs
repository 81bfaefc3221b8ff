//! The administrator's organisations pages: the list with filters, and the new and edit
//! forms.

use super::form::*;
use crate::auth::csrf::CsrfToken;
use crate::auth::{OrganisationKind, Role};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::FieldError;
use crate::organisations::queries::{self, OrganisationFilter};
use crate::organisations::{OrganisationError, field_errors};
use crate::state::AppState;
use crate::web::PageUser;
use crate::web::Pagination;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct OrganisationsQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Serialize)]
struct OrganisationsPage {
    organisations: Paged<crate::organisations::model::Organisation>,
    q: String,
    kinds: Vec<Choice>,
    pagination: Pagination,
}

/// GET /admin/organisations
pub async fn organisations_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<OrganisationsQuery>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let kind = query
        .kind
        .as_deref()
        .and_then(|k| k.parse::<OrganisationKind>().ok());
    let filter = OrganisationFilter {
        q: query.q.clone(),
        kind,
        active: None,
    };
    let mut conn = state.db().await?;
    let organisations = queries::list_organisations(&mut conn, &filter, *page).await?;
    let q = query.q.clone().unwrap_or_default();
    let encoded = format!(
        "q={}&kind={}&",
        crate::web::url_encode(&q),
        kind.map(|k| k.as_str()).unwrap_or("")
    );
    let pagination = Pagination::new("/admin/organisations", &encoded, &organisations);
    let kinds = [
        ("", "Any"),
        ("provider", "Care providers"),
        ("council", "Council"),
    ]
    .iter()
    .map(|(v, t)| Choice {
        value: (*v).into(),
        text: (*t).into(),
        selected: kind.map(|k| k.as_str()).unwrap_or("") == *v,
    })
    .collect();
    Ok(render(
        "admin/organisations",
        Layout::new(
            "Organisations",
            "/admin/organisations",
            Some(&user.0),
            &csrf,
        ),
        OrganisationsPage {
            organisations,
            q,
            kinds,
            pagination,
        },
        &csrf,
    ))
}

/// GET /admin/organisations/new
pub async fn new_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let form = OrganisationForm {
        kind: "provider".into(),
        ..Default::default()
    };
    organisation_form_page(
        &state,
        Some(&user.0),
        &csrf,
        FormTarget {
            path: "/admin/organisations/new",
            heading: "Add an organisation",
            mode: FormMode::New,
        },
        form,
        vec![],
    )
    .await
}

/// POST /admin/organisations/new
pub async fn create_organisation(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<OrganisationForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let CsrfForm { data: form, csrf } = form;
    let mut errors = Vec::new();
    let input = form.to_input(&mut errors);
    let kind = form.kind.parse::<OrganisationKind>().ok();
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose the type of organisation"));
    }
    if let (Some(kind), true) = (kind, errors.is_empty()) {
        let mut conn = state.db().await?;
        let actor = &user.0;
        let result = conn
            .transaction::<_, OrganisationError, _>(async move |tx| {
                crate::organisations::create_organisation(tx, actor, kind, &input).await
            })
            .await;
        match result {
            Ok(view) => {
                return Ok(see_other(&format!(
                    "/admin/organisations/{}",
                    view.organisation.id
                )));
            }
            Err(e) => errors = field_errors(&e).ok_or_else(|| problem_page(e))?,
        }
    }
    organisation_form_page(
        &state,
        Some(&user.0),
        &csrf,
        FormTarget {
            path: "/admin/organisations/new",
            heading: "Add an organisation",
            mode: FormMode::New,
        },
        form,
        errors,
    )
    .await
}

/// GET /admin/organisations/{id}
pub async fn edit_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let mut conn = state.db().await?;
    let view = crate::organisations::get_organisation(&mut conn, &user.0, id)
        .await
        .map_err(problem_page)?;
    drop(conn);
    let path = format!("/admin/organisations/{id}");
    let heading = format!("Change {}", view.organisation.legal_name);
    organisation_form_page(
        &state,
        Some(&user.0),
        &csrf,
        FormTarget {
            path: &path,
            heading: &heading,
            mode: FormMode::AdminEdit,
        },
        OrganisationForm::from_view(&view),
        vec![],
    )
    .await
}

/// POST /admin/organisations/{id}
pub async fn update_organisation(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<OrganisationForm>,
    _req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let path = format!("/admin/organisations/{id}");
    save_organisation(
        &state,
        &user.0,
        id,
        form,
        &path,
        "/admin/organisations",
        FormMode::AdminEdit,
    )
    .await
}
