//! A procurement's actions from its overview and stage pages: publish, open the bids,
//! cancel (confirmed first), contract entered; and adding a document for bidders. Each
//! goes back to the page it came from with the outcome, or shows that page again with the
//! refusal.

use super::procurements::{show, show_documents, show_submissions};
use crate::evaluation::competitions;
use crate::http::problem::{FieldError, Problem};
use crate::procurement::{award, documents, procurements};
use crate::state::AppState;
use crate::web::confirm::{ConfirmForm, Confirmation, render_confirmation};
use crate::web::forms::CsrfForm;
use crate::web::multipart::{PageForm, Upload};
use crate::web::page::shown_on_page;
use crate::web::{Feedback, Layout, PageError, PageUser, after_post, see_other};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

/// POST /procurements/{id}/{publish|open|cancel|contract-entered}. Cancelling, which
/// cannot be undone, asks for confirmation first.
pub async fn action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(Uuid, String)>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let actor = &user.0;
    let mut conn = state.db().await?;
    if action == "cancel" && !form.data.confirmed() {
        let row = procurements::load_managed(&mut conn, actor, id).await?;
        let competition = &row.competition;
        let mut paragraphs = vec![
            "Providers can no longer bid, and the procurement cannot be reopened: to buy the service you would start a new one.".to_string(),
            "Every provider that registered interest or started a bid is emailed that it is cancelled.".to_string(),
        ];
        if competition.opened_at.is_some() {
            paragraphs.push(
                "The bids have been opened: they stay on record, but are not evaluated further."
                    .into(),
            );
        }
        let confirmation = Confirmation {
            caption: competition.reference.clone(),
            heading: format!("Are you sure you want to cancel {}?", competition.title),
            items: Vec::new(),
            paragraphs,
            warnings: vec!["Cancelling cannot be undone.".into()],
            action: format!("/procurements/{id}/cancel"),
            carry: Vec::new(),
            button: "Yes, cancel this procurement".into(),
            warning_button: true,
            back: format!("/procurements/{id}"),
            back_text: "No, go back to the procurement".into(),
        };
        let layout = Layout::new(
            format!("Cancel {}", competition.title),
            "/procurements",
            Some(actor),
            &form.csrf,
        );
        return Ok(render_confirmation(layout, &confirmation, &form.csrf));
    }
    let result: Result<&str, Problem> = match action.as_str() {
        "publish" => procurements::publish(&mut conn, &state.mail, actor, id)
            .await
            .map(|_| "published")
            .map_err(Into::into),
        "open" => {
            async {
                procurements::load_managed(&mut conn, actor, id).await?;
                competitions::open(&mut conn, actor, id).await?;
                Ok::<_, Problem>("opened")
            }
            .await
        }
        "cancel" => procurements::cancel(&mut conn, &state.mail, actor, id)
            .await
            .map(|_| "cancelled")
            .map_err(Into::into),
        _ => award::enter_contract(&mut conn, actor, id)
            .await
            .map(|_| "contract-entered")
            .map_err(Into::into),
    };
    drop(conn);
    match (action.as_str(), result) {
        // A refused publish goes back to the overview, which lists every problem linked
        // to where it is put right (not only the first the publish met).
        ("publish", Err(p)) if shown_on_page(&p) => {
            Ok(see_other(&format!("/procurements/{id}?problems=publish")))
        }
        ("open", result) => {
            after_post(
                result,
                |done| format!("/procurements/{id}?done={done}"),
                |_| "main-content".into(),
                async |errors| {
                    show_submissions(&state, actor, &form.csrf, id, Feedback::errors(errors)).await
                },
            )
            .await
        }
        ("contract-entered", result) => {
            after_post(
                result,
                |done| format!("/procurements/{id}/standstill?done={done}"),
                |_| "main-content".into(),
                async |errors| {
                    super::standstill::show(&state, actor, &form.csrf, id, Feedback::errors(errors))
                        .await
                },
            )
            .await
        }
        (_, result) => {
            after_post(
                result,
                |done| format!("/procurements/{id}?done={done}"),
                |_| "main-content".into(),
                async |errors| show(&state, actor, &form.csrf, id, Feedback::errors(errors)).await,
            )
            .await
        }
    }
}

/// POST /procurements/{id}/documents (multipart: title, file)
pub async fn upload_document(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<Uuid>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let title = form.get("title").unwrap_or_default().to_string();
    let PageForm { files, csrf, .. } = form;
    let file = files.into_iter().find(|f| f.field == "file");
    let result: Result<_, Problem> = match file {
        None => Err(Problem::validation(vec![FieldError::new(
            "file",
            "Choose a file to upload",
        )])),
        Some(Upload {
            file_name, bytes, ..
        }) => {
            let mut conn = state.db().await?;
            documents::add(
                &mut conn,
                &state.files,
                &user.0,
                *id,
                &title,
                &file_name,
                bytes,
            )
            .await
            .map_err(Into::into)
        }
    };
    after_post(
        result,
        |_| format!("/procurements/{id}?done=document"),
        |f: &str| f.to_string(),
        async |errors| {
            show_documents(&state, &user.0, &csrf, *id, title, Feedback::errors(errors)).await
        },
    )
    .await
}
