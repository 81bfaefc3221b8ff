//! Demo organisations: a fictional council (Wyvern County Council) with six districts and
//! one user per council role, and two care providers with a user and a CQC location each.
//! Bright Care has three insurances (one valid, one expiring in 20 days, one lapsed);
//! Meadow Homes has a second location, rated Inadequate by a commissioner.
//! Idempotent: loading it again changes nothing that exists.

use super::model::{CqcRating, NewOrganisation};
use crate::audit::{self, Actor};
use crate::auth::password;
use crate::auth::{OrganisationKind, Role};
use crate::db::schema::{cqc_locations, districts, organisation_districts, organisations, users};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Every demo account's password (demo mode only).
pub const DEMO_PASSWORD: &str = "correct-horse-demo";

/// The demo accounts, as demo mode lists them on the sign-in page.
pub const DEMO_EMAILS: [&str; 6] = [
    "admin@council.example",
    "commissioner@council.example",
    "evaluator@council.example",
    "contracts@council.example",
    "bids@brightcare.example",
    "bids@meadowhomes.example",
];

const DISTRICTS: [&str; 6] = [
    "Bredon Vale",
    "Malvern Hills",
    "Severnside",
    "Teme Valley",
    "Wychavon North",
    "Wyre Forest",
];

struct DemoProvider {
    legal_name: &'static str,
    companies_house_number: &'static str,
    address: (&'static str, &'static str, &'static str),
    districts: &'static [usize],
    location: (&'static str, &'static str, CqcRating, &'static str),
    user: (&'static str, &'static str),
}

const PROVIDERS: [DemoProvider; 2] = [
    DemoProvider {
        legal_name: "Bright Care Services Ltd",
        companies_house_number: "09876543",
        address: ("12 Foregate Street", "Worcester", "WR1 1DB"),
        districts: &[0, 2, 5],
        location: (
            "1-101234567",
            "Bright Care Severnside",
            CqcRating::Good,
            "2025-06-12",
        ),
        user: ("bids@brightcare.example", "Priya Shah"),
    },
    DemoProvider {
        legal_name: "Meadow Homes Ltd",
        companies_house_number: "07654321",
        address: ("Meadow House, Church Lane", "Malvern", "WR14 2AA"),
        districts: &[1, 3],
        location: (
            "1-109876543",
            "Meadow Court Care Home",
            CqcRating::RequiresImprovement,
            "2025-02-03",
        ),
        user: ("bids@meadowhomes.example", "Tom Hughes"),
    },
];

const COUNCIL: &str = "Wyvern County Council";

/// Loads the demo council, its districts and staff, and the two providers with their
/// users and CQC locations. Returns how many users it created.
pub async fn demo(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let hash = password::hash(DEMO_PASSWORD).await?;
    let created = conn
        .transaction::<usize, anyhow::Error, _>(async move |tx| {
            for name in DISTRICTS {
                diesel::insert_into(districts::table)
                    .values(districts::name.eq(name))
                    .on_conflict(districts::name)
                    .do_nothing()
                    .execute(tx)
                    .await?;
            }
            let district_ids: Vec<Uuid> = {
                let mut ids = Vec::new();
                for name in DISTRICTS {
                    ids.push(
                        districts::table
                            .filter(districts::name.eq(name))
                            .select(districts::id)
                            .first(tx)
                            .await?,
                    );
                }
                ids
            };
            let council = find_or_create_org(
                tx,
                NewOrganisation {
                    kind: OrganisationKind::Council,
                    legal_name: COUNCIL.into(),
                    companies_house_number: None,
                    charity_number: None,
                    address_line1: "County Hall, Spetchley Road".into(),
                    address_line2: String::new(),
                    town: "Worcester".into(),
                    postcode: "WR5 2NP".into(),
                },
            )
            .await?;
            let mut created = 0;
            for (email, name, role) in [
                ("admin@council.example", "Alex Morgan", Role::Admin),
                (
                    "commissioner@council.example",
                    "Sam Patel",
                    Role::Commissioner,
                ),
                ("evaluator@council.example", "Jo Evans", Role::Evaluator),
                (
                    "contracts@council.example",
                    "Chris Lee",
                    Role::ContractManager,
                ),
            ] {
                created += create_user(tx, council, email, name, role, &hash).await?;
            }
            for p in &PROVIDERS {
                let id = find_or_create_org(
                    tx,
                    NewOrganisation {
                        kind: OrganisationKind::Provider,
                        legal_name: p.legal_name.into(),
                        companies_house_number: Some(p.companies_house_number.into()),
                        charity_number: None,
                        address_line1: p.address.0.into(),
                        address_line2: String::new(),
                        town: p.address.1.into(),
                        postcode: p.address.2.into(),
                    },
                )
                .await?;
                for i in p.districts {
                    diesel::insert_into(organisation_districts::table)
                        .values((
                            organisation_districts::organisation_id.eq(id),
                            organisation_districts::district_id.eq(district_ids[*i]),
                        ))
                        .on_conflict_do_nothing()
                        .execute(tx)
                        .await?;
                }
                diesel::insert_into(cqc_locations::table)
                    .values((
                        cqc_locations::organisation_id.eq(id),
                        cqc_locations::location_id.eq(p.location.0),
                        cqc_locations::name.eq(p.location.1),
                        cqc_locations::rating.eq(p.location.2),
                        cqc_locations::rating_date.eq(p
                            .location
                            .3
                            .parse::<chrono::NaiveDate>()
                            .ok()),
                    ))
                    .on_conflict(cqc_locations::location_id)
                    .do_nothing()
                    .execute(tx)
                    .await?;
                created += create_user(tx, id, p.user.0, p.user.1, Role::Provider, &hash).await?;
            }
            evidence(tx).await?;
            Ok(created)
        })
        .await?;
    Ok(created)
}

async fn find_or_create_org(
    tx: &mut AsyncPgConnection,
    new: NewOrganisation,
) -> anyhow::Result<Uuid> {
    let existing: Option<Uuid> = organisations::table
        .filter(organisations::legal_name.eq(&new.legal_name))
        .select(organisations::id)
        .first(tx)
        .await
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id: Uuid = diesel::insert_into(organisations::table)
        .values(&new)
        .returning(organisations::id)
        .get_result(tx)
        .await?;
    audit::record(
        tx,
        &Actor::system(),
        audit::Entry::new("organisation.created", "organisation", id)
            .for_organisation(id)
            .with_details(serde_json::json!({"legal_name": new.legal_name, "demo": true})),
    )
    .await?;
    Ok(id)
}

async fn create_user(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    email: &str,
    name: &str,
    role: Role,
    hash: &str,
) -> anyhow::Result<usize> {
    let inserted: Option<Uuid> = diesel::insert_into(users::table)
        .values((
            users::organisation_id.eq(org),
            users::email.eq(email),
            users::name.eq(name),
            users::role.eq(role),
            users::password_hash.eq(hash),
            users::email_verified_at.eq(Some(chrono::Utc::now())),
        ))
        .on_conflict_do_nothing()
        .returning(users::id)
        .get_result(tx)
        .await
        .optional()?;
    if let Some(id) = inserted {
        audit::record(
            tx,
            &Actor::system(),
            audit::Entry::new("user.created", "user", id)
                .for_organisation(org)
                .with_details(serde_json::json!({"email": email, "role": role, "demo": true})),
        )
        .await?;
    }
    Ok(usize::from(inserted.is_some()))
}

/// The evidence demo: Bright Care's insurances, dated from today so that their statuses
/// show, and Meadow Homes' location rated Inadequate with its history. Skipped when Bright
/// Care already has insurances.
async fn evidence(tx: &mut AsyncPgConnection) -> anyhow::Result<()> {
    use super::evidence::model::InsuranceKind;
    use crate::db::schema::{cqc_rating_changes, insurances, stored_files};
    use chrono::Duration;
    let org = |name: &'static str| {
        organisations::table
            .filter(organisations::legal_name.eq(name))
            .select(organisations::id)
    };
    let user = |email: &'static str| {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
    };
    let bright: Uuid = org(PROVIDERS[0].legal_name).first(tx).await?;
    let meadow: Uuid = org(PROVIDERS[1].legal_name).first(tx).await?;
    let priya: Uuid = user(PROVIDERS[0].user.0).first(tx).await?;
    let commissioner: Uuid = user("commissioner@council.example").first(tx).await?;
    let held: i64 = insurances::table
        .filter(insurances::organisation_id.eq(bright))
        .count()
        .get_result(tx)
        .await?;
    if held > 0 {
        return Ok(());
    }
    let key = crate::storage::builtin::DEMO_CERTIFICATE;
    let size = crate::storage::builtin::bytes(key).map_or(1, |b| b.len() as i64);
    diesel::insert_into(stored_files::table)
        .values((
            stored_files::object_key.eq(key),
            stored_files::display_name.eq("Sample certificate.pdf"),
            stored_files::content_type.eq("application/pdf"),
            stored_files::size_bytes.eq(size),
            stored_files::sha256.eq(""),
            stored_files::uploaded_by.eq(priya),
            stored_files::organisation_id.eq(bright),
        ))
        .on_conflict(stored_files::object_key)
        .do_nothing()
        .execute(tx)
        .await?;
    let file: Uuid = stored_files::table
        .filter(stored_files::object_key.eq(key))
        .select(stored_files::id)
        .first(tx)
        .await?;
    let today = super::evidence::insurances::today();
    let days = Duration::days;
    for (kind, insurer, pounds, starts, expires) in [
        (
            InsuranceKind::EmployersLiability,
            "Severn Mutual",
            10_000_000,
            days(-100),
            days(265),
        ),
        (
            InsuranceKind::PublicLiability,
            "Acme Insurance plc",
            5_000_000,
            days(-345),
            days(20),
        ),
        (
            InsuranceKind::ProfessionalIndemnity,
            "Hereford Underwriting",
            2_000_000,
            days(-380),
            days(-15),
        ),
    ] {
        diesel::insert_into(insurances::table)
            .values(super::evidence::model::NewInsurance {
                organisation_id: bright,
                kind,
                description: String::new(),
                insurer: insurer.into(),
                cover_pence: pounds * 100,
                starts_on: today + starts,
                expires_on: today + expires,
                certificate_file_id: file,
                saved_at: Some(chrono::Utc::now()),
                replaces_id: None,
                created_by: priya,
            })
            .execute(tx)
            .await?;
    }
    let (location, name) = ("1-108765432", "Meadow View Nursing Home");
    let report = today - days(45);
    diesel::insert_into(cqc_locations::table)
        .values((
            cqc_locations::organisation_id.eq(meadow),
            cqc_locations::location_id.eq(location),
            cqc_locations::name.eq(name),
            cqc_locations::rating.eq(CqcRating::Inadequate),
            cqc_locations::rating_date.eq(Some(report)),
        ))
        .on_conflict(cqc_locations::location_id)
        .do_nothing()
        .execute(tx)
        .await?;
    diesel::insert_into(cqc_rating_changes::table)
        .values((
            cqc_rating_changes::organisation_id.eq(meadow),
            cqc_rating_changes::location_id.eq(location),
            cqc_rating_changes::location_name.eq(name),
            cqc_rating_changes::previous_rating.eq(CqcRating::RequiresImprovement),
            cqc_rating_changes::rating.eq(CqcRating::Inadequate),
            cqc_rating_changes::report_date.eq(report),
            cqc_rating_changes::recorded_by.eq(commissioner),
        ))
        .execute(tx)
        .await?;
    Ok(())
}
