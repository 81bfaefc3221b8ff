//! Pages: provider registration, the provider's own organisation profile, and the
//! administrator's users and organisations.

use super::model::{CqcRating, OrganisationView, UserView};
use super::queries::{self, OrganisationFilter, UserFilter};
use super::rules::{CqcLocationInput, OrganisationInput};
use super::{NewUserInput, OrganisationError, RegistrationInput, UserChanges, field_errors};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::auth::{OrganisationKind, Role};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::FieldError;
use crate::http::routing::resource;
use crate::state::AppState;
use crate::web::Pagination;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, PageError, render, render_status, see_other};
use crate::web::{MaybePageUser, PageUser};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Registers this context's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/register")
            .route(web::get().to(register_page))
            .route(web::post().to(register)),
    )
    .service(
        resource("/register/confirm")
            .route(web::get().to(confirm_registration_page))
            .route(web::post().to(confirm_registration)),
    )
    .service(resource("/organisation").route(web::get().to(own_organisation_page)))
    .service(
        resource("/organisation/edit")
            .route(web::get().to(edit_own_organisation_page))
            .route(web::post().to(update_own_organisation)),
    )
    .service(resource("/admin/users").route(web::get().to(users_page)))
    .service(
        resource("/admin/users/new")
            .route(web::get().to(new_user_page))
            .route(web::post().to(create_user)),
    )
    .service(
        resource("/admin/users/{id}")
            .route(web::get().to(edit_user_page))
            .route(web::post().to(update_user)),
    )
    .service(resource("/admin/organisations").route(web::get().to(organisations_page)))
    .service(
        resource("/admin/organisations/new")
            .route(web::get().to(new_organisation_page))
            .route(web::post().to(create_organisation)),
    )
    .service(
        resource("/admin/organisations/{id}")
            .route(web::get().to(edit_organisation_page))
            .route(web::post().to(update_organisation)),
    );
}

/// How many CQC location rows the organisation form offers.
const LOCATION_ROWS: usize = 5;

/// The organisation form as posted (repeated fields for districts and CQC locations).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrganisationForm {
    legal_name: String,
    companies_house_number: String,
    charity_number: String,
    address_line1: String,
    address_line2: String,
    town: String,
    postcode: String,
    district_ids: Vec<String>,
    cqc_location_id: Vec<String>,
    cqc_name: Vec<String>,
    cqc_rating: Vec<String>,
    cqc_rating_date: Vec<String>,
    kind: String,
    active: String,
    // registration only
    email: String,
    name: String,
    #[serde(skip_serializing)]
    password: String,
}

impl OrganisationForm {
    fn from_view(view: &OrganisationView) -> Self {
        let o = &view.organisation;
        let mut form = Self {
            legal_name: o.legal_name.clone(),
            companies_house_number: o.companies_house_number.clone().unwrap_or_default(),
            charity_number: o.charity_number.clone().unwrap_or_default(),
            address_line1: o.address_line1.clone(),
            address_line2: o.address_line2.clone(),
            town: o.town.clone(),
            postcode: o.postcode.clone(),
            district_ids: view.districts.iter().map(|d| d.id.to_string()).collect(),
            kind: o.kind.as_str().into(),
            active: if o.active {
                "true".into()
            } else {
                "false".into()
            },
            ..Default::default()
        };
        for l in &view.cqc_locations {
            form.cqc_location_id.push(l.location_id.clone());
            form.cqc_name.push(l.name.clone());
            form.cqc_rating.push(l.rating.as_str().into());
            form.cqc_rating_date
                .push(l.rating_date.map(|d| d.to_string()).unwrap_or_default());
        }
        form
    }

    /// Turns the form into the shared input, collecting errors for fields only forms have.
    fn to_input(&self, errors: &mut Vec<FieldError>) -> OrganisationInput {
        let mut district_ids = Vec::new();
        for id in &self.district_ids {
            match id.parse::<Uuid>() {
                Ok(id) => district_ids.push(id),
                Err(_) => errors.push(FieldError::new(
                    "district_ids",
                    "Choose districts from the list",
                )),
            }
        }
        let mut cqc_locations = Vec::new();
        for i in 0..self.cqc_location_id.len().min(LOCATION_ROWS * 4) {
            let get = |v: &Vec<String>| v.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            let (location_id, name, rating, date) = (
                get(&self.cqc_location_id),
                get(&self.cqc_name),
                get(&self.cqc_rating),
                get(&self.cqc_rating_date),
            );
            if location_id.is_empty() && name.is_empty() {
                continue;
            }
            let rating = if rating.is_empty() {
                None
            } else {
                rating.parse::<CqcRating>().ok()
            };
            let rating_date = if date.is_empty() {
                None
            } else {
                match chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("cqc_locations[{}].rating_date", cqc_locations.len()),
                            "Enter the rating date as year-month-day, like 2024-03-27",
                        ));
                        None
                    }
                }
            };
            cqc_locations.push(CqcLocationInput {
                location_id,
                name,
                rating,
                rating_date,
            });
        }
        OrganisationInput {
            legal_name: self.legal_name.clone(),
            companies_house_number: self.companies_house_number.clone(),
            charity_number: self.charity_number.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            district_ids,
            cqc_locations,
        }
    }
}

#[derive(Serialize)]
struct LocationRow {
    index: usize,
    number: usize,
    location_id: String,
    name: String,
    date: String,
    ratings: Vec<Choice>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

#[derive(Serialize)]
struct OrganisationFormPage {
    form: OrganisationForm,
    errors: Vec<FieldError>,
    districts: Vec<Choice>,
    locations: Vec<LocationRow>,
    kinds: Vec<Choice>,
    action: String,
    heading: String,
    is_admin: bool,
    is_new: bool,
    is_registration: bool,
    show_active: bool,
    active: bool,
}

/// Where an organisation form posts, its heading, and which variant it is.
struct FormTarget<'a> {
    path: &'a str,
    heading: &'a str,
    mode: FormMode,
}

async fn organisation_form_page(
    state: &AppState,
    user: Option<&AuthUser>,
    csrf: &CsrfToken,
    target: FormTarget<'_>,
    form: OrganisationForm,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let FormTarget {
        path,
        heading,
        mode,
    } = target;
    let mut conn = state.db().await?;
    let districts = queries::list_districts(&mut conn)
        .await?
        .into_iter()
        .map(|d| Choice {
            selected: form.district_ids.contains(&d.id.to_string()),
            value: d.id.to_string(),
            text: d.name,
        })
        .collect();
    let locations = (0..LOCATION_ROWS
        .max(form.cqc_location_id.len() + 1)
        .min(LOCATION_ROWS * 2))
        .map(|i| {
            let get = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
            let rating = get(&form.cqc_rating);
            LocationRow {
                index: i,
                number: i + 1,
                location_id: get(&form.cqc_location_id),
                name: get(&form.cqc_name),
                date: get(&form.cqc_rating_date),
                ratings: CqcRating::ALL
                    .iter()
                    .map(|r| Choice {
                        value: r.as_str().into(),
                        text: r.label().into(),
                        selected: rating == r.as_str(),
                    })
                    .collect(),
            }
        })
        .collect();
    let kinds = [("provider", "Care provider"), ("council", "Council")]
        .iter()
        .map(|(v, t)| Choice {
            value: (*v).into(),
            text: (*t).into(),
            selected: form.kind == *v,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        heading.to_string()
    } else {
        format!("Error: {heading}")
    };
    let active = form.active != "false";
    Ok(render_status(
        status,
        "organisation_form",
        Layout::new(title, path, user, csrf),
        OrganisationFormPage {
            errors,
            districts,
            locations,
            kinds,
            action: path.to_string(),
            heading: heading.to_string(),
            is_admin: user.is_some_and(|u| u.role == Role::Admin),
            is_new: matches!(mode, FormMode::New | FormMode::Registration),
            is_registration: matches!(mode, FormMode::Registration),
            show_active: matches!(mode, FormMode::AdminEdit),
            active,
            form,
        },
        csrf,
    ))
}

#[derive(Clone, Copy)]
enum FormMode {
    Registration,
    New,
    AdminEdit,
    OwnEdit,
}

/// GET /register
pub async fn register_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if user.0.is_some() {
        return Ok(see_other("/dashboard"));
    }
    organisation_form_page(
        &state,
        None,
        &csrf,
        FormTarget {
            path: "/register",
            heading: "Register your organisation",
            mode: FormMode::Registration,
        },
        OrganisationForm::default(),
        vec![],
    )
    .await
}

/// POST /register: the same answer whether or not the address has an account
/// (`registration`).
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<OrganisationForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    state
        .rate_limits
        .check(crate::auth::throttle::Door::Registration, &req)?;
    let mut errors = Vec::new();
    let input = RegistrationInput {
        organisation: form.to_input(&mut errors),
        user: NewUserInput {
            email: form.email.clone(),
            name: form.name.clone(),
            password: form.password.clone(),
            role: None,
            organisation_id: None,
        },
    };
    if errors.is_empty() {
        let mut conn = state.db().await?;
        let mail = &state.mail;
        let result = conn
            .transaction::<_, OrganisationError, _>(async move |tx| {
                super::registration::request(tx, mail, &input).await
            })
            .await;
        match result {
            Ok(()) => {
                return Ok(crate::web::message_page(
                    StatusCode::OK,
                    &csrf,
                    None,
                    "Check your email",
                    vec![
                        format!(
                            "We have sent an email to {}. Open the link in it to finish registering {}.",
                            form.email.trim(),
                            form.legal_name.trim()
                        ),
                        format!(
                            "The link works for {} hours. Until you open it, nothing is registered and you cannot sign in.",
                            super::registration::CONFIRM_HOURS
                        ),
                        "If nothing arrives within a few minutes, check your spam folder.".into(),
                    ],
                    None,
                ));
            }
            Err(e) => {
                errors = field_errors(&e)
                    .ok_or_else(|| PageError::from(crate::http::problem::Problem::from(e)))?
            }
        }
    }
    organisation_form_page(
        &state,
        None,
        &csrf,
        FormTarget {
            path: "/register",
            heading: "Register your organisation",
            mode: FormMode::Registration,
        },
        form,
        errors,
    )
    .await
}

/// `?token=` on an emailed link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    token: &'a str,
}

fn dead_registration_link(csrf: &CsrfToken) -> HttpResponse {
    crate::web::message_page(
        StatusCode::BAD_REQUEST,
        csrf,
        None,
        "This link has expired or has already been used",
        vec![format!(
            "Registration links work once, for {} hours. If you have already finished registering, sign in. Otherwise, register again.",
            super::registration::CONFIRM_HOURS
        )],
        Some(("/register", "Register your organisation")),
    )
}

/// GET /register/confirm?token=…: a button, so that a mail scanner opening the link does
/// not finish the registration for you.
pub async fn confirm_registration_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    if !super::registration::is_live(&mut conn, &query.token).await? {
        return Ok(dead_registration_link(&csrf));
    }
    Ok(render(
        "register_confirm",
        Layout::new("Finish registering", "/register", None, &csrf),
        ConfirmPage {
            token: &query.token,
        },
        &csrf,
    ))
}

/// POST /register/confirm: creates the organisation and its first user.
pub async fn confirm_registration(
    state: web::Data<AppState>,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            super::registration::confirm(tx, &form.token).await
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/login?registered=1")),
        Err(OrganisationError::InvalidLink) => Ok(dead_registration_link(&csrf)),
        Err(OrganisationError::Invalid(errors)) => Ok(crate::web::message_page(
            StatusCode::CONFLICT,
            &csrf,
            None,
            "Your organisation could not be registered",
            errors.into_iter().map(|e| e.message).collect(),
            Some(("/login", "Sign in")),
        )),
        Err(e) => Err(problem_page(e)),
    }
}

#[derive(Serialize)]
struct ProfilePage {
    organisation: OrganisationView,
    rating_labels: Vec<(String, &'static str)>,
    can_edit: bool,
    is_provider_user: bool,
}

/// GET /organisation: the signed-in user's organisation.
pub async fn own_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let organisation = super::get_organisation(&mut conn, &user.0, user.0.organisation_id)
        .await
        .map_err(problem_page)?;
    let rating_labels = organisation
        .cqc_locations
        .iter()
        .map(|l| (l.location_id.clone(), l.rating.label()))
        .collect();
    Ok(render(
        "organisation",
        Layout::new(
            organisation.organisation.legal_name.clone(),
            "/organisation",
            Some(&user.0),
            &csrf,
        ),
        ProfilePage {
            is_provider_user: user.0.role == Role::Provider,
            can_edit: super::may_edit(&user.0, user.0.organisation_id),
            organisation,
            rating_labels,
        },
        &csrf,
    ))
}

/// GET /organisation/edit
pub async fn edit_own_organisation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if !super::may_edit(&user.0, user.0.organisation_id) {
        return Err(PageError::Forbidden);
    }
    let mut conn = state.db().await?;
    let view = super::get_organisation(&mut conn, &user.0, user.0.organisation_id)
        .await
        .map_err(problem_page)?;
    drop(conn);
    organisation_form_page(
        &state,
        Some(&user.0),
        &csrf,
        FormTarget {
            path: "/organisation/edit",
            heading: "Change your organisation's details",
            mode: FormMode::OwnEdit,
        },
        OrganisationForm::from_view(&view),
        vec![],
    )
    .await
}

/// POST /organisation/edit
pub async fn update_own_organisation(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<OrganisationForm>,
) -> Result<HttpResponse, PageError> {
    let id = user.0.organisation_id;
    save_organisation(
        &state,
        &user.0,
        id,
        form,
        "/organisation/edit",
        "/organisation",
        FormMode::OwnEdit,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn save_organisation(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    form: CsrfForm<OrganisationForm>,
    path: &str,
    done: &str,
    mode: FormMode,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut errors = Vec::new();
    let input = form.to_input(&mut errors);
    let active = matches!(mode, FormMode::AdminEdit).then(|| form.active != "false");
    if errors.is_empty() {
        let mut conn = state.db().await?;
        let result = conn
            .transaction::<_, OrganisationError, _>(async move |tx| {
                super::update_organisation(tx, user, id, &input, active).await
            })
            .await;
        match result {
            Ok(_) => return Ok(see_other(done)),
            Err(e) => errors = field_errors(&e).ok_or_else(|| problem_page(e))?,
        }
    }
    let heading = if matches!(mode, FormMode::OwnEdit) {
        "Change your organisation's details"
    } else {
        "Change organisation"
    };
    organisation_form_page(
        state,
        Some(user),
        &csrf,
        FormTarget {
            path,
            heading,
            mode,
        },
        form,
        errors,
    )
    .await
}

fn problem_page(e: OrganisationError) -> PageError {
    PageError::from(crate::http::problem::Problem::from(e))
}

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
    let title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    Ok(render_status(
        status,
        "admin/user_form",
        Layout::new(title, &path, Some(user), csrf),
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
            super::create_user(tx, actor, &input).await
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
            super::update_user(tx, mail, actor, id, &changes).await
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

#[derive(Debug, Deserialize)]
pub struct OrganisationsQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Serialize)]
struct OrganisationsPage {
    organisations: Paged<super::model::Organisation>,
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
                super::create_organisation(tx, actor, kind, &input).await
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
    let view = super::get_organisation(&mut conn, &user.0, id)
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
