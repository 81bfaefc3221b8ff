//! A procurement's overview, for the council: its facts, and for its commissioners a task
//! list of the procurement's stages that moves on with it (describe, write the questions,
//! assess conflicts, publish; then clarifications, timetable, bids, panel, moderation,
//! results and award, standstill). Each stage's forms are on their own pages; a refused
//! publish comes back here with every problem listed and linked to its fix.

use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::{london_time, time_left};
use crate::evaluation::{Access, panels, queries, questionnaires};
use crate::http::problem::FieldError;
use crate::procurement::clarifications;
use crate::procurement::model::{ProcurementStatus, ProcurementView};
use crate::procurement::procurements::{self, PublishFix, PublishProblem};
use crate::state::AppState;
use crate::web::tasks::{Task, TaskStatus};
use crate::web::{Feedback, Layout, PageError, PageUser, render_page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `?done=` and `?problems=publish` (after a refused publish).
#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    done: Option<String>,
    problems: Option<String>,
}

#[derive(Serialize)]
struct OverviewPage {
    p: ProcurementFacts,
    commissioner: bool,
    before_publishing: Vec<Task>,
    after_publishing: Vec<Task>,
    can_publish: bool,
    can_cancel: bool,
}

/// Where a publish problem is put right: the page and the input.
pub(super) fn fix_href(id: Uuid, fix: &PublishFix) -> String {
    match fix {
        PublishFix::Details(field) => {
            let input = field
                .strip_suffix("_date")
                .map_or(field.to_string(), |d| format!("{d}_day"));
            format!("/procurements/{id}/edit#{input}")
        }
        PublishFix::Question(Some(q), field) => {
            format!("/procurements/{id}/questionnaire/{q}/edit#{field}")
        }
        PublishFix::Question(None, _) => format!("/procurements/{id}/questionnaire"),
        PublishFix::ConflictsAssessment => {
            format!("/procurements/{id}/conflicts-assessment#assessment")
        }
    }
}

/// The problems as the error summary shows them: each linked to its fix.
fn problem_errors(id: Uuid, problems: &[PublishProblem]) -> Vec<FieldError> {
    problems
        .iter()
        .map(|p| FieldError::new(fix_href(id, &p.fix), p.message.clone()))
        .collect()
}

/// What the overview reads besides the procurement.
struct Progress {
    questions: usize,
    weights: u32,
    problems: Vec<PublishProblem>,
    panel: Vec<panels::PanelMember>,
    clarifications: usize,
    unanswered: usize,
    bids: usize,
}

fn tasks_before(v: &ProcurementView, g: &Progress) -> Vec<Task> {
    let id = v.id;
    let at = |path: &str| Some(format!("/procurements/{id}/{path}"));
    let details_problem = g
        .problems
        .iter()
        .any(|p| matches!(p.fix, PublishFix::Details(_)));
    let question_problems = g
        .problems
        .iter()
        .filter(|p| matches!(p.fix, PublishFix::Question(..)))
        .count();
    let details = Task::new(
        "details",
        "Describe the contract and timetable",
        at("edit"),
        if details_problem {
            TaskStatus::NeedsAttention
        } else {
            TaskStatus::Completed
        },
    )
    .hint(format!(
        "Bids are due by {} ({})",
        london_time(v.submission_deadline),
        time_left(v.submission_deadline, Utc::now())
    ));
    let questions = Task::new(
        "questions",
        "Write the questions",
        at("questionnaire"),
        match (g.questions, question_problems) {
            (0, _) => TaskStatus::NotStarted,
            (_, 0) => TaskStatus::Completed,
            _ => TaskStatus::InProgress,
        },
    )
    .hint(format!(
        "{} question{}, weights total {}% (they must total 100%)",
        g.questions,
        if g.questions == 1 { "" } else { "s" },
        g.weights
    ));
    let assessment = Task::new(
        "conflicts",
        "Record the conflicts assessment",
        at("conflicts-assessment"),
        if v.conflicts_assessed_at.is_some() {
            TaskStatus::Completed
        } else {
            TaskStatus::NotStarted
        },
    )
    .hint("Who you considered, any conflicts of interest found, and how each is managed");
    let documents = documents_task(v);
    let publish = if g.problems.is_empty() {
        Task::new(
            "publish",
            "Publish",
            Some("#publish".into()),
            TaskStatus::NotStarted,
        )
        .hint("Providers can see the opportunity and bid once you publish")
    } else {
        Task::new("publish", "Publish", None, TaskStatus::CannotStartYet).hint(format!(
            "{} thing{} to put right first",
            g.problems.len(),
            if g.problems.len() == 1 { "" } else { "s" }
        ))
    };
    vec![details, questions, assessment, documents, publish]
}

fn documents_task(v: &ProcurementView) -> Task {
    let n = v.documents.len();
    Task::new(
        "documents",
        "Add documents for bidders",
        (v.opened_at.is_none()).then(|| format!("/procurements/{}/documents", v.id)),
        if n > 0 {
            TaskStatus::Completed
        } else {
            TaskStatus::NotStarted
        },
    )
    .status_words(if n > 0 { "Completed" } else { "Optional" })
    .hint(match n {
        0 => "The specification, the draft contract, the pricing model".to_string(),
        1 => "1 document".to_string(),
        n => format!("{n} documents"),
    })
}

fn tasks_after(v: &ProcurementView, g: &Progress) -> Vec<Task> {
    let id = v.id;
    let at = |path: &str| Some(format!("/procurements/{id}/{path}"));
    let open = v.status == ProcurementStatus::Open;
    let opened = v.opened_at.is_some();
    let awarded = v.awarded_at.is_some();
    let mut tasks = Vec::new();
    tasks.push(
        Task::new(
            "clarifications",
            format!(
                "Answer clarification questions ({} unanswered)",
                g.unanswered
            ),
            at("clarifications"),
            match (g.clarifications, g.unanswered) {
                (0, _) => TaskStatus::NotStarted,
                (_, 0) => TaskStatus::Completed,
                (n, u) if u == n => TaskStatus::NotStarted,
                _ => TaskStatus::InProgress,
            },
        )
        .status_words(match (g.clarifications, g.unanswered) {
            (0, _) => "No questions yet",
            (_, 0) => "Completed",
            _ => "Questions to answer",
        })
        .hint(format!(
            "Questions close {}",
            london_time(v.clarification_deadline)
        )),
    );
    tasks.push(if open {
        Task::new(
            "timetable",
            "Change the timetable",
            at("timetable"),
            TaskStatus::NotStarted,
        )
        .status_words("Optional")
        .hint(format!(
            "Bids are due by {} ({})",
            london_time(v.submission_deadline),
            time_left(v.submission_deadline, Utc::now())
        ))
    } else {
        Task::new(
            "timetable",
            "Change the timetable",
            None,
            TaskStatus::CannotStartYet,
        )
        .status_words("Deadline passed")
        .hint(format!(
            "Bids were due by {}",
            london_time(v.submission_deadline)
        ))
    });
    tasks.push(
        Task::new(
            "questions",
            "The questions",
            at("questionnaire"),
            TaskStatus::Completed,
        )
        .status_words("Published")
        .hint(if open {
            format!(
                "Version {}. A change makes a new version, and bidders are emailed what changed",
                v.questionnaire_version
            )
        } else {
            format!("Version {}", v.questionnaire_version)
        }),
    );
    if !opened {
        tasks.push(documents_task(v));
    }
    tasks.push(
        Task::new(
            "bids",
            "Open the bids",
            at("submissions"),
            if opened {
                TaskStatus::Completed
            } else if open {
                TaskStatus::CannotStartYet
            } else {
                TaskStatus::NotStarted
            },
        )
        .hint(if opened {
            format!(
                "{} bid{} opened",
                g.bids,
                if g.bids == 1 { "" } else { "s" }
            )
        } else {
            "Bids stay sealed until the deadline has passed and you open them".to_string()
        }),
    );
    let declared = g.panel.iter().filter(|m| m.declared_at.is_some()).count();
    tasks.push(
        Task::new(
            "panel",
            "Evaluation panel",
            (!awarded).then(|| format!("/procurements/{id}/panel")),
            match (g.panel.len(), declared) {
                (0, _) => TaskStatus::NotStarted,
                (n, d) if d == n => TaskStatus::Completed,
                _ => TaskStatus::InProgress,
            },
        )
        .hint(match g.panel.len() {
            0 => "Choose the evaluators; each declares their interests before seeing any bid"
                .to_string(),
            n => format!(
                "{n} evaluator{}, {declared} declared their interests",
                if n == 1 { "" } else { "s" }
            ),
        }),
    );
    // PA2023 s.83: the assessment is kept up to date until award (a new evaluator, a
    // bidder's new owner), so it stays reachable after publishing.
    tasks.push(
        Task::new(
            "conflicts",
            "Keep the conflicts assessment up to date",
            (!awarded).then(|| format!("/procurements/{id}/conflicts-assessment")),
            TaskStatus::Completed,
        )
        .status_words("Recorded")
        .hint(if awarded {
            "Kept as it stood at award"
        } else {
            "Record any new conflict, for example from an evaluator who joins the panel"
        }),
    );
    tasks.push(
        Task::new(
            "moderation",
            "Moderate scores",
            at("moderation"),
            if !opened {
                TaskStatus::CannotStartYet
            } else if awarded {
                TaskStatus::Completed
            } else {
                TaskStatus::InProgress
            },
        )
        .hint("Agree one score for each answer once the panel has scored"),
    );
    tasks.push(
        Task::new(
            "results",
            "Results and award",
            at("results"),
            if !opened {
                TaskStatus::CannotStartYet
            } else if awarded {
                TaskStatus::Completed
            } else {
                TaskStatus::NotStarted
            },
        )
        .hint("The ranked results, a spreadsheet to download, and the award"),
    );
    tasks.push(
        Task::new(
            "standstill",
            "Standstill and contract award notice",
            at("standstill"),
            if !awarded {
                TaskStatus::CannotStartYet
            } else if v.contract_entered_at.is_some() {
                TaskStatus::Completed
            } else {
                TaskStatus::InProgress
            },
        )
        .hint(match v.standstill_ends_at {
            Some(ends) => format!("Standstill ends {}", london_time(ends)),
            None => "After the award: the standstill period and the notice to publish".into(),
        }),
    );
    tasks
}

/// The procurement's overview, for the council and its panel (the public see the
/// opportunity), with `feedback`; `problems` lists why it cannot be published yet.
pub(super) async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    mut feedback: Feedback,
    show_problems: bool,
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
    let commissioner = access == Access::Council && user.role == Role::Commissioner;
    let panel = panels::panel(&mut conn, id).await?;
    let mut page = OverviewPage {
        p: ProcurementFacts::from(&view),
        commissioner,
        before_publishing: Vec::new(),
        after_publishing: Vec::new(),
        can_publish: false,
        can_cancel: commissioner
            && view.awarded_at.is_none()
            && view.status != ProcurementStatus::Cancelled,
    };
    if commissioner {
        let questionnaire = questionnaires::current(&mut conn, id, None).await?;
        let problems = procurements::publish_problems(&mut conn, user, id).await?;
        let clarifications = clarifications::list_clarifications(&mut conn, Some(user), id).await?;
        let bids = if view.opened_at.is_some() {
            queries::list_submissions_in(&mut conn, user, &row.competition, access)
                .await
                .map(|s| s.len())
                .unwrap_or_default()
        } else {
            0
        };
        let progress = Progress {
            questions: questionnaire.questionnaire.questions().count(),
            weights: questionnaire
                .questionnaire
                .questions()
                .filter_map(|q| q.weight)
                .sum(),
            panel,
            clarifications: clarifications.len(),
            unanswered: clarifications.iter().filter(|c| c.answer.is_none()).count(),
            bids,
            problems,
        };
        if view.status == ProcurementStatus::Draft {
            page.before_publishing = tasks_before(&view, &progress);
            page.can_publish = progress.problems.is_empty();
            if show_problems {
                feedback.errors = problem_errors(id, &progress.problems);
            }
        } else if view.status != ProcurementStatus::Cancelled {
            page.after_publishing = tasks_after(&view, &progress);
        }
    }
    drop(conn);
    let layout =
        Layout::new(view.title.clone(), "/procurements", Some(user), csrf).back_to("/procurements");
    Ok(render_page(
        "procurement/procurement",
        layout,
        &page,
        feedback,
        // Problems shown after a redirect are a page read, not a refused post.
        if show_problems {
            StatusCode::OK
        } else {
            StatusCode::CONFLICT
        },
        csrf,
    ))
}

/// GET /procurements/{id}
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, PageError> {
    let done = DoneQuery {
        done: query.done.clone(),
    };
    let problems = query.problems.as_deref() == Some("publish");
    show(&state, &user.0, &csrf, *id, done.feedback(), problems).await
}
