//! Starting both bots: building the teloxide bots (pointed at Telegram or a simulator), telling
//! Telegram their commands, and running one dispatcher per bot with long polling or webhooks.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use dvorik::app::Core;
use dvorik::domain::Language;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::update_listeners::Polling;
use tokio::sync::mpsc;

use crate::common::{ErrorReporter, SettingsCache, TgBot};
use crate::storage::KvStorage;
use crate::update_log::UpdateLog;
use crate::webhook::{self, WebhookSenders};
use crate::{client, i18n, staff};

/// How to reach Telegram and take updates.
#[derive(Clone)]
pub struct BotsOptions {
    /// The Bot API server: `https://api.telegram.org` or a simulator's address.
    pub api_url: String,
    pub client_token: dvorik::secret::Secret<String>,
    pub staff_token: dvorik::secret::Secret<String>,
    /// `Some`: webhooks at `<base>/telegram/<bot>` with this secret; `None`: long polling.
    pub webhook: Option<WebhookOptions>,
    /// Client-side message limits (teloxide's `Throttle`): [`transactional_limits`] by default.
    pub limits: Limits,
    /// How long one getUpdates call waits for updates.
    pub poll_timeout: Duration,
    /// Where the bots count handled updates (`/metrics`).
    pub metrics: dvorik::http::Metrics,
    /// How signing codes are delivered: the SMS gateway if configured, else the client chat.
    pub codes: crate::notify::CodeChannel,
}

#[derive(Clone, Debug)]
pub struct WebhookOptions {
    pub base_url: String,
    pub secret: dvorik::secret::Secret<String>,
}

impl BotsOptions {
    /// Options for `api_url` and the two tokens, with long polling and Telegram's limits.
    pub fn new(api_url: &str, client_token: &str, staff_token: &str) -> Self {
        Self {
            api_url: api_url.to_string(),
            client_token: dvorik::secret::Secret::new(client_token.to_string()),
            staff_token: dvorik::secret::Secret::new(staff_token.to_string()),
            webhook: None,
            limits: transactional_limits(),
            poll_timeout: POLL_TIMEOUT,
            metrics: dvorik::http::Metrics::default(),
            codes: Default::default(),
        }
    }

    /// No client-side limits worth the name: for a local simulator and benchmarks, never Telegram.
    pub fn unthrottled(mut self) -> Self {
        self.limits = Limits {
            messages_per_sec_chat: 1_000,
            messages_per_min_chat: 60_000,
            messages_per_min_channel_or_supergroup: 60_000,
            messages_per_sec_overall: 1_000_000,
        };
        self
    }

    /// The options `dvorik serve` uses for `config` with the Bot API at `api_url` and these tokens.
    pub fn from_config(
        config: &dvorik::config::TelegramConfig,
        api_url: &str,
        client_token: &str,
        staff_token: &str,
    ) -> Self {
        let mut options = Self::new(api_url, client_token, staff_token);
        if !config.throttle {
            options = options.unthrottled();
        }
        options.webhook = match (&config.webhook_url, &config.webhook_secret) {
            (Some(base_url), Some(secret)) => Some(WebhookOptions {
                base_url: base_url.clone(),
                secret: secret.clone(),
            }),
            _ => None,
        };
        options
    }
}

/// The limits on the handlers' replies in production: Telegram's per-chat ones (one message a second
/// in a chat, 20 a minute in a group, 10 in a channel), with no overall cap worth the name. Telegram's
/// "about 30 a second" is for bulk sends, and bulk sends (broadcasts) do not come through here: they use
/// a plain bot behind the global pacer (`broadcast_sender`). teloxide's default overall 30 a second
/// would make every customer wait behind every other once more than 30 talk at once; a 429 from
/// Telegram still freezes this bot for `retry_after` and retries (Throttle's `retry`).
pub fn transactional_limits() -> Limits {
    Limits {
        messages_per_sec_overall: REPLIES_PER_SEC_OVERALL,
        ..Limits::default()
    }
}

/// Replies a second over all chats that Throttle lets through at most. It is also the length of
/// Throttle's queue (allocated up front), so it is a bound far above one instance's load, not a limit.
const REPLIES_PER_SEC_OVERALL: u32 = 10_000;

/// How long one getUpdates call waits by default. It must stay below the 17 s request timeout of
/// teloxide's HTTP client (`teloxide::net::default_reqwest_settings`): at 25 s every poll that found no
/// update failed as timed out, and teloxide's backoff then left an idle bot deaf for up to a minute.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// A teloxide bot for `token` at `api_url`, behind `Throttle` with `limits`.
pub fn make_bot(api_url: &str, token: &str, limits: Limits) -> anyhow::Result<TgBot> {
    let url = reqwest::Url::parse(api_url)?;
    let bot = Bot::new(token).set_api_url(url);
    Ok(Throttle::new_spawn(bot, limits))
}

/// Both bots, running.
pub struct RunningBots {
    pub client: TgBot,
    pub staff: TgBot,
    shutdowns: Vec<ShutdownToken>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// In webhook mode: the routes to serve on the HTTP server.
    pub webhook_routes: Option<axum::Router>,
}

impl RunningBots {
    /// Stops taking updates, lets the updates in hand finish, and returns.
    pub async fn stop(self) {
        for token in &self.shutdowns {
            // A dispatcher still starting (getMe in flight) refuses to shut down: ask again shortly.
            // The returned future is not awaited: it misses the "done" signal when the dispatcher
            // finishes before it is first polled. The dispatcher's task ending is the signal.
            for _ in 0..100 {
                if token.shutdown().is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .is_err()
            {
                tracing::warn!("a dispatcher did not stop in time: aborted");
                abort.abort();
            }
        }
    }
}

/// Starts both bots on `core`: commands set, dispatchers running.
pub async fn start(core: Core, options: BotsOptions) -> anyhow::Result<RunningBots> {
    let client = make_bot(
        &options.api_url,
        options.client_token.expose(),
        options.limits,
    )?;
    let staff = make_bot(
        &options.api_url,
        options.staff_token.expose(),
        options.limits,
    )?;
    set_commands(&client, client::Command::MENU).await?;
    set_commands(&staff, staff::Command::MENU).await?;

    let mut client_dp = Dispatcher::builder(client.clone(), client::handler_tree())
        .dependencies(dptree::deps![
            core.clone(),
            options.metrics.clone(),
            UpdateLog::start(core.clone(), client::NAME),
            SettingsCache::new(),
            options.codes.clone(),
            KvStorage::new(core.kv.clone(), client::DIALOGUE_PREFIX)
        ])
        .default_handler(|update| async move {
            tracing::debug!(
                bot = client::NAME,
                update_id = update.id.0,
                "update not handled"
            );
        })
        .error_handler(Arc::new(ErrorReporter {
            bot: client.clone(),
            name: client::NAME,
        }))
        .build();
    let mut staff_dp = Dispatcher::builder(staff.clone(), staff::handler_tree())
        .dependencies(dptree::deps![
            core.clone(),
            options.metrics.clone(),
            UpdateLog::start(core.clone(), staff::NAME),
            staff::ClientBot(client.clone()),
            KvStorage::new(core.kv.clone(), staff::DIALOGUE_PREFIX)
        ])
        .default_handler(|update| async move {
            tracing::debug!(
                bot = staff::NAME,
                update_id = update.id.0,
                "update not handled"
            );
        })
        .error_handler(Arc::new(ErrorReporter {
            bot: staff.clone(),
            name: staff::NAME,
        }))
        .build();
    let shutdowns = vec![client_dp.shutdown_token(), staff_dp.shutdown_token()];

    let listener_errors = LoggingErrorHandler::with_custom_text("getting updates failed");
    let (tasks, webhook_routes) = match &options.webhook {
        None => {
            let client_listener = Polling::builder(client.inner().clone())
                .timeout(options.poll_timeout)
                .delete_webhook()
                .await
                .build();
            let staff_listener = Polling::builder(staff.inner().clone())
                .timeout(options.poll_timeout)
                .delete_webhook()
                .await
                .build();
            let (e1, e2) = (listener_errors.clone(), listener_errors);
            let tasks = vec![
                tokio::spawn(
                    async move { client_dp.dispatch_with_listener(client_listener, e1).await },
                ),
                tokio::spawn(
                    async move { staff_dp.dispatch_with_listener(staff_listener, e2).await },
                ),
            ];
            (tasks, None)
        }
        Some(hook) => {
            let (client_tx, client_listener) = webhook::listener();
            let (staff_tx, staff_listener) = webhook::listener();
            for (bot, name) in [(&client, client::NAME), (&staff, staff::NAME)] {
                let url = reqwest::Url::parse(&format!("{}/telegram/{name}", hook.base_url))?;
                bot.set_webhook(url)
                    .secret_token(hook.secret.expose().clone())
                    .await?;
            }
            let routes = webhook::routes(WebhookSenders {
                client: client_tx,
                staff: staff_tx,
                secret: hook.secret.clone(),
            });
            let errors: Arc<LoggingErrorHandler> = listener_errors;
            let (e1, e2) = (errors.clone(), errors);
            let tasks = vec![
                tokio::spawn(
                    async move { client_dp.dispatch_with_listener(client_listener, e1).await },
                ),
                tokio::spawn(
                    async move { staff_dp.dispatch_with_listener(staff_listener, e2).await },
                ),
            ];
            (tasks, Some(routes))
        }
    };
    tracing::info!(
        mode = if webhook_routes.is_some() {
            "webhook"
        } else {
            "long polling"
        },
        "bots running"
    );
    Ok(RunningBots {
        client,
        staff,
        shutdowns,
        tasks,
        webhook_routes,
    })
}

/// `setMyCommands` in every language (and the default list, in Russian, for everyone else).
async fn set_commands(bot: &TgBot, menu: &[(&str, &str)]) -> anyhow::Result<()> {
    let list = |lang: Language| {
        menu.iter()
            .map(|(command, key)| BotCommand::new(*command, i18n::t(lang, key)))
            .collect::<Vec<_>>()
    };
    bot.set_my_commands(list(Language::default())).await?;
    for lang in Language::ALL {
        bot.set_my_commands(list(lang))
            .language_code(lang.code())
            .await?;
    }
    Ok(())
}

/// The listener's error type in webhook mode: an update cannot fail to arrive once posted.
pub type NoError = Infallible;
/// Sends updates into a webhook-mode dispatcher.
pub type UpdateSender = mpsc::UnboundedSender<Result<Update, NoError>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_keep_telegrams_per_chat_limits_but_not_the_bulk_cap() {
        let limits = BotsOptions::new("http://127.0.0.1:1", "1:a", "2:b").limits;
        assert_eq!(limits.messages_per_sec_chat, 1);
        assert_eq!(limits.messages_per_min_chat, 20);
        assert_eq!(limits.messages_per_min_channel_or_supergroup, 10);
        assert!(limits.messages_per_sec_overall > Limits::default().messages_per_sec_overall);
    }
}
