//! Bot API objects (User, Chat, Message, PhotoSize, File, …) as JSON, shaped as the spec's types.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::model::{BotInfo, Contact, Entry, MediaKind, SimUser};
use crate::state::FileRec;

pub(crate) fn bot_user(bot: &BotInfo) -> Value {
    json!({ "id": bot.id, "is_bot": true, "first_name": bot.first_name, "username": bot.username })
}

/// The getMe answer: a User with the fields only getMe carries (teloxide requires all of them).
pub(crate) fn me(bot: &BotInfo) -> Value {
    json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

pub(crate) fn user(user: &SimUser) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), user.id.into());
    map.insert("is_bot".into(), false.into());
    map.insert("first_name".into(), user.first_name.clone().into());
    if let Some(v) = &user.last_name {
        map.insert("last_name".into(), v.clone().into());
    }
    if let Some(v) = &user.username {
        map.insert("username".into(), v.clone().into());
    }
    if let Some(v) = &user.language_code {
        map.insert("language_code".into(), v.clone().into());
    }
    Value::Object(map)
}

pub(crate) fn private_chat(user: &SimUser) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), user.id.into());
    map.insert("type".into(), "private".into());
    map.insert("first_name".into(), user.first_name.clone().into());
    if let Some(v) = &user.last_name {
        map.insert("last_name".into(), v.clone().into());
    }
    if let Some(v) = &user.username {
        map.insert("username".into(), v.clone().into());
    }
    Value::Object(map)
}

/// The Chat object of a chat id: a private chat with a known user.
pub(crate) fn chat_of(chat_id: i64, users: &HashMap<i64, SimUser>) -> Value {
    match users.get(&chat_id) {
        Some(u) => private_chat(u),
        None => {
            json!({ "id": chat_id, "type": "private", "first_name": format!("User {chat_id}") })
        }
    }
}

/// `bot_command` entities for a text starting with a command, as Telegram adds them.
pub(crate) fn command_entities(text: &str) -> Option<Value> {
    if !text.starts_with('/') || text.len() < 2 {
        return None;
    }
    let command = text.split_whitespace().next().unwrap_or(text);
    let length = command.encode_utf16().count();
    Some(json!([{ "type": "bot_command", "offset": 0, "length": length }]))
}

pub(crate) fn contact(c: &Contact) -> Value {
    let mut map = Map::new();
    map.insert("phone_number".into(), c.phone_number.clone().into());
    map.insert("first_name".into(), c.first_name.clone().into());
    if let Some(id) = c.user_id {
        map.insert("user_id".into(), id.into());
    }
    Value::Object(map)
}

pub(crate) fn photo_sizes(f: &FileRec) -> Value {
    json!([{
        "file_id": f.file_id,
        "file_unique_id": f.unique_id,
        "width": f.width,
        "height": f.height,
        "file_size": f.bytes.len(),
    }])
}

fn media_object(f: &FileRec) -> Value {
    let mut map = Map::new();
    map.insert("file_id".into(), f.file_id.clone().into());
    map.insert("file_unique_id".into(), f.unique_id.clone().into());
    if f.kind == MediaKind::Video {
        map.insert("width".into(), f.width.into());
        map.insert("height".into(), f.height.into());
        map.insert("duration".into(), 0.into());
    }
    if let Some(name) = &f.file_name {
        map.insert("file_name".into(), name.clone().into());
    }
    if let Some(mime) = &f.mime {
        map.insert("mime_type".into(), mime.clone().into());
    }
    map.insert("file_size".into(), f.bytes.len().into());
    Value::Object(map)
}

/// The File object getFile answers.
pub(crate) fn file(f: &FileRec) -> Value {
    json!({
        "file_id": f.file_id,
        "file_unique_id": f.unique_id,
        "file_size": f.bytes.len(),
        "file_path": f.path,
    })
}

/// A bot's message as the Bot API returns it (after sends and edits, and inside callback queries).
pub(crate) fn bot_message(
    bot_user: &Value,
    chat: Value,
    entry: &Entry,
    markup: Option<&Value>,
    files: &HashMap<String, Arc<FileRec>>,
) -> Value {
    let mut map = Map::new();
    map.insert(
        "message_id".into(),
        entry.message_id.unwrap_or_default().into(),
    );
    map.insert("from".into(), bot_user.clone());
    map.insert("chat".into(), chat);
    map.insert("date".into(), entry.date.into());
    if let Some(last) = entry.edits.last() {
        map.insert("edit_date".into(), last.date.into());
    }
    if let Some(text) = &entry.text {
        map.insert("text".into(), text.clone().into());
    }
    if let Some(caption) = &entry.caption {
        map.insert("caption".into(), caption.clone().into());
    }
    if let Some(media) = &entry.media
        && let Some(f) = files.get(&media.file_id)
    {
        let value = match media.kind {
            MediaKind::Photo => photo_sizes(f),
            MediaKind::Video | MediaKind::Document => media_object(f),
        };
        map.insert(media.kind.as_str().into(), value);
    }
    if let Some(markup) = markup {
        map.insert("reply_markup".into(), markup.clone());
    }
    Value::Object(map)
}
