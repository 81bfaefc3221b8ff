//! The audit sealer: every instance runs one beside its server, sealing new audit rows
//! every second (`seal::seal_pending`); whichever instance gets the state row does each round.

use super::chain::AuditKey;
use super::seal;
use crate::db::DbPool;
use std::time::Duration;

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
