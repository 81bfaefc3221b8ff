//! Test helper: runs the real email sender against `DATABASE_URL` and `SMTP_URL` until the
//! outbox has nothing due, as `commissioning jobs worker` would. Used to kill a sender with
//! SIGKILL mid-batch and start another.
//!
//! ```text
//! send-mail [--lease SECONDS] [--until-empty]
//! ```

use backend::mail::sender::{Sender, Transport};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut lease = backend::mail::sender::LEASE_SECONDS;
    while let Some(arg) = args.next() {
        if arg == "--lease" {
            lease = args.next().and_then(|v| v.parse().ok()).unwrap_or(lease);
        }
    }
    let database_url = std::env::var("DATABASE_URL")?;
    let settings = tests::with_smtp(
        tests::test_settings(&database_url, "http://127.0.0.1:1"),
        &std::env::var("SMTP_URL")?,
    );
    let pool = backend::db::build_pool(&database_url, 4)?;
    let mut sender = Sender::new(
        pool.clone(),
        Transport::from_settings(&settings.mail)?,
        settings.mail.from.parse()?,
        backend::mail::MailContext::from_settings(&settings),
    );
    sender.lease_seconds = lease;
    // Until every row is sent or failed: rows still `sending` under another (dead) sender's
    // lease are picked up once the lease runs out.
    loop {
        let handled = sender.send_batch().await?;
        if handled == 0 {
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Left {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut conn = pool.get().await?;
            let left: Left = diesel::sql_query(
                "SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')",
            )
            .get_result(&mut conn)
            .await?;
            if left.n == 0 {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}
