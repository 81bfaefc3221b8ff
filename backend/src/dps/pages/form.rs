//! The form that sets up a DPS or changes its draft: the fields as posted, how they are
//! read, and the page with its errors against the inputs they concern.

use super::Choice;
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::dps::model::{DpsInput, DpsRegime, DpsView};
use crate::dps::{markets, queries, rules};
use crate::evaluation::LotInput;
use crate::http::problem::FieldError;
use crate::organisations::model::ServiceType;
use crate::state::AppState;
use crate::web::date_input::{DateInput, DateParts};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The form as posted: dates in three boxes each, numbers as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DpsForm {
    title: String,
    reference: String,
    description: String,
    regime: String,
    starts_day: String,
    starts_month: String,
    starts_year: String,
    ends_day: String,
    ends_month: String,
    ends_year: String,
    #[serde(deserialize_with = "crate::web::forms::one_or_many")]
    service_types: Vec<String>,
    decision_working_days: String,
    cqc_rule: String,
    round_schedule: String,
    cutoff_day: String,
    lots: String,
}

impl DpsForm {
    fn from_view(v: &DpsView) -> Self {
        let starts = DateParts::of_date(v.starts_on);
        let ends = DateParts::of_date(v.ends_on);
        Self {
            title: v.title.clone(),
            reference: v.reference.clone(),
            description: v.description.clone(),
            regime: v.regime.as_str().into(),
            starts_day: starts.day,
            starts_month: starts.month,
            starts_year: starts.year,
            ends_day: ends.day,
            ends_month: ends.month,
            ends_year: ends.year,
            service_types: v.service_types.iter().map(|t| t.as_str().into()).collect(),
            decision_working_days: v.decision_working_days.to_string(),
            cqc_rule: if v.cqc_rule { "yes" } else { "no" }.into(),
            round_schedule: v.round_schedule.clone(),
            cutoff_day: v.cutoff_day.to_string(),
            lots: v
                .lots
                .iter()
                .map(|l| l.lot.title.clone())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The input it describes, or what cannot be read, every problem at once. A lot keeps
    /// the description it had (`existing`) while its title stays the same.
    fn to_input(&self, existing: &[LotInput]) -> Result<DpsInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let regime = self.regime.parse::<DpsRegime>().ok();
        if regime.is_none() {
            errors.push(FieldError::new(
                "regime",
                "Choose the rules the DPS runs under",
            ));
        }
        let mut date = |name, label, day: &str, month: &str, year: &str| {
            DateInput {
                name,
                label,
                day,
                month,
                year,
            }
            .date()
            .map_err(|e| errors.push(e))
            .ok()
        };
        let starts = date(
            "starts",
            "The start of the term",
            &self.starts_day,
            &self.starts_month,
            &self.starts_year,
        );
        let ends = date(
            "ends",
            "The end of the term",
            &self.ends_day,
            &self.ends_month,
            &self.ends_year,
        );
        let number =
            |errors: &mut Vec<FieldError>, text: &str, default: i32, field, message| match text
                .trim()
            {
                "" => Some(default),
                t => t.parse::<i32>().ok().or_else(|| {
                    errors.push(FieldError::new(field, message));
                    None
                }),
            };
        let days = number(
            &mut errors,
            &self.decision_working_days,
            rules::DEFAULT_DECISION_DAYS,
            "decision_working_days",
            "Enter the decision period as a whole number of working days, like 10",
        );
        let cutoff = number(
            &mut errors,
            &self.cutoff_day,
            rules::DEFAULT_CUTOFF_DAY,
            "cutoff_day",
            "Enter the day of the month applications close as a number, like 15",
        );
        let cqc_rule = match self.cqc_rule.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    "cqc_rule",
                    "Say whether applicants need Good or Outstanding CQC ratings",
                ));
                None
            }
        };
        let (Some(regime), Some(starts_on), Some(ends_on), Some(days), Some(cutoff), Some(cqc)) =
            (regime, starts, ends, days, cutoff, cqc_rule)
        else {
            return Err(errors);
        };
        let schedule = self.round_schedule.trim();
        Ok(DpsInput {
            title: self.title.clone(),
            reference: self.reference.clone(),
            description: self.description.clone(),
            regime,
            starts_on,
            ends_on,
            // Unknown values cannot come from the page's own boxes; they are dropped.
            service_types: self
                .service_types
                .iter()
                .filter_map(|t| t.parse::<ServiceType>().ok())
                .collect(),
            decision_working_days: days,
            cqc_rule: cqc,
            round_schedule: if schedule.is_empty() {
                rules::DEFAULT_SCHEDULE.into()
            } else {
                schedule.into()
            },
            cutoff_day: cutoff,
            lots: self
                .lots
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|t| LotInput {
                    title: t.to_string(),
                    description: existing
                        .iter()
                        .find(|l| l.title == t)
                        .map(|l| l.description.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        })
    }
}

/// API field names → the form's input ids.
fn form_field(f: &str) -> String {
    match f {
        "starts_on" => "starts_date".into(),
        "ends_on" => "ends_date".into(),
        f if f.starts_with("lots") => "lots".into(),
        f => f.into(),
    }
}

#[derive(Serialize)]
struct FormView {
    id: Option<Uuid>,
    action: String,
    regimes: Vec<Choice>,
    types: Vec<Choice>,
    starts: DateParts,
    ends: DateParts,
    schedule_hint: String,
    form: DpsForm,
}

async fn show_form(
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Option<Uuid>,
    form: DpsForm,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let parts = |day: &str, month: &str, year: &str| DateParts {
        day: day.into(),
        month: month.into(),
        year: year.into(),
        time: String::new(),
    };
    let view = FormView {
        id,
        action: id.map_or("/dps/new".into(), |i| format!("/dps/{i}/edit")),
        regimes: DpsRegime::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().into(),
                text: r.label().into(),
                selected: form.regime == r.as_str(),
            })
            .collect(),
        types: ServiceType::ALL
            .iter()
            .map(|t| Choice {
                value: t.as_str().into(),
                text: t.label().into(),
                selected: form.service_types.iter().any(|s| s == t.as_str()),
            })
            .collect(),
        starts: parts(&form.starts_day, &form.starts_month, &form.starts_year),
        ends: parts(&form.ends_day, &form.ends_month, &form.ends_year),
        schedule_hint: format!(
            "Six cron fields, seconds first, read as UK time. {} is {}.",
            rules::DEFAULT_SCHEDULE,
            rules::schedule_words(rules::DEFAULT_SCHEDULE).unwrap_or_default()
        ),
        form,
    };
    let (title, back) = match id {
        Some(id) => ("Change the DPS", format!("/dps/{id}")),
        None => ("Set up a DPS or dynamic market", "/dps".to_string()),
    };
    let layout = Layout::new(title, "/dps", Some(user), csrf).back_to(back);
    Ok(render_page(
        "dps/form",
        layout,
        &view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /dps/new: the council's usual practice filled in.
pub async fn new_page(user: PageUser, csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let form = DpsForm {
        regime: DpsRegime::Pa2023.as_str().into(),
        decision_working_days: rules::DEFAULT_DECISION_DAYS.to_string(),
        cqc_rule: "yes".into(),
        round_schedule: rules::DEFAULT_SCHEDULE.into(),
        cutoff_day: rules::DEFAULT_CUTOFF_DAY.to_string(),
        ..Default::default()
    };
    show_form(&user.0, &csrf, None, form, Feedback::default()).await
}

/// POST /dps/new
pub async fn create(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<DpsForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let CsrfForm { data: form, csrf } = form;
    let input = match form.to_input(&[]) {
        Ok(i) => i,
        Err(errors) => {
            return show_form(&user.0, &csrf, None, form, Feedback::errors(errors)).await;
        }
    };
    let mut conn = state.db().await?;
    let result = markets::create(&mut conn, &user.0, &input).await;
    drop(conn);
    after_post(
        result,
        |v| format!("/dps/{}?done=created", v.id),
        form_field,
        async |errors| {
            show_form(&user.0, &csrf, None, form.clone(), Feedback::errors(errors)).await
        },
    )
    .await
}

/// GET /dps/{id}/edit
pub async fn edit_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, *id).await?;
    let view = queries::view(&mut conn, &row).await?;
    drop(conn);
    let form = DpsForm::from_view(&view);
    show_form(&user.0, &csrf, Some(*id), form, Feedback::default()).await
}

/// POST /dps/{id}/edit
pub async fn update(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<DpsForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, *id).await?;
    let existing = crate::dps::model::lot_inputs(
        &crate::evaluation::competitions::lots(&mut conn, row.id()).await?,
    );
    let input = match form.to_input(&existing) {
        Ok(i) => i,
        Err(errors) => {
            drop(conn);
            return show_form(&user.0, &csrf, Some(*id), form, Feedback::errors(errors)).await;
        }
    };
    let result = markets::update(&mut conn, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/dps/{id}?done=saved"),
        form_field,
        async |errors| {
            show_form(
                &user.0,
                &csrf,
                Some(*id),
                form.clone(),
                Feedback::errors(errors),
            )
            .await
        },
    )
    .await
}
