//! Adding and changing one question of the questionnaire, kind first: the commissioner
//! chooses what kind of question it is, then fills in only that kind's fields (a page
//! each, so it works without JavaScript). Before publication the draft changes in place;
//! afterwards each change is a new version that bidders are told about, with the note.

use super::ProcurementFacts;
use super::questionnaire::{current, editable};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::evaluation::{
    Band, OutcomeModel, Question, QuestionKind, Questionnaire, Section, questionnaires, rules,
};
use crate::http::problem::FieldError;
use crate::procurement::procurements::{self, QuestionnaireInput};
use crate::state::AppState;
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

impl QuestionForm {
    /// The form filled in from a question as it stands, in its section.
    fn of(section: &str, q: &Question) -> Self {
        Self {
            section: section.to_string(),
            new_section: String::new(),
            kind: q.kind.as_str().to_string(),
            title: q.title.clone(),
            guidance: q.guidance.clone(),
            weight: q.weight.map(|w| w.to_string()).unwrap_or_default(),
            word_limit: q.word_limit.map(|w| w.to_string()).unwrap_or_default(),
            pass_answer: match q.pass_answer {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
            bands: q
                .bands
                .iter()
                .map(|b| format!("{}: {}", b.label, b.volume))
                .collect::<Vec<_>>()
                .join("\n"),
            change_note: String::new(),
        }
    }
}

/// What each kind of question is for, as the chooser says it.
fn kind_hint(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::PassFail => {
            "A yes or no question. A bid that gives the other answer is excluded."
        }
        QuestionKind::Scored => "A written answer the panel scores from 0 to 5. It has a weight.",
        QuestionKind::Price => {
            "One price for the whole contract, scored against the lowest. It has a weight."
        }
        QuestionKind::PriceSchedule => {
            "A rate for each band of work, such as weekday and weekend hours. It has a weight."
        }
        QuestionKind::SocialValue => {
            "A written answer about social value, scored by the panel. It has a weight."
        }
        QuestionKind::Information => "A written answer that is read but not scored.",
        QuestionKind::Evidence => "A file the bidder uploads, such as an insurance certificate.",
        QuestionKind::Judged => "Judged pass or fail by the panel.",
    }
}

#[derive(Serialize)]
struct KindChoice {
    value: &'static str,
    text: &'static str,
    hint: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct ChooserView {
    p: ProcurementFacts,
    /// Where the choice is sent (GET): the fields page.
    action: String,
    kinds: Vec<KindChoice>,
    editing: bool,
}

#[derive(Serialize)]
struct NameChoice {
    value: String,
    selected: bool,
}

#[derive(Serialize)]
struct FieldsView {
    p: ProcurementFacts,
    /// The question's id when changing one.
    question_id: String,
    action: String,
    change_kind: String,
    kind_label: &'static str,
    show_weight: bool,
    show_word_limit: bool,
    show_pass: bool,
    show_bands: bool,
    section_names: Vec<NameChoice>,
    has_sections: bool,
    published: bool,
    pass_yes: bool,
    pass_no: bool,
    form: QuestionForm,
}

/// `?kind=`: the kind chosen on the chooser.
#[derive(Debug, Default, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

/// Loads the procurement for a builder page, refusing one whose questions can no longer
/// change.
async fn load(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
) -> Result<(ProcurementFacts, bool, Questionnaire), PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    if !editable(&row, &view) {
        return Err(PageError::BadRequest(
            "The questionnaire can no longer change: the deadline for bids has passed.".into(),
        ));
    }
    let q = questionnaires::current(&mut conn, id, None).await?;
    Ok((
        ProcurementFacts::from(&view),
        row.competition.published_at.is_some(),
        q.questionnaire,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn show_chooser(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    question: Option<&str>,
    selected: &str,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let (p, _, _) = load(state, user, id).await?;
    let view = ChooserView {
        action: match question {
            Some(q) => format!("/procurements/{id}/questionnaire/{q}/edit"),
            None => format!("/procurements/{id}/questionnaire/new"),
        },
        kinds: QuestionKind::ALL
            .iter()
            .filter(|k| k.fits(OutcomeModel::Ranked))
            .map(|k| KindChoice {
                value: k.as_str(),
                text: k.label(),
                hint: kind_hint(*k),
                checked: k.as_str() == selected,
            })
            .collect(),
        editing: question.is_some(),
        p,
    };
    let layout = Layout::new(
        "What kind of question is it?",
        "/procurements",
        Some(user),
        csrf,
    )
    .back_to(format!("/procurements/{id}/questionnaire"));
    Ok(render_page(
        "procurement/question_kind",
        layout,
        &view,
        feedback,
        StatusCode::OK,
        csrf,
    ))
}

/// The fields page for `form.kind` (a valid kind), new (`question` none) or a change.
async fn show_fields(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    question: Option<&str>,
    form: QuestionForm,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let (p, published, questionnaire) = load(state, user, id).await?;
    let Some(kind) = QuestionKind::parse(&form.kind) else {
        return show_chooser(state, user, csrf, id, question, "", feedback).await;
    };
    let base = format!("/procurements/{id}/questionnaire");
    let view = FieldsView {
        question_id: question.unwrap_or_default().to_string(),
        action: match question {
            Some(q) => format!("{base}/{q}"),
            None => base.clone(),
        },
        change_kind: match question {
            Some(q) => format!("{base}/{q}/kind"),
            None => format!("{base}/new"),
        },
        kind_label: kind.label(),
        show_weight: kind.is_weighted(),
        show_word_limit: kind.takes_text(),
        show_pass: kind == QuestionKind::PassFail,
        show_bands: kind == QuestionKind::PriceSchedule,
        section_names: questionnaire
            .sections
            .iter()
            .map(|s| NameChoice {
                value: s.title.clone(),
                selected: s.title == form.section,
            })
            .collect(),
        has_sections: !questionnaire.sections.is_empty(),
        published,
        pass_yes: form.pass_answer == "yes",
        pass_no: form.pass_answer == "no",
        form,
        p,
    };
    let title = match question {
        Some(q) => format!("Change question {q}"),
        None => format!("Add a question: {}", kind.label().to_lowercase()),
    };
    let layout = Layout::new(title, "/procurements", Some(user), csrf).back_to(match question {
        Some(_) => base,
        None => format!("/procurements/{id}/questionnaire/new"),
    });
    Ok(render_page(
        "procurement/question_form",
        layout,
        &view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/{id}/questionnaire/new: the kind first, then (`?kind=`) its fields.
pub async fn new_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, PageError> {
    match query.kind.as_deref() {
        None => show_chooser(&state, &user.0, &csrf, *id, None, "", Feedback::default()).await,
        Some(k) if QuestionKind::parse(k).is_none() => {
            let errors = vec![FieldError::new("kind", "Choose the kind of question")];
            show_chooser(
                &state,
                &user.0,
                &csrf,
                *id,
                None,
                "",
                Feedback::errors(errors),
            )
            .await
        }
        Some(k) => {
            let form = QuestionForm {
                kind: k.to_string(),
                ..QuestionForm::default()
            };
            show_fields(&state, &user.0, &csrf, *id, None, form, Feedback::default()).await
        }
    }
}

/// The question `qid` and its section's title.
fn find<'a>(q: &'a Questionnaire, qid: &str) -> Result<(&'a str, &'a Question), PageError> {
    q.sections
        .iter()
        .find_map(|s| {
            s.questions
                .iter()
                .find(|x| x.id == qid)
                .map(|x| (s.title.as_str(), x))
        })
        .ok_or(PageError::NotFound)
}

/// GET /procurements/{id}/questionnaire/{qid}/kind: choosing another kind for a question.
pub async fn change_kind_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, PageError> {
    let (id, qid) = path.into_inner();
    let questionnaire = current(&state, &user.0, id).await?;
    let (_, q) = find(&questionnaire, &qid)?;
    let kind = q.kind.as_str();
    show_chooser(
        &state,
        &user.0,
        &csrf,
        id,
        Some(&qid),
        kind,
        Feedback::default(),
    )
    .await
}

/// GET /procurements/{id}/questionnaire/{qid}/edit: every field of the question (of
/// another kind, with `?kind=`).
pub async fn edit_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    path: web::Path<(Uuid, String)>,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, PageError> {
    let (id, qid) = path.into_inner();
    let questionnaire = current(&state, &user.0, id).await?;
    let (section, q) = find(&questionnaire, &qid)?;
    let mut form = QuestionForm::of(section, q);
    if let Some(k) = query
        .kind
        .as_deref()
        .filter(|k| QuestionKind::parse(k).is_some())
    {
        form.kind = k.to_string();
    }
    show_fields(
        &state,
        &user.0,
        &csrf,
        id,
        Some(&qid),
        form,
        Feedback::default(),
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
    let takes = |f: fn(QuestionKind) -> bool| kind.is_some_and(f);
    // Only the chosen kind's fields are read: a field of another kind is not on the page.
    let weight = if takes(QuestionKind::is_weighted) {
        number(&form.weight, "weight", "weight")
    } else {
        None
    };
    let word_limit = if takes(QuestionKind::takes_text) {
        number(&form.word_limit, "word_limit", "word limit")
    } else {
        None
    };
    let mut bands = Vec::new();
    if kind == Some(QuestionKind::PriceSchedule) {
        for line in form.bands.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.rsplit_once(':').and_then(|(l, v)| {
                v.trim()
                    .replace(',', "")
                    .parse::<i64>()
                    .ok()
                    .map(|v| (l.trim(), v))
            }) {
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
            word_limit,
            weight,
            pass_answer: (kind == QuestionKind::PassFail)
                .then_some(form.pass_answer.as_str())
                .filter(|a| !a.is_empty())
                .map(|a| a == "yes"),
            bands,
        },
    ))
}

/// Maps a questionnaire error's field to the builder's inputs.
pub(super) fn builder_field(f: &str) -> String {
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

/// The errors of a question on its own (a draft may be incomplete, but a question added
/// or changed must itself be complete).
fn check_alone(question: &Question) -> Vec<FieldError> {
    let mut alone = Questionnaire {
        sections: vec![Section {
            title: "Check".into(),
            questions: vec![Question {
                id: String::new(),
                ..question.clone()
            }],
        }],
    };
    match rules::normalise_questionnaire(&mut alone, &[], OutcomeModel::Ranked) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .filter(|e| {
                e.field.starts_with("sections[0].questions[0]") && !e.field.ends_with(".id")
            })
            .map(|e| FieldError::new(builder_field(&e.field), e.message))
            .collect(),
    }
}

/// Puts `question` into `section` of the questionnaire: in its place if it is already
/// there (a change), else at the end of the section, started if new.
fn place(questionnaire: &mut Questionnaire, section: String, question: Question) {
    let existing = questionnaire.sections.iter_mut().find_map(|s| {
        let at = s
            .questions
            .iter()
            .position(|q| q.id == question.id && !q.id.is_empty())?;
        Some((s, at))
    });
    if let Some((s, at)) = existing {
        if s.title == section {
            s.questions[at] = question;
            return;
        }
        s.questions.remove(at);
    }
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
    questionnaire.sections.retain(|s| !s.questions.is_empty());
}

/// Adds (`qid` none) or changes a question from the posted form.
async fn save(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    qid: Option<String>,
    form: QuestionForm,
) -> Result<HttpResponse, PageError> {
    let again = async |errors| {
        show_fields(
            state,
            user,
            csrf,
            id,
            qid.as_deref(),
            form.clone(),
            Feedback::errors(errors),
        )
        .await
    };
    let (section, mut question) = match question_from_form(&form) {
        Ok(x) => x,
        Err(errors) => return again(errors).await,
    };
    let errors = check_alone(&question);
    if !errors.is_empty() {
        return again(errors).await;
    }
    let mut questionnaire = current(state, user, id).await?;
    if let Some(q) = &qid {
        find(&questionnaire, q)?;
        question.id = q.clone();
    }
    place(&mut questionnaire, section, question);
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
        again,
    )
    .await
}

/// POST /procurements/{id}/questionnaire: adds a question.
pub async fn add_question(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: CsrfForm<QuestionForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { data, csrf } = form;
    save(&state, &user.0, &csrf, *id, None, data).await
}

/// POST /procurements/{id}/questionnaire/{qid}: changes a question.
pub async fn change_question(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<QuestionForm>,
) -> Result<HttpResponse, PageError> {
    let (id, qid) = path.into_inner();
    let CsrfForm { data, csrf } = form;
    save(&state, &user.0, &csrf, id, Some(qid), data).await
}
