//! The end-to-end harness: a test database (SQLite or MariaDB, from the root harness), the Bot API
//! simulator, and both bots running against it over real HTTP exactly as `dvorik serve` runs them.
//! Every test ends with [`World::finish`], which fails on any Bot API violation the simulator saw.

#![allow(dead_code)]

use std::time::Duration;

use dvorik::app::Core;
use dvorik_bots::run::{self, BotsOptions, RunningBots};
use dvorik_sim::{Entry, Injected, SimUser, Simulator};

use crate::common::TestDb;

pub const CLIENT: &str = "7000001:e2e-client";
pub const STAFF: &str = "7000002:e2e-staff";
pub const WAIT: Duration = Duration::from_secs(20);

pub struct World {
    pub sim: Simulator,
    pub core: Core,
    bots: Option<RunningBots>,
}

impl World {
    /// The simulator, and both bots on `t`'s database with the in-process key-value store.
    pub async fn start(t: &TestDb) -> Self {
        let kv = crate::common::test_kv(false).await;
        Self::start_with(t, kv).await
    }

    pub async fn start_with(t: &TestDb, kv: dvorik::kv::Kv) -> Self {
        Self::start_mode(t, kv, None).await
    }

    /// Both bots in webhook mode: their routes served on a local HTTP server the simulator posts to.
    /// Returns the world and the server's base URL.
    pub async fn start_webhook(t: &TestDb, secret: &str) -> (Self, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let kv = crate::common::test_kv(false).await;
        let hook = dvorik_bots::run::WebhookOptions {
            base_url: base.clone(),
            secret: dvorik::secret::Secret::new(secret.to_string()),
        };
        let mut world = Self::start_mode(t, kv, Some(hook)).await;
        let routes = world
            .bots
            .as_mut()
            .and_then(|b| b.webhook_routes.take())
            .expect("webhook routes");
        tokio::spawn(async move { axum::serve(listener, routes).await });
        (world, base)
    }

    async fn start_mode(
        t: &TestDb,
        kv: dvorik::kv::Kv,
        webhook: Option<dvorik_bots::run::WebhookOptions>,
    ) -> Self {
        // `RUST_LOG=info` shows what the bots do while a test runs.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap())
            .await
            .expect("simulator starts");
        sim.add_bot(CLIENT, "e2e_client_bot").unwrap();
        sim.add_bot(STAFF, "e2e_staff_bot").unwrap();
        let core = Core {
            db: t.db.clone(),
            kv,
            key: t.key.clone(),
            timezone: chrono_tz::Asia::Vladivostok,
        };
        let mut options = BotsOptions::new(&sim.api_url(), CLIENT, STAFF).unthrottled();
        // Short polls: stopping waits for the poll in flight.
        options.poll_timeout = Duration::from_secs(1);
        options.webhook = webhook;
        let bots = run::start(core.clone(), options).await.expect("bots start");
        Self {
            sim,
            core,
            bots: Some(bots),
        }
    }

    /// The client bot as the handlers use it (to wire extra senders, such as deal notices).
    pub fn client_bot(&self) -> dvorik_bots::common::TgBot {
        self.bots.as_ref().expect("bots running").client.clone()
    }

    /// Waits for the bot's first message after `after` whose text or caption contains `needle`.
    pub async fn bot_says(&self, token: &str, chat: i64, after: i64, needle: &str) -> Entry {
        let mut found = None;
        self.sim
            .wait_for(token, chat, WAIT, |entries| {
                found = entries
                    .iter()
                    .find(|e| {
                        e.from_bot
                            && e.message_id.is_some_and(|id| id > after)
                            && e.body().is_some_and(|b| b.contains(needle))
                    })
                    .cloned();
                found.is_some()
            })
            .await;
        found.unwrap_or_else(|| {
            panic!(
                "no bot message with {needle:?} in chat {chat} after {after}; transcript: {:#?}; violations: {:?}",
                self.sim.transcript(token, chat),
                self.sim.violations()
            )
        })
    }

    /// The highest message id in the chat so far (0 for a new chat).
    pub fn last_id(&self, token: &str, chat: i64) -> i64 {
        self.sim
            .transcript(token, chat)
            .iter()
            .filter_map(|e| e.message_id)
            .max()
            .unwrap_or(0)
    }

    /// Waits for the bot's next message in `chat` after message `after`.
    pub async fn reply_after(&self, token: &str, chat: i64, after: i64) -> Entry {
        self.sim
            .next_bot_message(token, chat, after, WAIT)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no answer in chat {chat} after message {after}; transcript: {:#?}; violations: {:?}",
                    self.sim.transcript(token, chat),
                    self.sim.violations()
                )
            })
    }

    /// The user sends `text`; returns the bot's first answer.
    pub async fn say(&self, token: &str, user: &SimUser, text: &str) -> Entry {
        self.say_injected(token, user, text).await.1
    }

    pub async fn say_injected(&self, token: &str, user: &SimUser, text: &str) -> (Injected, Entry) {
        let after = self.last_id(token, user.id);
        let injected = self.sim.send_text(token, user, text).unwrap();
        (injected, self.reply_after(token, user.id, after).await)
    }

    /// The user presses the button whose callback data is `data` under `message`; returns the answer.
    pub async fn press(&self, token: &str, user: &SimUser, message: &Entry, data: &str) -> Entry {
        self.press_injected(token, user, message, data).await.1
    }

    pub async fn press_injected(
        &self,
        token: &str,
        user: &SimUser,
        message: &Entry,
        data: &str,
    ) -> (Injected, Entry) {
        let after = self.last_id(token, user.id);
        let injected = self
            .sim
            .press_button(token, user, message.message_id.unwrap(), data)
            .unwrap();
        (injected, self.reply_after(token, user.id, after).await)
    }

    /// The user sends a picture; returns the bot's answer.
    pub async fn send_photo(&self, token: &str, user: &SimUser, image: Vec<u8>) -> Entry {
        let after = self.last_id(token, user.id);
        self.sim.send_photo(token, user, image, None).unwrap();
        self.reply_after(token, user.id, after).await
    }

    /// Bot messages in the chat so far.
    pub fn bot_messages(&self, token: &str, chat: i64) -> Vec<Entry> {
        self.sim
            .transcript(token, chat)
            .into_iter()
            .filter(|e| e.from_bot)
            .collect()
    }

    /// Stops the bots and the simulator; fails on any Bot API violation.
    pub async fn finish(mut self) {
        if let Some(bots) = self.bots.take() {
            bots.stop().await;
        }
        let violations = self.sim.violations();
        self.sim.clone().shutdown().await;
        assert!(violations.is_empty(), "Bot API violations: {violations:#?}");
    }
}

/// The callback data of the button whose text contains `needle`.
pub fn button(entry: &Entry, needle: &str) -> String {
    entry
        .button(needle)
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no button {needle:?} in {entry:#?}"))
}

pub fn text(entry: &Entry) -> &str {
    entry.body().unwrap_or_default()
}
