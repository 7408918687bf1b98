//! The Bot API methods the simulator implements (getUpdates, which waits, lives in `botapi`), and the
//! Telegram-shaped error they answer with.

use serde_json::{Map, Value, json};

use crate::model::MediaKind;
use crate::params::Args;
use crate::render;
use crate::send;
use crate::spec::{SPEC, Ty};
use crate::state::{State, Webhook};

/// Every method the simulator answers; any other method of the spec is a violation ("unsupported").
pub const IMPLEMENTED: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "sendPhoto",
    "sendVideo",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "getChatMember",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getFile",
];

/// A Bot API error answer; `violation` marks a request the bot should never have made (it is recorded).
#[derive(Debug)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
    pub violation: Option<String>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            violation: None,
        }
    }

    pub fn bad(description: impl Into<String>) -> Self {
        Self::new(400, description)
    }

    /// A 400 that is also recorded as a violation of `parameter`.
    pub fn violation(parameter: &str, description: impl Into<String>) -> Self {
        Self {
            violation: Some(parameter.to_owned()),
            ..Self::bad(description)
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }
}

/// Runs an implemented method (except getUpdates) under the state lock.
pub(crate) fn call(
    state: &mut State,
    token: &str,
    method: &str,
    args: Args,
) -> Result<Value, ApiError> {
    match method {
        "getMe" => Ok(render::me(
            &state.bot(token).map_err(|_| ApiError::unauthorized())?.info,
        )),
        "sendMessage" => send::send(state, token, args, None),
        "sendPhoto" => send::send(state, token, args, Some(MediaKind::Photo)),
        "sendVideo" => send::send(state, token, args, Some(MediaKind::Video)),
        "sendDocument" => send::send(state, token, args, Some(MediaKind::Document)),
        "editMessageText" => send::edit(state, token, args, true),
        "editMessageReplyMarkup" => send::edit(state, token, args, false),
        "answerCallbackQuery" => send::answer_callback(state, token, args),
        "getChatMember" => chat_member(state, token, &args),
        "setMyCommands" => set_commands(state, token, &args),
        "getMyCommands" => get_commands(state, token, &args),
        "deleteMyCommands" => delete_commands(state, token, &args),
        "setWebhook" => set_webhook(state, token, &args),
        "deleteWebhook" => delete_webhook(state, token, &args),
        "getWebhookInfo" => webhook_info(state, token),
        "getFile" => get_file(state, token, &args),
        other => Err(ApiError::violation(
            "",
            format!("Bad Request: method {other} is not supported by the simulator"),
        )),
    }
}

/// The channel key of a chat_id: `@username` lower-cased, or the number as text.
pub(crate) fn channel_key(chat: &Value) -> String {
    match chat {
        Value::String(s) if s.starts_with('@') => s.to_ascii_lowercase(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn chat_member(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let user_id = args.i64("user_id").unwrap_or_default();
    let bot = state.bot(token).map_err(|_| ApiError::unauthorized())?;
    if user_id == bot.info.id {
        return Ok(administrator(bot.user_json.clone()));
    }
    let key = channel_key(args.get("chat_id").unwrap_or(&Value::Null));
    let member = state.members.get(&(key, user_id)).copied().unwrap_or(false);
    let user = render::user(&state.user_or_default(user_id));
    Ok(json!({ "status": if member { "member" } else { "left" }, "user": user }))
}

/// The bot as administrator of every channel: every required flag of ChatMemberAdministrator set.
fn administrator(user: Value) -> Value {
    let mut map = Map::new();
    map.insert("status".into(), "administrator".into());
    map.insert("user".into(), user);
    for field in SPEC.required_fields("ChatMemberAdministrator") {
        if field.types == [Ty::Boolean] && !map.contains_key(&field.name) {
            let value = !matches!(field.name.as_str(), "can_be_edited" | "is_anonymous");
            map.insert(field.name.clone(), value.into());
        }
    }
    Value::Object(map)
}

fn commands_key(args: &Args) -> String {
    let scope = args
        .get("scope")
        .map_or_else(|| r#"{"type":"default"}"#.to_owned(), Value::to_string);
    format!("{scope}|{}", args.str("language_code").unwrap_or_default())
}

fn set_commands(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let commands = args
        .get("commands")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if commands.len() > 100 {
        return Err(ApiError::violation(
            "commands",
            "Bad Request: too many commands",
        ));
    }
    for c in &commands {
        let name = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let valid = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ApiError::violation(
                "commands",
                format!("Bad Request: BOT_COMMAND_INVALID ({name:?})"),
            ));
        }
        let description = c
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::violation(
                "commands",
                "Bad Request: command description must be 1-256 characters",
            ));
        }
    }
    let key = commands_key(args);
    let bot = state.bot_mut(token).map_err(|_| ApiError::unauthorized())?;
    bot.commands.insert(key, Value::Array(commands));
    Ok(Value::Bool(true))
}

fn get_commands(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let bot = state.bot(token).map_err(|_| ApiError::unauthorized())?;
    Ok(bot
        .commands
        .get(&commands_key(args))
        .cloned()
        .unwrap_or_else(|| json!([])))
}

fn delete_commands(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let key = commands_key(args);
    state
        .bot_mut(token)
        .map_err(|_| ApiError::unauthorized())?
        .commands
        .remove(&key);
    Ok(Value::Bool(true))
}

fn set_webhook(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let url = args.str("url").unwrap_or_default().to_owned();
    if url.is_empty() {
        return delete_webhook(state, token, args);
    }
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(ApiError::violation(
            "url",
            "Bad Request: bad webhook: an HTTP URL must be provided for webhook",
        ));
    }
    let secret = args.str("secret_token").map(str::to_owned);
    if let Some(s) = &secret {
        let valid = (1..=256).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(ApiError::violation(
                "secret_token",
                "Bad Request: secret token contains unallowed characters",
            ));
        }
    }
    let bot = state.bot_mut(token).map_err(|_| ApiError::unauthorized())?;
    if args.bool("drop_pending_updates") {
        bot.pending.clear();
    }
    if let Some(list) = args.get("allowed_updates").and_then(Value::as_array) {
        bot.allowed_updates = Some(
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        );
    }
    bot.webhook_generation += 1;
    bot.webhook = Some(Webhook {
        url,
        secret,
        max_connections: args.i64("max_connections"),
        allowed_updates: args.get("allowed_updates").cloned(),
        last_error: None,
    });
    bot.updates.notify_waiters();
    Ok(Value::Bool(true))
}

fn delete_webhook(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let bot = state.bot_mut(token).map_err(|_| ApiError::unauthorized())?;
    if args.bool("drop_pending_updates") {
        bot.pending.clear();
    }
    if bot.webhook.take().is_some() {
        bot.webhook_generation += 1;
        bot.updates.notify_waiters();
    }
    Ok(Value::Bool(true))
}

fn webhook_info(state: &mut State, token: &str) -> Result<Value, ApiError> {
    let bot = state.bot(token).map_err(|_| ApiError::unauthorized())?;
    let mut info = Map::new();
    info.insert(
        "url".into(),
        bot.webhook.as_ref().map_or("", |w| w.url.as_str()).into(),
    );
    info.insert("has_custom_certificate".into(), false.into());
    info.insert("pending_update_count".into(), bot.pending.len().into());
    if let Some(w) = &bot.webhook {
        if let Some((date, message)) = &w.last_error {
            info.insert("last_error_date".into(), (*date).into());
            info.insert("last_error_message".into(), message.clone().into());
        }
        if let Some(n) = w.max_connections {
            info.insert("max_connections".into(), n.into());
        }
        if let Some(a) = &w.allowed_updates {
            info.insert("allowed_updates".into(), a.clone());
        }
    }
    Ok(Value::Object(info))
}

fn get_file(state: &mut State, token: &str, args: &Args) -> Result<Value, ApiError> {
    let bot_id = state
        .bot(token)
        .map_err(|_| ApiError::unauthorized())?
        .info
        .id;
    match state.files.get(args.str("file_id").unwrap_or_default()) {
        Some(f) if f.owner == bot_id => Ok(render::file(f)),
        _ => Err(ApiError::bad("Bad Request: invalid file id")),
    }
}
