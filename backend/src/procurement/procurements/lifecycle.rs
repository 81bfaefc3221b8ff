//! A procurement's life after its draft: the conflicts assessment, publishing with its
//! opening notices, moving the timetable later, and cancelling. Each is one audited
//! transaction; publishing, a timetable change and cancelling also email the people they
//! concern.

use super::*;

/// Records the conflicts assessment (PA2023 s.83) (commissioners): before publication,
/// and kept up to date until award.
pub async fn record_conflicts_assessment(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    assessment: &str,
) -> Result<()> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        let text = assessment.trim();
        if text.is_empty() || text.len() > evaluation::rules::TEXT_MAX {
            return Err(ProcurementError::field(
                "assessment",
                "Describe the conflicts assessment: who was considered, any conflicts found, and how they are managed (up to 20,000 characters)",
            ));
        }
        if row.awarded_at().is_some() {
            return Err(ProcurementError::refused(
                Refusal::Awarded,
                "The procurement has been awarded.",
            ));
        }
        diesel::update(procurements::table.find(id))
            .set((
                procurements::conflicts_assessment.eq(text),
                procurements::conflicts_assessed_at.eq(diesel::dsl::now),
                procurements::conflicts_assessed_by.eq(user.id),
                procurements::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        // The log keeps every version of the assessment, not just the fact it changed.
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.conflicts_assessed", "procurement", id).with_details(
                serde_json::json!({"assessment": text, "previous": row.procedure.conflicts_assessment}),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Where a problem that stops publication is put right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishFix {
    /// The procurement's details; the field is the form's input (`submission_date`).
    Details(&'static str),
    /// The questionnaire: a question (by id) and its field, or the whole questionnaire.
    Question(Option<String>, String),
    /// The conflicts assessment.
    ConflictsAssessment,
}

impl PublishFix {
    /// The field of the API's input that the problem is about, for a refused publish.
    pub fn api_field(&self) -> String {
        match self {
            PublishFix::Details("submission_date") => "submission_deadline".into(),
            PublishFix::Details(field) => (*field).into(),
            PublishFix::Question(Some(question), field) => {
                format!("questionnaire.{question}.{field}")
            }
            PublishFix::Question(None, field) => format!("questionnaire.{field}"),
            PublishFix::ConflictsAssessment => "conflicts_assessment".into(),
        }
    }
}

/// One thing that stops a draft being published, in words for the commissioner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishProblem {
    pub message: String,
    pub fix: PublishFix,
}

/// Everything that would stop a draft being published now (commissioners), in the order
/// of the task list, so the page can list every problem at once. [`publish`] stays the
/// authority (it reads the deadline on the database clock); an empty list for a published
/// procurement.
pub async fn publish_problems(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<PublishProblem>> {
    let row = load_managed(conn, user, id).await?;
    let competition = &row.competition;
    if competition.published_at.is_some() || competition.cancelled_at.is_some() {
        return Ok(Vec::new());
    }
    let mut problems = Vec::new();
    if competition.submission_deadline <= chrono::Utc::now() {
        problems.push(PublishProblem {
            message: "The deadline for bids has passed: move it to a later date".into(),
            fix: PublishFix::Details("submission_date"),
        });
    }
    let own = evaluation::questionnaires::current(conn, id, None).await?;
    if let Err(evaluation::EvaluationError::Invalid { errors, .. }) =
        evaluation::questionnaires::check_ready(conn, competition).await
    {
        for e in errors {
            problems.push(PublishProblem {
                fix: question_fix(&own.questionnaire, &e.field),
                message: format!("Questionnaire: {}", e.message),
            });
        }
    }
    if row.procedure.conflicts_assessed_at.is_none() {
        problems.push(PublishProblem {
            message: "Record the conflicts assessment".into(),
            fix: PublishFix::ConflictsAssessment,
        });
    }
    Ok(problems)
}

/// The question and field a questionnaire error (`sections[0].questions[1].weight`) names.
fn question_fix(q: &evaluation::Questionnaire, field: &str) -> PublishFix {
    let index = |key: &str| {
        field
            .split_once(key)
            .and_then(|(_, rest)| rest.split_once(']'))
            .and_then(|(n, _)| n.parse::<usize>().ok())
    };
    let question = index("sections[")
        .zip(index("questions["))
        .and_then(|(s, i)| q.sections.get(s)?.questions.get(i))
        .map(|q| q.id.clone());
    let name = field.rsplit('.').next().unwrap_or(field).to_string();
    PublishFix::Question(question, name)
}

/// Publishes a draft (commissioners): refused without a conflicts assessment, with an
/// incomplete questionnaire, or once the deadline has passed (database clock). Freezes the
/// questionnaire and emails an opening notice to every provider who asked for them for
/// this type of service.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<()> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        if row.competition.published_at.is_some() {
            return Err(ProcurementError::refused(
                Refusal::Published,
                "The procurement is already published.",
            ));
        }
        // Every problem at once, so an API client (like the page) can put them all right
        // in one go; the engine's publish below stays the authority on the deadline.
        let problems = publish_problems(tx, user, id).await?;
        if !problems.is_empty() {
            return Err(ProcurementError::Unpublishable(problems));
        }
        engine::publish(tx, &row.competition).await?;
        let notified = opening_notices(tx, mail_context, &row).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.published", "procurement", id).with_details(
                serde_json::json!({"reference": row.competition.reference, "opening_notices": notified}),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Emails the opening notice of a just-published procurement to providers' users who
/// have confirmed their email address, have not turned opening notices off, and chose this
/// type of service (or chose none, which means every type). Returns how many were queued.
async fn opening_notices(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    row: &ProcurementRow,
) -> Result<usize> {
    use crate::db::schema::notification_service_types as prefs;
    let service_type = row.procedure.service_type;
    let recipients: Vec<(String, String, Uuid)> = users::table
        .inner_join(organisations::table)
        .filter(users::role.eq(Role::Provider))
        .filter(users::active.eq(true))
        .filter(organisations::active.eq(true))
        .filter(users::email_verified_at.is_not_null())
        .filter(
            diesel::dsl::not(diesel::dsl::exists(
                prefs::table.filter(prefs::user_id.eq(users::id)),
            ))
            .or(diesel::dsl::exists(
                prefs::table
                    .filter(prefs::user_id.eq(users::id))
                    .filter(prefs::service_type.eq(service_type.as_str())),
            )),
        )
        .order(users::email)
        .select((users::email, users::name, users::id))
        .load(conn)
        .await?;
    let view = view(conn, row).await?;
    let message = TenderOpened {
        reference: view.reference.clone(),
        title: view.title.clone(),
        council: view.council_name.clone(),
        service: view.service_type.label().into(),
        districts: view.district_names.join(", "),
        value: Pence(view.estimated_value_pence).to_string(),
        clarification_deadline: crate::calendar::london_time(view.clarification_deadline),
        deadline: crate::calendar::london_time(view.submission_deadline),
        link: format!("{}/opportunities/{}", mail_context.public_url, view.id),
    };
    let reason = format!(
        "You received this email because you asked for opening notices about {}.",
        service_type.label().to_lowercase()
    );
    let mut queued = 0;
    for recipient in recipients {
        let email = Email::new(&message, recipient, reason.clone())
            .optional(mail::NotificationKind::OpeningNotices);
        queued += usize::from(mail::enqueue(conn, mail_context, email).await?.is_some());
    }
    Ok(queued)
}

/// Moves a published procurement's deadlines later (commissioners), while it is still
/// open by the database clock. Deadlines only move later, so nobody loses time they were
/// promised; everyone who registered interest or started a bid is emailed the change.
pub async fn change_timetable(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    input: &TimetableInput,
) -> Result<ProcurementView> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        if row.competition.published_at.is_none() {
            return Err(ProcurementError::refused(
                Refusal::Draft,
                "This procurement is not published: change its details instead.",
            ));
        }
        let errors = rules::check_timetable(
            input,
            row.procedure.clarification_deadline,
            row.competition.submission_deadline,
        );
        if !errors.is_empty() {
            return Err(ProcurementError::invalid(errors));
        }
        engine::move_deadline(tx, &row.competition, input.submission_deadline).await?;
        diesel::update(procurements::table.find(id))
            .set((
                procurements::clarification_deadline.eq(input.clarification_deadline),
                procurements::planned_award_date.eq(input.planned_award_date),
                procurements::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        let message = TimetableChanged {
            reference: row.competition.reference.clone(),
            title: row.competition.title.clone(),
            why: input.reason.trim().into(),
            old_deadline: crate::calendar::london_time(row.competition.submission_deadline),
            deadline: crate::calendar::london_time(input.submission_deadline),
            clarification_deadline: crate::calendar::london_time(input.clarification_deadline),
            link: format!("{}/opportunities/{}", mail_context.public_url, id),
        };
        tell_bidders(tx, mail_context, &row.competition, &message).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.timetable_changed", "procurement", id).with_details(
                serde_json::json!({
                    "from": row.competition.submission_deadline,
                    "to": input.submission_deadline,
                    "clarification_deadline": input.clarification_deadline,
                }),
            ),
        )
        .await?;
        let (row, _) = load(tx, Some(user), id).await?;
        view(tx, &row).await
    })
    .await
}

/// Cancels a procurement before award (commissioners); everyone who registered interest
/// or started a bid is told.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<()> {
    conn.transaction(async |tx| {
        let row = load_managed(tx, user, id).await?;
        engine::cancel(tx, &row.competition).await.map_err(|_| {
            ProcurementError::refused(
                Refusal::Closed,
                "Only a procurement that is not yet awarded or cancelled can be cancelled.",
            )
        })?;
        let message = ProcurementCancelled {
            reference: row.competition.reference.clone(),
            title: row.competition.title.clone(),
            opened: row.competition.opened_at.is_some(),
            link: format!("{}/bids", mail_context.public_url),
        };
        tell_bidders(tx, mail_context, &row.competition, &message).await?;
        audit::record(
            tx,
            &user.actor(),
            Entry::new("procurement.cancelled", "procurement", id),
        )
        .await?;
        Ok(())
    })
    .await
}
