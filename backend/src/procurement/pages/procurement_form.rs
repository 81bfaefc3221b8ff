//! The form that creates a procurement or changes its draft: the fields as posted (London
//! wall-clock times), their checks, and the page with its errors.

use super::{Choice, choices};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::evaluation::{LotInput, competitions};
use crate::http::problem::FieldError;
use crate::money::Pence;
use crate::organisations::model::ServiceType;
use crate::procurement::model::{Procedure, ProcurementInput, ProcurementView, Regime};
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::date_input::{DateInput, DateParts};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The procurement form as posted. Times are London wall-clock times.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProcurementForm {
    title: String,
    reference: String,
    description: String,
    service_type: String,
    #[serde(deserialize_with = "crate::web::forms::one_or_many")]
    district_ids: Vec<String>,
    estimated_value: String,
    regime: String,
    light_touch: String,
    procedure: String,
    lots: String,
    #[serde(flatten)]
    pub(super) timetable: TimetableFields,
    standstill_working_days: String,
}

/// The timetable's date inputs as posted: UK wall-clock times, each date in three boxes
/// (`web::date_input`). The procurement form and the timetable change form share them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TimetableFields {
    clarification_day: String,
    clarification_month: String,
    clarification_year: String,
    clarification_time: String,
    submission_day: String,
    submission_month: String,
    submission_year: String,
    submission_time: String,
    planned_award_day: String,
    planned_award_month: String,
    planned_award_year: String,
}

/// The timetable's date inputs as their boxes show them.
#[derive(Debug, Serialize)]
pub(super) struct TimetableBoxes {
    clarification: DateParts,
    submission: DateParts,
    planned_award: DateParts,
}

impl ProcurementForm {
    pub(super) fn from_view(v: &ProcurementView) -> Self {
        Self {
            title: v.title.clone(),
            reference: v.reference.clone(),
            description: v.description.clone(),
            service_type: v.service_type.as_str().into(),
            district_ids: v.district_ids.iter().map(|d| d.to_string()).collect(),
            estimated_value: Pence(v.estimated_value_pence).for_input(),
            regime: v.regime.as_str().into(),
            light_touch: if v.light_touch { "yes" } else { "no" }.into(),
            procedure: v.procedure.as_str().into(),
            lots: v
                .lots
                .iter()
                .map(|l| l.title.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            timetable: TimetableFields::from_view(v),
            standstill_working_days: v.standstill_working_days.to_string(),
        }
    }

    /// The input it describes, or what cannot be read, every problem at once.
    pub(super) fn to_input(&self) -> Result<ProcurementInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let need = |errors: &mut Vec<FieldError>, ok: bool, field: &str, message: &str| {
            if !ok {
                errors.push(FieldError::new(field, message));
            }
        };
        let service_type = self.service_type.parse::<ServiceType>().ok();
        need(
            &mut errors,
            service_type.is_some(),
            "service_type",
            "Choose the type of service",
        );
        let regime = self.regime.parse::<Regime>().ok();
        need(&mut errors, regime.is_some(), "regime", "Choose the regime");
        let procedure = self.procedure.parse::<Procedure>().ok();
        need(
            &mut errors,
            procedure.is_some(),
            "procedure",
            "Choose the procedure",
        );
        let light_touch = match self.light_touch.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        need(
            &mut errors,
            light_touch.is_some(),
            "light_touch",
            "Say whether the contract is light-touch",
        );
        let value = Pence::parse_pounds(&self.estimated_value).ok().flatten();
        need(
            &mut errors,
            value.is_some(),
            "estimated_value",
            "Enter the estimated value in pounds, like 2400000",
        );
        let (clarification, submission, award) = self.timetable.read(&mut errors);
        let standstill = match self.standstill_working_days.trim() {
            "" => Some(8),
            days => days.parse::<i32>().ok(),
        };
        need(
            &mut errors,
            standstill.is_some(),
            "standstill_working_days",
            "Enter the standstill period as a whole number of working days",
        );
        let (
            Some(service_type),
            Some(regime),
            Some(procedure),
            Some(light_touch),
            Some(value),
            Some(clarification),
            Some(submission),
            Some(award),
            Some(standstill),
        ) = (
            service_type,
            regime,
            procedure,
            light_touch,
            value,
            clarification,
            submission,
            award,
            standstill,
        )
        else {
            // Also report the text fields' own problems, so one round trip shows all.
            let now = chrono::Utc::now();
            let words = crate::evaluation::NewCompetition {
                id: Uuid::nil(),
                reference: &self.reference,
                title: &self.title,
                outcome_model: crate::evaluation::OutcomeModel::Ranked,
                submission_deadline: now + chrono::Duration::days(1),
                decision_working_days: None,
                lots: &[],
            };
            let mut all: Vec<FieldError> = competitions::check(&words, now);
            if self.description.trim().is_empty() {
                all.push(FieldError::new("description", "Enter a description"));
            }
            all.extend(errors);
            return Err(all);
        };
        Ok(ProcurementInput {
            title: self.title.clone(),
            reference: self.reference.clone(),
            description: self.description.clone(),
            service_type,
            district_ids: self
                .district_ids
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect(),
            estimated_value_pence: value.0,
            regime,
            light_touch,
            procedure,
            lots: self
                .lots
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|t| LotInput {
                    title: t.to_string(),
                    description: String::new(),
                })
                .collect(),
            clarification_deadline: clarification,
            submission_deadline: submission,
            planned_award_date: award,
            standstill_working_days: standstill,
        })
    }
}

impl TimetableFields {
    pub(super) fn from_view(v: &ProcurementView) -> Self {
        let clarification = DateParts::of_instant(v.clarification_deadline);
        let submission = DateParts::of_instant(v.submission_deadline);
        let award = DateParts::of_date(v.planned_award_date);
        Self {
            clarification_day: clarification.day,
            clarification_month: clarification.month,
            clarification_year: clarification.year,
            clarification_time: clarification.time,
            submission_day: submission.day,
            submission_month: submission.month,
            submission_year: submission.year,
            submission_time: submission.time,
            planned_award_day: award.day,
            planned_award_month: award.month,
            planned_award_year: award.year,
        }
    }

    /// The clarification and submission deadlines and the planned award date as typed,
    /// each read on its own so that every problem is reported (into `errors`) at once.
    pub(super) fn read(
        &self,
        errors: &mut Vec<FieldError>,
    ) -> (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<NaiveDate>,
    ) {
        let mut report = |e: FieldError| errors.push(e);
        let clarification = DateInput {
            name: "clarification",
            label: "The clarification deadline",
            day: &self.clarification_day,
            month: &self.clarification_month,
            year: &self.clarification_year,
        }
        .at(&self.clarification_time)
        .map_err(&mut report)
        .ok();
        let submission = DateInput {
            name: "submission",
            label: "The submission deadline",
            day: &self.submission_day,
            month: &self.submission_month,
            year: &self.submission_year,
        }
        .at(&self.submission_time)
        .map_err(&mut report)
        .ok();
        let award = DateInput {
            name: "planned_award",
            label: "The planned award date",
            day: &self.planned_award_day,
            month: &self.planned_award_month,
            year: &self.planned_award_year,
        }
        .date()
        .map_err(&mut report)
        .ok();
        (clarification, submission, award)
    }

    /// The date inputs' boxes as typed.
    pub(super) fn boxes(&self) -> TimetableBoxes {
        let parts = |day: &str, month: &str, year: &str, time: &str| DateParts {
            day: day.into(),
            month: month.into(),
            year: year.into(),
            time: time.into(),
        };
        TimetableBoxes {
            clarification: parts(
                &self.clarification_day,
                &self.clarification_month,
                &self.clarification_year,
                &self.clarification_time,
            ),
            submission: parts(
                &self.submission_day,
                &self.submission_month,
                &self.submission_year,
                &self.submission_time,
            ),
            planned_award: parts(
                &self.planned_award_day,
                &self.planned_award_month,
                &self.planned_award_year,
                "",
            ),
        }
    }
}

/// API field names → the form's input ids.
pub(super) fn form_field(f: &str) -> String {
    match f {
        "clarification_deadline" => "clarification_date".into(),
        "submission_deadline" => "submission_date".into(),
        "estimated_value_pence" => "estimated_value".into(),
        f if f.starts_with("lots") => "lots".into(),
        f => f.into(),
    }
}

#[derive(Serialize)]
pub(super) struct DistrictBox {
    id: Uuid,
    name: String,
    checked: bool,
}

#[derive(Serialize)]
pub(super) struct FormView {
    id: Option<Uuid>,
    action: String,
    types: Vec<Choice>,
    regimes: Vec<Choice>,
    procedures: Vec<Choice>,
    districts: Vec<DistrictBox>,
    light_touch_yes: bool,
    light_touch_no: bool,
    form: ProcurementForm,
    dates: TimetableBoxes,
}

/// The create/change form, for the procurement `id` (or a new one).
pub(super) async fn show_form(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Option<Uuid>,
    form: ProcurementForm,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let districts = crate::organisations::queries::list_districts(&mut conn).await?;
    drop(conn);
    let view = FormView {
        id,
        action: id
            .map(|i| format!("/procurements/{i}/edit"))
            .unwrap_or_else(|| "/procurements/new".into()),
        types: choices(
            ServiceType::ALL,
            |s| s.as_str().into(),
            |s| s.label().into(),
            &form.service_type,
        ),
        regimes: choices(
            Regime::ALL,
            |s| s.as_str().into(),
            |s| s.label().into(),
            &form.regime,
        ),
        procedures: choices(
            Procedure::ALL,
            |s| s.as_str().into(),
            |s| s.label().into(),
            &form.procedure,
        ),
        districts: districts
            .iter()
            .map(|d| DistrictBox {
                id: d.id,
                name: d.name.clone(),
                checked: form.district_ids.contains(&d.id.to_string()),
            })
            .collect(),
        light_touch_yes: form.light_touch == "yes",
        light_touch_no: form.light_touch == "no",
        dates: form.timetable.boxes(),
        form,
    };
    let title = if id.is_some() {
        "Change the procurement"
    } else {
        "Create a procurement"
    };
    let back = id.map_or("/procurements".to_string(), |id| {
        format!("/procurements/{id}")
    });
    let layout = Layout::new(title, "/procurements", Some(user), csrf).back_to(back);
    Ok(render_page(
        "procurement/procurement_form",
        layout,
        &view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/new
pub async fn new_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let form = ProcurementForm {
        light_touch: "yes".into(),
        regime: "pa2023".into(),
        procedure: "open".into(),
        standstill_working_days: "8".into(),
        timetable: TimetableFields {
            clarification_time: "17:00".into(),
            submission_time: "12:00".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    show_form(&state, &user.0, &csrf, None, form, Feedback::default()).await
}

/// POST /procurements/new
pub async fn create(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<ProcurementForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let CsrfForm { data: form, csrf } = form;
    let input = match form.to_input() {
        Ok(i) => i,
        Err(errors) => {
            return show_form(&state, &user.0, &csrf, None, form, Feedback::errors(errors)).await;
        }
    };
    let mut conn = state.db().await?;
    let result = procurements::create(&mut conn, &user.0, &input).await;
    drop(conn);
    after_post(
        result,
        |v| format!("/procurements/{}?done=created", v.id),
        form_field,
        async |errors| {
            show_form(
                &state,
                &user.0,
                &csrf,
                None,
                form.clone(),
                Feedback::errors(errors),
            )
            .await
        },
    )
    .await
}

/// GET /procurements/{id}/edit
pub async fn edit_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, &user.0, *id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    drop(conn);
    let form = ProcurementForm::from_view(&view);
    show_form(&state, &user.0, &csrf, Some(*id), form, Feedback::default()).await
}

/// POST /procurements/{id}/edit
pub async fn update(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ProcurementForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let CsrfForm { data: form, csrf } = form;
    let input = match form.to_input() {
        Ok(i) => i,
        Err(errors) => {
            return show_form(
                &state,
                &user.0,
                &csrf,
                Some(*id),
                form,
                Feedback::errors(errors),
            )
            .await;
        }
    };
    let mut conn = state.db().await?;
    let result = procurements::update(&mut conn, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}?done=saved"),
        form_field,
        async |errors| {
            show_form(
                &state,
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
