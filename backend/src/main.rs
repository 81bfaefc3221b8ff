//! `commissioning`: the one program. `serve` runs the web service; the other subcommands
//! are for operators.

use anyhow::{Context, bail};
use backend::config::Settings;
use backend::organisations::model::Role;
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
enum AuditCommand {
    /// Recompute the hash chain; exits 1 if any row was altered.
    Verify,
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
        Command::Serve { bind } => {
            let pool = prepare(&settings, &database.url).await?;
            if database.embedded.is_some() {
                let mut conn = pool.get().await?;
                backend::seed::demo(&mut conn).await?;
            }
            let listener = TcpListener::bind(&bind).with_context(|| format!("binding {bind}"))?;
            let settings = if std::env::var("PUBLIC_URL").is_ok_and(|v| !v.trim().is_empty()) {
                settings
            } else {
                settings.with_public_url(format!("http://{}", listener.local_addr()?))
            };
            let demo = settings.demo_mode;
            let public_url = settings.public_url.clone();
            let app = Application::build(settings, pool, listener)?;
            println!("Care commissioning is running at {public_url} (listening on {bind})");
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
            command: AuditCommand::Verify,
        } => {
            let pool = backend::db::build_pool(&database.url, 1)?;
            let mut conn = pool.get().await?;
            let result = backend::audit::verify(&mut conn).await?;
            println!("{}", serde_json::to_string(&result)?);
            if !result.ok {
                bail!(
                    "the audit log has been altered at row {:?}",
                    result.first_bad
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
