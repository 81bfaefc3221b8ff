//! Procurements, for the council: the list, the stage pages the overview's task list
//! links to (conflicts assessment, timetable, documents, bids) and their forms. The
//! overview is `overview.rs`; the actions (publish, open, cancel, contract entered, a
//! document) are `actions.rs`; the form to create or change a draft is
//! `procurement_form.rs`.

use super::procurement_form::{TimetableBoxes, TimetableFields};
use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::{Access, queries};
use crate::http::pagination::PageRequest;
use crate::procurement::model::{
    ProcurementFilter, ProcurementRow, ProcurementStatus, ProcurementView, TimetableInput,
};
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, Pagination, after_post, render_page};
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
    organisation_name: String,
    lot: Option<i32>,
    status: &'static str,
    submitted_at: Option<String>,
}

/// The procurement's overview with `feedback` (for handlers that show a refusal there).
pub(super) async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    super::overview::show(state, user, csrf, id, feedback, false).await
}

/// A stage page's view: the procurement, and the stage's own fields.
#[derive(Serialize)]
struct StagePage<V: Serialize> {
    p: ProcurementFacts,
    #[serde(flatten)]
    stage: V,
}

/// Renders a stage page of a procurement the user manages, with a back link to the
/// overview.
#[allow(clippy::too_many_arguments)]
async fn render_stage<V: Serialize>(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    template: &str,
    title: &str,
    feedback: Feedback,
    stage: impl AsyncFnOnce(
        &mut diesel_async::AsyncPgConnection,
        &ProcurementRow,
        &ProcurementView,
    ) -> Result<V, PageError>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let stage = stage(&mut conn, &row, &view).await?;
    drop(conn);
    let layout = Layout::new(
        format!("{title}: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        template,
        layout,
        &StagePage {
            p: ProcurementFacts::from(&view),
            stage,
        },
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

#[derive(Serialize)]
struct AssessmentStage {
    assessment: String,
    editable: bool,
}

async fn show_assessment(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    typed: Option<String>,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    render_stage(
        state,
        user,
        csrf,
        id,
        "procurement/conflicts_assessment",
        "Conflicts assessment",
        feedback,
        async |_, row, view| {
            Ok(AssessmentStage {
                assessment: typed.unwrap_or_else(|| {
                    row.procedure
                        .conflicts_assessment
                        .clone()
                        .unwrap_or_default()
                }),
                editable: view.awarded_at.is_none() && view.status != ProcurementStatus::Cancelled,
            })
        },
    )
    .await
}

/// GET /procurements/{id}/conflicts-assessment
pub async fn conflicts_assessment_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    show_assessment(&state, &user.0, &csrf, *id, None, Feedback::default()).await
}

#[derive(Serialize)]
struct TimetableStage {
    open: bool,
    timetable: TimetableBoxes,
    timetable_reason: String,
}

async fn show_timetable(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    posted: Option<&TimetableForm>,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    render_stage(
        state,
        user,
        csrf,
        id,
        "procurement/timetable",
        "Change the timetable",
        feedback,
        async |_, _, view| {
            Ok(TimetableStage {
                open: view.status == ProcurementStatus::Open,
                // A refused change shows what was typed, not the timetable as it stands.
                timetable: posted
                    .map(|p| p.dates.boxes())
                    .unwrap_or_else(|| TimetableFields::from_view(view).boxes()),
                timetable_reason: posted.map(|p| p.reason.clone()).unwrap_or_default(),
            })
        },
    )
    .await
}

/// GET /procurements/{id}/timetable
pub async fn timetable_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    show_timetable(&state, &user.0, &csrf, *id, None, Feedback::default()).await
}

#[derive(Serialize)]
struct DocumentsStage {
    can_add: bool,
    title: String,
}

pub(super) async fn show_documents(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    title: String,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    render_stage(
        state,
        user,
        csrf,
        id,
        "procurement/documents",
        "Documents for bidders",
        feedback,
        async |_, _, view| {
            Ok(DocumentsStage {
                can_add: view.opened_at.is_none() && view.status != ProcurementStatus::Cancelled,
                title,
            })
        },
    )
    .await
}

/// GET /procurements/{id}/documents
pub async fn documents_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    show_documents(
        &state,
        &user.0,
        &csrf,
        *id,
        String::new(),
        Feedback::default(),
    )
    .await
}

#[derive(Serialize)]
struct SubmissionsStage {
    submissions: Vec<SubmissionLine>,
    submission_count: usize,
    closed: bool,
    opened: bool,
    deadline: String,
}

pub(super) async fn show_submissions(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    render_stage(
        state,
        user,
        csrf,
        id,
        "procurement/submissions",
        "Bids",
        feedback,
        async |conn, row, view| {
            let submissions = if view.status == ProcurementStatus::Draft {
                Vec::new()
            } else {
                queries::list_submissions_in(conn, user, &row.competition, Access::Council)
                    .await
                    .unwrap_or_default()
            };
            Ok(SubmissionsStage {
                submission_count: submissions.len(),
                submissions: submissions
                    .into_iter()
                    .map(|s| SubmissionLine {
                        organisation_name: s.organisation_name,
                        lot: s.lot,
                        status: s.status.label(),
                        submitted_at: s.submitted_at.map(london_time),
                    })
                    .collect(),
                closed: view.status == ProcurementStatus::Closed,
                opened: view.opened_at.is_some(),
                deadline: london_time(view.submission_deadline),
            })
        },
    )
    .await
}

/// GET /procurements/{id}/submissions: the bids received, and opening them.
pub async fn submissions_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show_submissions(&state, &user.0, &csrf, *id, query.feedback()).await
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
        async |errors| {
            show_assessment(
                &state,
                &user.0,
                &form.csrf,
                *id,
                Some(form.data.assessment.clone()),
                Feedback::errors(errors),
            )
            .await
        },
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
        show_timetable(
            &state,
            &user.0,
            &form.csrf,
            *id,
            Some(f),
            Feedback::errors(errors),
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
