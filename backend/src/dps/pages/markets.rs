//! The list of DPSs and a DPS's overview: for its commissioners, while it is a draft, a
//! task list of setting it up (describe it, each lot's conditions, the notice of
//! intention, check and establish); for everyone who may see it, what it buys, its lots
//! and their conditions, and when the current round closes.

use super::{Facts, LotFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::dps::model::CeaseInput;
use crate::dps::{markets, queries};
use crate::evaluation::{Access, Question, questionnaires};
use crate::http::pagination::PageRequest;
use crate::http::problem::FieldError;
use crate::state::AppState;
use crate::web::confirm::{Carried, Confirmation, is_confirmed, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::tasks::{Task, TaskStatus};
use crate::web::{Feedback, Layout, MaybePageUser, PageError, render_page};
use crate::web::{PageUser, Pagination, after_post};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `?done=` after a change, for its notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    pub(super) fn feedback(&self) -> Feedback {
        Feedback::notice(match self.done.as_deref() {
            Some("created") => Some(
                "DPS created. Next, set each lot's conditions of membership, then check and establish it.",
            ),
            Some("saved") => Some("Saved."),
            Some("intention") => Some("The notice of intention is prepared."),
            Some("ceased") => Some("The DPS has ceased. The notice of cessation is prepared."),
            _ => None,
        })
    }
}

#[derive(Serialize)]
struct ListView {
    items: Vec<Facts>,
    total: i64,
    pagination: Pagination,
    can_create: bool,
    council: bool,
}

/// GET /dps: the council's DPSs for its staff; the established ones for everyone else.
pub async fn list_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    paging: web::Query<PageRequest>,
) -> Result<HttpResponse, PageError> {
    let user = user.0;
    let mut conn = state.db().await?;
    let list = queries::list(&mut conn, user.as_ref(), *paging).await?;
    drop(conn);
    let view = ListView {
        total: list.total,
        pagination: Pagination::new("/dps", "", &list),
        items: list.items.iter().map(Facts::from).collect(),
        can_create: user.as_ref().is_some_and(|u| u.role == Role::Commissioner),
        council: user
            .as_ref()
            .is_some_and(|u| u.is_council() && u.role != Role::Evaluator),
    };
    let layout = Layout::new("Dynamic purchasing systems", "/dps", user.as_ref(), &csrf);
    Ok(render_page(
        "dps/list",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// A lot with its conditions, for reading.
#[derive(Serialize)]
struct LotConditions {
    #[serde(flatten)]
    lot: LotFacts,
    questions: Vec<ConditionLine>,
}

/// A condition of membership as applicants read it.
#[derive(Serialize)]
pub(super) struct ConditionLine {
    pub id: String,
    pub title: String,
    pub guidance: String,
    pub how: String,
}

impl ConditionLine {
    pub(super) fn of(q: &Question) -> Self {
        use crate::evaluation::QuestionKind as K;
        let how = match (q.kind, q.pass_answer) {
            (K::PassFail, Some(true)) => "Answer yes or no: yes passes".to_string(),
            (K::PassFail, Some(false)) => "Answer yes or no: no passes".to_string(),
            (K::PassFail, None) => "Answer yes or no".to_string(),
            (K::Judged, _) => match q.word_limit {
                Some(n) => format!("A written answer of up to {n} words, judged pass or fail"),
                None => "A written answer, judged pass or fail".to_string(),
            },
            (kind, _) => kind.label().to_string(),
        };
        ConditionLine {
            id: q.id.clone(),
            title: q.title.clone(),
            guidance: q.guidance.clone(),
            how,
        }
    }
}

#[derive(Serialize)]
struct OverviewView {
    d: Facts,
    can_cease: bool,
    cease_reason: Option<String>,
    reason: String,
    draft: bool,
    commissioner: bool,
    council: bool,
    tasks: Vec<Task>,
    lots: Vec<LotConditions>,
}

/// The set-up tasks of a draft DPS, each with its status.
fn setup_tasks(d: &Facts, intention_prepared: bool) -> Vec<Task> {
    let id = d.id;
    let mut tasks = vec![
        Task::new(
            "details",
            "Describe the DPS",
            Some(format!("/dps/{id}/edit")),
            TaskStatus::Completed,
        )
        .hint("Its name, the rules it runs under, its term, what it buys, the rounds and the decision period"),
    ];
    for lot in &d.lots {
        tasks.push(
            Task::new(
                format!("lot-{}", lot.number),
                format!(
                    "Lot {}: {}, conditions of membership",
                    lot.number, lot.title
                ),
                Some(format!("/dps/{id}/lots/{}", lot.id)),
                TaskStatus::of(lot.conditions.min(1), 1),
            )
            .hint(match lot.conditions {
                0 => "What an applicant must pass to join this lot".to_string(),
                1 => "1 condition".to_string(),
                n => format!("{n} conditions"),
            }),
        );
    }
    tasks.push(Task::new(
        "intention",
        "Prepare the notice of intention",
        Some(format!("/dps/{id}/notices")),
        if intention_prepared {
            TaskStatus::Completed
        } else {
            TaskStatus::NotStarted
        },
    ));
    let ready = d.lots.iter().all(|l| l.conditions > 0);
    tasks.push(
        Task::new(
            "establish",
            "Check your answers and establish the DPS",
            Some(format!("/dps/{id}/check")),
            if ready {
                TaskStatus::NotStarted
            } else {
                TaskStatus::CannotStartYet
            },
        )
        .hint("Once established, the conditions of membership cannot change during the term"),
    );
    tasks
}

/// GET /dps/{id}
pub async fn page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(
        &state,
        user.0.as_ref(),
        &csrf,
        *path,
        query.feedback(),
        String::new(),
    )
    .await
}

/// The overview with `feedback`; `reason` is what was typed into the cease form.
async fn show(
    state: &AppState,
    user: Option<&AuthUser>,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    reason: String,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let (row, access) = queries::load(&mut conn, user, id).await?;
    let view = queries::view(&mut conn, &row).await?;
    let d = Facts::from(&view);
    let all = questionnaires::all_of(&mut conn, view.id).await?;
    let council = access == Access::Council;
    let intention_prepared = council
        && queries::notices(&mut conn, view.id)
            .await?
            .iter()
            .any(|n| n.kind == crate::dps::model::DpsNoticeKind::Intention);
    drop(conn);
    let lots = d
        .lots
        .iter()
        .map(|lot| LotConditions {
            questions: questionnaires::current_among(&all, Some(lot.id))
                .map(|q| q.questionnaire.questions().map(ConditionLine::of).collect())
                .unwrap_or_default(),
            lot: lot.clone(),
        })
        .collect();
    let draft = view.established_at.is_none();
    let commissioner = council && user.is_some_and(|u| u.role == Role::Commissioner);
    let page = OverviewView {
        tasks: if draft && commissioner {
            setup_tasks(&d, intention_prepared)
        } else {
            Vec::new()
        },
        can_cease: commissioner && !draft && view.ceased_at.is_none(),
        cease_reason: view.cease_reason.clone(),
        reason,
        draft,
        commissioner,
        council,
        lots,
        d,
    };
    let layout = Layout::new(view.title.clone(), "/dps", user, csrf).back_to("/dps");
    Ok(render_page(
        "dps/market",
        layout,
        &page,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// Ending a DPS early, as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CeaseForm {
    reason: String,
    confirmed: String,
}

/// POST /dps/{id}/cease: the reason first, then a confirmation (it cannot be undone).
pub async fn cease(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<Uuid>,
    form: CsrfForm<CeaseForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let id = *path;
    let CsrfForm { data: form, csrf } = form;
    let reason = form.reason.trim().to_string();
    let again = async |errors| {
        show(
            &state,
            Some(&user.0),
            &csrf,
            id,
            Feedback::errors(errors),
            form.reason.clone(),
        )
        .await
    };
    if reason.is_empty() {
        return again(vec![FieldError::new(
            "reason",
            "Say why the DPS is ending, in words providers will understand",
        )])
        .await;
    }
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, &user.0, id).await?;
    drop(conn);
    if !is_confirmed(&form.confirmed) {
        let layout = Layout::new("Cease the DPS", "/dps", Some(&user.0), &csrf)
            .back_to(format!("/dps/{id}"));
        let confirmation = Confirmation {
            caption: row.competition.reference.clone(),
            heading: format!("Are you sure you want to cease {}?", row.competition.title),
            items: vec![reason.clone()],
            paragraphs: vec![
                "It will take no more applications, and the notice of cessation will be prepared with your reason.".into(),
            ],
            warnings: vec!["This cannot be undone.".into()],
            action: format!("/dps/{id}/cease"),
            carry: vec![Carried {
                name: "reason".into(),
                value: reason,
            }],
            button: "Cease the DPS".into(),
            warning_button: true,
            back: format!("/dps/{id}"),
            back_text: "Keep it running".into(),
        };
        return Ok(render_confirmation(layout, &confirmation, &csrf));
    }
    let mut conn = state.db().await?;
    let result = markets::cease(&mut conn, &user.0, id, &CeaseInput { reason }).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/dps/{id}?done=ceased"),
        |f| f.to_string(),
        again,
    )
    .await
}
