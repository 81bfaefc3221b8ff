//! The council's view of providers' evidence: the providers with a concern, one provider's
//! insurances, CQC locations and rating history, and the form that records a new rating.

use super::DoneQuery;
use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::calendar::long_date;
use crate::http::problem::FieldError;
use crate::organisations::evidence::model::{InsuranceView, RatingChange, RatingInput};
use crate::organisations::evidence::{Concern, insurances, provider_concerns, ratings};
use crate::organisations::model::{CqcLocation, CqcRating};
use crate::organisations::pages::problem_page;
use crate::organisations::{OrganisationError, get_organisation};
use crate::state::AppState;
use crate::web::date_input::{DateInput, DateParts};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn require_council(user: &PageUser) -> Result<(), PageError> {
    user.require(&[Role::Admin, Role::Commissioner])
}

/// A concern with its date as people read it.
#[derive(Serialize)]
struct ConcernRow {
    #[serde(flatten)]
    concern: Concern,
    since_words: String,
}

impl From<Concern> for ConcernRow {
    fn from(concern: Concern) -> Self {
        Self {
            since_words: long_date(concern.since),
            concern,
        }
    }
}

#[derive(Serialize)]
struct ConcernsView {
    concerns: Vec<ConcernRow>,
}

/// GET /providers/concerns: every provider with a lapsed insurance or a location rated
/// Inadequate, with the reason and since when.
pub async fn concerns_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let mut conn = state.db().await?;
    let concerns = provider_concerns(&mut conn, insurances::today(), None)
        .await?
        .into_iter()
        .map(ConcernRow::from)
        .collect();
    let layout = Layout::new(
        "Providers with a concern",
        "/providers",
        Some(&user.0),
        &csrf,
    )
    .back_to("/dashboard");
    Ok(render_page(
        "evidence/concerns",
        layout,
        &ConcernsView { concerns },
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize)]
struct LocationRow {
    #[serde(flatten)]
    location: CqcLocation,
    rating_label: &'static str,
    rating_date_words: Option<String>,
    inadequate: bool,
}

#[derive(Serialize)]
struct RatingRow {
    #[serde(flatten)]
    change: RatingChange,
    previous_label: &'static str,
    rating_label: &'static str,
    report_words: String,
}

#[derive(Serialize)]
struct EvidenceView {
    id: Uuid,
    name: String,
    insurances: Vec<InsuranceView>,
    locations: Vec<LocationRow>,
    history: Vec<RatingRow>,
    concerns: Vec<ConcernRow>,
}

/// GET /providers/{org}/evidence (commissioners and administrators)
pub async fn evidence_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    org: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let org = *org;
    let mut conn = state.db().await?;
    let today = insurances::today();
    let profile = get_organisation(&mut conn, &user.0, org)
        .await
        .map_err(problem_page)?;
    let insurances = insurances::list(&mut conn, &user.0, org, today)
        .await
        .map_err(problem_page)?;
    let history = ratings::history(&mut conn, &user.0, org)
        .await
        .map_err(problem_page)?
        .into_iter()
        .map(|change| RatingRow {
            previous_label: change.previous_rating.label(),
            report_words: long_date(change.report_date),
            rating_label: change.rating.label(),
            change,
        })
        .collect();
    let concerns = provider_concerns(&mut conn, today, Some(org))
        .await?
        .into_iter()
        .map(ConcernRow::from)
        .collect();
    let name = profile.organisation.legal_name.clone();
    let view = EvidenceView {
        id: org,
        insurances,
        locations: profile
            .cqc_locations
            .into_iter()
            .map(|location| LocationRow {
                rating_label: location.rating.label(),
                rating_date_words: location.rating_date.map(long_date),
                inadequate: location.rating == CqcRating::Inadequate,
                location,
            })
            .collect(),
        history,
        concerns,
        name: name.clone(),
    };
    let layout = Layout::new(
        format!("Evidence from {name}"),
        "/providers",
        Some(&user.0),
        &csrf,
    )
    .back_to("/providers/concerns");
    Ok(render_page(
        "evidence/provider",
        layout,
        &view,
        Feedback::notice(query.notice()),
        StatusCode::OK,
        &csrf,
    ))
}

#[derive(Serialize, Default)]
struct RatingForm {
    action: String,
    provider: String,
    location: String,
    ratings: Vec<(String, &'static str, bool)>,
    report_date: DateParts,
}

/// The rating form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RatingPost {
    rating: String,
    report_date_day: String,
    report_date_month: String,
    report_date_year: String,
}

async fn show_rating(
    state: &AppState,
    user: &PageUser,
    csrf: &CsrfToken,
    org: Uuid,
    location: Uuid,
    posted: &RatingPost,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let profile = get_organisation(&mut conn, &user.0, org)
        .await
        .map_err(problem_page)?;
    let here = profile
        .cqc_locations
        .iter()
        .find(|l| l.id == location)
        .ok_or_else(|| problem_page(OrganisationError::Missing("CQC location")))?;
    let chosen = if posted.rating.is_empty() && errors.is_empty() {
        here.rating.as_str().to_string()
    } else {
        posted.rating.clone()
    };
    let view = RatingForm {
        action: format!("/providers/{org}/cqc-locations/{location}/rating"),
        provider: profile.organisation.legal_name.clone(),
        location: format!("{} ({})", here.name, here.location_id),
        ratings: CqcRating::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label(), r.as_str() == chosen))
            .collect(),
        report_date: DateParts {
            day: posted.report_date_day.clone(),
            month: posted.report_date_month.clone(),
            year: posted.report_date_year.clone(),
            time: String::new(),
        },
    };
    let layout = Layout::new("Record a new CQC rating", "/providers", Some(&user.0), csrf)
        .back_to(format!("/providers/{org}/evidence"));
    Ok(render_page(
        "evidence/rating_form",
        layout,
        &view,
        Feedback::errors(errors),
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /providers/{org}/cqc-locations/{location}/rating
pub async fn rating_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let (org, location) = path.into_inner();
    show_rating(
        &state,
        &user,
        &csrf,
        org,
        location,
        &RatingPost::default(),
        Vec::new(),
    )
    .await
}

/// POST /providers/{org}/cqc-locations/{location}/rating
pub async fn record_rating(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<RatingPost>,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let (org, location) = path.into_inner();
    let posted = &form.data;
    let mut errors = Vec::new();
    let rating = posted.rating.parse::<CqcRating>().ok();
    if rating.is_none() {
        errors.push(FieldError::new("rating", "Choose the rating CQC gave"));
    }
    let date = DateInput {
        name: "report_date",
        label: "The date of the report",
        day: &posted.report_date_day,
        month: &posted.report_date_month,
        year: &posted.report_date_year,
    }
    .date()
    .map_err(|e| errors.push(e))
    .ok();
    let (Some(rating), Some(report_date)) = (rating, date) else {
        return show_rating(&state, &user, &form.csrf, org, location, posted, errors).await;
    };
    let input = RatingInput {
        rating,
        report_date,
    };
    let mut conn = state.db().await?;
    let result = conn
        .transaction::<_, OrganisationError, _>(async |tx| {
            ratings::record(tx, &user.0, org, location, &input, insurances::today()).await
        })
        .await;
    drop(conn);
    after_post(
        result,
        |_| format!("/providers/{org}/evidence?done=rating"),
        |f: &str| match f {
            "report_date" => "report_date_date".to_string(),
            other => other.to_string(),
        },
        async |errors| show_rating(&state, &user, &form.csrf, org, location, posted, errors).await,
    )
    .await
}
