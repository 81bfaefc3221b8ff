//! The council's list of clarification questions, and answering one.

use super::{DoneQuery, ProcurementFacts};
use crate::auth::AuthUser;
use crate::auth::csrf::CsrfToken;
use crate::calendar::london_time;
use crate::procurement::{clarifications, procurements};
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, render_page};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct Item {
    id: Uuid,
    question: String,
    answer: Option<String>,
    published: bool,
    organisation_name: Option<String>,
    asked_at: String,
}

#[derive(Serialize)]
struct ListView {
    p: ProcurementFacts,
    items: Vec<Item>,
}

/// The list; `typed` is an answer as just typed (the question's id and the text), shown
/// again in its box when it was refused.
async fn show(
    state: &AppState,
    user: &AuthUser,
    csrf: &CsrfToken,
    id: Uuid,
    feedback: Feedback,
    typed: Option<(Uuid, &str)>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.db().await?;
    let row = procurements::load_managed(&mut conn, user, id).await?;
    let view = procurements::view(&mut conn, &row).await?;
    let list = clarifications::list_clarifications(&mut conn, Some(user), id).await?;
    drop(conn);
    let page_view = ListView {
        p: ProcurementFacts::from(&view),
        items: list
            .into_iter()
            .map(|c| Item {
                answer: match typed {
                    Some((cid, text)) if cid == c.id => Some(text.to_string()),
                    _ => c.answer,
                },
                id: c.id,
                question: c.question,
                published: c.published,
                organisation_name: c.organisation_name,
                asked_at: london_time(c.asked_at),
            })
            .collect(),
    };
    let layout = Layout::new(
        format!("Clarifications: {}", view.title),
        "/procurements",
        Some(user),
        csrf,
    );
    Ok(render_page(
        "procurement/clarifications",
        layout,
        &page_view,
        feedback,
        StatusCode::UNPROCESSABLE_ENTITY,
        csrf,
    ))
}

/// GET /procurements/{id}/clarifications
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &user.0, &csrf, *id, query.feedback(), None).await
}

/// An answer as typed.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    publish: String,
}

/// POST /procurements/{id}/clarifications/{cid}
pub async fn answer(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, Uuid)>,
    form: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, PageError> {
    let (id, cid) = path.into_inner();
    let publish = form.data.publish == "yes";
    let mut conn = state.db().await?;
    let result = clarifications::answer(
        &mut conn,
        &state.mail,
        &user.0,
        id,
        cid,
        &form.data.answer,
        publish,
    )
    .await;
    drop(conn);
    after_post(
        result,
        |_| format!("/procurements/{id}/clarifications?done=answered"),
        |_| format!("answer-{cid}"),
        async |errors| {
            let typed = Some((cid, form.data.answer.as_str()));
            show(
                &state,
                &user.0,
                &form.csrf,
                id,
                Feedback::errors(errors),
                typed,
            )
            .await
        },
    )
    .await
}
