//! The daily audit checkpoint: seals the log, records a signed checkpoint and emails its
//! anchor to every administrator, who so keeps a copy of the chain's head outside the
//! database (an anchor that `commissioning audit verify --anchor` checks against).

use crate::admin::emails::AuditAnchor;
use crate::audit::{self, AuditKey, seal};
use crate::auth::{OrganisationKind, Role};
use crate::background::JobContext;
use crate::db::schema::{organisations, users};
use crate::mail::Message as _;
use crate::mail::{self, Email};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;

/// The job's name.
pub const NAME: &str = "audit-checkpoint";
/// Every day at 06:00 London time, before the working day's first email is read.
pub const SCHEDULE: &str = "0 0 6 * * *";

/// Records a signed checkpoint for the tick and emails its anchor to every active
/// administrator of the council, in one transaction.
pub async fn run(context: JobContext, tick: Tick) -> anyhow::Result<()> {
    let key = AuditKey::from_settings(&context.settings);
    let mut conn = context.pool.get().await?;
    seal::seal_now(&mut conn, &key, seal::WAIT_FOR_JOBS).await?;
    let mail_context = context.mail.clone();
    conn.transaction::<_, anyhow::Error, _>(async move |tx| {
        let checkpoint = seal::record_checkpoint(tx, &key, tick.at).await?;
        let anchor = checkpoint.anchor(&key).to_string();
        let admins: Vec<(uuid::Uuid, String, String)> = users::table
            .inner_join(organisations::table)
            .filter(users::role.eq(Role::Admin))
            .filter(users::active.eq(true))
            .filter(organisations::kind.eq(OrganisationKind::Council))
            .select((users::id, users::email, users::name))
            .load(tx)
            .await?;
        let when = crate::calendar::london_time(checkpoint.created_at);
        for (id, email, name) in &admins {
            mail::enqueue(
                tx,
                &mail_context,
                Email {
                    template: AuditAnchor::TEMPLATE,
                    to_address: email.clone(),
                    to_name: name.clone(),
                    user_id: Some(*id),
                    reason: "You received this email because you are an administrator of the service. We send one each morning so that a copy of the audit log's fingerprint is kept outside the database.".into(),
                    optional_kind: None,
                    data: mail::data(&AuditAnchor {
                        anchor: anchor.clone(),
                        when: when.clone(),
                        entries: checkpoint.sealed_through,
                        link: format!("{}/admin/audit", mail_context.public_url),
                    }),
                },
            )
            .await?;
        }
        audit::record(
            tx,
            &audit::Actor::system(),
            audit::Entry::new("audit.checkpointed", "audit_checkpoint", checkpoint.sealed_through)
                .with_details(serde_json::json!({
                    "sealed_through": checkpoint.sealed_through,
                    "head_hash": hex::encode(&checkpoint.head_hash),
                    "emailed_to": admins.len(),
                })),
        )
        .await?;
        Ok(())
    })
    .await
}
