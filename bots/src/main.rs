//! `dvorik`: one binary for the whole product.
//!
//! - `dvorik serve` — the HTTP server, both bots (long polling, or webhooks on the HTTP server), the
//!   scheduled jobs and the broadcast engine, applying pending migrations first. With no bot tokens the bots run against the built-in Telegram
//!   simulator. Stops gracefully on SIGINT and SIGTERM.
//! - `dvorik sim` — the bots against the built-in simulator with an interactive terminal chat;
//!   `dvorik sim --simulator-only --addr 127.0.0.1:8081` runs the simulator alone.
//! - `dvorik migrate` — applies pending migrations and exits.
//! - `dvorik admin add --telegram-id N --role owner|marketing|readonly` — adds an admin.
//! - `dvorik admin token --telegram-id N` — prints a one-time admin panel login token.
//! - `dvorik verify-signatures` — walks every deal's evidence chain; exits non-zero naming the first
//!   broken row.
//!
//! Configuration comes from the environment (see `.env.example`), read once here and passed down.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use dvorik::app::Core;
use dvorik::config::Config;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use std::sync::Arc;

use dvorik::broadcast::{BroadcastSender, Engine, EngineConfig};
use dvorik_bots::broadcast_sender::TelegramSender;
use dvorik_bots::run::BotsOptions;
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
    /// Run the server: HTTP API, health checks and both bots (against the built-in simulator when no
    /// bot tokens are configured).
    Serve,
    /// Try the bots in the terminal: the built-in Telegram simulator and a chat as a customer or cashier.
    Sim {
        /// Run only the simulator (no dvorik), for other tools to drive through its control API.
        #[arg(long)]
        simulator_only: bool,
        /// Where the simulator listens (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: std::net::SocketAddr,
        /// Folder for the pictures the bots send (default: <data dir>/sim-files).
        #[arg(long)]
        files: Option<std::path::PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage admins.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Walk every deal's signing evidence chain; exit non-zero naming the first broken row.
    VerifySignatures,
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
        Command::VerifySignatures => verify_signatures(&config).await,
        Command::Sim {
            simulator_only,
            addr,
            files,
        } => {
            if simulator_only {
                println!(
                    "Telegram Bot API simulator on http://{addr}/ (control API: http://{addr}/_sim/); \
                     bots: {SIM_CLIENT_TOKEN} (@{SIM_CLIENT_NAME}), {SIM_STAFF_TOKEN} (@{SIM_STAFF_NAME})"
                );
                dvorik_sim::serve_forever(
                    addr,
                    &[
                        (SIM_CLIENT_TOKEN, SIM_CLIENT_NAME),
                        (SIM_STAFF_TOKEN, SIM_STAFF_NAME),
                    ],
                )
                .await?;
                return Ok(());
            }
            let files = files.unwrap_or_else(|| config.data_dir.join("sim-files"));
            dvorik_bots::sim_chat::run(config, addr, files).await
        }
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

async fn verify_signatures(config: &Config) -> anyhow::Result<()> {
    let db = dvorik::db::connect(config.database_url.expose(), config.db_max_connections).await?;
    let (deals, broken) = dvorik::services::evidence::verify_all(&db).await?;
    match broken {
        None => {
            println!("{deals} deal chains verified: intact");
            Ok(())
        }
        Some(b) => anyhow::bail!(
            "deal {}: the chain breaks at seq {} ({})",
            b.deal_id,
            b.seq,
            serde_json::to_value(b.reason)?.as_str().unwrap_or("broken")
        ),
    }
}
/// Tokens and usernames of the bots on the built-in simulator.
const SIM_CLIENT_TOKEN: &str = dvorik_bots::sim_chat::CLIENT_TOKEN;
const SIM_STAFF_TOKEN: &str = dvorik_bots::sim_chat::STAFF_TOKEN;
const SIM_CLIENT_NAME: &str = dvorik_bots::sim_chat::CLIENT_NAME;
const SIM_STAFF_NAME: &str = dvorik_bots::sim_chat::STAFF_NAME;

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
    let api = dvorik::http::ApiConfig::from_config(&config, &core.key)?;
    // Deals sent through the API are announced by the client bot, when it runs here.
    let deal_notices = api.deal_notices.clone();
    let metrics = dvorik::http::Metrics::default();
    let mut simulator = None;
    let mut bots = None;
    let mut webhooks = None;
    let mut sender: Option<Arc<dyn BroadcastSender>> = None;
    if config.bots_enabled {
        let telegram = &config.telegram;
        let (api_url, client_token, staff_token) = if telegram.uses_simulator() {
            let sim = dvorik_sim::Simulator::start(telegram.sim_addr)
                .await
                .with_context(|| format!("starting the simulator on {}", telegram.sim_addr))?;
            dvorik_bots::sim_chat::register_bots(&sim, &core).await?;
            tracing::warn!(
                api = %sim.api_url(),
                control = %format!("http://{}/_sim/", sim.addr()),
                "no bot tokens (DVORIK_CLIENT_BOT_TOKEN, DVORIK_STAFF_BOT_TOKEN): both bots run against \
                 the built-in Telegram simulator; script conversations through its control API \
                 (README, \"Simulator\"), bots {SIM_CLIENT_TOKEN} and {SIM_STAFF_TOKEN}"
            );
            let api_url = sim.api_url();
            simulator = Some(sim);
            (
                api_url,
                SIM_CLIENT_TOKEN.to_string(),
                SIM_STAFF_TOKEN.to_string(),
            )
        } else {
            let secret = |s: &Option<dvorik::secret::Secret<String>>| {
                s.as_ref().map(|s| s.expose().clone()).unwrap_or_default()
            };
            (
                telegram.api_url.clone(),
                secret(&telegram.client_token),
                secret(&telegram.staff_token),
            )
        };
        sender = Some(Arc::new(
            TelegramSender::new(&api_url, &client_token).context("the client bot's sender")?,
        ));
        let mut options = BotsOptions::from_config(telegram, &api_url, &client_token, &staff_token);
        options.metrics = metrics.clone();
        if let Some(gateway) = &config.sms_gateway {
            options.codes = dvorik_bots::notify::CodeChannel(Some(Arc::new(
                dvorik::services::sms::SmsGateway::new(gateway.clone())
                    .context("the SMS gateway (DVORIK_SMS_*)")?,
            )));
            tracing::info!("signing codes go out by SMS");
        }
        let mut running = dvorik_bots::run::start(core.clone(), options)
            .await
            .context("starting the bots")?;
        webhooks = running.webhook_routes.take();
        dvorik_bots::notify::spawn_deal_notices(
            running.client.clone(),
            core.clone(),
            &deal_notices,
        );
        bots = Some(running);
    } else {
        tracing::info!("bots switched off (DVORIK_BOTS=off)");
    }
    let mut routes =
        dvorik::http::router_with_sender(core.clone(), api, metrics.clone(), sender.clone());
    if let Some(webhooks) = webhooks {
        routes = routes.merge(webhooks);
    }
    let engine = match (&sender, config.broadcasts.enabled) {
        (Some(sender), true) => Some(
            Engine::new(
                &core,
                dvorik::clock::Clock::system(),
                sender.clone(),
                EngineConfig::from_config(&config.broadcasts),
                metrics.clone(),
            )
            .start(),
        ),
        (None, _) => {
            tracing::info!("broadcasts are not sent: the bots are switched off");
            None
        }
        (_, false) => {
            tracing::info!("broadcasts are not sent by this instance (DVORIK_BROADCASTS=off)");
            None
        }
    };
    let listener = tokio::net::TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("binding {}", config.http_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let _jobs = if config.jobs {
        // The jobs' messages go through the client bot when it runs, else only to the log.
        let notifier: std::sync::Arc<dyn dvorik::jobs::Notifier> = match &bots {
            Some(running) => std::sync::Arc::new(dvorik_bots::notify::ClientNotifier {
                bot: running.client.clone(),
                core: core.clone(),
            }),
            None => std::sync::Arc::new(dvorik::jobs::LogNotifier),
        };
        Some(dvorik::jobs::start(core.clone(), notifier, metrics.clone()).await?)
    } else {
        None
    };
    axum::serve(
        listener,
        routes.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Some(engine) = engine {
        engine.stop().await;
    }
    if let Some(bots) = bots {
        bots.stop().await;
    }
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
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
