//! The client bot as the broadcast engine's [`BroadcastSender`]: one `sendMessage`, `sendPhoto` or
//! `sendVideo` per recipient, in Telegram HTML with URL buttons, and Telegram's answer classified the way
//! the delivery rules need it (429, a chat that cannot be reached, anything else).
//!
//! It uses a plain [`Bot`], not the handlers' throttled one: broadcasts are paced by the global pacer
//! across instances, and each recipient gets one message, so the per-chat limit is never close.

use async_trait::async_trait;
use dvorik::broadcast::sender::{MediaSource, unreachable_reason};
use dvorik::broadcast::{BroadcastSender, Outgoing, SendFailure, Sent};
use dvorik::services::message_templates::content::MediaKind;
use reqwest::Url;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};

/// Sends broadcast messages as the client bot.
#[derive(Clone)]
pub struct TelegramSender {
    bot: Bot,
}

impl TelegramSender {
    /// The client bot with `token` at the Bot API server `api_url`.
    pub fn new(api_url: &str, token: &str) -> anyhow::Result<Self> {
        let url = Url::parse(api_url)?;
        Ok(Self {
            bot: Bot::new(token).set_api_url(url),
        })
    }
}

fn keyboard(message: &Outgoing) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = message
        .buttons
        .iter()
        .filter_map(|b| {
            let url = Url::parse(&b.url).ok()?;
            Some(vec![InlineKeyboardButton::url(b.text.clone(), url)])
        })
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

fn input_file(source: &MediaSource) -> Result<InputFile, SendFailure> {
    Ok(match source {
        MediaSource::FileId(id) => InputFile::file_id(FileId(id.clone())),
        MediaSource::Url(url) => InputFile::url(
            Url::parse(url).map_err(|e| SendFailure::Other(format!("media url: {e}")))?,
        ),
        MediaSource::Upload(path) => InputFile::file(path.clone()),
    })
}

fn classify(err: RequestError) -> SendFailure {
    match err {
        RequestError::RetryAfter(after) => SendFailure::RetryAfter(after.duration()),
        RequestError::Api(api) => {
            let description = api.to_string();
            match unreachable_reason(&description) {
                Some(reason) => SendFailure::Unreachable(reason.to_string()),
                None => SendFailure::Other(description),
            }
        }
        other => SendFailure::Other(other.to_string()),
    }
}

#[async_trait]
impl BroadcastSender for TelegramSender {
    async fn send(&self, message: &Outgoing) -> Result<Sent, SendFailure> {
        let chat = ChatId(message.chat_id);
        let markup = keyboard(message);
        let sent = match &message.media {
            None => {
                let mut request = self
                    .bot
                    .send_message(chat, message.html.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(markup) = markup {
                    request = request.reply_markup(markup);
                }
                request.await
            }
            Some((MediaKind::Photo, source)) => {
                let mut request = self
                    .bot
                    .send_photo(chat, input_file(source)?)
                    .caption(message.html.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(markup) = markup {
                    request = request.reply_markup(markup);
                }
                request.await
            }
            Some((MediaKind::Video, source)) => {
                let mut request = self
                    .bot
                    .send_video(chat, input_file(source)?)
                    .caption(message.html.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(markup) = markup {
                    request = request.reply_markup(markup);
                }
                request.await
            }
        }
        .map_err(classify)?;
        let file_id = sent
            .photo()
            .and_then(|sizes| sizes.last())
            .map(|p| p.file.id.0.clone())
            .or_else(|| sent.video().map(|v| v.file.id.0.clone()));
        Ok(Sent {
            message_id: i64::from(sent.id.0),
            file_id,
        })
    }
}
