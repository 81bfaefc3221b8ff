//! Procurements, for the council: the list, and the procurement's page with its actions
//! (conflicts assessment, timetable, documents, publish, open, cancel, contract entered).
//! The form to create or change a draft is `procurement_form.rs`.

use super::procurement_form::{TimetableBoxes, TimetableFields};
use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::{Access, competitions, panels, queries, questionnaires};
use crate::http::pagination::PageRequest;
use crate::http::problem::{FieldError, Problem};
use crate::procurement::model::{ProcurementFilter, ProcurementStatus, TimetableInput};
use crate::procurement::{award, clarifications, documents, procurements};
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::multipart::{PageForm, Upload};
use crate::web::{
    Feedback, Layout, PageError, PageUser, Pagination, after_post, render_page, see_other,
};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(super) fn require_council(user: &PageUser) -> Result<(), PageError> {
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
    timetable: TimetableBoxes,
    timetable_reason: String,
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
    show_with(state, user, csrf, id, feedback, None).await
}

/// [`show`], with the timetable change form as it was posted.
async fn show_with(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    posted: Option<&TimetableForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (row, access) = procurements::load(&mut conn, Some(user), id).await?;
    if access == Access::Public {
        return Ok(see_other(&format!("/opportunities/{id}")));
    }
    // The panel's page for a procurement is their to-do list.
    if access == Access::Panel {
        return Ok(see_other(&format!("/procurements/{id}/evaluation")));
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
        // A refused change shows what was typed, not the timetable as it stands.
        timetable: posted
            .map(|p| p.dates.boxes())
            .unwrap_or_else(|| TimetableFields::from_view(&view).boxes()),
        timetable_reason: posted.map(|p| p.reason.clone()).unwrap_or_default(),
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
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TimetableForm {
    #[serde(flatten)]
    dates: TimetableFields,
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
    let shown_again = async |errors| {
        show_with(
            &state,
            &user.0,
            &form.csrf,
            *id,
            Feedback::errors(errors),
            Some(f),
        )
        .await
    };
    let mut errors = Vec::new();
    let (clarification, submission, award) = f.dates.read(&mut errors);
    let (Some(clarification_deadline), Some(submission_deadline), Some(planned_award_date)) =
        (clarification, submission, award)
    else {
        return shown_again(errors).await;
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
        |f| f.replace("_deadline", "_date"),
        shown_again,
    )
    .await
}

/// POST /procurements/{id}/{publish|open|cancel|contract-entered}. Cancelling, which
/// cannot be undone, asks for confirmation first.
pub async fn action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let actor = &user.0;
    let mut conn = state.db().await?;
    if action == "cancel" && !form.data.confirmed() {
        let row = procurements::load_managed(&mut conn, actor, id).await?;
        let competition = &row.competition;
        let mut paragraphs = vec![
            "Providers can no longer bid, and the procurement cannot be reopened: to buy the service you would start a new one.".to_string(),
            "Every provider that registered interest or started a bid is emailed that it is cancelled.".to_string(),
        ];
        if competition.opened_at.is_some() {
            paragraphs.push(
                "The bids have been opened: they stay on record, but are not evaluated further."
                    .into(),
            );
        }
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!("Are you sure you want to cancel {}?", competition.title),
            items: Vec::new(),
            paragraphs,
            warnings: vec!["Cancelling cannot be undone.".into()],
            action: format!("/procurements/{id}/cancel"),
            carry: Vec::new(),
            button: "Yes, cancel this procurement".into(),
            warning_button: true,
            back: format!("/procurements/{id}"),
            back_text: "No, go back to the procurement".into(),
        };
        let layout = Layout::new(
            format!("Cancel {}", competition.title),
            "/procurements",
            Some(actor),
            &form.csrf,
        );
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
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
