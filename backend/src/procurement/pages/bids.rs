//! A provider's bids: their list, and a bid's task list: one task per section of the
//! questionnaire (`bid_sections`), then check your answers and submit (`bid_check`).
//! Everything a bid's pages need is read here once ([`load`]), organisation-scoped.

use super::{DoneQuery, ProcurementFacts};
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::calendar::{london_time, time_left};
use crate::evaluation::model::{Competition, SubmissionRow};
use crate::evaluation::rules::{incomplete, word_count};
use crate::evaluation::submissions::own;
use crate::evaluation::{
    Answer, Question, QuestionKind, Questionnaire, QuestionnaireView, Section, SubmissionView,
    queries, questionnaires,
};
use crate::procurement::award::AssessmentSummary;
use crate::procurement::bids::{self, BidStatus};
use crate::procurement::emails::AssessmentSummaryEmail;
use crate::procurement::{ProcurementStatus, ProcurementView, procurements};
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::tasks::{Task, TaskStatus};
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct BidRow {
    id: Uuid,
    reference: String,
    title: String,
    lot: Option<i32>,
    deadline: String,
    time_left: String,
    status: &'static str,
    colour: &'static str,
}

#[derive(Serialize)]
struct ListView {
    bids: Vec<BidRow>,
}

/// GET /bids: the provider's bids.
pub async fn list_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Provider])?;
    let mut conn = state.db().await?;
    let mine = bids::mine(&mut conn, &user.0).await?;
    drop(conn);
    let now = chrono::Utc::now();
    let view = ListView {
        bids: mine
            .into_iter()
            .map(|b| {
                let (status, colour) = b.status.label();
                BidRow {
                    id: b.id,
                    reference: b.reference,
                    title: b.title,
                    lot: b.lot,
                    deadline: london_time(b.submission_deadline),
                    time_left: time_left(b.submission_deadline, now),
                    status,
                    colour,
                }
            })
            .collect(),
    };
    let layout = Layout::new("Your bids", "/bids", Some(&user.0), &csrf);
    Ok(render_page(
        "procurement/bids",
        layout,
        &view,
        Feedback::default(),
        StatusCode::OK,
        &csrf,
    ))
}

/// A provider's own bid with everything its pages show: the submission, its procurement,
/// the questions it answers now (the newest version) and the assessment summary, if any.
pub(super) struct Bid {
    pub row: SubmissionRow,
    pub competition: Competition,
    pub view: SubmissionView,
    pub procurement: ProcurementView,
    pub questions: QuestionnaireView,
    pub summary: Option<AssessmentSummary>,
}

/// The bid `id` if it is this provider organisation's, else 404.
pub(super) async fn load(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Bid, PageError> {
    user.require(&[Role::Provider])
        .map_err(|_| PageError::Forbidden)?;
    let mut conn = state.db().await?;
    let (row, competition) = own(&mut conn, user, id).await?;
    let view = queries::read(&mut conn, user, id).await?;
    let (procurement, _) = procurements::load(&mut conn, Some(user), competition.id).await?;
    let procurement = procurements::view(&mut conn, &procurement).await?;
    // The pages always show the newest version; a submitted bid keeps the one it answered.
    let questions = questionnaires::current(&mut conn, competition.id, row.lot_id).await?;
    let summary = bids::assessment_summary(&mut conn, user, id).await.ok();
    Ok(Bid {
        row,
        competition,
        view,
        procurement,
        questions,
        summary,
    })
}

impl Bid {
    pub fn id(&self) -> Uuid {
        self.row.id
    }

    /// Whether the bid can still change: the procurement is open for bids.
    pub fn open(&self) -> bool {
        self.procurement.status == ProcurementStatus::Open
    }

    pub fn status(&self) -> BidStatus {
        BidStatus::of(
            self.row.outcome,
            self.row.submitted_at.is_some(),
            self.row.withdrawn_at.is_some(),
            self.competition.submission_deadline,
            chrono::Utc::now(),
        )
    }

    pub fn sections(&self) -> &[Section] {
        &self.questions.questionnaire.sections
    }

    /// Section `n` (counted from 1, as the pages' addresses count), else 404.
    pub fn section(&self, n: usize) -> Result<&Section, PageError> {
        n.checked_sub(1)
            .and_then(|i| self.sections().get(i))
            .ok_or(PageError::NotFound)
    }

    /// The section page (counted from 1) of a question.
    pub fn section_of(&self, question_id: &str) -> Option<usize> {
        self.sections()
            .iter()
            .position(|s| s.questions.iter().any(|q| q.id == question_id))
            .map(|i| i + 1)
    }

    pub fn question(&self, question_id: &str) -> Option<&Question> {
        self.questions.questionnaire.question(question_id)
    }

    pub fn files_for(&self, question_id: &str) -> usize {
        self.view
            .files
            .iter()
            .filter(|f| f.question_id == question_id)
            .count()
    }

    /// Whether a question has an answer (not necessarily one that can be submitted).
    pub fn answered(&self, q: &Question) -> bool {
        let empty = Answer::default();
        let a = self.view.answers.get(&q.id).unwrap_or(&empty);
        match q.kind {
            QuestionKind::PassFail => a.choice.is_some(),
            QuestionKind::Price => a.price_pence.is_some_and(|p| p > 0),
            QuestionKind::PriceSchedule => a
                .rates_pence
                .as_ref()
                .is_some_and(|r| r.iter().any(|p| *p > 0)),
            QuestionKind::Evidence => self.files_for(&q.id) > 0,
            _ => word_count(a.text.as_deref().unwrap_or("")) > 0,
        }
    }

    /// Where a section stands: by the answers given, and "Needs attention" when an answer
    /// given would be refused on submitting (over its word limit).
    pub fn section_status(&self, section: &Section) -> TaskStatus {
        let done = section
            .questions
            .iter()
            .filter(|q| self.answered(q))
            .count();
        let one = Questionnaire {
            sections: vec![section.clone()],
        };
        let refused = incomplete(&one, &self.view.answers, |q| self.files_for(q));
        // A written answer given but refused is over its word limit.
        let attention = refused.iter().any(|e| {
            self.question(&e.field)
                .is_some_and(|q| q.kind.takes_text() && self.answered(q))
        });
        if attention {
            TaskStatus::NeedsAttention
        } else if refused.is_empty() {
            // A section left with no questions asks nothing: it never holds a bid back.
            TaskStatus::Completed
        } else {
            TaskStatus::of(done, section.questions.len())
        }
    }

    /// Whether every section is complete, so the bid can be checked and submitted.
    pub fn complete(&self) -> bool {
        self.sections()
            .iter()
            .all(|s| self.section_status(s) == TaskStatus::Completed)
    }

    /// The deadline and the time left, as one line.
    pub fn deadline(&self) -> String {
        let deadline = self.competition.submission_deadline;
        format!(
            "{} ({})",
            london_time(deadline),
            time_left(deadline, chrono::Utc::now())
        )
    }

    /// The caption above each page's heading.
    pub fn caption(&self) -> String {
        match self.view.lot {
            Some(l) => format!("{}, lot {l}", self.procurement.reference),
            None => self.procurement.reference.clone(),
        }
    }
}

#[derive(Serialize)]
struct BidFacts {
    id: Uuid,
    status: &'static str,
    colour: &'static str,
    deadline: String,
    submitted_at: Option<String>,
    receipt: Option<String>,
    withdrawn_at: Option<String>,
    changed_since: bool,
    submitted: bool,
}

#[derive(Serialize)]
struct BidView {
    bid: BidFacts,
    caption: String,
    p: ProcurementFacts,
    open: bool,
    tasks: Vec<Task>,
    sections_done: usize,
    sections_total: usize,
    summary: Option<AssessmentSummaryEmail>,
    version_changed: bool,
}

/// The task list of a bid: one task per section, then check and submit.
fn tasks(bid: &Bid) -> Vec<Task> {
    let id = bid.id();
    let mut tasks: Vec<Task> = bid
        .sections()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let done = s.questions.iter().filter(|q| bid.answered(q)).count();
            let total = s.questions.len();
            Task::new(
                format!("section-{}", i + 1),
                s.title.clone(),
                Some(format!("/bids/{id}/sections/{}", i + 1)),
                bid.section_status(s),
            )
            .hint(format!(
                "{done} of {total} question{} answered",
                if total == 1 { "" } else { "s" }
            ))
        })
        .collect();
    if bid.open() {
        let status = if bid.complete() {
            TaskStatus::NotStarted
        } else {
            TaskStatus::CannotStartYet
        };
        tasks.push(Task::new(
            "check",
            "Check your answers and submit",
            Some(format!("/bids/{id}/check")),
            status,
        ));
    }
    tasks
}

/// The bid's task list page, with `feedback`.
async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let bid = load(state, user, id).await?;
    let (status, colour) = bid.status().label();
    let v = &bid.view;
    let tasks = tasks(&bid);
    let page_view = BidView {
        bid: BidFacts {
            id: v.id,
            status,
            colour,
            deadline: bid.deadline(),
            submitted_at: v.submitted_at.map(london_time),
            receipt: v.digest.clone().filter(|_| v.withdrawn_at.is_none()),
            withdrawn_at: v.withdrawn_at.map(london_time),
            changed_since: v
                .submitted_at
                .is_some_and(|s| v.updated_at > s + chrono::Duration::seconds(1)),
            submitted: v.submitted_at.is_some(),
        },
        caption: bid.caption(),
        open: bid.open(),
        p: ProcurementFacts::from(&bid.procurement),
        sections_done: bid
            .sections()
            .iter()
            .filter(|s| bid.section_status(s) == TaskStatus::Completed)
            .count(),
        sections_total: bid.sections().len(),
        tasks,
        summary: bid.summary.as_ref().map(AssessmentSummaryEmail::from),
        version_changed: v.questionnaire_version != bid.questions.version.version,
    };
    let layout = Layout::new(
        format!("Your bid for {}", bid.procurement.title),
        "/bids",
        Some(user),
        csrf,
    )
    .back_to("/bids");
    Ok(render_page(
        "procurement/bid",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /bids/{id}: the bid's task list.
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback()).await
}

/// POST /bids/{id}/withdraw
pub async fn withdraw(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    // `own` refuses a bid that is not this organisation's, before anything is shown. A bid
    // that cannot be withdrawn (not submitted, or past its deadline) is not asked about:
    // withdrawing it is refused below with the reason.
    let (row, competition) = own(&mut conn, &user.0, *id).await?;
    let withdrawable = row.submitted_at.is_some()
        && row.withdrawn_at.is_none()
        && competition.submission_deadline > chrono::Utc::now();
    if withdrawable && !form.data.confirmed() {
        let deadline = london_time(competition.submission_deadline);
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!(
                "Are you sure you want to withdraw your bid for {}?",
                competition.title
            ),
            items: Vec::new(),
            paragraphs: vec![
                "Your bid will be taken out of the competition: the council will not evaluate it."
                    .into(),
                format!(
                    "Your answers and files are kept. You can submit again before the deadline, {deadline}."
                ),
            ],
            warnings: vec![format!(
                "If you do not submit again before {deadline}, you will not be considered for this contract."
            )],
            action: format!("/bids/{id}/withdraw"),
            carry: Vec::new(),
            button: "Yes, withdraw my bid".into(),
            warning_button: true,
            back: format!("/bids/{id}"),
            back_text: "No, go back to my bid".into(),
        };
        let layout = Layout::new("Withdraw your bid", "/bids", Some(&user.0), &form.csrf)
            .back_to(format!("/bids/{id}"));
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    let result = bids::withdraw(&mut conn, &user.0, *id).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/bids/{id}?done=withdrawn"),
        |f: &str| f.to_string(),
        async |errors| show(&state, &user.0, &form.csrf, *id, Feedback::errors(errors)).await,
    )
    .await
}

/// GET /submissions/{id}/files/{file_id}: the same access rule as the content.
pub async fn download_file(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let mut conn = state.db().await?;
    let file = bids::file(&mut conn, &user.0, id, file_id).await?;
    drop(conn);
    Ok(crate::procurement::api::send_file(&state, file).await?)
}
