//! Providers with a concern about the evidence their market membership depends on: an
//! insurance that has lapsed, or a CQC location rated Inadequate. The DPS context reads
//! these to propose suspending members to the commissioner; it never reads the tables.

use super::model::{InsuranceKind, name};
use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What the concern is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConcernKind {
    /// An insurance ended and no insurance of the same kind covers the day asked about.
    InsuranceLapsed,
    /// A CQC location's current rating is Inadequate.
    CqcInadequate,
}

/// One concern about one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Concern {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub kind: ConcernKind,
    /// The insurance (`insurances.id`) or the CQC location (`cqc_locations.id`) concerned:
    /// with `kind`, a stable key for "already proposed".
    pub record_id: Uuid,
    /// The reason in words, for the commissioner and the provider: "Public liability
    /// insurance with Acme Mutual ended on 31 March 2027, and no new policy has been added".
    pub reason: String,
    /// The first day the concern applied: the day after the last day of cover, or the
    /// date of CQC's report (the day the rating was recorded, when no date was given).
    pub since: NaiveDate,
}

#[derive(QueryableByName)]
struct LapsedRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organisation_id: Uuid,
    #[diesel(sql_type = Text)]
    legal_name: String,
    #[diesel(sql_type = Text)]
    kind: InsuranceKind,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    insurer: String,
    #[diesel(sql_type = Date)]
    expires_on: NaiveDate,
}

#[derive(QueryableByName)]
struct InadequateRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organisation_id: Uuid,
    #[diesel(sql_type = Text)]
    legal_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    location_id: String,
    #[diesel(sql_type = Date)]
    since: NaiveDate,
}

/// Of each provider's saved insurances of one kind (and, for "other", one description),
/// the one that ended last before `$1`, when none of that kind covers `$1`.
const LAPSED: &str = "\
    SELECT DISTINCT ON (i.organisation_id, i.kind, lower(i.description)) \
        i.id, i.organisation_id, o.legal_name, i.kind, i.description, i.insurer, i.expires_on \
    FROM insurances i JOIN organisations o ON o.id = i.organisation_id \
    WHERE i.saved_at IS NOT NULL AND i.expires_on < $1 \
      AND ($2::uuid IS NULL OR i.organisation_id = $2) \
      AND NOT EXISTS (SELECT 1 FROM insurances j \
          WHERE j.organisation_id = i.organisation_id AND j.kind = i.kind \
            AND lower(j.description) = lower(i.description) AND j.saved_at IS NOT NULL \
            AND j.starts_on <= $1 AND j.expires_on >= $1) \
    ORDER BY i.organisation_id, i.kind, lower(i.description), i.expires_on DESC";

/// Locations rated Inadequate now, since their report (or since the rating was recorded).
const INADEQUATE: &str = "\
    SELECT l.id, l.organisation_id, o.legal_name, l.name, l.location_id, \
        coalesce(l.rating_date, \
            (SELECT max(c.recorded_at AT TIME ZONE 'Europe/London')::date FROM cqc_rating_changes c \
             WHERE c.organisation_id = l.organisation_id AND c.location_id = l.location_id), \
            (l.created_at AT TIME ZONE 'Europe/London')::date) AS since \
    FROM cqc_locations l JOIN organisations o ON o.id = l.organisation_id \
    WHERE l.rating = 'inadequate' AND ($1::uuid IS NULL OR l.organisation_id = $1)";

/// The concerns about providers' evidence on `on` (a London date; pass today's for "now"),
/// for every provider or, with `organisation`, for one. Two statements whatever the
/// number of providers; ordered by provider name, then `since`, then `record_id`.
///
/// Contract for the DPS context (and any other that suspends on evidence):
/// - an **insurance lapse** is reported once per provider and kind of insurance (per
///   description for "other"): when none of the provider's saved insurances of that kind
///   covers `on` (its start on or before `on`, its last day of cover on or after it) and
///   one ended before `on`; `record_id` is the one that ended last, `since` the day after
///   its last day of cover. Adding a policy that covers `on` ends the concern; drafts never
///   count. A provider that never recorded an insurance of a kind has no concern for it.
/// - an **Inadequate CQC rating** is reported per location whose current rating is
///   Inadequate (whoever recorded it); `since` is the date of CQC's report. A new rating
///   recorded by a commissioner or administrator ends it.
/// - Nothing here proposes or suspends anything: the caller decides, and should key what
///   it has already proposed on `(kind, record_id, since)`.
pub async fn provider_concerns(
    conn: &mut AsyncPgConnection,
    on: NaiveDate,
    organisation: Option<Uuid>,
) -> diesel::QueryResult<Vec<Concern>> {
    let lapsed: Vec<LapsedRow> = diesel::sql_query(LAPSED)
        .bind::<Date, _>(on)
        .bind::<Nullable<SqlUuid>, _>(organisation)
        .load(conn)
        .await?;
    let inadequate: Vec<InadequateRow> = diesel::sql_query(INADEQUATE)
        .bind::<Nullable<SqlUuid>, _>(organisation)
        .load(conn)
        .await?;
    let mut concerns: Vec<Concern> = lapsed
        .into_iter()
        .map(|r| Concern {
            organisation_id: r.organisation_id,
            organisation_name: r.legal_name,
            kind: ConcernKind::InsuranceLapsed,
            record_id: r.id,
            reason: format!(
                "{} with {} ended on {}, and no new policy has been added",
                name(r.kind, &r.description),
                r.insurer,
                crate::calendar::long_date(r.expires_on)
            ),
            since: r.expires_on + chrono::Duration::days(1),
        })
        .chain(inadequate.into_iter().map(|r| Concern {
            organisation_id: r.organisation_id,
            organisation_name: r.legal_name,
            kind: ConcernKind::CqcInadequate,
            record_id: r.id,
            reason: format!(
                "{} (CQC location {}) was rated Inadequate by the Care Quality Commission on {}",
                r.name,
                r.location_id,
                crate::calendar::long_date(r.since)
            ),
            since: r.since,
        }))
        .collect();
    concerns.sort_by(|a, b| {
        (&a.organisation_name, a.since, a.record_id).cmp(&(
            &b.organisation_name,
            b.since,
            b.record_id,
        ))
    });
    Ok(concerns)
}
