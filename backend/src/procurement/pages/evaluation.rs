//! The panel's pages: the commissioner chooses the evaluators; each evaluator has a to-do
//! list for the procurement: declare conflicts of interest (`declarations.rs`), then score
//! each bid they may see (`scoring.rs`).

use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::london_time;
use crate::evaluation::marking;
use crate::evaluation::panels;
use crate::evaluation::{EvaluationError, queries};
use crate::http::pagination::PageRequest;
use crate::procurement::procurements;
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::tasks::{Task, TaskStatus};
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct EvaluatorBox {
    id: Uuid,
    name: String,
    email: String,
    checked: bool,
}

#[derive(Serialize)]
struct PanelView {
    p: ProcurementFacts,
    evaluators: Vec<EvaluatorBox>,
}

/// GET /procurements/{id}/panel
pub async fn panel_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, &user.0, *id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let panel = panels::panel(&mut conn, *id).await?;
    let evaluators = crate::organisations::queries::list_users(
        &mut conn,
        &crate::organisations::queries::UserFilter {
            q: None,
            role: Some(Role::Evaluator),
            organisation_id: Some(row.competition.council_id),
            active: Some(true),
        },
        PageRequest::new(1, 100),
    )
    .await?;
    drop(conn);
    let page_view = PanelView {
        p: ProcurementFacts::from(&view),
        evaluators: evaluators
            .items
            .iter()
            .map(|e| EvaluatorBox {
                id: e.id,
                name: e.name.clone(),
                email: e.email.clone(),
                checked: panel.iter().any(|m| m.user_id == e.id),
            })
            .collect(),
    };
    let layout = Layout::new(
        format!("Evaluation panel: {}", view.title),
        "/procurements",
        Some(&user.0),
        &csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        "procurement/panel",
        layout,
        &page_view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// The evaluators chosen.
#[derive(Debug, Deserialize)]
pub struct PanelForm {
    #[serde(default)]
    evaluator_ids: Vec<String>,
}

/// POST /procurements/{id}/panel
pub async fn set_panel(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<PanelForm>,
) -> Result<HttpResponse, PageError> {
    let ids: Vec<Uuid> = form
        .data
        .evaluator_ids
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, &user.0, *id).await?;
    let result = panels::assign_panel(&mut conn, &user.0, *id, &ids).await;
    drop(conn);
    // A refusal is shown on the procurement's page, as every refused action is.
    after_post(
        result,
        |_| format!("/procurements/{id}?done=panel"),
        |_| "main-content".into(),
        async |errors| {
            super::procurements::show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors))
                .await
        },
    )
    .await
}

#[derive(Serialize)]
struct TodoView {
    p: ProcurementFacts,
    tasks: Vec<Task>,
    completed: usize,
    total: usize,
}

/// The evaluator's to-do list for a procurement: declare conflicts of interest, then score
/// each bid they may see, each task with where it stands.
async fn evaluator_tasks(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    opened: bool,
) -> Result<Vec<Task>, PageError> {
    let mut tasks = Vec::new();
    let bidders = match panels::bidders(conn, user, id).await {
        Ok(b) => b,
        Err(EvaluationError::Refused { detail, .. }) => {
            tasks.push(
                Task::new(
                    "declare",
                    "Declare conflicts of interest",
                    None,
                    TaskStatus::CannotStartYet,
                )
                .hint(detail),
            );
            return Ok(tasks);
        }
        Err(e) => return Err(e.into()),
    };
    let declared = bidders.iter().any(|b| b.conflicted.is_some());
    tasks.push(
        Task::new(
            "declare",
            "Declare conflicts of interest",
            Some(format!("/procurements/{id}/declarations")),
            if declared {
                TaskStatus::Completed
            } else {
                TaskStatus::NotStarted
            },
        )
        .hint(format!(
            "For each of the {} bidders, before you see any bid",
            bidders.len()
        )),
    );
    if !declared {
        for (i, b) in bidders.iter().enumerate() {
            tasks.push(
                Task::new(
                    format!("bidder-{i}"),
                    format!("Score {}'s bid", b.name),
                    None,
                    TaskStatus::CannotStartYet,
                )
                .hint("Declare your conflicts of interest first"),
            );
        }
        return Ok(tasks);
    }
    let access = crate::evaluation::Access::Panel;
    let (competition, _) = crate::evaluation::competitions::load(conn, Some(user), id).await?;
    let bids = queries::list_submissions_in(conn, user, &competition, access).await?;
    for (i, bid) in bids.iter().enumerate() {
        let title = match bid.lot {
            Some(l) => format!("Score {}'s bid for lot {l}", bid.organisation_name),
            None => format!("Score {}'s bid", bid.organisation_name),
        };
        let href = Some(format!("/evaluations/{}", bid.id));
        let task = if !opened {
            Task::new(format!("bid-{i}"), title, None, TaskStatus::CannotStartYet)
                .hint("The commissioner opens the bids after the deadline")
        } else {
            let sheet = marking::score_sheet(conn, user, bid.id).await?;
            if let Some(at) = sheet.submitted_at {
                Task::new(format!("bid-{i}"), title, href, TaskStatus::Completed)
                    .hint(format!("Scores submitted {}", london_time(at)))
            } else if sheet
                .scores
                .iter()
                .any(|s| s.score.is_some() || !s.reason.trim().is_empty())
            {
                Task::new(format!("bid-{i}"), title, href, TaskStatus::InProgress)
                    .hint("Draft saved: check and submit your scores")
            } else {
                Task::new(format!("bid-{i}"), title, href, TaskStatus::NotStarted)
            }
        };
        tasks.push(task);
    }
    for (i, b) in bidders
        .iter()
        .filter(|b| b.conflicted == Some(true))
        .enumerate()
    {
        tasks.push(
            Task::new(
                format!("conflict-{i}"),
                format!("Score {}'s bid", b.name),
                None,
                TaskStatus::CannotStartYet,
            )
            .hint(format!(
                "You declared a conflict of interest with {}, so another evaluator scores this bid",
                b.name
            )),
        );
    }
    Ok(tasks)
}

/// GET /procurements/{id}/evaluation: the evaluator's to-do list.
pub async fn evaluation_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Evaluator])?;
    let mut conn = state.db().await?;
    let (row, access) = procurements::load(&mut conn, Some(&user.0), *id).await?;
    if access != crate::evaluation::Access::Panel {
        return Err(EvaluationError::Forbidden("You are not on this evaluation panel.").into());
    }
    let view = procurements::view(&mut conn, &row).await?;
    let tasks = evaluator_tasks(&mut conn, &user.0, *id, view.opened_at.is_some()).await?;
    drop(conn);
    let page_view = TodoView {
        p: ProcurementFacts::from(&view),
        completed: tasks.iter().filter(|t| t.status == "Completed").count(),
        total: tasks.len(),
        tasks,
    };
    let layout = Layout::new(
        format!("Your evaluation: {}", view.title),
        "/procurements",
        Some(&user.0),
        &csrf,
    )
    .back_to("/procurements");
    Ok(render_page(
        "procurement/evaluator_tasks",
        layout,
        &page_view,
        query.feedback(),
        StatusCode::OK,
        &csrf,
    ))
}
