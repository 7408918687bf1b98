//! The port through which the engine sends one broadcast message to one chat. The client bot implements
//! it over the Bot API (`dvorik-bots`); the engine only sees the outcome, classified the way the
//! delivery rules need it.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::services::message_templates::content::{Button, MediaKind};

/// Where the photo or video of a message comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// A file Telegram already has.
    FileId(String),
    /// An `https` URL Telegram fetches.
    Url(String),
    /// A local file, uploaded with the request (once per broadcast: the answer's `file_id` is kept).
    Upload(PathBuf),
}

/// One message as one recipient gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub chat_id: i64,
    /// Telegram HTML (already validated against the allowed subset).
    pub html: String,
    pub media: Option<(MediaKind, MediaSource)>,
    pub buttons: Vec<Button>,
}

/// Telegram accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: i64,
    /// The `file_id` of the photo or video in the answer, to reuse for every later recipient.
    pub file_id: Option<String>,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// 429: nobody may send until `retry_after` has passed.
    RetryAfter(Duration),
    /// "bot was blocked by the user", "user is deactivated", "chat not found": never retried.
    Unreachable(String),
    /// Anything else (network, 5xx, an unexpected 400): retried with backoff, then failed.
    Other(String),
}

#[async_trait]
pub trait BroadcastSender: Send + Sync + 'static {
    async fn send(&self, message: &Outgoing) -> Result<Sent, SendFailure>;
}

/// Telegram's description of a permanent refusal to deliver to this chat, if `description` is one.
pub fn unreachable_reason(description: &str) -> Option<&'static str> {
    let d = description.to_ascii_lowercase();
    [
        ("bot was blocked by the user", "blocked_by_user"),
        ("user is deactivated", "user_deactivated"),
        ("chat not found", "chat_not_found"),
        ("bot can't initiate conversation", "cannot_initiate"),
    ]
    .into_iter()
    .find_map(|(needle, reason)| d.contains(needle).then_some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegrams_permanent_refusals_are_recognised_and_others_are_not() {
        assert_eq!(
            unreachable_reason("Forbidden: bot was blocked by the user"),
            Some("blocked_by_user")
        );
        assert_eq!(
            unreachable_reason("Forbidden: user is deactivated"),
            Some("user_deactivated")
        );
        assert_eq!(
            unreachable_reason("Bad Request: chat not found"),
            Some("chat_not_found")
        );
        assert_eq!(unreachable_reason("Bad Request: message is too long"), None);
        assert_eq!(unreachable_reason("Internal Server Error"), None);
    }
}
