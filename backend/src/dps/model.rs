//! The DPS's words: its regime, where it is, its notices, its row (the DPS joined to the
//! competition that holds its lots and conditions) and the views the API and pages show.

use crate::db::schema::{competitions, dps};
use crate::evaluation::{Competition, Lot, LotInput};
use crate::organisations::model::ServiceType;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

crate::pg_enum! {
    /// The law a DPS runs under (DOMAIN.md, "Procurement procedures").
    pub enum DpsRegime: crate::db::schema::sql_types::DpsRegime {
        /// A dynamic purchasing system set up under the Public Contracts Regulations 2015
        /// before 24 February 2025; it ends by 23 February 2029 at the latest.
        Pcr2015 => "pcr2015",
        /// A dynamic market under the Procurement Act 2023.
        Pa2023 => "pa2023",
    }
}

impl DpsRegime {
    pub fn label(self) -> &'static str {
        match self {
            DpsRegime::Pcr2015 => "Dynamic purchasing system (Public Contracts Regulations 2015)",
            DpsRegime::Pa2023 => "Dynamic market (Procurement Act 2023)",
        }
    }
}

crate::pg_enum! {
    /// The market's notices on the Central Digital Platform.
    pub enum DpsNoticeKind: crate::db::schema::sql_types::DpsNoticeKind {
        /// The council intends to establish the market.
        Intention => "intention",
        /// The market is established and open to applications.
        Established => "established",
        /// The market was changed.
        Modified => "modified",
        /// The market has ceased.
        Ceased => "ceased",
    }
}

impl DpsNoticeKind {
    pub fn label(self) -> &'static str {
        match self {
            DpsNoticeKind::Intention => "Notice of intention to establish",
            DpsNoticeKind::Established => "Notice of establishment",
            DpsNoticeKind::Modified => "Notice of modification",
            DpsNoticeKind::Ceased => "Notice of ceasing",
        }
    }
}

/// Where a DPS is, derived from its dates (never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DpsStatus {
    /// Being set up; nobody outside the council can see it.
    Draft,
    /// Established, its term not yet begun.
    Established,
    /// Established and within its term: open to applications.
    Open,
    /// Its term has ended.
    Ended,
    /// The council ended it before its term was up.
    Ceased,
}

impl DpsStatus {
    pub fn label(self) -> &'static str {
        match self {
            DpsStatus::Draft => "Draft",
            DpsStatus::Established => "Established, not yet open",
            DpsStatus::Open => "Open to applications",
            DpsStatus::Ended => "Ended",
            DpsStatus::Ceased => "Ceased",
        }
    }

    /// The GOV.UK tag colour pages show it in.
    pub fn colour(self) -> &'static str {
        match self {
            DpsStatus::Draft => "grey",
            DpsStatus::Established => "blue",
            DpsStatus::Open => "green",
            DpsStatus::Ended => "red",
            DpsStatus::Ceased => "red",
        }
    }
}

/// The DPS's own columns.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dps)]
pub struct DpsFacts {
    pub description: String,
    pub regime: DpsRegime,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub decision_working_days: i32,
    pub cqc_rule: bool,
    pub round_schedule: String,
    pub cutoff_day: i32,
    pub established_at: Option<DateTime<Utc>>,
    pub ceased_at: Option<DateTime<Utc>>,
    pub cease_reason: Option<String>,
}

/// A DPS as stored: its competition (reference, title, lots) and its own facts.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct DpsRow {
    #[diesel(embed)]
    pub competition: Competition,
    #[diesel(embed)]
    pub facts: DpsFacts,
}

impl DpsRow {
    pub fn id(&self) -> Uuid {
        self.competition.id
    }
}

/// Joins the DPS to its competition.
pub fn rows() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<dps::table, competitions::table>,
    diesel::dsl::AsSelect<DpsRow, diesel::pg::Pg>,
> {
    dps::table
        .inner_join(competitions::table)
        .select(DpsRow::as_select())
}

/// Why a commissioner ends a DPS before its term is up.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CeaseInput {
    /// Said in the notice of cessation, for providers and the public.
    pub reason: String,
}

/// What a commissioner sends to set up a DPS or change its draft.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct DpsInput {
    /// The name providers know it by, like "Supported living and day opportunities".
    pub title: String,
    /// The council's reference, like "WCC-DPS-2026-01".
    pub reference: String,
    pub description: String,
    pub regime: DpsRegime,
    /// The first day of the term.
    pub starts_on: NaiveDate,
    /// The last day of the term (a PCR 2015 DPS: 23 February 2029 at the latest).
    pub ends_on: NaiveDate,
    pub service_types: Vec<ServiceType>,
    /// Working days after a round's cut-off to decide each application in (default 10).
    #[serde(default = "default_decision_days")]
    pub decision_working_days: i32,
    /// Whether every CQC location must be rated Good or Outstanding (default on).
    #[serde(default = "default_true")]
    pub cqc_rule: bool,
    /// When rounds open: a six-field cron expression (seconds first) read in
    /// Europe/London; a day that is not a working day moves to the next working day.
    /// Default `0 0 9 1 * *`: 9am on the first working day of each month.
    #[serde(default = "default_schedule")]
    pub round_schedule: String,
    /// A round's cut-off is 5pm on this day of its month, or the next working day
    /// (default 15).
    #[serde(default = "default_cutoff_day")]
    pub cutoff_day: i32,
    /// The lots, in order; each gets its conditions of membership separately.
    pub lots: Vec<LotInput>,
}

fn default_decision_days() -> i32 {
    super::rules::DEFAULT_DECISION_DAYS
}
fn default_true() -> bool {
    true
}
fn default_schedule() -> String {
    super::rules::DEFAULT_SCHEDULE.into()
}
fn default_cutoff_day() -> i32 {
    super::rules::DEFAULT_CUTOFF_DAY
}

/// A round as the schedule gives it: when it opens and when applications close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RoundTimes {
    pub opens_at: DateTime<Utc>,
    pub cutoff_at: DateTime<Utc>,
}

/// A lot with how many conditions of membership it has so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DpsLot {
    #[serde(flatten)]
    pub lot: Lot,
    pub conditions: usize,
}

/// What readers see of a DPS.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DpsView {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub council_name: String,
    pub regime: DpsRegime,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub service_types: Vec<ServiceType>,
    pub decision_working_days: i32,
    pub cqc_rule: bool,
    pub round_schedule: String,
    /// The schedule in words, when it has a common shape.
    pub round_schedule_words: Option<String>,
    pub cutoff_day: i32,
    pub lots: Vec<DpsLot>,
    pub status: DpsStatus,
    pub established_at: Option<DateTime<Utc>>,
    pub ceased_at: Option<DateTime<Utc>>,
    /// Why the council ended it early.
    pub cease_reason: Option<String>,
    /// The next round the schedule gives, within the term (none once it has ended, or
    /// beyond the bank-holiday data).
    pub next_round: Option<RoundTimes>,
}

/// A notice prepared as data, ready for publication.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DpsNotice {
    pub kind: DpsNoticeKind,
    /// The notice's name on the Central Digital Platform.
    pub notice_name: String,
    pub regime: DpsRegime,
    pub contracting_authority: String,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub service_types: Vec<ServiceType>,
    pub lots: Vec<NoticeLot>,
    /// How applications are taken: the rounds and the decision period, in words.
    pub how_to_apply: String,
    /// A notice of cessation: why the market ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub prepared_at: DateTime<Utc>,
}

/// A lot in a notice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeLot {
    pub number: i32,
    pub title: String,
    pub description: String,
}

/// The DPS's lots given by the commissioner, for the engine.
pub fn lot_inputs(lots: &[Lot]) -> Vec<LotInput> {
    lots.iter()
        .map(|l| LotInput {
            title: l.title.clone(),
            description: l.description.clone(),
        })
        .collect()
}
