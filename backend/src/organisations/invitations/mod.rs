//! How people join a provider organisation: only by an invitation that one of the
//! provider's own users sends and the invitee accepts (issue 9). Council staff never
//! become members of a provider organisation, so nobody at the council can read a bid by
//! joining the bidder.
//!
//! The one exception is the platform operator's **account recovery**, for a provider that
//! has lost every account (docs/operations.md, "Account recovery"): an administrator sends
//! an invitation with a recorded reason. It works for 24 hours, every existing user of the
//! organisation is emailed at once and may cancel it, and it cannot be accepted while any
//! of the organisation's bids is before its deadline, so it can never open a sealed bid.
//!
//! Whenever anyone joins, the organisation's other users are emailed.

mod people;
mod recovery;

use super::emails::{AccountRecoveryStarted, ColleagueJoined, InvitationEmail};
use super::model::*;
use super::{OrganisationError, queries, rules};
use crate::audit::{self, Actor};
use crate::auth::AuthUser;
use crate::auth::{NewUser, OrganisationKind, Role, User};
use crate::db::schema::{invitations, organisations, users};
use crate::http::problem::FieldError;
use crate::mail::Message as _;
use crate::mail::{self, Email, MailContext, SecretLink};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
pub use people::{people, remove_person};
pub use recovery::{RecoveryHold, RecoveryHolds, recover};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

crate::pg_enum! {
    /// Who sent an invitation: a colleague, or the operator recovering a lost organisation.
    pub enum InvitationKind: crate::db::schema::sql_types::InvitationKind {
        Colleague => "colleague",
        SupportRecovery => "support_recovery",
    }
}

/// How long a colleague's invitation works.
pub const COLLEAGUE_DAYS: i64 = 7;
/// How long an account-recovery invitation works.
pub const RECOVERY_HOURS: i64 = 24;

/// An invitation's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: InvitationKind,
    pub email: String,
    pub name: String,
    pub reason: String,
    pub invited_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

crate::pg_enum! {
    /// Where an invitation stands.
    pub enum InvitationStatus: diesel::sql_types::Text {
        Pending => "pending",
        Accepted => "accepted",
        Cancelled => "cancelled",
        Expired => "expired",
    }
}

impl Invitation {
    /// Where it stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.revoked_at.is_some() {
            InvitationStatus::Cancelled
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }
}

/// An invitation as its organisation's users and administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: InvitationKind,
    pub email: String,
    pub name: String,
    /// The administrator's recorded reason (account recovery only).
    pub reason: String,
    pub invited_by: String,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Who to invite.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct InvitationInput {
    pub email: String,
    pub name: String,
    /// Account recovery only: why, as the provider asked (at least 20 characters).
    pub reason: String,
}

/// Accepting an invitation: the secret from the emailed link, and the new account's name
/// and password.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AcceptInput {
    pub token: String,
    pub name: String,
    #[serde(skip_serializing)]
    pub password: String,
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `user` may see and manage `organisation`'s people: its own provider users, and
/// administrators (who see, and may cancel, but never join).
fn may_manage(user: &AuthUser, organisation: Uuid) -> bool {
    user.role == Role::Admin
        || (user.role == Role::Provider && user.organisation_id == organisation)
}

async fn provider_name(tx: &mut AsyncPgConnection, id: Uuid) -> Result<String, OrganisationError> {
    match queries::organisation_kind(tx, id).await? {
        Some(OrganisationKind::Provider) => Ok(organisations::table
            .find(id)
            .select(organisations::legal_name)
            .first(tx)
            .await?),
        _ => Err(OrganisationError::NotFound),
    }
}

/// The organisation's active users (name, email), to tell them who joined.
async fn members(
    tx: &mut AsyncPgConnection,
    organisation: Uuid,
) -> QueryResult<Vec<(Uuid, String, String)>> {
    users::table
        .filter(users::organisation_id.eq(organisation))
        .filter(users::active.eq(true))
        .select((users::id, users::email, users::name))
        .order(users::name)
        .load(tx)
        .await
}

/// A provider user invites a colleague into their own organisation. A pending invitation
/// for the same address is replaced. Call inside a transaction.
pub async fn invite(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    actor: &AuthUser,
    organisation: Uuid,
    input: &InvitationInput,
) -> Result<InvitationView, OrganisationError> {
    if actor.role != Role::Provider || actor.organisation_id != organisation {
        return Err(if may_manage(actor, organisation) {
            OrganisationError::Forbidden
        } else {
            OrganisationError::NotFound
        });
    }
    let organisation_name = provider_name(tx, organisation).await?;
    let mut errors = Vec::new();
    let email = rules::email("email", &input.email, &mut errors);
    let name = rules::text("name", "their full name", &input.name, 200, &mut errors);
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    create(
        tx,
        mail,
        actor,
        organisation,
        &organisation_name,
        InvitationKind::Colleague,
        &email,
        &name,
        "",
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn create(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    actor: &AuthUser,
    organisation: Uuid,
    organisation_name: &str,
    kind: InvitationKind,
    email: &str,
    name: &str,
    reason: &str,
) -> Result<InvitationView, OrganisationError> {
    // One live invitation per address and organisation: a new one replaces the old.
    diesel::update(
        invitations::table
            .filter(invitations::organisation_id.eq(organisation))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                    .bind::<diesel::sql_types::Text, _>(email)
                    .sql(")"),
            )
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set((
        invitations::revoked_at.eq(diesel::dsl::now),
        invitations::revoked_by.eq(actor.id),
    ))
    .execute(tx)
    .await?;
    let link = SecretLink::new(mail);
    let valid_for = match kind {
        InvitationKind::Colleague => Duration::days(COLLEAGUE_DAYS),
        InvitationKind::SupportRecovery => Duration::hours(RECOVERY_HOURS),
    };
    let row: Invitation = diesel::insert_into(invitations::table)
        .values((
            invitations::organisation_id.eq(organisation),
            invitations::kind.eq(kind),
            invitations::email.eq(email),
            invitations::name.eq(name),
            invitations::reason.eq(reason),
            invitations::token_hash.eq(hash(&link.token)),
            invitations::invited_by.eq(actor.id),
            invitations::expires_at.eq(Utc::now() + valid_for),
        ))
        .returning(Invitation::as_returning())
        .get_result(tx)
        .await?;
    let (who, why) = match kind {
        InvitationKind::Colleague => (
            actor.name.clone(),
            format!(
                "You received this email because {} invited you to join {organisation_name} on the service.",
                actor.name
            ),
        ),
        InvitationKind::SupportRecovery => (
            "the service's support team".to_string(),
            format!(
                "You received this email because the service's support team invited you to recover {organisation_name}'s access, as asked."
            ),
        ),
    };
    mail::enqueue_with_secret(
        tx,
        mail,
        Email {
            template: InvitationEmail::TEMPLATE,
            to_address: email.to_string(),
            to_name: name.to_string(),
            user_id: None,
            reason: why,
            optional_kind: None,
            data: mail::data(&InvitationEmail {
                organisation_name: organisation_name.to_string(),
                inviter: who.to_string(),
                recovery: kind == InvitationKind::SupportRecovery,
                expires: crate::calendar::london_time(row.expires_at),
                link: SecretLink::url(mail, "/invitations/accept"),
            }),
        },
        &link,
    )
    .await?;
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new(
            match kind {
                InvitationKind::Colleague => "invitation.sent",
                InvitationKind::SupportRecovery => "invitation.recovery_sent",
            },
            "invitation",
            row.id,
        )
        .for_organisation(organisation)
        .with_details(serde_json::json!({"email": email, "reason": reason})),
    )
    .await?;
    Ok(view_of(row, who, Utc::now()))
}

fn view_of(row: Invitation, invited_by: String, now: DateTime<Utc>) -> InvitationView {
    InvitationView {
        status: row.status(now),
        id: row.id,
        organisation_id: row.organisation_id,
        kind: row.kind,
        email: row.email,
        name: row.name,
        reason: row.reason,
        invited_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
    }
}

/// An organisation's invitations, newest first (its provider users and administrators).
pub async fn list(
    conn: &mut AsyncPgConnection,
    viewer: &AuthUser,
    organisation: Uuid,
) -> Result<Vec<InvitationView>, OrganisationError> {
    if !may_manage(viewer, organisation) {
        return Err(OrganisationError::NotFound);
    }
    let rows: Vec<(Invitation, String, Role)> = invitations::table
        .inner_join(users::table.on(users::id.eq(invitations::invited_by)))
        .filter(invitations::organisation_id.eq(organisation))
        .order(invitations::created_at.desc())
        .limit(100)
        .select((Invitation::as_select(), users::name, users::role))
        .load(conn)
        .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|(row, name, role)| {
            let who = if role == Role::Provider {
                name
            } else {
                "The service's support team".into()
            };
            view_of(row, who, now)
        })
        .collect())
}

/// Cancels a pending invitation (the organisation's users, or an administrator). Call
/// inside a transaction.
pub async fn revoke(
    tx: &mut AsyncPgConnection,
    actor: &AuthUser,
    organisation: Uuid,
    id: Uuid,
) -> Result<(), OrganisationError> {
    if !may_manage(actor, organisation) {
        return Err(OrganisationError::NotFound);
    }
    let changed = diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::organisation_id.eq(organisation))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set((
        invitations::revoked_at.eq(diesel::dsl::now),
        invitations::revoked_by.eq(actor.id),
    ))
    .execute(tx)
    .await?;
    if changed == 0 {
        return Err(OrganisationError::NotFound);
    }
    audit::record(
        tx,
        &actor.actor(),
        audit::Entry::new("invitation.cancelled", "invitation", id).for_organisation(organisation),
    )
    .await
    .map_err(Into::into)
}

/// The live (not accepted, cancelled or expired) invitation a link's secret names, with
/// its organisation's name.
#[diesel::dsl::auto_type]
fn live(token_hash: Vec<u8>) -> _ {
    let invitation: diesel::dsl::AsSelect<Invitation, diesel::pg::Pg> = Invitation::as_select();
    invitations::table
        .inner_join(organisations::table)
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .filter(invitations::expires_at.gt(diesel::dsl::now))
        .select((invitation, organisations::legal_name))
}

/// The live invitation a link names: its organisation's name, and who it is for (to show
/// the acceptance form).
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    token: &str,
) -> QueryResult<Option<(Invitation, String)>> {
    live(hash(token)).first(conn).await.optional()
}

/// Accepts an invitation: creates the invitee's account in the organisation (the address
/// is confirmed by the link) and tells the organisation's other users. Call inside a
/// transaction.
pub async fn accept(
    tx: &mut AsyncPgConnection,
    mail: &MailContext,
    holds: &RecoveryHolds,
    input: &AcceptInput,
) -> Result<UserView, OrganisationError> {
    let invitation: Option<(Invitation, String)> = live(hash(&input.token))
        .for_update()
        .first(tx)
        .await
        .optional()?;
    let Some((invitation, organisation_name)) = invitation else {
        return Err(OrganisationError::InvalidLink);
    };
    if invitation.kind == InvitationKind::SupportRecovery
        && let Some(until) = holds.until(tx, invitation.organisation_id).await?
    {
        return Err(OrganisationError::Invalid(vec![FieldError::new(
            "token",
            format!(
                "This invitation cannot be used while {organisation_name} has a bid that is sealed until its deadline (the last is {}). Ask the service's support team for a new invitation after then.",
                crate::calendar::london_time(until)
            ),
        )]));
    }
    let mut errors = Vec::new();
    let name = rules::text("name", "your full name", &input.name, 200, &mut errors);
    rules::password("password", &input.password, &invitation.email, &mut errors);
    if !errors.is_empty() {
        return Err(OrganisationError::Invalid(errors));
    }
    if crate::auth::find_user_by_email(tx, &invitation.email)
        .await?
        .is_some()
    {
        return Err(OrganisationError::Invalid(vec![FieldError::new(
            "token",
            "This email address already has an account, and an address can belong to one organisation only. Ask for an invitation to another address.",
        )]));
    }
    let password_hash = crate::auth::password::hash(&input.password)
        .await
        .map_err(anyhow::Error::from)?;
    let user_id: Uuid = diesel::insert_into(users::table)
        .values(NewUser {
            organisation_id: invitation.organisation_id,
            email: invitation.email.clone(),
            name: name.clone(),
            role: Role::Provider,
            password_hash,
            email_verified_at: Some(Utc::now()),
        })
        .returning(users::id)
        .get_result(tx)
        .await?;
    diesel::update(invitations::table.find(invitation.id))
        .set((
            invitations::accepted_at.eq(diesel::dsl::now),
            invitations::accepted_user_id.eq(user_id),
        ))
        .execute(tx)
        .await?;
    let how = match invitation.kind {
        InvitationKind::Colleague => {
            let inviter: String = users::table
                .find(invitation.invited_by)
                .select(users::name)
                .first(tx)
                .await?;
            format!("at the invitation of {inviter}")
        }
        InvitationKind::SupportRecovery => {
            "through account recovery by the service's support team".to_string()
        }
    };
    for (id, to, to_name) in members(tx, invitation.organisation_id).await? {
        if id == user_id {
            continue;
        }
        mail::enqueue(
            tx,
            mail,
            Email {
                template: ColleagueJoined::TEMPLATE,
                to_address: to,
                to_name,
                user_id: Some(id),
                reason: format!("You received this email because you have an account with {organisation_name}, and we tell every account holder when someone joins it."),
                optional_kind: None,
                data: mail::data(&ColleagueJoined {
                    organisation_name: organisation_name.to_string(),
                    joiner_name: name.to_string(),
                    joiner_email: invitation.email.clone(),
                    how: how.to_string(),
                    link: format!("{}/organisation", mail.public_url),
                }),
            },
        )
        .await?;
    }
    audit::record(
        tx,
        &Actor::user(user_id, &invitation.email),
        audit::Entry::new("invitation.accepted", "invitation", invitation.id)
            .for_organisation(invitation.organisation_id)
            .with_details(serde_json::json!({
                "user_id": user_id,
                "kind": invitation.kind,
            })),
    )
    .await?;
    audit::record(
        tx,
        &Actor::user(user_id, &invitation.email),
        audit::Entry::new("user.created", "user", user_id)
            .for_organisation(invitation.organisation_id)
            .with_details(serde_json::json!({"email": invitation.email, "role": "provider", "invitation": invitation.id})),
    )
    .await?;
    queries::find_user(tx, user_id)
        .await?
        .ok_or(OrganisationError::NotFound)
}
