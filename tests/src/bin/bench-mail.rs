//! Benchmark (not a test): queues 10,000 emails, then measures how fast the real sender
//! delivers them into a real SMTP server on loopback (`smtp-sink --count-only`). Prints
//! messages per second. Run in release mode:
//!
//! ```sh
//! cargo build --release -p tests --bins && ./target/release/bench-mail [COUNT]
//! ```

use backend::mail::sender::{Sender, Transport};
use backend::mail::{self, Email, MailContext};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::io::BufRead;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let db = tests::bench::BenchDatabase::create().await?;
    let sink_exe = std::env::current_exe()?.with_file_name("smtp-sink");
    let sink_dir = std::env::temp_dir().join("bench-mail-sink");
    let mut sink = std::process::Command::new(&sink_exe)
        .args(["--count-only", "--dir"])
        .arg(&sink_dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "starting {}: {e} (build it with `cargo build --release -p tests --bins`)",
                sink_exe.display()
            )
        })?;
    let mut line = String::new();
    std::io::BufReader::new(sink.stdout.take().unwrap()).read_line(&mut line)?;
    let smtp_url = format!("smtp://{}", line.trim().trim_start_matches("listening "));

    let settings = tests::with_smtp(
        tests::test_settings(&db.url, "http://127.0.0.1:8080"),
        &smtp_url,
    );
    let context = MailContext::from_settings(&settings);
    let started = Instant::now();
    let mut conn = AsyncPgConnection::establish(&db.url).await?;
    for chunk in 0..count.div_ceil(1000) {
        let context = context.clone();
        conn.transaction::<(), anyhow::Error, _>(async move |tx| {
            for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
                mail::enqueue(tx, &context, Email {
                    template: "reset_password",
                    to_address: format!("person{i}@bench.example"),
                    to_name: format!("Person {i}"),
                    user_id: None,
                    reason: "Benchmark.".into(),
                    optional_kind: None,
                    data: serde_json::json!({"link": format!("https://care.example/reset?token={i}")}),
                })
                .await?;
            }
            Ok(())
        })
        .await?;
    }
    let queued = started.elapsed();

    let pool = backend::db::build_pool(&db.url, 8)?;
    let sender = Sender::new(
        pool,
        Transport::from_settings(&settings.mail)?,
        settings.mail.from.parse()?,
        context,
    );
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let n = sender.send_batch().await?;
        if n == 0 {
            break;
        }
        sent += n;
    }
    let sending = started.elapsed();
    let _ = sink.kill();
    let _ = sink.wait();
    anyhow::ensure!(sent == count, "sent {sent} of {count}");
    println!(
        "queued {count} emails (rendered, in transactions of 1000) in {:.2}s: {:.0}/s",
        queued.as_secs_f64(),
        count as f64 / queued.as_secs_f64()
    );
    println!(
        "sent   {count} emails over SMTP to a loopback server in {:.2}s: {:.0} messages/s (batch {}, {} in flight) (aim: >= 900/s)",
        sending.as_secs_f64(),
        count as f64 / sending.as_secs_f64(),
        backend::mail::sender::BATCH,
        backend::mail::sender::CONCURRENCY
    );
    db.drop_database().await?;
    Ok(())
}
