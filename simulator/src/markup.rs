//! A `reply_markup` taken apart for the transcript, refused where Telegram refuses it (callback data
//! over 64 bytes, an inline button with nothing to do, a button URL of an unsupported scheme).

use serde_json::Value;

use crate::methods::ApiError;
use crate::model::{Button, KeyboardButton};

const MAX_CALLBACK_DATA: usize = 64;

/// A reply_markup taken apart for the transcript.
#[derive(Default)]
pub(crate) struct Markup {
    pub buttons: Vec<Vec<Button>>,
    pub keyboard: Vec<Vec<KeyboardButton>>,
    pub remove: bool,
    /// The inline keyboard as sent, returned in Message.reply_markup.
    pub inline: Option<Value>,
}

/// Inline button fields that give a button something to do.
const BUTTON_ACTIONS: &[&str] = &[
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

pub(crate) fn markup(value: Option<&Value>) -> Result<Markup, ApiError> {
    let Some(value) = value else {
        return Ok(Markup::default());
    };
    let mut out = Markup::default();
    if let Some(rows) = value.get("inline_keyboard").and_then(Value::as_array) {
        for row in rows {
            let mut buttons = Vec::new();
            for b in row.as_array().into_iter().flatten() {
                let text = b
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if !BUTTON_ACTIONS.iter().any(|k| b.get(*k).is_some()) {
                    return Err(ApiError::violation(
                        "reply_markup",
                        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
                let callback_data = b
                    .get("callback_data")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some(data) = &callback_data
                    && (data.is_empty() || data.len() > MAX_CALLBACK_DATA)
                {
                    return Err(ApiError::violation(
                        "reply_markup",
                        "Bad Request: BUTTON_DATA_INVALID",
                    ));
                }
                let url = b.get("url").and_then(Value::as_str).map(str::to_owned);
                if let Some(u) = &url
                    && !["http://", "https://", "tg://"]
                        .iter()
                        .any(|p| u.starts_with(p))
                {
                    return Err(ApiError::violation(
                        "reply_markup",
                        format!(
                            "Bad Request: inline keyboard button URL '{u}' is invalid: Unsupported URL protocol"
                        ),
                    ));
                }
                if text.is_empty() {
                    return Err(ApiError::violation(
                        "reply_markup",
                        "Bad Request: text buttons must have text",
                    ));
                }
                buttons.push(Button {
                    text,
                    callback_data,
                    url,
                });
            }
            out.buttons.push(buttons);
        }
        out.inline = Some(value.clone());
    } else if let Some(rows) = value.get("keyboard").and_then(Value::as_array) {
        for row in rows {
            let keys = row
                .as_array()
                .into_iter()
                .flatten()
                .map(|k| match k {
                    Value::String(text) => KeyboardButton {
                        text: text.clone(),
                        request_contact: false,
                    },
                    _ => KeyboardButton {
                        text: k
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        request_contact: k
                            .get("request_contact")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    },
                })
                .collect();
            out.keyboard.push(keys);
        }
    } else if value.get("remove_keyboard").and_then(Value::as_bool) == Some(true) {
        out.remove = true;
    }
    Ok(out)
}
