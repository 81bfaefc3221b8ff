//! `commissioning`: the one program. `serve` runs the web service; the other subcommands
//! are for operators.

use anyhow::{Context, bail};
use backend::auth::Role;
use backend::config::Settings;
use backend::startup::{Application, Database, prepare};
use clap::{Parser, Subcommand};
use std::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "commissioning",
    version,
    about = "Commission and provide adult social care"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the web pages and the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Do not run scheduled jobs or send email in this process (run `jobs worker`
        /// elsewhere).
        #[arg(long)]
        no_jobs: bool,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data.
    Seed {
        /// The demo council, its staff and two providers (idempotent).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a generated password unless PASSWORD is set in the environment.
    Create {
        #[arg(long)]
        email: String,
        /// admin, commissioner, evaluator, contract_manager or provider.
        #[arg(long)]
        role: String,
        /// The organisation's legal name (created as the council if no organisation exists yet).
        #[arg(long)]
        org: String,
        /// The user's full name (defaults to the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Each job's schedule, next run, and last run with its result.
    List,
    /// Run one job now, as if at an instant (default: now).
    Run {
        name: String,
        /// The tick to run for, e.g. 2026-12-01T09:00:00Z.
        #[arg(long)]
        at: Option<String>,
    },
    /// Run the scheduler, job runners and the email sender without serving HTTP.
    Worker,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal new rows, recompute the hash chain and check its signed head and checkpoints;
    /// exits 1 if anything was altered, removed or reordered.
    Verify {
        /// A line from an administrators' checkpoint email (`audit-anchor.v1.…`): also check
        /// that the log still holds everything up to it.
        #[arg(long)]
        anchor: Option<String>,
    },
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("LOG").unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    backend::auth::password::return_large_allocations();
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    let database = Database::open(&settings).await?;
    let result = run(cli.command, settings, &database).await;
    if let Some(cluster) = database.embedded.as_ref().filter(|c| c.started_here)
        && let Err(e) = cluster.stop()
    {
        eprintln!("stopping the embedded PostgreSQL: {e:#}");
    }
    result
}

async fn run(command: Command, settings: Settings, database: &Database) -> anyhow::Result<()> {
    match command {
        Command::Serve { bind, no_jobs } => {
            let pool = prepare(&settings, &database.url).await?;
            if database.embedded.is_some() {
                let mut conn = pool.get().await?;
                backend::seed::demo(&mut conn).await?;
            }
            let listener = TcpListener::bind(&bind).with_context(|| format!("binding {bind}"))?;
            // The embedded default's URL is known only now; the app listens for changes on it.
            let settings = backend::config::Settings {
                database_url: Some(database.url.clone()),
                ..settings
            };
            let settings = if std::env::var("PUBLIC_URL").is_ok_and(|v| !v.trim().is_empty()) {
                settings
            } else {
                settings.with_public_url(format!("http://{}", listener.local_addr()?))
            };
            let demo = settings.demo_mode;
            let public_url = settings.public_url.clone();
            let app = Application::build(settings, pool, listener)?;
            app.state().files.check().await?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let workers = if no_jobs {
                Vec::new()
            } else {
                backend::worker::spawn(app.state(), stopped)?
            };
            println!("Care commissioning is running at {public_url} (listening on {bind})");
            println!("Uploaded files are kept in {}", app.state().files.place());
            if demo {
                println!(
                    "Demo accounts (password: {}):",
                    backend::seed::DEMO_PASSWORD
                );
                for email in backend::seed::DEMO_EMAILS {
                    println!("  {email}");
                }
            }
            println!("Stop it with Ctrl+C.");
            app.run().await?;
            // The server has stopped (SIGTERM or Ctrl+C): let the workers finish or give
            // back what they hold.
            let _ = stop.send(true);
            for worker in workers {
                let _ = worker.await;
            }
        }
        Command::Jobs { command } => {
            let pool = prepare(&settings, &database.url).await?;
            let state = backend::app::state(settings, pool);
            if !matches!(command, JobsCommand::List) {
                // Housekeeping sweeps the store: find out now if it cannot be reached.
                state.files.check().await?;
            }
            jobs_command(command, &state).await?;
        }
        Command::Migrate => {
            let applied = backend::db::migrate(&database.url).await?;
            println!("Applied {applied} migration(s).");
        }
        Command::Seed { demo: _ } => {
            let pool = prepare(&settings, &database.url).await?;
            let mut conn = pool.get().await?;
            let created = backend::seed::demo(&mut conn).await?;
            println!("Demo data loaded ({created} new user(s)).");
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    org,
                    name,
                },
        } => {
            let role: Role = role
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
            let pool = prepare(&settings, &database.url).await?;
            let mut conn = pool.get().await?;
            let password = match std::env::var("PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    use rand::Rng;
                    let bytes: [u8; 12] = rand::rng().random();
                    hex::encode(bytes)
                }
            };
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let kind = role.organisation_kind();
            let (user, org_name) = backend::organisations::create_user_cli(
                &mut conn, &email, &name, role, &org, kind, &password,
            )
            .await?;
            println!("Created {} ({}) in {org_name}.", user.email, role.label());
            if std::env::var("PASSWORD").is_err() {
                println!("Password: {password}");
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { anchor },
        } => {
            let anchor = match anchor.as_deref() {
                None => None,
                Some(line) => Some(backend::audit::Anchor::parse(line).context(
                    "--anchor is not a line of the form audit-anchor.v1.… as emailed; copy the whole line",
                )?),
            };
            let pool = backend::db::build_pool(&database.url, 1)?;
            let mut conn = pool.get().await?;
            let key = backend::audit::AuditKey::from_settings(&settings);
            let result = backend::audit::seal_and_verify(
                &mut conn,
                &key,
                anchor.as_ref(),
                backend::audit::seal::WAIT_FOR_JOBS,
            )
            .await?;
            println!("{}", serde_json::to_string(&result)?);
            if !result.ok {
                bail!(
                    "the audit log has been altered: {}",
                    result.problem.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

async fn jobs_command(
    command: JobsCommand,
    state: &backend::state::AppState,
) -> anyhow::Result<()> {
    match command {
        JobsCommand::List => {
            let london = |t: chrono::DateTime<chrono::Utc>| {
                t.with_timezone(&chrono_tz::Europe::London)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string()
            };
            for job in state.jobs.status().await? {
                let last = match &job.last_run {
                    Some(run) => format!(
                        "{} ({}, run {} for {})",
                        run.status,
                        run.attempts,
                        run.id,
                        london(run.tick)
                    ),
                    None => "never run".into(),
                };
                println!(
                    "{}\n  schedule: {} ({})\n  next:     {}\n  last:     {last}\n  failed runs: {}",
                    job.name,
                    job.schedule,
                    job.time_zone,
                    job.next_tick.map(london).unwrap_or_else(|| "never".into()),
                    job.failures
                );
            }
        }
        JobsCommand::Run { name, at } => {
            let at = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .with_context(|| {
                        format!(
                            "--at {text:?} is not an RFC 3339 instant like 2026-12-01T09:00:00Z"
                        )
                    })?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            let (id, outcome) = state.jobs.run_now(&name, at).await?;
            println!(
                "{}",
                serde_json::json!({"run_id": id, "job": name, "at": at, "result": outcome})
            );
            if !matches!(outcome, jobs::Outcome::Succeeded) {
                bail!("{name} did not succeed");
            }
        }
        JobsCommand::Worker => {
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let workers = backend::worker::spawn(state, stopped)?;
            println!("Running scheduled jobs and sending email. Stop with Ctrl+C or SIGTERM.");
            shutdown_signal().await;
            let _ = stop.send(true);
            for worker in workers {
                let _ = worker.await;
            }
        }
    }
    Ok(())
}

/// Waits for SIGTERM or Ctrl+C.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
