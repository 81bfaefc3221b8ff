//! The audit chain's background work: sealing new rows every second, and a daily signed
//! checkpoint emailed to every administrator, who so keeps a copy of the chain's head
//! outside the database (an anchor that `audit verify --anchor` checks against).

use super::chain::AuditKey;
use super::seal;
use crate::db::DbPool;
use crate::db::schema::{organisations, users};
use crate::mail::{self, Email};
use crate::organisations::model::{OrganisationKind, Role};
use crate::worker::JobContext;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jobs::Tick;
use std::time::Duration;

/// The checkpoint job's name.
pub const NAME: &str = "audit-checkpoint";
/// Every day at 06:00 London time, before the working day's first email is read.
pub const SCHEDULE: &str = "0 0 6 * * *";

/// How often the sealer looks for new rows.
pub const SEAL_EVERY: Duration = Duration::from_secs(1);

/// Seals new audit rows until `shutdown` turns true. Every instance runs one; whichever
/// gets the state row does each round.
pub async fn run_sealer(
    pool: DbPool,
    key: AuditKey,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match pool.get().await {
            Ok(mut conn) => match seal::seal_pending(&mut conn, &key).await {
                Ok(_) => {}
                Err(seal::SealError::StateAltered) => {
                    tracing::error!(
                        "the audit sealer's state was altered outside the application: sealing has stopped; run `commissioning audit verify`"
                    );
                }
                Err(e) => tracing::error!(error = %e, "sealing the audit log"),
            },
            Err(e) => tracing::warn!(error = %e, "sealing the audit log: no connection"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SEAL_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}

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
                    template: "audit_anchor",
                    to_address: email.clone(),
                    to_name: name.clone(),
                    user_id: Some(*id),
                    reason: "You received this email because you are an administrator of the service. We send one each morning so that a copy of the audit log's fingerprint is kept outside the database.".into(),
                    optional_kind: None,
                    data: serde_json::json!({
                        "anchor": anchor,
                        "when": when,
                        "entries": checkpoint.sealed_through,
                        "link": format!("{}/admin/audit", mail_context.public_url),
                    }),
                },
            )
            .await?;
        }
        super::record(
            tx,
            &super::Actor::system(),
            super::Entry::new("audit.checkpointed", "audit_checkpoint", checkpoint.sealed_through)
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
