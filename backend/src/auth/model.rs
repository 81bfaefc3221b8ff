//! Who a user is, as stored: the user row, their role, and the kind of organisation they
//! belong to. Everything that asks "who is this?" reads these; the organisations context
//! manages them.

use crate::db::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

crate::pg_enum! {
    /// Whether an organisation is the council or a care provider.
    pub enum OrganisationKind: crate::db::schema::sql_types::OrganisationKind {
        Council => "council",
        Provider => "provider",
    }
}

crate::pg_enum! {
    /// What a user may do. The first four belong to council staff; `provider` to a user of
    /// one provider organisation.
    pub enum Role: crate::db::schema::sql_types::UserRole {
        Admin => "admin",
        Commissioner => "commissioner",
        Evaluator => "evaluator",
        ContractManager => "contract_manager",
        Provider => "provider",
    }
}

impl Role {
    /// The role's name as people say it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Commissioner => "Commissioner",
            Role::Evaluator => "Evaluator",
            Role::ContractManager => "Contract manager",
            Role::Provider => "Provider",
        }
    }

    /// The kind of organisation a user with this role belongs to.
    pub fn organisation_kind(self) -> OrganisationKind {
        match self {
            Role::Provider => OrganisationKind::Provider,
            _ => OrganisationKind::Council,
        }
    }
}

/// A user as stored. The password hash never leaves this module's queries.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub sessions_valid_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// A new user.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub organisation_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    /// Set when the person proved the address by following an emailed link to get here.
    pub email_verified_at: Option<DateTime<Utc>>,
}
