//! `dvorik`: one binary for the whole product.
//!
//! - `dvorik serve` — the HTTP server (health now; the admin API, jobs and both bots as they land),
//!   applying pending migrations first. Stops gracefully on SIGINT and SIGTERM.
//! - `dvorik migrate` — applies pending migrations and exits.
//! - `dvorik admin add --telegram-id N --role owner|marketing|readonly` — adds an admin.
//! - `dvorik admin token --telegram-id N` — prints a one-time admin panel login token.
//!
//! Configuration comes from the environment (see `.env.example`), read once here and passed down.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use dvorik::app::Core;
use dvorik::config::Config;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "dvorik",
    version,
    about = "Loyalty and deal assistant: bots, admin API and jobs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: HTTP API and health checks (and, as they land, the bots and jobs).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage admins.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add an admin bound to a Telegram user id.
    Add {
        #[arg(long)]
        telegram_id: i64,
        #[arg(long, value_enum)]
        role: Role,
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a one-time admin panel login token (single use, valid 5 minutes).
    Token {
        #[arg(long)]
        telegram_id: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Owner,
    Marketing,
    Readonly,
}

impl From<Role> for AdminRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => AdminRole::Owner,
            Role::Marketing => AdminRole::Marketing,
            Role::Readonly => AdminRole::Readonly,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env().context("configuration")?;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        // Logs go to stderr, so a command's own output on stdout (a token, a count) stays clean.
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = dvorik::db::connect(config.database_url.expose(), config.db_max_connections)
                .await?;
            dvorik::db::migrate(&db).await?;
            let applied = dvorik::db::applied_migrations(&db).await?;
            println!(
                "{} migrations applied on {}",
                applied.len(),
                dvorik::db::backend_name(&db)
            );
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Add {
                    telegram_id,
                    role,
                    name,
                },
        } => {
            let core = Core::start(&config).await?;
            let admin = admins::add(
                &core.db,
                telegram_id,
                role.into(),
                name,
                Actor::system(),
                dvorik::clock::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
            println!(
                "admin {} added: telegram id {}, role {:?}",
                admin.id, admin.telegram_id, admin.role
            );
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Token { telegram_id },
        } => {
            let core = Core::start(&config).await?;
            let now = dvorik::clock::now();
            let admin = admins::active_by_telegram_id(&core.db, telegram_id)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no active admin with telegram id {telegram_id} (ADMIN_NOT_FOUND)"
                    )
                })?;
            let token =
                dvorik::services::login_tokens::issue(&core.db, &core.key, admin.id, now).await?;
            // The token is the output the operator asked for; it is printed here and nowhere else.
            println!("{}", token.expose());
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let core = Core::start(&config).await.context("starting the core")?;
    tracing::info!(
        database = dvorik::db::backend_name(&core.db),
        kv = core.kv.kind(),
        "storage ready{}",
        if core.kv.kind() == "in-process" {
            " (in-process state: run a single instance, or set REDIS_URL)"
        } else {
            ""
        }
    );
    if let Some(owner) = config.owner_telegram_id {
        let admin = admins::ensure_owner(&core.db, owner, dvorik::clock::now()).await?;
        tracing::info!(admin_id = admin.id, "first owner present");
    }
    let listener = tokio::net::TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("binding {}", config.http_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let api = dvorik::http::ApiConfig::from_config(&config, &core.key)?;
    let app = dvorik::http::router_with(core, api, dvorik::http::Metrics::default());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
