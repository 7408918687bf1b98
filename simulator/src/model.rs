//! The public data types of the simulator: users, transcript entries, faults, violations, counters.
//!
//! They serialize to the same JSON the control API (`/_sim/…`) speaks, so a test in Rust and a script
//! with curl see the same shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A Telegram user the simulator speaks as. Users are created on first use; injecting with changed
/// fields (a new `language_code`, say) updates the stored user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUser {
    pub id: i64,
    /// Empty means "User <id>".
    #[serde(default)]
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

impl SimUser {
    /// A user with an id and a first name, no username, no language.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        Self {
            id,
            first_name: first_name.into(),
            last_name: None,
            username: None,
            language_code: None,
        }
    }

    pub fn last_name(mut self, last_name: impl Into<String>) -> Self {
        self.last_name = Some(last_name.into());
        self
    }

    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The client's language as Telegram reports it (`ru`, `en`, …).
    pub fn language(mut self, language_code: impl Into<String>) -> Self {
        self.language_code = Some(language_code.into());
        self
    }
}

/// A bot registered with the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotInfo {
    /// The bot's user id: the number before `:` in a token shaped like Telegram's, else assigned.
    pub id: i64,
    pub token: String,
    pub username: String,
    pub first_name: String,
}

/// What an injection produced: the update the bot will receive and, for a message, its id in the chat
/// (pass it as `after_message_id` to wait for the bot's answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injected {
    pub update_id: i64,
    /// The user's message id; `None` for a button press (which is not a message).
    pub message_id: Option<i64>,
}

/// One item of a chat's transcript, in order: a user's message or button press, or a bot's message.
/// Fields show the message as it is now (after edits); `edits` lists every edit in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `None` only for a button press, which is not a message.
    pub message_id: Option<i64>,
    pub from_bot: bool,
    /// Sender: the bot's id or the user's id.
    pub from_id: i64,
    /// The update that carried a user's message or press to the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<i64>,
    /// Unix seconds.
    pub date: i64,
    /// When the simulator took the message, in Unix milliseconds (for pacing checks: `date` is the
    /// Bot API's whole seconds).
    #[serde(default)]
    pub received_ms: i64,
    /// Plain text as the user sees it (HTML or Markdown formatting removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Inline keyboard: rows of buttons under the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Vec<Button>>,
    /// Reply keyboard the message sets (the keys the user sees instead of the letter keyboard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyboard: Vec<Vec<KeyboardButton>>,
    /// The message removes the reply keyboard (`ReplyKeyboardRemove`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove_keyboard: bool,
    /// `parse_mode` the bot sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// Set for a button press (then `message_id` is `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub press: Option<ButtonPress>,
}

impl Entry {
    /// The text or, for media, the caption: what a reader sees first.
    pub fn body(&self) -> Option<&str> {
        self.text.as_deref().or(self.caption.as_deref())
    }

    /// The callback data of every inline button, row by row.
    pub fn callback_data(&self) -> impl Iterator<Item = &str> {
        self.buttons
            .iter()
            .flatten()
            .filter_map(|b| b.callback_data.as_deref())
    }

    /// The first inline button whose text contains `needle`.
    pub fn button(&self, needle: &str) -> Option<&Button> {
        self.buttons
            .iter()
            .flatten()
            .find(|b| b.text.contains(needle))
    }
}

/// An inline keyboard button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A reply keyboard key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyboardButton {
    pub text: String,
    /// Pressing it shares the user's own contact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub request_contact: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

/// A photo, video or document in a message; `file_id` works with `getFile` and `Simulator::file_bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    pub kind: MediaKind,
    pub file_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

/// A shared contact. `user_id` differs from the sender when a user shares someone else's contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub phone_number: String,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

/// One edit of a bot message: the text, caption and inline keyboard after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// `editMessageText` or `editMessageReplyMarkup`.
    pub method: String,
    pub date: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Vec<Button>>,
}

/// A press of an inline button, and the bot's answer to it once `answerCallbackQuery` arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonPress {
    pub callback_query_id: String,
    /// The bot message whose button was pressed.
    pub message_id: i64,
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<CallbackAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub show_alert: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A failure to inject: the next matching requests are answered with it instead of their result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only requests of this method (case-insensitive), e.g. `sendMessage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose `chat_id` is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// Only requests of the bot with this token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    /// How many requests it hits; `None` means until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl Fault {
    /// A fault hitting every request until cleared; narrow it with the builder methods.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            method: None,
            chat_id: None,
            bot: None,
            count: None,
        }
    }

    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    pub fn chat(mut self, chat_id: i64) -> Self {
        self.chat_id = Some(chat_id);
        self
    }

    pub fn bot(mut self, token: impl Into<String>) -> Self {
        self.bot = Some(token.into());
        self
    }

    pub fn times(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }
}

/// What a fault does. JSON: `{"kind":"too_many_requests","retry_after":3}`, `{"kind":"blocked"}`, …
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// 403 "Forbidden: bot was blocked by the user".
    Blocked,
    /// 403 "Forbidden: user is deactivated".
    Deactivated,
    /// 400 "Bad Request: chat not found".
    ChatNotFound,
    /// 500 "Internal Server Error" or 502 "Bad Gateway" (any 5xx status).
    ServerError { status: u16 },
    /// The request is answered normally, this many milliseconds late.
    Latency { ms: u64 },
}

/// A request that broke the Bot API: the request was answered 400 and recorded here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The bot's username.
    pub bot: String,
    /// The method as the bot spelled it.
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    pub reason: String,
}

/// Running totals since start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Bot API requests by method name as the spec spells it (unknown methods as sent).
    pub requests: BTreeMap<String, u64>,
    /// Messages the bots sent (sendMessage, sendPhoto, sendVideo, sendDocument).
    pub messages_sent: u64,
    pub updates_injected: u64,
    /// Updates handed out by getUpdates or webhook (a redelivery counts again).
    pub updates_delivered: u64,
    pub violations: u64,
}

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no bot is registered with this token")]
    UnknownBot,
    #[error("a bot with username {0} is already registered under another token")]
    DuplicateUsername(String),
    #[error("message {message_id} does not exist in chat {chat_id}")]
    UnknownMessage { chat_id: i64, message_id: i64 },
    #[error("message {message_id} was not sent by the bot")]
    NotABotMessage { message_id: i64 },
    #[error("message {message_id} has no inline button with callback data {data:?}")]
    NoSuchButton { message_id: i64, data: String },
    #[error("update {0} was never injected for this bot")]
    UnknownUpdate(i64),
    #[error("the bytes are not a PNG or JPEG image")]
    NotAnImage,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
