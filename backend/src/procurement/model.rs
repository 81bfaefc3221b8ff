//! The tender procedure's words: regimes, procedures, a procurement's status, its row (the
//! procurement joined to the competition it owns) and the views the API and pages show.

use crate::db::schema::{competitions, procurements};
use crate::evaluation::{Competition, Lot, LotInput};
use crate::organisations::model::ServiceType;
use crate::storage::FileView;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

crate::pg_enum! {
    /// The law a procurement runs under (DOMAIN.md, "Procurement procedures").
    pub enum Regime: diesel::sql_types::Text {
        /// Procurement Act 2023: procurements started from 24 February 2025.
        Pa2023 => "pa2023",
        /// Public Contracts Regulations 2015: procurements started before then.
        Pcr2015 => "pcr2015",
    }
}

impl Regime {
    pub fn label(self) -> &'static str {
        match self {
            Regime::Pa2023 => "Procurement Act 2023",
            Regime::Pcr2015 => "Public Contracts Regulations 2015",
        }
    }
}

crate::pg_enum! {
    /// How the procurement is run.
    pub enum Procedure: diesel::sql_types::Text {
        /// Open procedure: any provider may bid.
        Open => "open",
        /// PA2023 competitive flexible procedure.
        CompetitiveFlexible => "competitive_flexible",
        /// Admission to a dynamic market or DPS.
        DpsAdmission => "dps_admission",
        /// A call-off competition among DPS or framework members.
        CallOff => "call_off",
    }
}

impl Procedure {
    pub fn label(self) -> &'static str {
        match self {
            Procedure::Open => "Open procedure",
            Procedure::CompetitiveFlexible => "Competitive flexible procedure",
            Procedure::DpsAdmission => "Dynamic market admission",
            Procedure::CallOff => "Call-off competition",
        }
    }
}

/// Where a procurement is, derived from its timestamps and decisions (never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcurementStatus {
    /// Being prepared; nobody outside the council can see it.
    Draft,
    /// Published and taking submissions.
    Open,
    /// The submission deadline has passed; submissions are still sealed.
    Closed,
    /// Submissions are open to the panel.
    InEvaluation,
    /// Awarded; the contract may not be entered into until standstill ends.
    Standstill,
    /// Standstill has ended; the contract may be entered into.
    AwaitingContract,
    /// The contract has been entered into.
    ContractEntered,
    /// Abandoned before award.
    Cancelled,
}

impl ProcurementStatus {
    pub fn label(self) -> &'static str {
        match self {
            ProcurementStatus::Draft => "Draft",
            ProcurementStatus::Open => "Open for bids",
            ProcurementStatus::Closed => "Closed, sealed",
            ProcurementStatus::InEvaluation => "In evaluation",
            ProcurementStatus::Standstill => "Awarded, in standstill",
            ProcurementStatus::AwaitingContract => "Standstill ended",
            ProcurementStatus::ContractEntered => "Contract entered",
            ProcurementStatus::Cancelled => "Cancelled",
        }
    }

    /// The GOV.UK tag colour pages show it in.
    pub fn colour(self) -> &'static str {
        match self {
            ProcurementStatus::Draft => "grey",
            ProcurementStatus::Open => "green",
            ProcurementStatus::Closed => "yellow",
            ProcurementStatus::InEvaluation => "blue",
            ProcurementStatus::Standstill => "purple",
            ProcurementStatus::AwaitingContract => "turquoise",
            ProcurementStatus::ContractEntered => "green",
            ProcurementStatus::Cancelled => "red",
        }
    }
}

/// The procedure's own columns.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procurements)]
pub struct Procedural {
    pub description: String,
    pub service_type: ServiceType,
    pub estimated_value_pence: i64,
    pub regime: Regime,
    pub light_touch: bool,
    pub procedure: Procedure,
    pub clarification_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    pub standstill_working_days: i32,
    pub conflicts_assessment: Option<String>,
    pub conflicts_assessed_at: Option<DateTime<Utc>>,
    pub award_notice: Option<serde_json::Value>,
    pub standstill_ends_at: Option<DateTime<Utc>>,
    pub contract_entered_at: Option<DateTime<Utc>>,
}

/// A procurement: the competition it owns (same id) and the procedure around it.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct ProcurementRow {
    #[diesel(embed)]
    pub competition: Competition,
    #[diesel(embed)]
    pub procedure: Procedural,
}

impl ProcurementRow {
    /// The procurement's id (its competition's).
    pub fn id(&self) -> Uuid {
        self.competition.id
    }

    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ProcurementStatus {
        super::rules::status(
            crate::evaluation::rules::status(&(&self.competition).into(), now),
            self.procedure.standstill_ends_at,
            self.procedure.contract_entered_at,
            now,
        )
    }

    /// When it was awarded (the competition's ranked decision).
    pub fn awarded_at(&self) -> Option<DateTime<Utc>> {
        self.competition.decided_at
    }
}

/// The select for a [`ProcurementRow`]: procurements joined to their competitions.
pub fn rows() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<procurements::table, competitions::table>,
    diesel::dsl::AsSelect<ProcurementRow, diesel::pg::Pg>,
> {
    procurements::table
        .inner_join(competitions::table)
        .select(ProcurementRow::as_select())
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

/// A new timetable for a published procurement, and why (bidders are told).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TimetableInput {
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    /// Why the timetable changed, as bidders will read it.
    pub reason: String,
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

/// A procurement as everyone who may see it sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcurementView {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub council_name: String,
    pub service_type: ServiceType,
    pub district_ids: Vec<Uuid>,
    pub district_names: Vec<String>,
    pub estimated_value_pence: i64,
    pub regime: Regime,
    pub light_touch: bool,
    pub procedure: Procedure,
    pub lots: Vec<Lot>,
    pub clarification_deadline: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub planned_award_date: NaiveDate,
    pub standstill_working_days: i32,
    pub status: ProcurementStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub conflicts_assessed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub standstill_ends_at: Option<DateTime<Utc>>,
    pub contract_entered_at: Option<DateTime<Utc>>,
    /// The newest version of the questionnaire bidders answer.
    pub questionnaire_version: i32,
    pub documents: Vec<FileView>,
}

/// A clarification question and its answer. `organisation_name` is only shown to the
/// council and to the provider who asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClarificationView {
    pub id: Uuid,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub published: bool,
    pub organisation_name: Option<String>,
    /// Whether the reader's organisation asked it.
    pub yours: bool,
}
