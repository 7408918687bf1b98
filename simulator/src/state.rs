//! The simulator's state behind one mutex (held briefly, never across an await): bots with their
//! update queues and chats, users, channel membership, files, faults, violations and counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::model::{
    BotInfo, ButtonPress, Contact, Counters, Entry, Fault, Injected, Media, MediaKind, SimError,
    SimUser, Violation,
};
use crate::render;

/// Shared by the HTTP server and every `Simulator` handle.
pub(crate) struct Inner {
    pub state: Mutex<State>,
    /// Wakes every long poll when the simulator stops.
    pub stop: Notify,
    pub stopping: AtomicBool,
}

impl Inner {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            stop: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough data for a test double; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Default)]
pub(crate) struct State {
    pub bots: HashMap<String, BotState>,
    pub users: HashMap<i64, SimUser>,
    /// (channel as `@username` or numeric id text, user id) → member.
    pub members: HashMap<(String, i64), bool>,
    pub files: HashMap<String, Arc<FileRec>>,
    /// file_path → file_id, for downloads.
    pub file_paths: HashMap<String, String>,
    pub faults: Vec<(u64, Fault)>,
    pub next_fault_id: u64,
    pub violations: Vec<Violation>,
    pub counters: Counters,
    next_file: u64,
    next_callback: u64,
    next_bot_id: i64,
}

pub(crate) struct BotState {
    pub info: BotInfo,
    pub user_json: Value,
    next_update_id: i64,
    /// Not yet confirmed, in delivery order.
    pub pending: VecDeque<Pending>,
    /// Every update ever injected, for redelivery.
    history: HashMap<i64, Arc<str>>,
    /// Wakes getUpdates long polls and the webhook pusher.
    pub updates: Arc<Notify>,
    pub chats: HashMap<i64, Chat>,
    /// callback_query id → (chat id, entry index).
    pub callbacks: HashMap<String, (i64, usize)>,
    /// (scope, language) key → commands.
    pub commands: BTreeMap<String, Value>,
    pub webhook: Option<Webhook>,
    /// Bumped by every setWebhook/deleteWebhook so a stale pusher stops.
    pub webhook_generation: u64,
}

/// An update waiting for confirmation.
pub(crate) struct Pending {
    pub update_id: i64,
    pub json: Arc<str>,
    /// Put back by `redeliver`: an offset does not confirm it until it was handed out again.
    pub held: bool,
}

pub(crate) struct Webhook {
    pub url: String,
    pub secret: Option<String>,
    pub max_connections: Option<i64>,
    pub allowed_updates: Option<Value>,
    pub last_error: Option<(i64, String)>,
}

#[derive(Default)]
pub(crate) struct Chat {
    next_message_id: i64,
    pub entries: Vec<Entry>,
    pub by_message: HashMap<i64, usize>,
    /// Inline markups as the bot sent them (with button kinds the transcript does not model).
    pub markups: HashMap<i64, Value>,
    pub notify: Arc<Notify>,
    /// The user wrote to the bot: the bot may send to this chat.
    pub started: bool,
}

impl Chat {
    pub fn next_message_id(&mut self) -> i64 {
        self.next_message_id += 1;
        self.next_message_id
    }

    pub fn push(&mut self, entry: Entry) -> usize {
        let index = self.entries.len();
        if let Some(id) = entry.message_id {
            self.by_message.insert(id, index);
        }
        self.entries.push(entry);
        self.notify.notify_waiters();
        index
    }

    pub fn message(&self, message_id: i64) -> Option<&Entry> {
        self.by_message.get(&message_id).map(|&i| &self.entries[i])
    }

    pub fn message_mut(&mut self, message_id: i64) -> Option<&mut Entry> {
        self.by_message
            .get(&message_id)
            .map(|&i| &mut self.entries[i])
    }

    /// The first bot message after `after_message_id`, scanning back from the end.
    pub fn bot_message_in(entries: &[Entry], after_message_id: i64) -> Option<&Entry> {
        let start = entries
            .iter()
            .rposition(|e| e.message_id.is_some_and(|id| id <= after_message_id))
            .map_or(0, |i| i + 1);
        entries[start..]
            .iter()
            .find(|e| e.from_bot && e.message_id.is_some())
    }
}

/// A stored file: uploaded by a bot, sent by a user, or named by URL (then without bytes).
pub(crate) struct FileRec {
    pub file_id: String,
    pub unique_id: String,
    pub kind: MediaKind,
    pub bytes: Bytes,
    pub path: String,
    pub mime: Option<String>,
    pub file_name: Option<String>,
    pub width: u32,
    pub height: u32,
    /// The bot whose file_id this is (file_ids are per bot in Telegram).
    pub owner: i64,
}

/// What a user sends in a message.
pub(crate) enum UserContent {
    Text(String),
    Contact(Contact),
    Photo {
        file_id: String,
        caption: Option<String>,
    },
}

impl State {
    pub fn add_bot(&mut self, token: &str, username: &str) -> Result<BotInfo, SimError> {
        if token.is_empty() || token.contains('/') {
            return Err(SimError::Invalid(
                "a token is non-empty and has no '/'".into(),
            ));
        }
        let username = username.trim_start_matches('@').to_owned();
        if let Some(existing) = self.bots.get(token) {
            return Ok(existing.info.clone());
        }
        if self
            .bots
            .values()
            .any(|b| b.info.username.eq_ignore_ascii_case(&username))
        {
            return Err(SimError::DuplicateUsername(username));
        }
        let id = match token
            .split_once(':')
            .and_then(|(n, _)| n.parse::<i64>().ok())
        {
            Some(id) if id > 0 => id,
            _ => {
                self.next_bot_id += 1;
                7_000_000_000 + self.next_bot_id
            }
        };
        let info = BotInfo {
            id,
            token: token.to_owned(),
            first_name: username.clone(),
            username,
        };
        let bot = BotState {
            user_json: render::bot_user(&info),
            info: info.clone(),
            next_update_id: 100_000,
            pending: VecDeque::new(),
            history: HashMap::new(),
            updates: Arc::new(Notify::new()),
            chats: HashMap::new(),
            callbacks: HashMap::new(),
            commands: BTreeMap::new(),
            webhook: None,
            webhook_generation: 0,
        };
        self.bots.insert(token.to_owned(), bot);
        Ok(info)
    }

    pub fn bot(&self, token: &str) -> Result<&BotState, SimError> {
        self.bots.get(token).ok_or(SimError::UnknownBot)
    }

    pub fn bot_mut(&mut self, token: &str) -> Result<&mut BotState, SimError> {
        self.bots.get_mut(token).ok_or(SimError::UnknownBot)
    }

    /// Stores the user (creating or updating it) and returns the stored form.
    pub fn upsert_user(&mut self, user: &SimUser) -> SimUser {
        let mut user = user.clone();
        if user.first_name.is_empty() {
            user.first_name = format!("User {}", user.id);
        }
        match self.users.get_mut(&user.id) {
            Some(stored) if *stored == user => {}
            Some(stored) => *stored = user.clone(),
            None => {
                self.users.insert(user.id, user.clone());
            }
        }
        user
    }

    /// The user with this id, created with a default name if never seen.
    pub fn user_or_default(&mut self, id: i64) -> SimUser {
        self.users
            .entry(id)
            .or_insert_with(|| SimUser::new(id, format!("User {id}")))
            .clone()
    }

    pub fn inject_message(
        &mut self,
        token: &str,
        user: &SimUser,
        content: UserContent,
    ) -> Result<Injected, SimError> {
        self.bot(token)?;
        let user = self.upsert_user(user);
        let date = now();
        let mut entry = Entry {
            from_bot: false,
            from_id: user.id,
            date,
            ..Entry::default()
        };
        let mut body = serde_json::Map::new();
        match content {
            UserContent::Text(text) => {
                if let Some(entities) = render::command_entities(&text) {
                    body.insert("entities".into(), entities);
                }
                body.insert("text".into(), Value::String(text.clone()));
                entry.text = Some(text);
            }
            UserContent::Contact(contact) => {
                body.insert("contact".into(), render::contact(&contact));
                entry.contact = Some(contact);
            }
            UserContent::Photo { file_id, caption } => {
                let file = self
                    .files
                    .get(&file_id)
                    .cloned()
                    .ok_or_else(|| SimError::Invalid("unknown file".into()))?;
                body.insert("photo".into(), render::photo_sizes(&file));
                if let Some(c) = &caption {
                    body.insert("caption".into(), Value::String(c.clone()));
                }
                entry.caption = caption;
                entry.media = Some(Media {
                    kind: MediaKind::Photo,
                    file_id,
                    file_name: None,
                });
            }
        }
        let bot = self.bot_mut(token)?;
        let update_id = bot.next_update_id();
        let chat = bot.chats.entry(user.id).or_default();
        chat.started = true;
        let message_id = chat.next_message_id();
        body.insert("message_id".into(), message_id.into());
        body.insert("from".into(), render::user(&user));
        body.insert("chat".into(), render::private_chat(&user));
        body.insert("date".into(), date.into());
        entry.message_id = Some(message_id);
        entry.update_id = Some(update_id);
        chat.push(entry);
        let update = json!({ "update_id": update_id, "message": Value::Object(body) });
        bot.enqueue(update_id, update.to_string());
        self.counters.updates_injected += 1;
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
        })
    }

    /// A press of an inline button under a bot message; with `check`, the button must exist.
    pub fn inject_press(
        &mut self,
        token: &str,
        user: &SimUser,
        message_id: i64,
        data: &str,
        check: bool,
    ) -> Result<Injected, SimError> {
        self.bot(token)?;
        let user = self.upsert_user(user);
        self.next_callback += 1;
        let callback_id = format!("{}{:010}", user.id, self.next_callback);
        let files = &self.files;
        let users = &self.users;
        let bot = self.bots.get_mut(token).ok_or(SimError::UnknownBot)?;
        let chat_id = user.id;
        let chat = bot.chats.get(&chat_id).ok_or(SimError::UnknownMessage {
            chat_id,
            message_id,
        })?;
        let message = chat.message(message_id).ok_or(SimError::UnknownMessage {
            chat_id,
            message_id,
        })?;
        if !message.from_bot {
            return Err(SimError::NotABotMessage { message_id });
        }
        if check && !message.callback_data().any(|d| d == data) {
            return Err(SimError::NoSuchButton {
                message_id,
                data: data.to_owned(),
            });
        }
        let message_json = render::bot_message(
            &bot.user_json,
            render::chat_of(chat_id, users),
            message,
            chat.markups.get(&message_id),
            files,
        );
        let update_id = bot.next_update_id();
        let update = json!({
            "update_id": update_id,
            "callback_query": {
                "id": callback_id,
                "from": render::user(&user),
                "message": message_json,
                "chat_instance": format!("{}-{}", bot.info.id, chat_id),
                "data": data,
            }
        });
        let chat = bot
            .chats
            .get_mut(&chat_id)
            .ok_or(SimError::UnknownMessage {
                chat_id,
                message_id,
            })?;
        let index = chat.push(Entry {
            from_bot: false,
            from_id: user.id,
            update_id: Some(update_id),
            date: now(),
            press: Some(ButtonPress {
                callback_query_id: callback_id.clone(),
                message_id,
                data: data.to_owned(),
                answer: None,
            }),
            ..Entry::default()
        });
        bot.callbacks.insert(callback_id, (chat_id, index));
        bot.enqueue(update_id, update.to_string());
        self.counters.updates_injected += 1;
        Ok(Injected {
            update_id,
            message_id: None,
        })
    }

    /// Puts an already delivered update back in the queue, as Telegram does when a confirmation is lost.
    pub fn redeliver(&mut self, token: &str, update_id: i64) -> Result<(), SimError> {
        let bot = self.bot_mut(token)?;
        let json = bot
            .history
            .get(&update_id)
            .cloned()
            .ok_or(SimError::UnknownUpdate(update_id))?;
        bot.pending.push_front(Pending {
            update_id,
            json,
            held: true,
        });
        bot.updates.notify_waiters();
        Ok(())
    }

    pub fn store_file(
        &mut self,
        owner: i64,
        kind: MediaKind,
        bytes: Bytes,
        file_name: Option<String>,
        mime: Option<String>,
    ) -> Arc<FileRec> {
        self.next_file += 1;
        let n = self.next_file;
        let (width, height) = crate::image::dimensions(&bytes).unwrap_or((0, 0));
        let ext = crate::image::extension(&bytes, file_name.as_deref(), kind);
        let folder = match kind {
            MediaKind::Photo => "photos",
            MediaKind::Video => "videos",
            MediaKind::Document => "documents",
        };
        let rec = Arc::new(FileRec {
            file_id: format!("SIM{}{:08}", kind.as_str(), n),
            unique_id: format!("u{n:08}"),
            kind,
            path: format!("{folder}/file_{n}.{ext}"),
            bytes,
            mime,
            file_name,
            width,
            height,
            owner,
        });
        self.file_paths
            .insert(rec.path.clone(), rec.file_id.clone());
        self.files.insert(rec.file_id.clone(), rec.clone());
        rec
    }

    pub fn record_violation(
        &mut self,
        bot: &str,
        method: &str,
        parameter: Option<String>,
        reason: String,
    ) {
        tracing::warn!(
            bot,
            method,
            parameter = parameter.as_deref(),
            reason,
            "Bot API spec violation"
        );
        self.counters.violations += 1;
        self.violations.push(Violation {
            bot: bot.to_owned(),
            method: method.to_owned(),
            parameter,
            reason,
        });
    }

    pub fn count_request(&mut self, method: &str) {
        match self.counters.requests.get_mut(method) {
            Some(n) => *n += 1,
            None => {
                self.counters.requests.insert(method.to_owned(), 1);
            }
        }
    }
}

impl BotState {
    fn next_update_id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id
    }

    fn enqueue(&mut self, update_id: i64, json: String) {
        let json: Arc<str> = json.into();
        self.history.insert(update_id, json.clone());
        self.pending.push_back(Pending {
            update_id,
            json,
            held: false,
        });
        self.updates.notify_waiters();
    }

    /// Sets where the next update id starts (Telegram may restart ids after a week of silence).
    pub fn set_next_update_id(&mut self, next: i64) {
        self.next_update_id = next - 1;
    }

    pub fn chat(&mut self, chat_id: i64) -> &mut Chat {
        self.chats.entry(chat_id).or_default()
    }
}
