//! The questionnaire builder: the questions by section, each with a link to change it,
//! buttons to move it up or down, and removing it (after a confirmation). Adding and
//! changing a question is `question_form.rs`. Before publication the draft changes in
//! place; afterwards each change is a new version that bidders are told about, with the
//! change note.

use super::question_form::builder_field;
use super::{DoneQuery, ProcurementFacts, SectionLines, sections};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::evaluation::{Questionnaire, questionnaires};
use crate::procurement::ProcurementStatus;
use crate::procurement::model::{ProcurementRow, ProcurementView};
use crate::procurement::procurements::{self, QuestionnaireInput};
use crate::state::AppState;
use crate::web::confirm::{Carried, Confirmation, is_confirmed, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether the questions can still change: before the bids are opened, and once
/// published only while bids are open.
pub(super) fn editable(row: &ProcurementRow, view: &ProcurementView) -> bool {
    let c = &row.competition;
    c.opened_at.is_none()
        && c.cancelled_at.is_none()
        && (c.published_at.is_none() || view.status == ProcurementStatus::Open)
}

#[derive(Serialize)]
struct BuilderView {
    p: ProcurementFacts,
    version: i32,
    published: bool,
    editable: bool,
    sections: Vec<SectionLines>,
    weights: u32,
    weights_ok: bool,
}

async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let current = questionnaires::current(&mut conn, id, None).await?;
    drop(conn);
    let questionnaire = &current.questionnaire;
    let weights: u32 = questionnaire.questions().filter_map(|q| q.weight).sum();
    let builder = BuilderView {
        p: ProcurementFacts::from(&view),
        version: current.version.version,
        published: row.competition.published_at.is_some(),
        editable: editable(&row, &view),
        sections: sections(questionnaire),
        weights,
        weights_ok: weights == 100,
    };
    let layout = Layout::new(
        format!("Questionnaire: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}"));
    Ok(render_page(
        "procurement/questionnaire",
        layout,
        &builder,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/{id}/questionnaire
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback()).await
}

/// Which way a question moves.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    direction: String,
}

/// Moves question `qid` one place up or down within its section; `None` when it cannot
/// move that way (or there is no such question).
fn move_question(q: &mut Questionnaire, qid: &str, up: bool) -> Option<()> {
    let section = q
        .sections
        .iter_mut()
        .find(|s| s.questions.iter().any(|x| x.id == qid))?;
    let at = section.questions.iter().position(|x| x.id == qid)?;
    let to = if up { at.checked_sub(1)? } else { at + 1 };
    if to >= section.questions.len() {
        return None;
    }
    section.questions.swap(at, to);
    Some(())
}

/// POST /procurements/{id}/questionnaire/{qid}/move: moves a question up or down in its
/// section. Once published, the new order is a new version, and bidders are told which
/// question moved.
pub async fn move_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (id, qid) = path.into_inner();
    let user = &user.0;
    let up = match form.data.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(PageError::BadRequest("Choose up or down".into())),
    };
    let mut questionnaire = current(&state, user, id).await?;
    if move_question(&mut questionnaire, &qid, up).is_none() {
        return Err(PageError::NotFound);
    }
    let input = QuestionnaireInput {
        questionnaire,
        change_note: format!(
            "The order of the questions changed: {qid} moved {}.",
            if up { "up" } else { "down" }
        ),
    };
    let mut conn = state.db().await?;
    let result = procurements::replace_questionnaire(&mut conn, &state.mail, user, id, input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/questionnaire?done=moved#{qid}"),
        builder_field,
        async |errors| show(&state, user, &form.csrf, id, Feedback::errors(errors)).await,
    )
    .await
}

/// The questionnaire as it is now, for a change.
pub(super) async fn current(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
) -> Result<Questionnaire, PageError> {
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, user, id).await?;
    Ok(questionnaires::current(&mut conn, id, None)
        .await?
        .questionnaire)
}

/// Which question to remove, and the note bidders are sent once published.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    change_note: String,
    #[serde(default)]
    confirmed: String,
}

/// POST /procurements/{id}/questionnaire/remove: asks first, then removes the question.
pub async fn remove_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    let (user, id) = (&user.0, *id);
    let questionnaire = current(&state, user, id).await?;
    let question = questionnaire
        .questions()
        .find(|q| q.id == form.data.question_id)
        .map(|q| q.title.clone());
    if let (Some(title), false) = (question, is_confirmed(&form.data.confirmed)) {
        let mut conn = state.db().await?;
        let row = procurements::load_managed(&mut conn, user, id).await?;
        drop(conn);
        let competition = &row.competition;
        let published = competition.published_at.is_some();
        // Without the reason bidders must be sent, the builder says so first.
        if published && form.data.change_note.trim().is_empty() {
            return remove_confirmed(&state, user, id, &form, questionnaire).await;
        }
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!("Remove question {}?", form.data.question_id),
            items: vec![title],
            paragraphs: if published {
                vec![
                    "The questionnaire gets a new version without this question, and everyone who registered interest or started a bid is emailed your reason.".into(),
                    "Bids already submitted keep the version they answered; bidders may submit again.".into(),
                ]
            } else {
                vec!["The question is taken out of the draft questionnaire. You can add it again before you publish.".into()]
            },
            warnings: Vec::new(),
            action: format!("/procurements/{id}/questionnaire/remove"),
            carry: [
                ("question_id", form.data.question_id.clone()),
                ("change_note", form.data.change_note.clone()),
            ]
            .into_iter()
            .map(|(name, value)| Carried {
                name: name.into(),
                value,
            })
            .collect(),
            button: "Yes, remove the question".into(),
            warning_button: true,
            back: format!("/procurements/{id}/questionnaire"),
            back_text: "No, keep the question".into(),
        };
        let layout = Layout::new("Remove a question", "/procurements", Some(user), &form.csrf);
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    remove_confirmed(&state, user, id, &form, questionnaire).await
}

async fn remove_confirmed(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    form: &CsrfForm<RemoveForm>,
    mut questionnaire: Questionnaire,
) -> Result<HttpResponse, PageError> {
    for s in &mut questionnaire.sections {
        s.questions.retain(|q| q.id != form.data.question_id);
    }
    questionnaire.sections.retain(|s| !s.questions.is_empty());
    let input = QuestionnaireInput {
        questionnaire,
        change_note: form.data.change_note.clone(),
    };
    let mut conn = state.db().await?;
    let result = procurements::replace_questionnaire(&mut conn, &state.mail, user, id, input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/questionnaire?done=saved"),
        builder_field,
        async |errors| show(state, user, &form.csrf, id, Feedback::errors(errors)).await,
    )
    .await
}
