//! A lot's conditions of membership, while the DPS is a draft: the list, a form to add a
//! condition (a yes/no question with the answer that passes, or a written answer the
//! panel judges pass or fail), and removing one (confirmed first). Once established the
//! page only reads.

use super::markets::ConditionLine;
use crate::auth::csrf::CsrfToken;
use crate::auth::{AuthUser, Role};
use crate::dps::{markets, queries};
use crate::evaluation::{Question, QuestionKind, Questionnaire, Section};
use crate::state::AppState;
use crate::web::confirm::{Carried, Confirmation, is_confirmed, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A condition as posted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ConditionForm {
    title: String,
    guidance: String,
    /// `pass_fail` or `judged`.
    kind: String,
    /// For a yes/no question: "yes" or "no", the answer that passes.
    pass_answer: String,
    word_limit: String,
}

/// Removing a condition, as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    question_id: String,
    confirmed: String,
}

#[derive(Serialize)]
struct ConditionsView {
    dps_id: Uuid,
    reference: String,
    dps_title: String,
    lot_id: Uuid,
    lot_number: i32,
    lot_title: String,
    lot_description: String,
    draft: bool,
    questions: Vec<ConditionLine>,
    form: ConditionForm,
    pass_fail: bool,
    judged: bool,
}

/// The lot's current conditions and what the page needs around them.
struct Loaded {
    view: ConditionsView,
    document: Questionnaire,
}

async fn load(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    lot_id: Uuid,
    form: ConditionForm,
) -> Result<Loaded, PageError> {
    let mut conn = state.db().await?;
    let row = queries::load_managed(&mut conn, user, id).await?;
    let current = markets::conditions(&mut conn, Some(user), id, lot_id).await?;
    let lot = crate::evaluation::competitions::lots(&mut conn, id)
        .await?
        .into_iter()
        .find(|l| l.id == lot_id)
        .ok_or(PageError::NotFound)?;
    Ok(Loaded {
        view: ConditionsView {
            dps_id: id,
            reference: row.competition.reference.clone(),
            dps_title: row.competition.title.clone(),
            lot_id: lot.id,
            lot_number: lot.number,
            lot_title: lot.title,
            lot_description: lot.description,
            draft: row.facts.established_at.is_none(),
            questions: current
                .questionnaire
                .questions()
                .map(ConditionLine::of)
                .collect(),
            pass_fail: form.kind != "judged",
            judged: form.kind == "judged",
            form,
        },
        document: current.questionnaire,
    })
}

fn show(
    user: &AuthUser,
    csrf: &CsrfToken,
    view: &ConditionsView,
    feedback: Feedback,
) -> HttpResponse {
    let layout = Layout::new(
        format!("Lot {}: conditions of membership", view.lot_number),
        "/dps",
        Some(user),
        csrf,
    )
    .back_to(format!("/dps/{}", view.dps_id));
    render_page(
        "dps/conditions",
        layout,
        view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    )
}

/// `?done=`
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// GET /dps/{id}/lots/{lot_id}
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let (id, lot_id) = path.into_inner();
    let form = ConditionForm {
        kind: "pass_fail".into(),
        pass_answer: "yes".into(),
        ..Default::default()
    };
    let loaded = load(&state, &user.0, id, lot_id, form).await?;
    let notice = match query.done.as_deref() {
        Some("added") => Some("Condition added."),
        Some("removed") => Some("Condition removed."),
        _ => None,
    };
    Ok(show(&user.0, &csrf, &loaded.view, Feedback::notice(notice)))
}

impl ConditionForm {
    /// The question it describes; the engine checks the rest (a title, the sizes).
    fn question(&self) -> Result<Question, Vec<crate::http::problem::FieldError>> {
        use crate::http::problem::FieldError;
        let mut errors = Vec::new();
        let kind = match self.kind.as_str() {
            "pass_fail" => QuestionKind::PassFail,
            "judged" => QuestionKind::Judged,
            _ => {
                errors.push(FieldError::new("kind", "Choose how applicants answer"));
                QuestionKind::PassFail
            }
        };
        if self.title.trim().is_empty() {
            errors.push(FieldError::new(
                "title",
                "Enter the condition, as a question applicants answer",
            ));
        }
        let pass_answer = match (kind, self.pass_answer.as_str()) {
            (QuestionKind::PassFail, "yes") => Some(true),
            (QuestionKind::PassFail, "no") => Some(false),
            (QuestionKind::PassFail, _) => {
                errors.push(FieldError::new(
                    "pass_answer",
                    "Choose the answer that passes",
                ));
                None
            }
            _ => None,
        };
        let word_limit = match (kind, self.word_limit.trim()) {
            (QuestionKind::Judged, "") => Some(500),
            (QuestionKind::Judged, n) => match n.parse::<u32>() {
                Ok(n) if (1..=5000).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "word_limit",
                        "Enter the word limit as a whole number from 1 to 5000",
                    ));
                    None
                }
            },
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Question {
            id: String::new(),
            kind,
            title: self.title.trim().to_string(),
            guidance: self.guidance.trim().to_string(),
            word_limit,
            weight: None,
            pass_answer,
            bands: Vec::new(),
        })
    }
}

/// The engine's field for a question (`sections[0].questions[3].title`) → this form's.
fn form_field(f: &str) -> String {
    f.rsplit('.').next().unwrap_or(f).to_string()
}

/// POST /dps/{id}/lots/{lot_id}: adds a condition at the end.
pub async fn add(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<ConditionForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let (id, lot_id) = path.into_inner();
    let CsrfForm { data: form, csrf } = form;
    let loaded = load(&state, &user.0, id, lot_id, form.clone()).await?;
    let question = match form.question() {
        Ok(q) => q,
        Err(errors) => return Ok(show(&user.0, &csrf, &loaded.view, Feedback::errors(errors))),
    };
    let mut document = loaded.document;
    if document.sections.is_empty() {
        document.sections.push(Section {
            title: "Conditions of membership".into(),
            questions: Vec::new(),
        });
    }
    if let Some(last) = document.sections.last_mut() {
        last.questions.push(question);
    }
    let mut conn = state.db().await?;
    let result = markets::replace_conditions(&mut conn, &user.0, id, lot_id, document).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/dps/{id}/lots/{lot_id}?done=added"),
        form_field,
        async |errors| Ok(show(&user.0, &csrf, &loaded.view, Feedback::errors(errors))),
    )
    .await
}

/// POST /dps/{id}/lots/{lot_id}/remove: confirmed first, then the condition goes.
pub async fn remove(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Commissioner])?;
    let (id, lot_id) = path.into_inner();
    let CsrfForm { data: form, csrf } = form;
    let loaded = load(&state, &user.0, id, lot_id, ConditionForm::default()).await?;
    let Some(question) = loaded
        .document
        .questions()
        .find(|q| q.id == form.question_id)
        .cloned()
    else {
        return Err(PageError::NotFound);
    };
    let back = format!("/dps/{id}/lots/{lot_id}");
    if !is_confirmed(&form.confirmed) {
        let layout =
            Layout::new("Remove a condition", "/dps", Some(&user.0), &csrf).back_to(back.clone());
        let confirmation = Confirmation {
            caption: format!("{} lot {}", loaded.view.reference, loaded.view.lot_number),
            heading: "Are you sure you want to remove this condition?".into(),
            items: vec![question.title.clone()],
            paragraphs: vec![
                "Applicants will not be asked it. You can add it again before the DPS is established."
                    .into(),
            ],
            warnings: Vec::new(),
            action: format!("{back}/remove"),
            carry: vec![Carried {
                name: "question_id".into(),
                value: question.id.clone(),
            }],
            button: "Remove the condition".into(),
            warning_button: true,
            back: back.clone(),
            back_text: "Keep it".into(),
        };
        return Ok(render_confirmation(layout, &confirmation, &csrf));
    }
    let mut document = loaded.document;
    for section in &mut document.sections {
        section.questions.retain(|q| q.id != question.id);
    }
    let mut conn = state.db().await?;
    let result = markets::replace_conditions(&mut conn, &user.0, id, lot_id, document).await;
    drop(conn);
    after_post(
        result,
        |_| format!("{back}?done=removed"),
        form_field,
        async |errors| Ok(show(&user.0, &csrf, &loaded.view, Feedback::errors(errors))),
    )
    .await
}
