//! The `procurement` bounded context: the evaluation engine that tenders, DPS admissions,
//! DPS call-offs and framework tenders share (DOMAIN.md, "The evaluation engine").
//!
//! - [`rules`] and [`scoring`]: the pure rules (status, questionnaires, completeness,
//!   weights, price scores, thresholds, ranking), each in one place with its tests;
//! - this module: procurements, their questionnaire versions, documents, interest and
//!   clarifications;
//! - [`submissions`]: sealed bids, drafts, evidence, receipts, withdrawal;
//! - [`evaluation`]: opening, panels and conflicts, scores, moderation, results, award,
//!   assessment summaries, standstill and contract entry;
//! - [`standstill`]: the job that emails commissioners when standstill ends;
//! - [`reminders`]: the job that reminds providers of bids they have not submitted.
//!
//! Errors are [`Problem`]s: every failure here is one a person can act on, so each says
//! what to do.

/// Runs `$body` in a transaction on a pooled connection bound to `$tx` (handlers in
/// `api` and `pages`; defined before them so both see it).
macro_rules! in_tx {
    ($state:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $state.db().await?;
        conn.transaction::<_, Problem, _>(async |$tx| $body).await
    }};
}

pub mod api;
pub mod demo;
pub mod evaluation;
pub mod model;
pub mod pages;
pub mod reminders;
pub mod rules;
pub mod scoring;
pub mod standstill;
pub mod submissions;

use crate::audit::{self, Entry};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::db::schema::{
    districts, organisations, panel_members, procurement_districts, procurement_documents,
    procurement_interests, procurement_lots, procurements, questionnaire_versions, stored_files,
    users,
};
use crate::http::pagination::{PageRequest, Paged};
use crate::http::problem::{FieldError, Problem};
use crate::mail::{self, Email, MailContext};
use crate::organisations::model::ServiceType;
use actix_web::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use model::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Hands this context's routes and jobs to the application.
pub fn register(registry: &mut crate::registry::Registry) {
    use crate::background::Job;
    registry
        .api(api::configure)
        .pages(pages::configure)
        .job(Job::new(
            standstill::NAME,
            "Emails commissioners when a procurement's standstill ends, so the contract can be entered into",
            standstill::SCHEDULE,
            standstill::run,
        ))
        .job(Job::new(
            reminders::NAME,
            "Reminds providers, three days ahead, of tender bids they started and have not submitted",
            reminders::SCHEDULE,
            reminders::run,
        ));
}

/// A procurement's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procurements)]
pub struct ProcurementRow {
    pub id: Uuid,
    pub council_id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub service_type: String,
    pub estimated_value_pence: i64,
    pub regime: String,
    pub light_touch: bool,
    pub procedure: String,
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    pub standstill_working_days: i32,
    pub conflicts_assessment: Option<String>,
    pub conflicts_assessed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub award_notice: Option<serde_json::Value>,
    pub standstill_ends_at: Option<DateTime<Utc>>,
    pub contract_entered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
}

impl ProcurementRow {
    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ProcurementStatus {
        rules::status(
            &rules::StatusFacts {
                published_at: self.published_at,
                submission_deadline: self.submission_deadline,
                opened_at: self.opened_at,
                awarded_at: self.awarded_at,
                standstill_ends_at: self.standstill_ends_at,
                contract_entered_at: self.contract_entered_at,
                cancelled_at: self.cancelled_at,
            },
            now,
        )
    }
}

/// How the reader relates to a procurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The council's commissioners, administrators and contract managers.
    Council,
    /// An evaluator on its panel.
    Panel,
    /// A provider or the public, once published.
    Public,
}

/// Loads a procurement the reader may see, and how they see it. Anything else is a 404, so
/// a draft's existence is not revealed.
pub async fn load(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
) -> Result<(ProcurementRow, Access), Problem> {
    let row: ProcurementRow = procurements::table
        .find(id)
        .select(ProcurementRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| Problem::not_found("Procurement"))?;
    let access = match user {
        Some(u)
            if u.organisation_id == row.council_id
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
                    .filter(panel_members::procurement_id.eq(id))
                    .filter(panel_members::user_id.eq(u.id)),
            ))
            .get_result(conn)
            .await?;
            on_panel.then_some(Access::Panel)
        }
        _ => row.published_at.is_some().then_some(Access::Public),
    };
    access
        .map(|a| (row, a))
        .ok_or_else(|| Problem::not_found("Procurement"))
}

/// Loads a procurement the user manages (its council's commissioners), else 404 or 403.
pub async fn load_managed(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<ProcurementRow, Problem> {
    user.require(&[Role::Commissioner])?;
    match load(conn, Some(user), id).await? {
        (row, Access::Council) => Ok(row),
        _ => Err(Problem::not_found("Procurement")),
    }
}

/// A 409 with a sentence saying why and what to do.
pub fn conflict(slug: &str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::CONFLICT, slug, "This cannot be done now").with_detail(detail)
}

/// A lot as sent when creating a procurement.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct LotInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// What a commissioner sends to create or change a procurement.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ProcurementInput {
    pub title: String,
    pub reference: String,
    pub description: String,
    pub service_type: ServiceType,
    pub district_ids: Vec<Uuid>,
    pub estimated_value_pence: i64,
    pub regime: Regime,
    pub light_touch: bool,
    pub procedure: Procedure,
    #[serde(default)]
    pub lots: Vec<LotInput>,
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    /// Default 8 (DOMAIN.md: voluntary 8 working days for light-touch contracts).
    #[serde(default = "eight")]
    pub standstill_working_days: i32,
}

fn eight() -> i32 {
    8
}

/// The columns a commissioner's input sets, shared by create and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = procurements)]
struct Fields<'a> {
    reference: &'a str,
    title: &'a str,
    description: &'a str,
    service_type: &'a str,
    estimated_value_pence: i64,
    regime: &'a str,
    light_touch: bool,
    procedure: &'a str,
    clarification_deadline: DateTime<Utc>,
    submission_deadline: DateTime<Utc>,
    planned_award_date: NaiveDate,
    standstill_working_days: i32,
}

impl<'a> From<&'a ProcurementInput> for Fields<'a> {
    fn from(input: &'a ProcurementInput) -> Self {
        Self {
            reference: input.reference.trim(),
            title: input.title.trim(),
            description: input.description.trim(),
            service_type: input.service_type.as_str(),
            estimated_value_pence: input.estimated_value_pence,
            regime: input.regime.as_str(),
            light_touch: input.light_touch,
            procedure: input.procedure.as_str(),
            clarification_deadline: input.clarification_deadline,
            submission_deadline: input.submission_deadline,
            planned_award_date: input.planned_award_date,
            standstill_working_days: input.standstill_working_days,
        }
    }
}

/// The database's clock: the one deadlines are checked against.
pub(crate) async fn db_now(conn: &mut AsyncPgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("now()"))
        .get_result(conn)
        .await
}

async fn check_input(
    conn: &mut AsyncPgConnection,
    input: &ProcurementInput,
) -> Result<(), Problem> {
    let now = db_now(conn).await?;
    let mut errors = rules::check_procurement(
        &input.title,
        input.reference.trim(),
        &input.description,
        input.clarification_deadline,
        input.submission_deadline,
        input.planned_award_date,
        input.regime,
        input.light_touch,
        input.standstill_working_days,
        now,
    );
    if !(0..=100_000_000_000_000).contains(&input.estimated_value_pence) {
        errors.push(FieldError::new(
            "estimated_value_pence",
            "Enter an estimated value from £0 to £1,000,000,000,000",
        ));
    }
    let mut ids = input.district_ids.clone();
    ids.sort();
    ids.dedup();
    let known = crate::organisations::queries::count_districts(conn, &ids).await?;
    if ids.is_empty() || known != ids.len() as i64 {
        errors.push(FieldError::new(
            "district_ids",
            "Choose at least one district, from the list of districts",
        ));
    }
    if input.lots.len() > 20 {
        errors.push(FieldError::new(
            "lots",
            "A procurement can have at most 20 lots",
        ));
    }
    for (i, lot) in input.lots.iter().enumerate() {
        if lot.title.trim().is_empty()
            || lot.title.chars().count() > rules::TITLE_MAX
            || !rules::is_one_line(&lot.title)
        {
            errors.push(FieldError::new(
                format!("lots[{i}].title"),
                "Give each lot a title of up to 200 characters, on one line",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

fn reference_taken(e: diesel::result::Error) -> Problem {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Problem::validation(vec![FieldError::new(
                "reference",
                "Another procurement already has this reference",
            )])
        }
        other => other.into(),
    }
}

async fn write_children(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &ProcurementInput,
) -> QueryResult<()> {
    diesel::delete(
        procurement_districts::table.filter(procurement_districts::procurement_id.eq(id)),
    )
    .execute(conn)
    .await?;
    let mut ids = input.district_ids.clone();
    ids.sort();
    ids.dedup();
    let rows: Vec<_> = ids
        .iter()
        .map(|d| {
            (
                procurement_districts::procurement_id.eq(id),
                procurement_districts::district_id.eq(*d),
            )
        })
        .collect();
    diesel::insert_into(procurement_districts::table)
        .values(rows)
        .execute(conn)
        .await?;
    diesel::delete(procurement_lots::table.filter(procurement_lots::procurement_id.eq(id)))
        .execute(conn)
        .await?;
    let lots: Vec<_> = input
        .lots
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                procurement_lots::procurement_id.eq(id),
                procurement_lots::number.eq(i as i32 + 1),
                procurement_lots::title.eq(l.title.trim()),
                procurement_lots::description.eq(l.description.trim()),
            )
        })
        .collect();
    if !lots.is_empty() {
        diesel::insert_into(procurement_lots::table)
            .values(lots)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Creates a draft procurement with an empty questionnaire (commissioners).
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    input: &ProcurementInput,
) -> Result<ProcurementView, Problem> {
    user.require(&[Role::Commissioner])?;
    check_input(conn, input).await?;
    let id: Uuid = diesel::insert_into(procurements::table)
        .values((
            Fields::from(input),
            procurements::council_id.eq(user.organisation_id),
            procurements::created_by.eq(user.id),
        ))
        .returning(procurements::id)
        .get_result(conn)
        .await
        .map_err(reference_taken)?;
    write_children(conn, id, input).await?;
    diesel::insert_into(questionnaire_versions::table)
        .values((
            questionnaire_versions::procurement_id.eq(id),
            questionnaire_versions::version.eq(1),
            questionnaire_versions::document
                .eq(serde_json::to_value(Questionnaire::default()).map_err(Problem::internal)?),
            questionnaire_versions::created_by.eq(user.id),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.created", "procurement", id).with_details(
            serde_json::json!({"reference": input.reference.trim(), "title": input.title.trim()}),
        ),
    )
    .await?;
    let (row, _) = load(conn, Some(user), id).await?;
    view(conn, &row).await
}

/// Changes a draft procurement (commissioners). Published procurements change only
/// through questionnaire versions and clarifications.
pub async fn update(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    input: &ProcurementInput,
) -> Result<ProcurementView, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.published_at.is_some() {
        return Err(conflict(
            "procurement-published",
            "A published procurement cannot be edited. Change the questionnaire (bidders are told) or answer a clarification instead.",
        ));
    }
    check_input(conn, input).await?;
    diesel::update(procurements::table.find(id))
        .set((
            Fields::from(input),
            procurements::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map_err(reference_taken)?;
    write_children(conn, id, input).await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.updated", "procurement", id),
    )
    .await?;
    let (row, _) = load(conn, Some(user), id).await?;
    view(conn, &row).await
}

/// Builds what readers see of a procurement.
pub async fn view(
    conn: &mut AsyncPgConnection,
    row: &ProcurementRow,
) -> Result<ProcurementView, Problem> {
    let council_name: String = organisations::table
        .find(row.council_id)
        .select(organisations::legal_name)
        .first(conn)
        .await?;
    let district_rows: Vec<(Uuid, String)> = procurement_districts::table
        .inner_join(districts::table)
        .filter(procurement_districts::procurement_id.eq(row.id))
        .order(districts::name)
        .select((districts::id, districts::name))
        .load(conn)
        .await?;
    let lots = lots(conn, row.id).await?;
    let documents = documents(conn, row.id).await?;
    let version = latest_version(conn, row.id).await?;
    Ok(ProcurementView {
        id: row.id,
        reference: row.reference.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        council_name,
        service_type: row.service_type.parse().map_err(Problem::internal)?,
        district_ids: district_rows.iter().map(|d| d.0).collect(),
        district_names: district_rows.into_iter().map(|d| d.1).collect(),
        estimated_value_pence: row.estimated_value_pence,
        regime: Regime::parse(&row.regime).unwrap_or(Regime::Pa2023),
        light_touch: row.light_touch,
        procedure: Procedure::parse(&row.procedure).unwrap_or(Procedure::Open),
        lots,
        clarification_deadline: row.clarification_deadline,
        submission_deadline: row.submission_deadline,
        planned_award_date: row.planned_award_date,
        standstill_working_days: row.standstill_working_days,
        status: row.status(Utc::now()),
        published_at: row.published_at,
        conflicts_assessed_at: row.conflicts_assessed_at,
        opened_at: row.opened_at,
        awarded_at: row.awarded_at,
        standstill_ends_at: row.standstill_ends_at,
        contract_entered_at: row.contract_entered_at,
        questionnaire_version: version,
        documents,
    })
}

/// The procurement's lots, in number order.
pub async fn lots(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<Lot>> {
    let rows: Vec<(Uuid, i32, String, String)> = procurement_lots::table
        .filter(procurement_lots::procurement_id.eq(id))
        .order(procurement_lots::number)
        .select((
            procurement_lots::id,
            procurement_lots::number,
            procurement_lots::title,
            procurement_lots::description,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, number, title, description)| Lot {
            id,
            number,
            title,
            description,
        })
        .collect())
}

async fn documents(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<FileView>> {
    let rows: Vec<(String, crate::storage::StoredFile)> = procurement_documents::table
        .inner_join(stored_files::table)
        .filter(procurement_documents::procurement_id.eq(id))
        .order(stored_files::created_at)
        .select((
            procurement_documents::title,
            crate::storage::StoredFile::as_select(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(title, f)| file_view(title, f))
        .collect())
}

/// What users see of a stored file.
pub fn file_view(title: String, f: crate::storage::StoredFile) -> FileView {
    FileView {
        id: f.id,
        title,
        file_name: f.display_name,
        content_type: f.content_type,
        size_bytes: f.size_bytes,
        sha256: f.sha256,
    }
}

/// Filters for lists of procurements.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ProcurementFilter {
    pub service_type: Option<ServiceType>,
    pub district_id: Option<Uuid>,
    /// Only those open for bids.
    pub open: Option<bool>,
}

/// Procurements the reader may see: the public and providers see published ones, the
/// council sees its own, evaluators those on whose panel they sit. Newest deadline first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    filter: &ProcurementFilter,
    page: PageRequest,
) -> Result<Paged<ProcurementView>, Problem> {
    let mut query = procurements::table.into_boxed();
    let mut count = procurements::table.into_boxed();
    macro_rules! both {
        ($f:expr) => {{
            query = query.filter($f);
            count = count.filter($f);
        }};
    }
    match user {
        Some(u) if u.is_council() && u.role != Role::Evaluator => {
            both!(procurements::council_id.eq(u.organisation_id))
        }
        Some(u) if u.role == Role::Evaluator => both!(
            procurements::id.eq_any(
                panel_members::table
                    .filter(panel_members::user_id.eq(u.id))
                    .select(panel_members::procurement_id)
            )
        ),
        _ => both!(procurements::published_at.is_not_null()),
    }
    if let Some(s) = filter.service_type {
        both!(procurements::service_type.eq(s.as_str()));
    }
    if let Some(d) = filter.district_id {
        both!(
            procurements::id.eq_any(
                procurement_districts::table
                    .filter(procurement_districts::district_id.eq(d))
                    .select(procurement_districts::procurement_id)
            )
        );
    }
    if filter.open == Some(true) {
        both!(procurements::published_at.is_not_null());
        both!(procurements::submission_deadline.gt(diesel::dsl::now));
        both!(procurements::cancelled_at.is_null());
    }
    let total: i64 = count.count().get_result(conn).await?;
    let rows: Vec<ProcurementRow> = query
        .order((procurements::submission_deadline.desc(), procurements::id))
        .limit(page.limit())
        .offset(page.offset())
        .select(ProcurementRow::as_select())
        .load(conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(view(conn, row).await?);
    }
    Ok(Paged::new(items, total, page))
}

/// Records the conflicts assessment (PA2023 s.83) before publication (commissioners).
pub async fn record_conflicts_assessment(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    assessment: &str,
) -> Result<(), Problem> {
    let row = load_managed(conn, user, id).await?;
    let text = assessment.trim();
    if text.is_empty() || text.len() > rules::TEXT_MAX {
        return Err(Problem::validation(vec![FieldError::new(
            "assessment",
            "Describe the conflicts assessment: who was considered, any conflicts found, and how they are managed (up to 20,000 characters)",
        )]));
    }
    if row.awarded_at.is_some() {
        return Err(conflict(
            "procurement-awarded",
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
        .execute(conn)
        .await?;
    // The log keeps every version of the assessment, not just the fact it changed.
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.conflicts_assessed", "procurement", id).with_details(
            serde_json::json!({"assessment": text, "previous": row.conflicts_assessment}),
        ),
    )
    .await?;
    Ok(())
}

/// Publishes a draft (commissioners): refused without a conflicts assessment, with an
/// invalid questionnaire, or when the deadline has passed (database clock). Freezes the
/// questionnaire, and emails an opening notice to every provider who asked for them for
/// this type of service.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.published_at.is_some() {
        return Err(conflict(
            "procurement-published",
            "The procurement is already published.",
        ));
    }
    if row.conflicts_assessed_at.is_none() {
        return Err(conflict(
            "conflicts-assessment-missing",
            "Record the conflicts assessment before publishing.",
        ));
    }
    let (_, mut document) = questionnaire(conn, id, None).await?;
    rules::normalise_questionnaire(&mut document, &[]).map_err(|errors| {
        Problem::validation(errors)
            .with_detail("Finish the questionnaire before publishing: every question needs its details, and the weights must add up to 100%.")
    })?;
    let published = diesel::update(
        procurements::table
            .find(id)
            .filter(procurements::published_at.is_null())
            .filter(procurements::submission_deadline.gt(diesel::dsl::now)),
    )
    .set((
        procurements::published_at.eq(diesel::dsl::now),
        procurements::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if published == 0 {
        return Err(conflict(
            "deadline-passed",
            "The submission deadline has passed. Move it to a later date, then publish.",
        ));
    }
    diesel::update(
        questionnaire_versions::table
            .filter(questionnaire_versions::procurement_id.eq(id))
            .filter(questionnaire_versions::frozen_at.is_null()),
    )
    .set(questionnaire_versions::frozen_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    let notified = opening_notices(conn, mail_context, &row).await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.published", "procurement", id).with_details(
            serde_json::json!({"reference": row.reference, "opening_notices": notified}),
        ),
    )
    .await?;
    Ok(())
}

/// Emails the opening notice of a just-published procurement to providers' users who
/// have confirmed their email address, have not turned opening notices off, and chose this
/// type of service (or chose none, which means every type). Returns how many were queued.
async fn opening_notices(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    row: &ProcurementRow,
) -> Result<usize, Problem> {
    use crate::db::schema::notification_service_types as prefs;
    let service_type: ServiceType = row.service_type.parse().map_err(Problem::internal)?;
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
    let mut queued = 0;
    for (to_address, to_name, user_id) in recipients {
        let sent = mail::enqueue(
            conn,
            mail_context,
            Email {
                template: "tender_opened",
                to_address,
                to_name,
                user_id: Some(user_id),
                reason: format!(
                    "You received this email because you asked for opening notices about {}.",
                    service_type.label().to_lowercase()
                ),
                optional_kind: Some(mail::NotificationKind::OpeningNotices),
                data: serde_json::json!({
                    "reference": view.reference,
                    "title": view.title,
                    "council": view.council_name,
                    "service": view.service_type.label(),
                    "districts": view.district_names.join(", "),
                    "value": rules::pounds(view.estimated_value_pence),
                    "clarification_deadline": crate::calendar::london_time(view.clarification_deadline),
                    "deadline": crate::calendar::london_time(view.submission_deadline),
                    "link": format!("{}/opportunities/{}", mail_context.public_url, view.id),
                }),
            },
        )
        .await?;
        queued += usize::from(sent.is_some());
    }
    Ok(queued)
}

/// A new timetable for a published procurement, and why (bidders are told).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TimetableInput {
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    /// Why the timetable changed, as bidders will read it.
    pub reason: String,
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
) -> Result<ProcurementView, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.published_at.is_none() {
        return Err(conflict(
            "procurement-draft",
            "This procurement is not published: change its details instead.",
        ));
    }
    let mut errors = Vec::new();
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > 5000 {
        errors.push(FieldError::new(
            "reason",
            "Say why the timetable is changing, in words bidders will understand",
        ));
    }
    if input.submission_deadline < row.submission_deadline {
        errors.push(FieldError::new(
            "submission_deadline",
            format!(
                "The submission deadline can only move later than {}",
                crate::calendar::london_time(row.submission_deadline)
            ),
        ));
    }
    if input.clarification_deadline < row.clarification_deadline {
        errors.push(FieldError::new(
            "clarification_deadline",
            format!(
                "The clarification deadline can only move later than {}",
                crate::calendar::london_time(row.clarification_deadline)
            ),
        ));
    }
    if input.clarification_deadline >= input.submission_deadline {
        errors.push(FieldError::new(
            "clarification_deadline",
            "The clarification deadline must be before the submission deadline",
        ));
    }
    if input.planned_award_date < input.submission_deadline.date_naive() {
        errors.push(FieldError::new(
            "planned_award_date",
            "The planned award date must be on or after the submission deadline",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let changed = diesel::update(
        procurements::table
            .find(id)
            .filter(procurements::opened_at.is_null())
            .filter(procurements::cancelled_at.is_null())
            .filter(procurements::submission_deadline.gt(diesel::dsl::sql::<
                diesel::sql_types::Timestamptz,
            >("clock_timestamp()"))),
    )
    .set((
        procurements::clarification_deadline.eq(input.clarification_deadline),
        procurements::submission_deadline.eq(input.submission_deadline),
        procurements::planned_award_date.eq(input.planned_award_date),
        procurements::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    if changed == 0 {
        return Err(conflict(
            "deadline-passed",
            "The submission deadline has passed, so the timetable can no longer change.",
        ));
    }
    tell_bidders(
        conn,
        mail_context,
        &row,
        "timetable_changed",
        serde_json::json!({
            "reference": row.reference,
            "title": row.title,
            "why": reason,
            "old_deadline": crate::calendar::london_time(row.submission_deadline),
            "deadline": crate::calendar::london_time(input.submission_deadline),
            "clarification_deadline": crate::calendar::london_time(input.clarification_deadline),
            "link": format!("{}/opportunities/{}", mail_context.public_url, id),
        }),
    )
    .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.timetable_changed", "procurement", id).with_details(
            serde_json::json!({
                "from": row.submission_deadline,
                "to": input.submission_deadline,
                "clarification_deadline": input.clarification_deadline,
            }),
        ),
    )
    .await?;
    let (row, _) = load(conn, Some(user), id).await?;
    view(conn, &row).await
}

/// Cancels a procurement before award (commissioners).
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.awarded_at.is_some() || row.cancelled_at.is_some() {
        return Err(conflict(
            "procurement-closed",
            "Only a procurement that is not yet awarded or cancelled can be cancelled.",
        ));
    }
    diesel::update(procurements::table.find(id))
        .set(procurements::cancelled_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    // Everyone who registered interest or started a bid is told, with the reason.
    tell_bidders(
        conn,
        mail_context,
        &row,
        "procurement_cancelled",
        serde_json::json!({
            "reference": row.reference,
            "title": row.title,
            "opened": row.opened_at.is_some(),
            "link": format!("{}/bids", mail_context.public_url),
        }),
    )
    .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.cancelled", "procurement", id),
    )
    .await?;
    Ok(())
}

/// The newest questionnaire version's number.
pub async fn latest_version(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<i32> {
    questionnaire_versions::table
        .filter(questionnaire_versions::procurement_id.eq(id))
        .select(diesel::dsl::max(questionnaire_versions::version))
        .first::<Option<i32>>(conn)
        .await
        .map(|v| v.unwrap_or(1))
}

/// A questionnaire version (the newest when `version` is `None`), in one query.
pub async fn questionnaire(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: Option<i32>,
) -> Result<(QuestionnaireVersion, Questionnaire), Problem> {
    let mut query = questionnaire_versions::table
        .filter(questionnaire_versions::procurement_id.eq(id))
        .into_boxed();
    if let Some(v) = version {
        query = query.filter(questionnaire_versions::version.eq(v));
    }
    let (version, document, change_note, frozen_at): (
        i32,
        serde_json::Value,
        String,
        Option<DateTime<Utc>>,
    ) = query
        .order(questionnaire_versions::version.desc())
        .select((
            questionnaire_versions::version,
            questionnaire_versions::document,
            questionnaire_versions::change_note,
            questionnaire_versions::frozen_at,
        ))
        .first(conn)
        .await?;
    let document: Questionnaire = serde_json::from_value(document).map_err(Problem::internal)?;
    Ok((
        QuestionnaireVersion {
            version,
            change_note,
            frozen_at,
        },
        document,
    ))
}

/// A questionnaire version's facts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionnaireVersion {
    pub version: i32,
    pub change_note: String,
    pub frozen_at: Option<DateTime<Utc>>,
}

/// A questionnaire with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionnaireView {
    #[serde(flatten)]
    pub version: QuestionnaireVersion,
    pub questionnaire: Questionnaire,
}

/// What a commissioner sends to replace the questionnaire.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct QuestionnaireInput {
    pub questionnaire: Questionnaire,
    /// Required once published: what changed, as bidders will read it.
    #[serde(default)]
    pub change_note: String,
}

async fn used_ids(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<String>> {
    let documents: Vec<serde_json::Value> = questionnaire_versions::table
        .filter(questionnaire_versions::procurement_id.eq(id))
        .select(questionnaire_versions::document)
        .load(conn)
        .await?;
    Ok(documents
        .into_iter()
        .filter_map(|d| serde_json::from_value::<Questionnaire>(d).ok())
        .flat_map(|q| q.questions().map(|q| q.id.clone()).collect::<Vec<_>>())
        .collect())
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
) -> Result<QuestionnaireView, Problem> {
    let row = load_managed(conn, user, id).await?;
    let mut document = input.questionnaire;
    let taken = used_ids(conn, id).await?;
    let current = latest_version(conn, id).await?;
    if row.published_at.is_none() {
        // A draft may be saved incomplete, except that ids must be well formed.
        if let Err(errors) = rules::normalise_questionnaire(&mut document, &taken) {
            let structural: Vec<_> = errors
                .into_iter()
                .filter(|e| e.field.ends_with(".id") || e.message.contains("at most"))
                .collect();
            if !structural.is_empty() {
                return Err(Problem::validation(structural));
            }
        }
        diesel::update(questionnaire_versions::table.find((id, current)))
            .set(
                questionnaire_versions::document
                    .eq(serde_json::to_value(&document).map_err(Problem::internal)?),
            )
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("questionnaire.saved", "procurement", id)
                .with_details(serde_json::json!({"version": current})),
        )
        .await?;
        let (version, questionnaire) = questionnaire(conn, id, None).await?;
        return Ok(QuestionnaireView {
            version,
            questionnaire,
        });
    }
    rules::normalise_questionnaire(&mut document, &taken).map_err(Problem::validation)?;
    let note = input.change_note.trim();
    if note.is_empty() || note.len() > rules::TEXT_MAX {
        return Err(Problem::validation(vec![FieldError::new(
            "change_note",
            "Say what changed, in words bidders will understand",
        )]));
    }
    let next = current + 1;
    let inserted = diesel::sql_query(
        "INSERT INTO questionnaire_versions (procurement_id, version, document, change_note, frozen_at, created_by)
         SELECT $1, $2, $3, $4, now(), $5 FROM procurements
         WHERE id = $1 AND now() < submission_deadline AND opened_at IS NULL AND cancelled_at IS NULL",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Integer, _>(next)
    .bind::<diesel::sql_types::Jsonb, _>(serde_json::to_value(&document).map_err(Problem::internal)?)
    .bind::<diesel::sql_types::Text, _>(note)
    .bind::<diesel::sql_types::Uuid, _>(user.id)
    .execute(conn)
    .await?;
    if inserted == 0 {
        return Err(conflict(
            "deadline-passed",
            "The submission deadline has passed, so the questionnaire can no longer change.",
        ));
    }
    // Drafts (never submitted) follow the new version; answers carry over by question id.
    diesel::update(
        crate::db::schema::submissions::table
            .filter(crate::db::schema::submissions::procurement_id.eq(id))
            .filter(crate::db::schema::submissions::submitted_at.is_null()),
    )
    .set(crate::db::schema::submissions::questionnaire_version.eq(next))
    .execute(conn)
    .await?;
    tell_bidders(
        conn,
        mail_context,
        &row,
        "questionnaire_changed",
        serde_json::json!({
            "reference": row.reference,
            "title": row.title,
            "version": next,
            "change_note": note,
            "link": format!("{}/opportunities/{}", mail_context.public_url, id),
        }),
    )
    .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("questionnaire.versioned", "procurement", id)
            .with_details(serde_json::json!({"version": next})),
    )
    .await?;
    let (version, questionnaire) = questionnaire(conn, id, None).await?;
    Ok(QuestionnaireView {
        version,
        questionnaire,
    })
}

/// Emails `template` to everyone whose organisation registered interest in the procurement
/// or started a bid for it, saying that is why.
async fn tell_bidders(
    conn: &mut AsyncPgConnection,
    mail_context: &MailContext,
    row: &ProcurementRow,
    template: &'static str,
    data: serde_json::Value,
) -> Result<(), Problem> {
    for (to_address, to_name, user_id) in interested_users(conn, row.id).await? {
        mail::enqueue(
            conn,
            mail_context,
            Email {
                template,
                to_address,
                to_name,
                user_id: Some(user_id),
                reason: format!(
                    "You received this email because your organisation registered interest in {} or started a bid for it.",
                    row.reference
                ),
                optional_kind: None,
                data: data.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Active users of organisations that registered interest in, or started a bid for, a
/// procurement: who is told of changes and published clarifications.
pub async fn interested_users(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Vec<(String, String, Uuid)>> {
    let orgs = procurement_interests::table
        .filter(procurement_interests::procurement_id.eq(id))
        .select(procurement_interests::organisation_id);
    users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Provider))
        .filter(
            users::organisation_id
                .eq_any(orgs)
                .or(users::organisation_id.eq_any(
                    crate::db::schema::submissions::table
                        .filter(crate::db::schema::submissions::procurement_id.eq(id))
                        .select(crate::db::schema::submissions::organisation_id),
                )),
        )
        .order(users::email)
        .select((users::email, users::name, users::id))
        .load(conn)
        .await
}

/// Registers the provider's interest in a published procurement, so that it hears of
/// changes and published clarifications. Repeating it changes nothing.
pub async fn register_interest(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Problem> {
    user.require(&[Role::Provider])?;
    let (row, _) = load(conn, Some(user), id).await?;
    if row.status(db_now(conn).await?) != ProcurementStatus::Open {
        return Err(conflict(
            "procurement-not-open",
            "This opportunity is not open for bids.",
        ));
    }
    let n = diesel::insert_into(procurement_interests::table)
        .values((
            procurement_interests::procurement_id.eq(id),
            procurement_interests::organisation_id.eq(user.organisation_id),
            procurement_interests::user_id.eq(user.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if n > 0 {
        audit::record(
            conn,
            &user.actor(),
            Entry::new("procurement.interest_registered", "procurement", id)
                .for_organisation(user.organisation_id),
        )
        .await?;
    }
    Ok(())
}

/// Whether the provider's organisation has registered interest.
pub async fn has_interest(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        procurement_interests::table
            .filter(procurement_interests::procurement_id.eq(id))
            .filter(procurement_interests::organisation_id.eq(user.organisation_id)),
    ))
    .get_result(conn)
    .await
}

/// Adds a tender document (commissioners). Documents of a published procurement are public.
pub async fn add_document(
    conn: &mut AsyncPgConnection,
    store: &crate::storage::FileStore,
    user: &AuthUser,
    id: Uuid,
    title: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<FileView, Problem> {
    let row = load_managed(conn, user, id).await?;
    if row.opened_at.is_some() || row.cancelled_at.is_some() {
        return Err(conflict(
            "procurement-closed",
            "Documents can be added only before the submissions are opened.",
        ));
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > rules::TITLE_MAX || !rules::is_one_line(title) {
        return Err(Problem::validation(vec![FieldError::new(
            "title",
            "Give the document a title of up to 200 characters, on one line",
        )]));
    }
    let file = crate::storage::store(conn, store, user, name, bytes).await?;
    diesel::insert_into(procurement_documents::table)
        .values((
            procurement_documents::procurement_id.eq(id),
            procurement_documents::file_id.eq(file.id),
            procurement_documents::title.eq(title),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        Entry::new("procurement.document_added", "procurement", id)
            .with_details(serde_json::json!({"file_id": file.id, "title": title})),
    )
    .await?;
    Ok(file_view(title.to_string(), file))
}

/// A tender document's row, if the reader may see the procurement.
pub async fn document(
    conn: &mut AsyncPgConnection,
    user: Option<&AuthUser>,
    id: Uuid,
    file_id: Uuid,
) -> Result<crate::storage::StoredFile, Problem> {
    load(conn, user, id).await?;
    procurement_documents::table
        .inner_join(stored_files::table)
        .filter(procurement_documents::procurement_id.eq(id))
        .filter(procurement_documents::file_id.eq(file_id))
        .select(crate::storage::StoredFile::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| Problem::not_found("Document"))
}

pub use clarifications::*;

mod clarifications {
    use super::*;
    use crate::db::schema::clarifications;

    /// Asks a clarification question (providers), before the clarification deadline by
    /// the database clock.
    pub async fn ask(
        conn: &mut AsyncPgConnection,
        user: &AuthUser,
        id: Uuid,
        question: &str,
    ) -> Result<ClarificationView, Problem> {
        user.require(&[Role::Provider])?;
        let (row, _) = load(conn, Some(user), id).await?;
        let question = question.trim();
        if question.is_empty() || question.len() > 5000 {
            return Err(Problem::validation(vec![FieldError::new(
                "question",
                "Enter your question, in up to 5,000 characters",
            )]));
        }
        let inserted: Option<Uuid> = diesel::sql_query(
            "INSERT INTO clarifications (procurement_id, organisation_id, asked_by, question)
             SELECT $1, $2, $3, $4 FROM procurements
             WHERE id = $1 AND published_at IS NOT NULL AND cancelled_at IS NULL
               AND clock_timestamp() < clarification_deadline
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
            return Err(conflict(
                "clarification-deadline-passed",
                format!(
                    "Clarification questions closed at {}.",
                    crate::calendar::london_time(row.clarification_deadline)
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
            .ok_or_else(|| Problem::not_found("Clarification"))
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
    ) -> Result<ClarificationView, Problem> {
        let row = load_managed(conn, user, id).await?;
        let answer = answer.trim();
        if answer.is_empty() || answer.len() > rules::TEXT_MAX {
            return Err(Problem::validation(vec![FieldError::new(
                "answer",
                "Enter the answer, in up to 20,000 characters",
            )]));
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
            return Err(Problem::not_found("Clarification"));
        };
        let mut recipients: Vec<(String, String, Uuid)> = users::table
            .filter(users::id.eq(asked_by))
            .filter(users::active.eq(true))
            .select((users::email, users::name, users::id))
            .load(conn)
            .await?;
        if publish {
            for r in interested_users(conn, id).await? {
                if !recipients.iter().any(|x| x.2 == r.2) {
                    recipients.push(r);
                }
            }
        }
        for (to_address, to_name, user_id) in recipients {
            let asked = user_id == asked_by;
            mail::enqueue(
                conn,
                mail_context,
                Email {
                    template: "clarification_answered",
                    to_address,
                    to_name,
                    user_id: Some(user_id),
                    reason: if asked {
                        format!("You received this email because you asked a clarification question about {}.", row.reference)
                    } else {
                        format!("You received this email because your organisation is interested in {}, and the council published an answer for every bidder.", row.reference)
                    },
                    optional_kind: None,
                    data: serde_json::json!({
                        "reference": row.reference,
                        "title": row.title,
                        "question": question,
                        "answer": answer,
                        "published": publish,
                        "link": format!("{}/opportunities/{}", mail_context.public_url, id),
                    }),
                },
            )
            .await?;
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
        let viewer = user.clone();
        list_clarifications(conn, Some(&viewer), id)
            .await?
            .into_iter()
            .find(|c| c.id == clarification_id)
            .ok_or_else(|| Problem::not_found("Clarification"))
    }

    /// Clarifications the reader may see: the council sees all with who asked; a provider
    /// sees its own and the published ones, without who asked.
    pub async fn list_clarifications(
        conn: &mut AsyncPgConnection,
        user: Option<&AuthUser>,
        id: Uuid,
    ) -> Result<Vec<ClarificationView>, Problem> {
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
}
