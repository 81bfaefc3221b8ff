//! A procurement's questionnaire: reading any version, and replacing it (in place while a
//! draft; after publishing, as a new version with a change note emailed to bidders).

use super::*;

/// Which questionnaire version.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version number; the newest when absent.
    pub version: Option<i32>,
}

/// The questionnaire bidders answer: the newest version, or an earlier one.
pub async fn questionnaire(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
    version: Option<i32>,
) -> Result<QuestionnaireView> {
    load(conn, user, id).await?;
    let current = questionnaires::current(conn, id, None).await?;
    match version {
        None => Ok(current),
        Some(v) if v == current.version.version => Ok(current),
        Some(v) => {
            let wanted: Option<Uuid> = crate::db::schema::questionnaire_versions::table
                .filter(crate::db::schema::questionnaire_versions::competition_id.eq(id))
                .filter(crate::db::schema::questionnaire_versions::lot_id.is_null())
                .filter(crate::db::schema::questionnaire_versions::version.eq(v))
                .select(crate::db::schema::questionnaire_versions::id)
                .first(conn)
                .await
                .optional()?;
            match wanted {
                Some(q) => Ok(questionnaires::by_id(conn, q).await?),
                None => Err(ProcurementError::not_found("Questionnaire version")),
            }
        }
    }
}

/// What a commissioner sends to replace the questionnaire.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct QuestionnaireInput {
    pub questionnaire: Questionnaire,
    /// Required once published: what changed, as bidders will read it.
    #[serde(default)]
    pub change_note: String,
}

/// Replaces the questionnaire (commissioners). Before publication the draft changes in
/// place; afterwards (and only before the deadline) the change becomes a new version,
/// drafts move to it, and every interested bidder is emailed the change note.
pub async fn replace_questionnaire(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    input: QuestionnaireInput,
) -> Result<QuestionnaireView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        let replaced = questionnaires::replace(
            tx,
            user,
            &row.competition,
            None,
            input.questionnaire,
            &input.change_note,
        )
        .await?;
        if replaced.versioned {
            let message = QuestionnaireChanged {
                reference: row.competition.reference.clone(),
                title: row.competition.title.clone(),
                version: replaced.view.version.version,
                change_note: replaced.view.version.change_note.clone(),
                link: format!("{}/opportunities/{}", mail_context.public_url, id),
            };
            tell_bidders(tx, mail_context, &row.competition, &message).await?;
        }
        Ok(replaced.view)
    })
    .await
}
