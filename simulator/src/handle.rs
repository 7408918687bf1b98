//! `Simulator`: start the server and drive it from Rust — register bots, speak as users, read what the
//! bots answered, inject faults, read violations. The control API (`/_sim/…`) calls the same methods.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::inject::UserContent;
use crate::model::{
    BotInfo, Contact, Counters, Entry, Fault, Injected, SimError, SimUser, Violation,
};
use crate::state::Inner;

/// Largest request body accepted (Telegram takes photos up to 10 MB, documents up to 50 MB).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A running simulator. Cheap to clone; every clone drives the same server.
#[derive(Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
    addr: SocketAddr,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Binds `addr` (port 0 picks a free one) and serves the Bot API and the control API on it.
    pub async fn start(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let sim = Self {
            inner: Arc::new(Inner::new()),
            addr,
            server: Arc::new(Mutex::new(None)),
        };
        let app = Router::new()
            .nest("/_sim", crate::control::routes(sim.clone()))
            .fallback(crate::botapi::handle)
            .with_state(sim.inner.clone())
            .layer(DefaultBodyLimit::max(MAX_BODY));
        let inner = sim.inner.clone();
        let task = tokio::spawn(async move {
            let stopped = async move {
                loop {
                    let notified = inner.stop.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if inner.stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    notified.await;
                }
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(error = %e, "the Bot API simulator stopped");
            }
        });
        *sim.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        tracing::info!(%addr, "Bot API simulator listening");
        Ok(sim)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`: what teloxide's `Bot::set_api_url` takes.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Registers a bot; its token then works at `/bot<token>/…`. Registering a token again is a no-op.
    pub fn add_bot(&self, token: &str, username: &str) -> Result<BotInfo, SimError> {
        self.inner.lock().add_bot(token, username)
    }

    pub fn bots(&self) -> Vec<BotInfo> {
        let mut bots: Vec<BotInfo> = self
            .inner
            .lock()
            .bots
            .values()
            .map(|b| b.info.clone())
            .collect();
        bots.sort_by_key(|b| b.id);
        bots
    }

    /// The user has a chat with the bot already (as after pressing Start long ago), without an update:
    /// how tests give a bot thousands of customers it may write to.
    pub fn open_chat(&self, token: &str, user: &SimUser) -> Result<(), SimError> {
        self.inner.lock().open_chat(token, user)
    }

    /// The user sends a text message (a command too: `/start src_instagram` gets its bot_command entity).
    pub fn send_text(&self, token: &str, user: &SimUser, text: &str) -> Result<Injected, SimError> {
        self.inner
            .lock()
            .inject_message(token, user, UserContent::Text(text.to_owned()))
    }

    /// The user shares a contact. `contact_user_id` is the user the contact belongs to: the sender's own
    /// id for "share my number", another id (or `None`) for someone else's contact.
    pub fn send_contact(
        &self,
        token: &str,
        user: &SimUser,
        phone_number: &str,
        contact_user_id: Option<i64>,
    ) -> Result<Injected, SimError> {
        let mut state = self.inner.lock();
        state.bot(token)?;
        // The contact card carries the sender's name as stored (the request may give only an id).
        let first_name = state.upsert_user(user).first_name;
        let contact = Contact {
            phone_number: phone_number.to_owned(),
            first_name,
            user_id: contact_user_id,
        };
        state.inject_message(token, user, UserContent::Contact(contact))
    }

    /// The user sends a photo (PNG or JPEG bytes), stored as a file the bot can getFile and download.
    pub fn send_photo(
        &self,
        token: &str,
        user: &SimUser,
        image: impl Into<Bytes>,
        caption: Option<&str>,
    ) -> Result<Injected, SimError> {
        let image = image.into();
        if !crate::image::is_image(&image) {
            return Err(SimError::NotAnImage);
        }
        let mime = if image.starts_with(b"\x89PNG") {
            "image/png"
        } else {
            "image/jpeg"
        };
        let mut state = self.inner.lock();
        let bot_id = state.bot(token)?.info.id;
        let file = state.store_file(
            bot_id,
            crate::model::MediaKind::Photo,
            image,
            None,
            Some(mime.to_owned()),
        );
        let content = UserContent::Photo {
            file_id: file.file_id.clone(),
            caption: caption.map(str::to_owned),
        };
        state.inject_message(token, user, content)
    }

    /// The user presses the inline button with callback data `data` under bot message `message_id`.
    pub fn press_button(
        &self,
        token: &str,
        user: &SimUser,
        message_id: i64,
        data: &str,
    ) -> Result<Injected, SimError> {
        self.inner
            .lock()
            .inject_press(token, user, message_id, data, true)
    }

    /// A callback query with any data, as a modified client could send: tests of forged callback data.
    pub fn press_button_unchecked(
        &self,
        token: &str,
        user: &SimUser,
        message_id: i64,
        data: &str,
    ) -> Result<Injected, SimError> {
        self.inner
            .lock()
            .inject_press(token, user, message_id, data, false)
    }

    /// Delivers an update again (as after a lost confirmation); it comes first in the next getUpdates.
    pub fn redeliver(&self, token: &str, update_id: i64) -> Result<(), SimError> {
        self.inner.lock().redeliver(token, update_id)
    }

    /// The next injected update gets this id (Telegram may restart ids after a week of silence).
    pub fn set_next_update_id(&self, token: &str, next: i64) -> Result<(), SimError> {
        self.inner.lock().bot_mut(token)?.set_next_update_id(next);
        Ok(())
    }

    /// Updates injected and not yet confirmed by the bot.
    pub fn pending_updates(&self, token: &str) -> Result<usize, SimError> {
        Ok(self.inner.lock().bot(token)?.pending.len())
    }

    /// Waits for the first bot message in the chat with a message_id above `after_message_id`.
    /// `None` when the timeout passes first (or the bot is unknown).
    pub async fn next_bot_message(
        &self,
        token: &str,
        chat_id: i64,
        after_message_id: i64,
        timeout: Duration,
    ) -> Option<Entry> {
        let mut found = None;
        self.wait_for(token, chat_id, timeout, |entries| {
            found = crate::state::Chat::bot_message_in(entries, after_message_id).cloned();
            found.is_some()
        })
        .await?;
        found
    }

    /// Waits until `done` holds for the chat's transcript (checked now and after every change: a new
    /// message, an edit, a callback answer) and returns that transcript; `None` on timeout.
    pub async fn wait_for(
        &self,
        token: &str,
        chat_id: i64,
        timeout: Duration,
        mut done: impl FnMut(&[Entry]) -> bool,
    ) -> Option<Vec<Entry>> {
        let deadline = Instant::now() + timeout;
        let notify = self
            .inner
            .lock()
            .bots
            .get_mut(token)?
            .chat(chat_id)
            .notify
            .clone();
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.inner.lock();
                let entries = state
                    .bots
                    .get(token)?
                    .chats
                    .get(&chat_id)
                    .map(|c| c.entries.as_slice())
                    .unwrap_or_default();
                if done(entries) {
                    return Some(entries.to_vec());
                }
            }
            if self.inner.stopping.load(Ordering::Relaxed) {
                return None;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }

    /// Everything said in the chat between the bot and the user, in order.
    pub fn transcript(&self, token: &str, chat_id: i64) -> Vec<Entry> {
        let state = self.inner.lock();
        state
            .bots
            .get(token)
            .and_then(|b| b.chats.get(&chat_id))
            .map(|c| c.entries.clone())
            .unwrap_or_default()
    }

    /// Chats the bot has, by id (a private chat's id is the user's id).
    pub fn chats(&self, token: &str) -> Vec<i64> {
        let state = self.inner.lock();
        let mut ids: Vec<i64> = state
            .bots
            .get(token)
            .map(|b| b.chats.keys().copied().collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// Makes the user a member of the channel (`@username` or its numeric id) or not; the default is not.
    pub fn set_member(&self, channel: &str, user_id: i64, member: bool) {
        let key = crate::methods::channel_key(&serde_json::Value::String(channel.to_owned()));
        self.inner.lock().members.insert((key, user_id), member);
    }

    /// Adds a fault; the id removes it again.
    pub fn add_fault(&self, fault: Fault) -> u64 {
        let mut state = self.inner.lock();
        state.next_fault_id += 1;
        let id = state.next_fault_id;
        state.faults.push((id, fault));
        id
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        let mut state = self.inner.lock();
        let before = state.faults.len();
        state.faults.retain(|(i, _)| *i != id);
        state.faults.len() != before
    }

    /// The faults still active, with their ids and remaining counts.
    pub fn faults(&self) -> Vec<(u64, Fault)> {
        self.inner.lock().faults.clone()
    }

    pub fn clear_faults(&self) {
        self.inner.lock().faults.clear();
    }

    /// Every Bot API violation since start (or the last clear).
    pub fn violations(&self) -> Vec<Violation> {
        self.inner.lock().violations.clone()
    }

    pub fn clear_violations(&self) {
        self.inner.lock().violations.clear();
    }

    pub fn counters(&self) -> Counters {
        self.inner.lock().counters.clone()
    }

    /// The bytes of a stored file (uploaded by a bot or sent by a user).
    pub fn file_bytes(&self, file_id: &str) -> Option<Vec<u8>> {
        self.inner
            .lock()
            .files
            .get(file_id)
            .map(|f| f.bytes.to_vec())
    }

    /// The commands the bot set for the default scope and this language (`None`: no language).
    pub fn commands(&self, token: &str, language_code: Option<&str>) -> Vec<(String, String)> {
        let key = format!(
            r#"{{"type":"default"}}|{}"#,
            language_code.unwrap_or_default()
        );
        let state = self.inner.lock();
        let Some(list) = state
            .bots
            .get(token)
            .and_then(|b| b.commands.get(&key))
            .and_then(|v| v.as_array())
        else {
            return Vec::new();
        };
        list.iter()
            .map(|c| {
                let field = |k: &str| {
                    c.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                (field("command"), field("description"))
            })
            .collect()
    }

    /// The webhook URL the bot set, if any.
    pub fn webhook_url(&self, token: &str) -> Option<String> {
        self.inner
            .lock()
            .bots
            .get(token)
            .and_then(|b| b.webhook.as_ref().map(|w| w.url.clone()))
    }

    /// Stops serving: long polls return at once, the server finishes in-flight requests and exits.
    pub async fn shutdown(self) {
        self.inner.stopping.store(true, Ordering::Relaxed);
        self.inner.stop.notify_waiters();
        let task = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Resolves when the server task has ended (after `shutdown` from another clone, or a failure).
    pub fn stopped(&self) -> impl Future<Output = ()> + use<> {
        let task = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        async move {
            if let Some(task) = task {
                let _ = task.await;
            }
        }
    }
}
