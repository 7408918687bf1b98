//! The simulator's state behind one mutex (held briefly, never across an await): bots with their
//! update queues and chats, users, channel membership, files, faults, violations and counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::Notify;

use crate::model::{BotInfo, Counters, Entry, Fault, MediaKind, SimError, SimUser, Violation};
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

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
    pub next_callback: u64,
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
    /// The last `allowed_updates` the bot gave (getUpdates or setWebhook); `None`: the default set.
    pub allowed_updates: Option<Vec<String>>,
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
            allowed_updates: None,
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

    /// Stores the user (creating or updating it) and returns the stored form. Fields given replace
    /// the stored ones; an empty first name or an absent field keeps what was stored.
    pub fn upsert_user(&mut self, user: &SimUser) -> SimUser {
        let stored = self.users.entry(user.id).or_insert_with(|| SimUser {
            first_name: format!("User {}", user.id),
            ..SimUser::new(user.id, "")
        });
        if !user.first_name.is_empty() && stored.first_name != user.first_name {
            stored.first_name.clone_from(&user.first_name);
        }
        for (field, given) in [
            (&mut stored.last_name, &user.last_name),
            (&mut stored.username, &user.username),
            (&mut stored.language_code, &user.language_code),
        ] {
            if given.is_some() && field != given {
                field.clone_from(given);
            }
        }
        stored.clone()
    }

    /// The user with this id, created with a default name if never seen.
    pub fn user_or_default(&mut self, id: i64) -> SimUser {
        self.users
            .entry(id)
            .or_insert_with(|| SimUser::new(id, format!("User {id}")))
            .clone()
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
    pub(crate) fn next_update_id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id
    }

    pub(crate) fn enqueue(&mut self, update_id: i64, kind: &'static str, json: String) {
        let json: Arc<str> = json.into();
        self.history.insert(update_id, json.clone());
        // Telegram never delivers what the bot's allowed_updates excluded when the update was created.
        if !self.allows(kind) {
            return;
        }
        self.pending.push_back(Pending {
            update_id,
            json,
            held: false,
        });
        self.updates.notify_waiters();
    }

    /// Whether the bot's `allowed_updates` lets this kind of update through (Telegram's default
    /// leaves out chat_member, message_reaction and message_reaction_count).
    pub fn allows(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(list) if !list.is_empty() => list.iter().any(|k| k == kind),
            _ => !matches!(
                kind,
                "chat_member" | "message_reaction" | "message_reaction_count"
            ),
        }
    }

    /// Queues an update again, first in line; an offset does not confirm it until delivered again.
    pub fn redeliver(&mut self, update_id: i64) -> Result<(), SimError> {
        let json = self
            .history
            .get(&update_id)
            .cloned()
            .ok_or(SimError::UnknownUpdate(update_id))?;
        self.pending.push_front(Pending {
            update_id,
            json,
            held: true,
        });
        self.updates.notify_waiters();
        Ok(())
    }

    /// Sets where the next update id starts (Telegram may restart ids after a week of silence).
    pub fn set_next_update_id(&mut self, next: i64) {
        self.next_update_id = next - 1;
    }

    pub fn chat(&mut self, chat_id: i64) -> &mut Chat {
        self.chats.entry(chat_id).or_default()
    }
}
