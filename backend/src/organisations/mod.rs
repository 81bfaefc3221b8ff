//! Organisations (the council and care providers), their users and roles, districts and
//! CQC registrations. Other contexts call only the functions here.

pub mod api;
pub mod demo;
pub mod emails;
pub mod errors;
pub mod evidence;
pub mod invitations;
pub mod jobs;
pub mod model;
mod organisation;
pub mod pages;
pub mod people_pages;
pub mod queries;
pub mod registration;
pub mod rules;
mod user_accounts;

use crate::audit::{self, Actor};
use crate::auth::{AuthUser, NewUser, OrganisationKind, Role, User, password};
use crate::db::schema::{organisations, users};
use crate::http::problem::FieldError;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use model::*;
use rules::{OrganisationInput, ValidOrganisation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use errors::unique_violation;
pub use errors::{OrganisationError, field_errors};
pub use organisation::{
    create_organisation, get_organisation, may_edit, may_view, update_organisation,
};
pub(crate) use user_accounts::check_districts;
pub use user_accounts::{
    NewUserInput, RegistrationInput, UserChanges, create_user, create_user_cli, update_user,
};

/// Hands this context's routes and jobs to the application.
pub fn register(registry: &mut crate::registry::Registry) {
    registry
        .api(api::configure)
        .api(evidence::api::configure)
        .pages(pages::configure)
        .pages(people_pages::configure)
        .pages(evidence::pages::configure)
        .job(crate::background::Job::new(
            jobs::insurance_reminders::NAME,
            "Emails providers 30 and 7 days before an insurance expires, and when it has lapsed",
            jobs::insurance_reminders::SCHEDULE,
            jobs::insurance_reminders::run,
        ));
}
