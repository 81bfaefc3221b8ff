//! Procurements, for the council: the list, the form to create or change a draft, and the
//! procurement's page with its actions (conflicts assessment, timetable, documents,
//! publish, open, cancel, contract entered).

use super::{Choice, DoneQuery, ProcurementFacts, choices, london_instant};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::{Access, LotInput, competitions, panels, queries, questionnaires};
use crate::http::pagination::PageRequest;
use crate::http::problem::{FieldError, Problem};
use crate::money::Pence;
use crate::organisations::model::ServiceType;
use crate::procurement::model::{
    Procedure, ProcurementFilter, ProcurementInput, ProcurementStatus, ProcurementView, Regime,
    TimetableInput,
};
use crate::procurement::{award, clarifications, documents, procurements};
use crate::state::AppState;
use crate::web::forms::{CsrfForm, EmptyForm};
use crate::web::multipart::{PageForm, Upload};
use crate::web::{
    Feedback, Layout, PageError, PageUser, Pagination, after_post, render_page, see_other,
};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn require_council(user: &PageUser) -> Result<(), PageError> {
    user.require(&[
        Role::Admin,
        Role::Commissioner,
        Role::ContractManager,
        Role::Evaluator,
    ])
}

#[derive(Serialize)]
struct ListView {
    items: Vec<ProcurementFacts>,
    total: i64,
    pagination: Pagination,
    can_create: bool,
    evaluator: bool,
}

/// GET /procurements
pub async fn list_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    paging: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    require_council(&user)?;
    let mut conn = state.db().await?;
    let list = procurements::list(
        &mut conn,
        Some(&user.0),
        &ProcurementFilter::default(),
        *paging,
    )
    .await?;
    drop(conn);
    let view = ListView {
        items: list.items.iter().map(ProcurementFacts::from).collect(),
        total: list.total,
        pagination: Pagination::new("/procurements", "", &list),
        can_create: user.0.role == Role::Commissioner,
        evaluator: user.0.role == Role::Evaluator,
    };
    let layout = Layout::new("Procurements", "/procurements", Some(&user.0), &csrf);
    Ok(render_page(
        "procurement/procurements",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// The procurement form as posted. Times are London wall-clock times.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProcurementForm {
    title: String,
    reference: String,
    description: String,
    service_type: String,
    district_ids: Vec<String>,
    estimated_value: String,
    regime: String,
    light_touch: String,
    procedure: String,
    lots: String,
    clarification_date: String,
    clarification_time: String,
    submission_date: String,
    submission_time: String,
    planned_award_date: String,
    standstill_working_days: String,
}

impl ProcurementForm {
    fn from_view(v: &ProcurementView) -> Self {
        let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::London);
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
            clarification_date: local(v.clarification_deadline)
                .format("%Y-%m-%d")
                .to_string(),
            clarification_time: local(v.clarification_deadline).format("%H:%M").to_string(),
            submission_date: local(v.submission_deadline).format("%Y-%m-%d").to_string(),
            submission_time: local(v.submission_deadline).format("%H:%M").to_string(),
            planned_award_date: v.planned_award_date.to_string(),
            standstill_working_days: v.standstill_working_days.to_string(),
        }
    }

    /// The input it describes, or what cannot be read, every problem at once.
    fn to_input(&self) -> Result<ProcurementInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut need = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.push(FieldError::new(field, message));
            }
        };
        let service_type = self.service_type.parse::<ServiceType>().ok();
        need(
            service_type.is_some(),
            "service_type",
            "Choose the type of service",
        );
        let regime = self.regime.parse::<Regime>().ok();
        need(regime.is_some(), "regime", "Choose the regime");
        let procedure = self.procedure.parse::<Procedure>().ok();
        need(procedure.is_some(), "procedure", "Choose the procedure");
        let light_touch = match self.light_touch.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        need(
            light_touch.is_some(),
            "light_touch",
            "Say whether the contract is light-touch",
        );
        let value = Pence::parse_pounds(&self.estimated_value).ok().flatten();
        need(
            value.is_some(),
            "estimated_value",
            "Enter the estimated value in pounds, like 2400000",
        );
        let clarification = london_instant(&self.clarification_date, &self.clarification_time);
        need(
            clarification.is_some(),
            "clarification_date",
            "Enter the clarification deadline as a date and a 24-hour time, like 17:00",
        );
        let submission = london_instant(&self.submission_date, &self.submission_time);
        need(
            submission.is_some(),
            "submission_date",
            "Enter the submission deadline as a date and a 24-hour time, like 12:00",
        );
        let award =
            chrono::NaiveDate::parse_from_str(self.planned_award_date.trim(), "%Y-%m-%d").ok();
        need(
            award.is_some(),
            "planned_award_date",
            "Enter the planned award date",
        );
        let standstill = match self.standstill_working_days.trim() {
            "" => Some(8),
            days => days.parse::<i32>().ok(),
        };
        need(
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

/// API field names → the form's input ids.
fn form_field(f: &str) -> String {
    match f {
        "clarification_deadline" => "clarification_date".into(),
        "submission_deadline" => "submission_date".into(),
        "estimated_value_pence" => "estimated_value".into(),
        f if f.starts_with("lots") => "lots".into(),
        f => f.into(),
    }
}

#[derive(Serialize)]
struct DistrictBox {
    id: Uuid,
    name: String,
    checked: bool,
}

#[derive(Serialize)]
struct FormView {
    id: Option<Uuid>,
    action: String,
    types: Vec<Choice>,
    regimes: Vec<Choice>,
    procedures: Vec<Choice>,
    districts: Vec<DistrictBox>,
    light_touch_yes: bool,
    light_touch_no: bool,
    form: ProcurementForm,
}

/// The create/change form, for the procurement `id` (or a new one).
async fn show_form(
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
        form,
    };
    let title = if id.is_some() {
        "Change the procurement"
    } else {
        "Create a procurement"
    };
    let layout = Layout::new(title, "/procurements", Some(user), csrf);
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
        clarification_time: "17:00".into(),
        submission_time: "12:00".into(),
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

#[derive(Serialize)]
struct SubmissionLine {
    id: Uuid,
    organisation_name: String,
    lot: Option<i32>,
    status: &'static str,
    submitted_at: Option<String>,
}

#[derive(Serialize)]
struct PanelLine {
    name: String,
    declared: bool,
    conflicts: String,
}

#[derive(Serialize)]
struct ProcurementPage {
    p: ProcurementFacts,
    commissioner: bool,
    evaluator: bool,
    declared: bool,
    conflicts_assessment: Option<String>,
    questions: usize,
    weights: u32,
    weights_ok: bool,
    version: i32,
    submissions: Vec<SubmissionLine>,
    submission_count: usize,
    panel: Vec<PanelLine>,
    clarification_count: usize,
    unanswered: usize,
    timetable: ProcurementForm,
    award_notice: Option<String>,
}

/// The procurement's page, for the council and its panel (the public see the opportunity).
pub(super) async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (row, access) = procurements::load(&mut conn, Some(user), id).await?;
    if access == Access::Public {
        return Ok(see_other(&format!("/opportunities/{id}")));
    }
    let view = procurements::view(&mut conn, &row).await?;
    let questionnaire = questionnaires::current(&mut conn, id, None).await?;
    let weights: u32 = questionnaire
        .questionnaire
        .questions()
        .filter_map(|q| q.weight)
        .sum();
    let questions = questionnaire.questionnaire.questions().count();
    let submissions = if view.status == ProcurementStatus::Draft
        || view.status == ProcurementStatus::Open && access == Access::Panel
    {
        Vec::new()
    } else {
        queries::list_submissions_in(&mut conn, user, &row.competition, access)
            .await
            .unwrap_or_default()
    };
    let panel = panels::panel(&mut conn, id).await?;
    let clarifications = clarifications::list_clarifications(&mut conn, Some(user), id).await?;
    drop(conn);
    let page_view = ProcurementPage {
        p: ProcurementFacts::from(&view),
        commissioner: access == Access::Council && user.role == Role::Commissioner,
        evaluator: access == Access::Panel,
        declared: panel
            .iter()
            .any(|m| m.user_id == user.id && m.declared_at.is_some()),
        conflicts_assessment: row.procedure.conflicts_assessment.clone(),
        questions,
        weights,
        weights_ok: weights == 100 && questions > 0,
        version: questionnaire.version.version,
        submission_count: submissions.len(),
        submissions: submissions
            .into_iter()
            .map(|s| SubmissionLine {
                id: s.id,
                organisation_name: s.organisation_name,
                lot: s.lot,
                status: s.status.label(),
                submitted_at: s.submitted_at.map(london_time),
            })
            .collect(),
        panel: panel
            .into_iter()
            .map(|m| PanelLine {
                name: m.name,
                declared: m.declared_at.is_some(),
                conflicts: m.conflicts.join(", "),
            })
            .collect(),
        clarification_count: clarifications.len(),
        unanswered: clarifications.iter().filter(|c| c.answer.is_none()).count(),
        timetable: ProcurementForm::from_view(&view),
        award_notice: row
            .procedure
            .award_notice
            .as_ref()
            .map(|n| serde_json::to_string_pretty(n).unwrap_or_default()),
    };
    let layout = Layout::new(view.title.clone(), "/procurements", Some(user), csrf);
    Ok(render_page(
        "procurement/procurement",
        layout,
        &page_view,
        feedback,
        StatusCode::CONFLICT,
        csrf,
    ))
}

/// GET /procurements/{id}
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback()).await
}

/// The conflicts assessment form.
#[derive(Debug, Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    assessment: String,
}

/// POST /procurements/{id}/conflicts-assessment
pub async fn record_conflicts_assessment(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<AssessmentForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let result =
        procurements::record_conflicts_assessment(&mut conn, &user.0, *id, &form.data.assessment)
            .await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}?done=assessed"),
        |f: &str| f.to_string(),
        async |errors| show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await,
    )
    .await
}

/// The new timetable, as typed.
#[derive(Debug, Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct TimetableForm {
    clarification_date: String,
    clarification_time: String,
    submission_date: String,
    submission_time: String,
    planned_award_date: String,
    reason: String,
}

/// POST /procurements/{id}/timetable: moves the deadlines later.
pub async fn change_timetable(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<TimetableForm>,
) -> Result<HttpResponse, PageError> {
    let f = &form.data;
    let clarification = london_instant(&f.clarification_date, &f.clarification_time);
    let submission = london_instant(&f.submission_date, &f.submission_time);
    let award = chrono::NaiveDate::parse_from_str(f.planned_award_date.trim(), "%Y-%m-%d").ok();
    let (Some(clarification_deadline), Some(submission_deadline), Some(planned_award_date)) =
        (clarification, submission, award)
    else {
        let mut errors = Vec::new();
        if clarification.is_none() {
            errors.push(FieldError::new(
                "new_clarification_date",
                "Enter the clarification deadline as a date and a 24-hour time",
            ));
        }
        if submission.is_none() {
            errors.push(FieldError::new(
                "new_submission_date",
                "Enter the submission deadline as a date and a 24-hour time",
            ));
        }
        if award.is_none() {
            errors.push(FieldError::new(
                "new_planned_award_date",
                "Enter the planned award date",
            ));
        }
        return show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await;
    };
    let input = TimetableInput {
        clarification_deadline,
        submission_deadline,
        planned_award_date,
        reason: f.reason.clone(),
    };
    let mut conn = state.db().await?;
    let result = procurements::change_timetable(&mut conn, &state.mail, &user.0, *id, &input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}?done=timetable"),
        |f| match f {
            "reason" | "main-content" => f.into(),
            other => format!("new_{}", other.replace("_deadline", "_date")),
        },
        async |errors| show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await,
    )
    .await
}

/// POST /procurements/{id}/{publish|open|cancel|contract-entered}
pub async fn action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let actor = &user.0;
    let mut conn = state.db().await?;
    let result: Result<&str, Problem> = match action.as_str() {
        "publish" => procurements::publish(&mut conn, &state.mail, actor, id)
            .await
            .map(|_| "published")
            .map_err(Into::into),
        "open" => {
            async {
                procurements::load_managed(&mut conn, actor, id).await?;
                competitions::open(&mut conn, actor, id).await?;
                Ok::<_, Problem>("opened")
            }
            .await
        }
        "cancel" => procurements::cancel(&mut conn, &state.mail, actor, id)
            .await
            .map(|_| "cancelled")
            .map_err(Into::into),
        _ => award::enter_contract(&mut conn, actor, id)
            .await
            .map(|_| "contract-entered")
            .map_err(Into::into),
    };
    drop(conn);
    // A questionnaire that is not ready has an error per question; the page says it once.
    let result = result.map_err(|mut p| {
        if p.errors.len() > 1 {
            p.errors.clear();
            p.detail
                .get_or_insert_with(|| "Fix the questionnaire before publishing.".into());
        }
        p
    });
    after_post(
        result,
        |done| format!("/procurements/{id}?done={done}"),
        |_| "main-content".into(),
        async |errors| show(&state, actor, &form.csrf, id, Feedback::errors(errors)).await,
    )
    .await
}

/// POST /procurements/{id}/documents (multipart: title, file)
pub async fn upload_document(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let title = form.get("title").unwrap_or_default().to_string();
    let PageForm { files, csrf, .. } = form;
    let file = files.into_iter().find(|f| f.field == "file");
    let result: Result<_, Problem> = match file {
        None => Err(Problem::validation(vec![FieldError::new(
            "file",
            "Choose a file to upload",
        )])),
        Some(Upload {
            file_name, bytes, ..
        }) => {
            let mut conn = state.db().await?;
            documents::add(
                &mut conn,
                &state.files,
                &user.0,
                *id,
                &title,
                &file_name,
                bytes,
            )
            .await
            .map_err(Into::into)
        }
    };
    after_post(
        result,
        |_| format!("/procurements/{id}?done=document"),
        |f: &str| f.to_string(),
        async |errors| show(&state, &user.0, &csrf, *id, Feedback::errors(errors)).await,
    )
    .await
}
