//! The questionnaire builder: the questions by section, a form to add one, and removing
//! one. Before publication the draft changes in place; afterwards each change is a new
//! version that bidders are told about, with the change note.

use super::{DoneQuery, ProcurementFacts, SectionLines, sections};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::evaluation::{
    Band, OutcomeModel, Question, QuestionKind, Questionnaire, Section, questionnaires, rules,
};
use crate::http::problem::FieldError;
use crate::procurement::ProcurementStatus;
use crate::procurement::procurements::{self, QuestionnaireInput};
use crate::state::AppState;
use crate::web::confirm::{Carried, Confirmation, is_confirmed, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A question as typed into the builder.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct QuestionForm {
    section: String,
    new_section: String,
    kind: String,
    title: String,
    guidance: String,
    weight: String,
    word_limit: String,
    pass_answer: String,
    bands: String,
    change_note: String,
}

#[derive(Serialize)]
struct NameChoice {
    value: String,
    selected: bool,
}

#[derive(Serialize)]
struct KindChoice {
    value: &'static str,
    text: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct BuilderView {
    p: ProcurementFacts,
    version: i32,
    published: bool,
    editable: bool,
    sections: Vec<SectionLines>,
    section_names: Vec<NameChoice>,
    has_sections: bool,
    weights: u32,
    weights_ok: bool,
    kinds: Vec<KindChoice>,
    pass_yes: bool,
    pass_no: bool,
    form: QuestionForm,
}

async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    form: QuestionForm,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let current = questionnaires::current(&mut conn, id, None).await?;
    drop(conn);
    let questionnaire = &current.questionnaire;
    let weights: u32 = questionnaire.questions().filter_map(|q| q.weight).sum();
    let c = &row.competition;
    let builder = BuilderView {
        p: ProcurementFacts::from(&view),
        version: current.version.version,
        published: c.published_at.is_some(),
        editable: c.opened_at.is_none()
            && c.cancelled_at.is_none()
            && (c.published_at.is_none() || view.status == ProcurementStatus::Open),
        sections: sections(questionnaire),
        section_names: questionnaire
            .sections
            .iter()
            .map(|s| NameChoice {
                value: s.title.clone(),
                selected: s.title == form.section,
            })
            .collect(),
        has_sections: !questionnaire.sections.is_empty(),
        weights,
        weights_ok: weights == 100,
        kinds: QuestionKind::ALL
            .iter()
            .filter(|k| k.fits(OutcomeModel::Ranked))
            .map(|k| KindChoice {
                value: k.as_str(),
                text: k.label(),
                checked: k.as_str() == form.kind,
            })
            .collect(),
        pass_yes: form.pass_answer == "yes",
        pass_no: form.pass_answer == "no",
        form,
    };
    let layout = Layout::new(
        format!("Questionnaire: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
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
    show(
        &state,
        &user.0,
        &csrf,
        *id,
        QuestionForm::default(),
        query.feedback(),
    )
    .await
}

/// The section and question a builder form describes, or what cannot be read.
fn question_from_form(form: &QuestionForm) -> Result<(String, Question), Vec<FieldError>> {
    let mut errors = Vec::new();
    let section = if form.new_section.trim().is_empty() {
        form.section.trim().to_string()
    } else {
        form.new_section.trim().to_string()
    };
    if section.is_empty() {
        errors.push(FieldError::new(
            "new_section",
            "Choose a section or name a new one",
        ));
    }
    let kind = QuestionKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose the kind of question"));
    }
    let mut number = |text: &str, field: &str, what: &str| -> Option<u32> {
        if text.trim().is_empty() {
            return None;
        }
        let n = text.trim().trim_end_matches('%').parse::<u32>().ok();
        if n.is_none() {
            errors.push(FieldError::new(
                field,
                format!("Enter the {what} as a whole number"),
            ));
        }
        n
    };
    let weight = number(&form.weight, "weight", "weight");
    let word_limit = number(&form.word_limit, "word_limit", "word limit");
    let mut bands = Vec::new();
    for line in form.bands.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line
            .rsplit_once(':')
            .and_then(|(l, v)| v.trim().parse::<i64>().ok().map(|v| (l.trim(), v)))
        {
            Some((label, volume)) => bands.push(Band {
                label: label.into(),
                volume,
            }),
            None => {
                errors.push(FieldError::new("bands", "Write each band on its own line as a name, a colon and the expected volume, like \"Weekday day: 300\""));
                break;
            }
        }
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    Ok((
        section,
        Question {
            id: String::new(),
            kind,
            title: form.title.clone(),
            guidance: form.guidance.trim().to_string(),
            word_limit: if kind.takes_text() { word_limit } else { None },
            weight: if kind.is_weighted() { weight } else { None },
            pass_answer: (kind == QuestionKind::PassFail).then(|| form.pass_answer == "yes"),
            bands: if kind == QuestionKind::PriceSchedule {
                bands
            } else {
                Vec::new()
            },
        },
    ))
}

/// Maps a questionnaire error's field to the builder's inputs.
fn builder_field(f: &str) -> String {
    [
        "weight",
        "word_limit",
        "pass_answer",
        "bands",
        "title",
        "guidance",
        "change_note",
        "kind",
    ]
    .into_iter()
    .find(|n| f.ends_with(n))
    .unwrap_or("main-content")
    .to_string()
}

/// The questionnaire as it is now, for a change.
async fn current(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Questionnaire, PageError> {
    let mut conn = state.db().await?;
    procurements::load_managed(&mut conn, user, id).await?;
    Ok(questionnaires::current(&mut conn, id, None)
        .await?
        .questionnaire)
}

/// POST /procurements/{id}/questionnaire: adds a question.
pub async fn add_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<QuestionForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data: form, csrf } = form;
    let (user, id) = (&user.0, *id);
    let (section, question) = match question_from_form(&form) {
        Ok(x) => x,
        Err(errors) => return show(&state, user, &csrf, id, form, Feedback::errors(errors)).await,
    };
    // A draft may be saved incomplete, but a new question must itself be complete.
    let mut alone = Questionnaire {
        sections: vec![Section {
            title: "Check".into(),
            questions: vec![question.clone()],
        }],
    };
    if let Err(errors) = rules::normalise_questionnaire(&mut alone, &[], OutcomeModel::Ranked) {
        let mine: Vec<FieldError> = errors
            .into_iter()
            .filter(|e| {
                e.field.starts_with("sections[0].questions[0]") && !e.field.ends_with(".id")
            })
            .map(|e| FieldError::new(builder_field(&e.field), e.message))
            .collect();
        if !mine.is_empty() {
            return show(&state, user, &csrf, id, form, Feedback::errors(mine)).await;
        }
    }
    let mut questionnaire = current(&state, user, id).await?;
    match questionnaire
        .sections
        .iter_mut()
        .find(|s| s.title == section)
    {
        Some(s) => s.questions.push(question),
        None => questionnaire.sections.push(Section {
            title: section,
            questions: vec![question],
        }),
    }
    let input = QuestionnaireInput {
        questionnaire,
        change_note: form.change_note.clone(),
    };
    let mut conn = state.db().await?;
    let result = procurements::replace_questionnaire(&mut conn, &state.mail, user, id, input).await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/questionnaire?done=saved"),
        builder_field,
        async |errors| {
            show(
                &state,
                user,
                &csrf,
                id,
                form.clone(),
                Feedback::errors(errors),
            )
            .await
        },
    )
    .await
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
        async |errors| {
            show(
                state,
                user,
                &form.csrf,
                id,
                QuestionForm::default(),
                Feedback::errors(errors),
            )
            .await
        },
    )
    .await
}
