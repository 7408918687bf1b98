//! Methods that create or change messages: sendMessage, sendPhoto, sendVideo, sendDocument,
//! editMessageText, editMessageReplyMarkup, and answerCallbackQuery.

use std::sync::Arc;

use serde_json::Value;

use crate::format;
use crate::markup::markup;
use crate::methods::ApiError;
use crate::model::{CallbackAnswer, Edit, Entry, Media, MediaKind};
use crate::params::Args;
use crate::render;
use crate::state::{FileRec, State, now};

const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
const MAX_ANSWER_TEXT: usize = 200;

/// The plain text after parse_mode, within `max` characters.
fn visible_text(
    args: &Args,
    field: &str,
    mode_field: &str,
    max: usize,
    empty_ok: bool,
) -> Result<Option<String>, ApiError> {
    let Some(raw) = args.str(field) else {
        return Ok(None);
    };
    let text = format::plain_text(raw, args.str(mode_field)).map_err(|e| {
        ApiError::violation(field, format!("Bad Request: can't parse entities: {e}"))
    })?;
    if !empty_ok && text.trim().is_empty() {
        return Err(ApiError::violation(
            field,
            "Bad Request: message text is empty",
        ));
    }
    if text.chars().count() > max {
        let what = if field == "caption" {
            "message caption is too long"
        } else {
            "message is too long"
        };
        return Err(ApiError::violation(field, format!("Bad Request: {what}")));
    }
    Ok(Some(text))
}

/// The private chat the bot may write to, as Telegram decides it.
fn target_chat(state: &State, token: &str, args: &Args) -> Result<i64, ApiError> {
    let chat_id = match args.get("chat_id") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        _ => None,
    };
    let Some(chat_id) = chat_id.filter(|id| *id > 0 && state.users.contains_key(id)) else {
        return Err(ApiError::bad("Bad Request: chat not found"));
    };
    let started = state
        .bots
        .get(token)
        .and_then(|b| b.chats.get(&chat_id))
        .is_some_and(|c| c.started);
    if !started {
        return Err(ApiError::new(
            403,
            "Unauthorized: bot can't initiate conversation with a user",
        ));
    }
    Ok(chat_id)
}

/// The file a send names: an upload, a URL, or a file_id this bot already has.
fn media_file(
    state: &mut State,
    bot_id: i64,
    args: &mut Args,
    field: &str,
    kind: MediaKind,
) -> Result<Arc<FileRec>, ApiError> {
    if let Some(upload) = args.files.remove(field) {
        if kind == MediaKind::Photo && !crate::image::is_image(&upload.bytes) {
            return Err(ApiError::violation(
                field,
                "Bad Request: IMAGE_PROCESS_FAILED",
            ));
        }
        return Ok(state.store_file(
            bot_id,
            kind,
            upload.bytes,
            upload.file_name,
            upload.content_type,
        ));
    }
    let reference = args.str(field).unwrap_or_default().to_owned();
    if reference.starts_with("http://") || reference.starts_with("https://") {
        let name = reference.rsplit('/').next().map(str::to_owned);
        return Ok(state.store_file(bot_id, kind, Default::default(), name, None));
    }
    match state.files.get(&reference) {
        Some(f) if f.owner == bot_id && f.kind == kind => Ok(f.clone()),
        _ => Err(ApiError::bad(
            "Bad Request: wrong file identifier/HTTP URL specified",
        )),
    }
}

/// sendMessage (`kind` None) and sendPhoto / sendVideo / sendDocument.
pub(crate) fn send(
    state: &mut State,
    token: &str,
    mut args: Args,
    kind: Option<MediaKind>,
) -> Result<Value, ApiError> {
    let chat_id = target_chat(state, token, &args)?;
    let (text, caption) = match kind {
        None => (
            visible_text(&args, "text", "parse_mode", MAX_TEXT, false)?,
            None,
        ),
        Some(_) => (
            None,
            visible_text(&args, "caption", "parse_mode", MAX_CAPTION, true)?,
        ),
    };
    let markup = markup(args.get("reply_markup"))?;
    let bot_id = state
        .bot(token)
        .map_err(|_| ApiError::unauthorized())?
        .info
        .id;
    let file = match kind {
        Some(k) => Some(media_file(state, bot_id, &mut args, k.as_str(), k)?),
        None => None,
    };
    let State {
        bots,
        users,
        files,
        counters,
        ..
    } = state;
    let bot = bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
    let chat = bot.chats.entry(chat_id).or_default();
    let message_id = chat.next_message_id();
    let entry = Entry {
        message_id: Some(message_id),
        from_bot: true,
        from_id: bot_id,
        date: now(),
        received_ms: crate::state::now_ms(),
        text,
        caption,
        media: file.map(|f| Media {
            kind: f.kind,
            file_id: f.file_id.clone(),
            file_name: f.file_name.clone(),
        }),
        buttons: markup.buttons,
        keyboard: markup.keyboard,
        remove_keyboard: markup.remove,
        parse_mode: args.str("parse_mode").map(str::to_owned),
        ..Entry::default()
    };
    let json = render::bot_message(
        &bot.user_json,
        render::chat_of(chat_id, users),
        &entry,
        markup.inline.as_ref(),
        files,
    );
    if let Some(inline) = markup.inline {
        chat.markups.insert(message_id, inline);
    }
    chat.push(entry);
    counters.messages_sent += 1;
    Ok(json)
}

/// editMessageText (`text` true) and editMessageReplyMarkup.
pub(crate) fn edit(
    state: &mut State,
    token: &str,
    args: Args,
    text: bool,
) -> Result<Value, ApiError> {
    if args.get("inline_message_id").is_some() {
        return Err(ApiError::violation(
            "inline_message_id",
            "Bad Request: inline messages are not supported by the simulator",
        ));
    }
    let (Some(chat_id), Some(message_id)) = (
        args.get("chat_id").and_then(chat_number),
        args.i64("message_id"),
    ) else {
        return Err(ApiError::violation(
            "message_id",
            "Bad Request: message identifier is not specified",
        ));
    };
    let new_text = if text {
        visible_text(&args, "text", "parse_mode", MAX_TEXT, false)?
    } else {
        None
    };
    let markup = markup(args.get("reply_markup"))?;
    let State {
        bots, users, files, ..
    } = state;
    let bot = bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
    let Some(chat) = bot.chats.get_mut(&chat_id) else {
        return Err(ApiError::bad("Bad Request: chat not found"));
    };
    let old_markup = chat.markups.get(&message_id).cloned();
    let Some(entry) = chat.message_mut(message_id) else {
        return Err(ApiError::bad("Bad Request: message to edit not found"));
    };
    if !entry.from_bot {
        return Err(ApiError::bad("Bad Request: message can't be edited"));
    }
    if text && entry.text.is_none() {
        return Err(ApiError::bad(
            "Bad Request: there is no text in the message to edit",
        ));
    }
    let text_same = !text || entry.text == new_text;
    if text_same && old_markup == markup.inline {
        return Err(ApiError::bad(
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        ));
    }
    if text {
        entry.text = new_text;
        entry.parse_mode = args.str("parse_mode").map(str::to_owned);
    }
    entry.buttons = markup.buttons;
    entry.edits.push(Edit {
        method: if text {
            "editMessageText"
        } else {
            "editMessageReplyMarkup"
        }
        .into(),
        date: now(),
        text: entry.text.clone(),
        caption: entry.caption.clone(),
        buttons: entry.buttons.clone(),
    });
    let entry = entry.clone();
    match &markup.inline {
        Some(m) => chat.markups.insert(message_id, m.clone()),
        None => chat.markups.remove(&message_id),
    };
    chat.notify.notify_waiters();
    Ok(render::bot_message(
        &bot.user_json,
        render::chat_of(chat_id, users),
        &entry,
        markup.inline.as_ref(),
        files,
    ))
}

fn chat_number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

pub(crate) fn answer_callback(
    state: &mut State,
    token: &str,
    args: Args,
) -> Result<Value, ApiError> {
    let id = args.str("callback_query_id").unwrap_or_default();
    let text = args.str("text").map(str::to_owned);
    if text
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_ANSWER_TEXT)
    {
        return Err(ApiError::violation("text", "Bad Request: MESSAGE_TOO_LONG"));
    }
    let bot = state
        .bots
        .get_mut(token)
        .ok_or_else(ApiError::unauthorized)?;
    let too_old = || {
        ApiError::bad(
            "Bad Request: query is too old and response timeout expired or query id is invalid",
        )
    };
    let &(chat_id, index) = bot.callbacks.get(id).ok_or_else(too_old)?;
    let chat = bot.chats.get_mut(&chat_id).ok_or_else(too_old)?;
    let press = chat
        .entries
        .get_mut(index)
        .and_then(|e| e.press.as_mut())
        .ok_or_else(too_old)?;
    if press.answer.is_some() {
        return Err(too_old());
    }
    press.answer = Some(CallbackAnswer {
        text,
        show_alert: args.bool("show_alert"),
        url: args.str("url").map(str::to_owned),
    });
    chat.notify.notify_waiters();
    Ok(Value::Bool(true))
}
