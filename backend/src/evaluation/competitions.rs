//! Competitions: created and described by their owner, published, opened after the
//! deadline, cancelled; and who may see one, and how ([`load`]).

use super::errors::{EvaluationError, Refusal, Result};
use super::model::*;
use super::{questionnaires, rules};
use crate::audit::{self, Entry};
use crate::auth::{AuthUser, Role};
use crate::db::schema::{competition_lots, competitions, panel_members, questionnaire_versions};
use crate::http::problem::FieldError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// How the reader relates to a competition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The council's commissioners, administrators and contract managers.
    Council,
    /// An evaluator on its panel.
    Panel,
    /// A provider or the public, once published.
    Public,
}

/// The database's clock: the one deadlines are checked against.
pub async fn db_now(conn: &mut AsyncPgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("now()"))
        .get_result(conn)
        .await
}

/// The SQL of the database's clock as a statement runs, for deadline checks inside the
/// writing statement (`now()` is the transaction's start, which may be earlier).
pub fn clock() -> diesel::expression::SqlLiteral<diesel::sql_types::Timestamptz> {
    diesel::dsl::sql::<diesel::sql_types::Timestamptz>("clock_timestamp()")
}

/// A competition by id, or 404.
pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Competition> {
    competitions::table
        .find(id)
        .select(Competition::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(EvaluationError::NotFound("Competition"))
}

/// How `user` may see `competition`, if at all: its council's staff (but evaluators), the
/// evaluators on its panel, and anyone once it is published.
pub async fn access(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    competition: &Competition,
) -> Result<Option<Access>> {
    Ok(match user {
        Some(u)
            if u.organisation_id == competition.council_id
                && matches!(
                    u.role,
                    Role::Admin | Role::Commissioner | Role::ContractManager
                ) =>
        {
            Some(Access::Council)
        }
        Some(u) if u.role == Role::Evaluator => {
            let on_panel: bool = diesel::select(diesel::dsl::exists(
                panel_members::table
                    .filter(panel_members::competition_id.eq(competition.id))
                    .filter(panel_members::user_id.eq(u.id)),
            ))
            .get_result(conn)
            .await?;
            on_panel.then_some(Access::Panel)
        }
        _ => competition.published_at.is_some().then_some(Access::Public),
    })
}

/// Loads a competition the reader may see, and how they see it. Anything else is a 404,
/// so a draft's existence is not revealed.
pub async fn load(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<(Competition, Access)> {
    let competition = find(conn, id).await?;
    match access(conn, user, &competition).await? {
        Some(a) => Ok((competition, a)),
        None => Err(EvaluationError::NotFound("Competition")),
    }
}

/// Loads a competition the user manages (its council's commissioners), else 404 or 403.
pub async fn load_managed(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Competition> {
    user.require(&[Role::Commissioner])?;
    match load(conn, Some(user), id).await? {
        (c, Access::Council) => Ok(c),
        _ => Err(EvaluationError::NotFound("Competition")),
    }
}

/// The competition's lots, in number order.
pub async fn lots(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<Lot>> {
    competition_lots::table
        .filter(competition_lots::competition_id.eq(id))
        .order(competition_lots::number)
        .select(Lot::as_select())
        .load(conn)
        .await
}

/// The fields every competition needs, checked: the reference, the title, the deadline
/// (in the future by `now`) and the lots.
pub fn check(new: &NewCompetition<'_>, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let title = new.title.trim();
    if title.is_empty() {
        errors.push(FieldError::new("title", "Enter a title"));
    } else if title.chars().count() > rules::TITLE_MAX {
        errors.push(FieldError::new(
            "title",
            format!("Title must be {} characters or fewer", rules::TITLE_MAX),
        ));
    } else if !rules::is_one_line(title) {
        errors.push(FieldError::new(
            "title",
            "Title must be one line, without line breaks",
        ));
    }
    let reference = new.reference.trim();
    let reference_ok = !reference.is_empty()
        && reference.len() <= 40
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/');
    if !reference_ok {
        errors.push(FieldError::new(
            "reference",
            "Enter a reference of up to 40 letters, numbers, hyphens or slashes, like WCC-2026-014",
        ));
    }
    if new.submission_deadline <= now {
        errors.push(FieldError::new(
            "submission_deadline",
            "The submission deadline must be in the future",
        ));
    }
    match (new.outcome_model, new.decision_working_days) {
        (OutcomeModel::Admission, Some(d)) if (1..=60).contains(&d) => {}
        (OutcomeModel::Admission, _) => errors.push(FieldError::new(
            "decision_working_days",
            "Say within how many working days of the deadline each application is decided, from 1 to 60",
        )),
        (OutcomeModel::Ranked, None) => {}
        (OutcomeModel::Ranked, Some(_)) => errors.push(FieldError::new(
            "decision_working_days",
            "Only admission has a decision clock",
        )),
    }
    errors.extend(rules::check_lots(new.lots));
    errors
}

fn reference_taken(e: diesel::result::Error) -> EvaluationError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => EvaluationError::field(
            "reference",
            "Another competition already has this reference",
        ),
        other => other.into(),
    }
}

/// Creates a draft competition for `user`'s council, with an empty questionnaire that
/// every lot answers until a lot is given one of its own. The caller has checked it
/// ([`check`]) with its own fields.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    new: &NewCompetition<'_>,
) -> Result<Competition> {
    user.require(&[Role::Commissioner])?;
    diesel::insert_into(competitions::table)
        .values((
            competitions::id.eq(new.id),
            competitions::council_id.eq(user.organisation_id),
            competitions::reference.eq(new.reference.trim()),
            competitions::title.eq(new.title.trim()),
            competitions::outcome_model.eq(new.outcome_model),
            competitions::submission_deadline.eq(new.submission_deadline),
            competitions::decision_working_days.eq(new.decision_working_days),
            competitions::created_by.eq(user.id),
        ))
        .execute(conn)
        .await
        .map_err(reference_taken)?;
    write_lots(conn, new.id, new.lots).await?;
    diesel::insert_into(questionnaire_versions::table)
        .values((
            questionnaire_versions::competition_id.eq(new.id),
            questionnaire_versions::version.eq(1),
            questionnaire_versions::document.eq(serde_json::to_value(Questionnaire::default())
                .map_err(|e| EvaluationError::Internal(e.into()))?),
            questionnaire_versions::created_by.eq(user.id),
        ))
        .execute(conn)
        .await?;
    find(conn, new.id).await
}

/// Changes a draft's reference, title, deadline and lots. Refused once published.
pub async fn update_draft(
    conn: &mut AsyncPgConnection,
    competition: &Competition,
    new: &NewCompetition<'_>,
) -> Result<()> {
    if competition.published_at.is_some() {
        return Err(EvaluationError::refused(
            Refusal::Published,
            "A published competition cannot be edited.",
        ));
    }
    diesel::update(competitions::table.find(competition.id))
        .set((
            competitions::reference.eq(new.reference.trim()),
            competitions::title.eq(new.title.trim()),
            competitions::submission_deadline.eq(new.submission_deadline),
            competitions::decision_working_days.eq(new.decision_working_days),
            competitions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map_err(reference_taken)?;
    write_lots(conn, competition.id, new.lots).await
}

/// Replaces a draft's lots: lots keep their ids (and so any questionnaire of their own)
/// when only their words change; lots beyond the new count go.
async fn write_lots(conn: &mut AsyncPgConnection, id: Uuid, input: &[LotInput]) -> Result<()> {
    diesel::delete(
        competition_lots::table
            .filter(competition_lots::competition_id.eq(id))
            .filter(competition_lots::number.gt(input.len() as i32)),
    )
    .execute(conn)
    .await?;
    for (i, lot) in input.iter().enumerate() {
        diesel::insert_into(competition_lots::table)
            .values((
                competition_lots::competition_id.eq(id),
                competition_lots::number.eq(i as i32 + 1),
                competition_lots::title.eq(lot.title.trim()),
                competition_lots::description.eq(lot.description.trim()),
            ))
            .on_conflict((competition_lots::competition_id, competition_lots::number))
            .do_update()
            .set((
                competition_lots::title.eq(lot.title.trim()),
                competition_lots::description.eq(lot.description.trim()),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Publishes a draft: refused while any questionnaire a lot will answer is incomplete for
/// the outcome model, or once the deadline has passed (database clock). Freezes every
/// questionnaire.
pub async fn publish(conn: &mut AsyncPgConnection, competition: &Competition) -> Result<()> {
    if competition.published_at.is_some() {
        return Err(EvaluationError::refused(
            Refusal::Published,
            "It is already published.",
        ));
    }
    questionnaires::check_ready(conn, competition).await?;
    let published = diesel::update(
        competitions::table
            .find(competition.id)
            .filter(competitions::published_at.is_null())
            .filter(competitions::cancelled_at.is_null())
            .filter(competitions::submission_deadline.gt(diesel::dsl::now)),
    )
    .set((
        competitions::published_at.eq(diesel::dsl::now),
        competitions::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if published == 0 {
        return Err(EvaluationError::refused(
            Refusal::DeadlinePassed,
            "The submission deadline has passed. Move it to a later date, then publish.",
        ));
    }
    diesel::update(
        questionnaire_versions::table
            .filter(questionnaire_versions::competition_id.eq(competition.id))
            .filter(questionnaire_versions::frozen_at.is_null()),
    )
    .set(questionnaire_versions::frozen_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a published competition's deadline later, while it is still open by the database
/// clock as this statement runs. The owner has checked the new deadline is later.
pub async fn move_deadline(
    conn: &mut AsyncPgConnection,
    competition: &Competition,
    deadline: DateTime<Utc>,
) -> Result<()> {
    if competition.published_at.is_none() {
        return Err(EvaluationError::refused(
            Refusal::NotPublished,
            "It is not published: change its details instead.",
        ));
    }
    let moved = diesel::update(
        competitions::table
            .find(competition.id)
            .filter(competitions::opened_at.is_null())
            .filter(competitions::cancelled_at.is_null())
            .filter(competitions::submission_deadline.gt(clock())),
    )
    .set((
        competitions::submission_deadline.eq(deadline),
        competitions::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if moved == 0 {
        return Err(EvaluationError::refused(
            Refusal::DeadlinePassed,
            "The submission deadline has passed, so the timetable can no longer change.",
        ));
    }
    Ok(())
}

/// Cancels a competition that is not yet decided.
pub async fn cancel(conn: &mut AsyncPgConnection, competition: &Competition) -> Result<()> {
    let n = diesel::update(
        competitions::table
            .find(competition.id)
            .filter(competitions::decided_at.is_null())
            .filter(competitions::cancelled_at.is_null()),
    )
    .set((
        competitions::cancelled_at.eq(diesel::dsl::now),
        competitions::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(EvaluationError::refused(
            Refusal::Decided,
            "Only a competition that is not yet decided or cancelled can be cancelled.",
        ));
    }
    Ok(())
}

/// Opens the sealed submissions once the deadline has passed (database clock); audited.
/// Returns how many submissions are in.
pub async fn open(conn: &mut AsyncPgConnection, user: &AuthUser, id: Uuid) -> Result<i64> {
    conn.transaction(async |conn| {
        let competition = load_managed(conn, user, id).await?;
        if competition.opened_at.is_some() {
            return Err(EvaluationError::refused(
                Refusal::AlreadyOpened,
                "The submissions are already open.",
            ));
        }
        let n = diesel::update(
            competitions::table
                .find(id)
                .filter(competitions::opened_at.is_null())
                .filter(competitions::published_at.is_not_null())
                .filter(competitions::cancelled_at.is_null())
                .filter(competitions::submission_deadline.le(diesel::dsl::now)),
        )
        .set((
            competitions::opened_at.eq(diesel::dsl::now),
            competitions::opened_by.eq(user.id),
        ))
        .execute(conn)
        .await?;
        if n == 0 {
            return Err(EvaluationError::refused(
                Refusal::DeadlineNotPassed,
                format!(
                    "Submissions stay sealed until the deadline, {}.",
                    crate::calendar::london_time(competition.submission_deadline)
                ),
            ));
        }
        let count = super::queries::count_in(conn, id).await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("competition.opened", "competition", id)
                .with_details(serde_json::json!({"submissions": count})),
        )
        .await?;
        Ok(count)
    })
    .await
}

/// Records the ranked decision's time (the award): from then nothing in the evaluation
/// changes. Refused when already decided.
pub(super) async fn mark_decided(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<()> {
    let n = diesel::update(
        competitions::table
            .find(id)
            .filter(competitions::decided_at.is_null())
            .filter(competitions::cancelled_at.is_null()),
    )
    .set((
        competitions::decided_at.eq(at),
        competitions::decided_by.eq(user.id),
        competitions::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(EvaluationError::refused(
            Refusal::Decided,
            "It has already been decided or was cancelled.",
        ));
    }
    Ok(())
}
