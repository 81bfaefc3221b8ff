//! Demo data, each context's own, loaded in the order they depend on each other: the
//! council, its staff and two providers (`organisations::demo`), then three of the
//! council's tenders at different stages (`procurement::demo`), then an established dynamic
//! market (`dps::demo`). Idempotent: loading it again changes nothing that exists.

pub use crate::organisations::demo::{DEMO_EMAILS, DEMO_PASSWORD};
use diesel_async::AsyncPgConnection;

/// Loads the demo data. Returns how many users it created.
pub async fn demo(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let created = crate::organisations::demo::demo(conn).await?;
    // Each tender in its own transaction.
    crate::procurement::demo::demo(conn).await?;
    crate::dps::demo::demo(conn).await?;
    Ok(created)
}
