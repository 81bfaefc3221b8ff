//! Clarification questions before the clarification deadline (database clock), and the
//! council's answers: privately to the asker, or published, anonymised, to every bidder.

use super::emails::{ClarificationAnswered, ClarificationAsked};
use super::errors::{ProcurementError, Refusal, Result};
use super::model::ClarificationView;
use super::procurements::{interested_users, load, load_managed};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{clarifications, organisations, users};
use crate::evaluation::Access;
use crate::evaluation::rules::TEXT_MAX;
use crate::mail::{self, Email, MailContext, NotificationKind, Recipient};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Asks a clarification question (providers), before the clarification deadline by
/// the database clock.
pub async fn ask(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    question: &str,
) -> Result<ClarificationView> {
    user.require(&[Role::Provider])?;
    conn.transaction(async |conn| {
        let (row, _) = load(conn, Some(user), id).await?;
        let question = question.trim();
        if question.is_empty() || question.len() > 5000 {
            return Err(ProcurementError::field(
                "question",
                "Enter your question, in up to 5,000 characters",
            ));
        }
        let inserted: Option<Uuid> = diesel::sql_query(
            "INSERT INTO clarifications (procurement_id, organisation_id, asked_by, question)
         SELECT $1, $2, $3, $4 FROM procurements p JOIN competitions c USING (id)
         WHERE p.id = $1 AND c.published_at IS NOT NULL AND c.cancelled_at IS NULL
           AND clock_timestamp() < p.clarification_deadline
         RETURNING id",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Uuid, _>(user.organisation_id)
        .bind::<diesel::sql_types::Uuid, _>(user.id)
        .bind::<diesel::sql_types::Text, _>(question)
        .get_result::<IdRow>(conn)
        .await
        .optional()?
        .map(|r| r.id);
        let Some(cid) = inserted else {
            return Err(ProcurementError::refused(
                Refusal::ClarificationDeadlinePassed,
                format!(
                    "Clarification questions closed at {}.",
                    crate::calendar::london_time(row.procedure.clarification_deadline)
                ),
            ));
        };
        audit::record(
            conn,
            &user.actor(),
            Entry::new("clarification.asked", "clarification", cid)
                .for_organisation(user.organisation_id)
                .with_details(serde_json::json!({"procurement_id": id})),
        )
        .await?;
        list_clarifications(conn, Some(user), id)
            .await?
            .into_iter()
            .find(|c| c.id == cid)
            .ok_or_else(|| ProcurementError::not_found("Clarification"))
    })
    .await
}

/// [`ask`], and the question emailed to the commissioners of the council that runs the
/// procurement (each may turn these emails off), in the same transaction.
pub async fn ask_and_tell_council(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    question: &str,
) -> Result<ClarificationView> {
    conn.transaction(async |tx| {
        let view = ask(tx, user, id, question).await?;
        let (row, _) = load(tx, Some(user), id).await?;
        let competition = &row.competition;
        let commissioners: Vec<(String, String, Uuid)> = users::table
            .filter(users::organisation_id.eq(competition.council_id))
            .filter(users::role.eq(Role::Commissioner))
            .filter(users::active.eq(true))
            .order(users::email)
            .select((users::email, users::name, users::id))
            .load(tx)
            .await?;
        let message = ClarificationAsked {
            reference: competition.reference.clone(),
            title: competition.title.clone(),
            question: view.question.clone(),
            clarification_deadline: crate::calendar::london_time(
                row.procedure.clarification_deadline,
            ),
            link: format!("{}/procurements/{}/clarifications", mail_context.public_url, id),
        };
        let reason = format!(
            "You received this email because you are a commissioner at the council that runs {}, and you asked to hear about clarification questions.",
            competition.reference
        );
        for c in commissioners {
            let email = Email::new(&message, Recipient::from(c), reason.clone())
                .optional(NotificationKind::ClarificationQuestions);
            mail::enqueue(tx, mail_context, email).await?;
        }
        Ok(view)
    })
    .await
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// Answers a clarification (commissioners): privately to the asker, or published,
/// anonymised, to every bidder. The asker is always emailed; when published, so is
/// every interested bidder.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
    clarification_id: Uuid,
    answer: &str,
    publish: bool,
) -> Result<ClarificationView> {
    conn.transaction(async |conn| {
    let row = load_managed(conn, user, id).await?;
    let answer = answer.trim();
    if answer.is_empty() || answer.len() > TEXT_MAX {
        return Err(ProcurementError::field(
            "answer",
            "Enter the answer, in up to 20,000 characters",
        ));
    }
    let previous: Option<Option<String>> = clarifications::table
        .find(clarification_id)
        .filter(clarifications::procurement_id.eq(id))
        .select(clarifications::answer)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let asker: Option<(Uuid, String)> = diesel::update(
        clarifications::table
            .find(clarification_id)
            .filter(clarifications::procurement_id.eq(id)),
    )
    .set((
        clarifications::answer.eq(answer),
        clarifications::published.eq(publish),
        clarifications::answered_by.eq(user.id),
        clarifications::answered_at.eq(diesel::dsl::now),
    ))
    .returning((clarifications::asked_by, clarifications::question))
    .get_result(conn)
    .await
    .optional()?;
    let Some((asked_by, question)) = asker else {
        return Err(ProcurementError::not_found("Clarification"));
    };
    let mut recipients: Vec<Recipient> = users::table
        .filter(users::id.eq(asked_by))
        .filter(users::active.eq(true))
        .select((users::email, users::name, users::id))
        .load::<(String, String, Uuid)>(conn)
        .await?
        .into_iter()
        .map(Recipient::from)
        .collect();
    if publish {
        for r in interested_users(conn, id).await? {
            if !recipients.iter().any(|x| x.user_id == r.user_id) {
                recipients.push(r);
            }
        }
    }
    let reference = &row.competition.reference;
    let message = ClarificationAnswered {
        reference: reference.clone(),
        title: row.competition.title.clone(),
        question,
        answer: answer.into(),
        published: publish,
        link: format!("{}/opportunities/{}", mail_context.public_url, id),
    };
    for recipient in recipients {
        let reason = if recipient.user_id == Some(asked_by) {
            format!("You received this email because you asked a clarification question about {reference}.")
        } else {
            format!("You received this email because your organisation is interested in {reference}, and the council published an answer for every bidder.")
        };
        mail::enqueue(conn, mail_context, Email::new(&message, recipient, reason)).await?;
    }
    // The log keeps every answer given, so a changed answer's earlier text survives.
    audit::record(
        conn,
        &user.actor(),
        Entry::new("clarification.answered", "clarification", clarification_id).with_details(
            serde_json::json!({
                "procurement_id": id,
                "published": publish,
                "answer": answer,
                "previous_answer": previous.flatten(),
            }),
        ),
    )
    .await?;
    list_clarifications(conn, Some(user), id)
        .await?
        .into_iter()
        .find(|c| c.id == clarification_id)
        .ok_or_else(|| ProcurementError::not_found("Clarification"))
    })
    .await
}

/// Clarifications the reader may see: the council sees all with who asked; a provider
/// sees its own and the published ones, without who asked.
pub async fn list_clarifications(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<Vec<ClarificationView>> {
    let (_, access) = load(conn, user, id).await?;
    // Nobody outside the council shares the council's organisation id.
    let own = user.map(|u| u.organisation_id).unwrap_or_else(Uuid::nil);
    let mut query = clarifications::table
        .inner_join(organisations::table)
        .filter(clarifications::procurement_id.eq(id))
        .into_boxed();
    if access != Access::Council {
        query = query.filter(
            clarifications::organisation_id
                .eq(own)
                .or(clarifications::published.eq(true)),
        );
    }
    type Row = (
        Uuid,
        Uuid,
        String,
        DateTime<Utc>,
        Option<String>,
        Option<DateTime<Utc>>,
        bool,
        String,
    );
    let rows: Vec<Row> = query
        .order(clarifications::asked_at)
        .select((
            clarifications::id,
            clarifications::organisation_id,
            clarifications::question,
            clarifications::asked_at,
            clarifications::answer,
            clarifications::answered_at,
            clarifications::published,
            organisations::legal_name,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(cid, org, question, asked_at, answer, answered_at, published, name)| {
                let yours = org == own;
                ClarificationView {
                    id: cid,
                    question,
                    asked_at,
                    answer,
                    answered_at,
                    published,
                    organisation_name: (access == Access::Council || yours).then_some(name),
                    yours,
                }
            },
        )
        .collect())
}
