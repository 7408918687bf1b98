//! The content of a message template (and of a broadcast): a text per language in Telegram's HTML
//! subset, optional media and URL buttons, validated field by field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::html;
use crate::domain::Language;
use crate::error::{Error, FieldError, Result};

/// Telegram's limits on a message text and on a media caption (UTF-16 code units after parsing).
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
/// Buttons per message (one per row).
pub const MAX_BUTTONS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageContent {
    /// One text per language code (`ru`, `en`); at least one. A customer gets the variant of their
    /// language, else the shop's default language, else any.
    pub variants: BTreeMap<String, Variant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// URL buttons under the message, one per row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Telegram HTML.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
}

/// A photo or video: an `https` URL Telegram fetches, or a `file_id` of a file Telegram already has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    pub kind: MediaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Button {
    pub text: String,
    pub url: String,
}

impl MessageContent {
    /// Every problem at once, each naming its field (`variants.ru.text`, `buttons[0].url`, …).
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut bad = |field: String, reason: String| errors.push(FieldError { field, reason });
        if self.variants.is_empty() {
            bad("variants".into(), "required".into());
        }
        let limit = if self.media.is_some() {
            MAX_CAPTION
        } else {
            MAX_TEXT
        };
        for (code, variant) in &self.variants {
            let field = format!("variants.{code}");
            if Language::ALL.iter().all(|l| l.code() != code) {
                bad(field, "unknown_language".into());
                continue;
            }
            let field = format!("{field}.text");
            if variant.text.trim().is_empty() {
                bad(field, "required".into());
                continue;
            }
            match html::validate(&variant.text) {
                Err(e) => bad(field, e.reason()),
                Ok(len) if len > limit => bad(field, "too_long".into()),
                Ok(_) => {}
            }
        }
        if let Some(media) = &self.media {
            match (&media.url, &media.file_id) {
                (Some(url), None) => {
                    if !url_ok(url, false) || !url.starts_with("https://") {
                        bad("media.url".into(), "invalid_url".into());
                    }
                }
                (None, Some(id)) => {
                    let ok = (1..=255).contains(&id.len())
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !ok {
                        bad("media.file_id".into(), "invalid_file_id".into());
                    }
                }
                _ => bad("media".into(), "url_or_file_id".into()),
            }
        }
        if self.buttons.len() > MAX_BUTTONS {
            bad("buttons".into(), "too_many".into());
        }
        for (i, button) in self.buttons.iter().enumerate() {
            let len = button.text.trim().chars().count();
            if len == 0 {
                bad(format!("buttons[{i}].text"), "required".into());
            } else if len > 64 {
                bad(format!("buttons[{i}].text"), "too_long".into());
            }
            if !url_ok(&button.url, true) {
                bad(format!("buttons[{i}].url"), "invalid_url".into());
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// The text for a customer speaking `language`, falling back to `default`, then to any variant.
    pub fn text_for(&self, language: &str, default: Language) -> Option<&str> {
        self.variants
            .get(language)
            .or_else(|| self.variants.get(default.code()))
            .or_else(|| self.variants.values().next())
            .map(|v| v.text.as_str())
    }
}

/// Whether Telegram accepts `text` as the URL of a button or a link: `http`/`https` with a host, or
/// (when `tg_allowed`) `tg://…`; at most 2048 bytes, no spaces or control characters.
pub fn url_ok(text: &str, tg_allowed: bool) -> bool {
    if text.is_empty()
        || text.len() > 2048
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    match url.scheme() {
        "http" | "https" => url.host_str().is_some_and(|h| !h.is_empty()),
        "tg" => tg_allowed,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(json: serde_json::Value) -> MessageContent {
        serde_json::from_value(json).unwrap()
    }

    fn fields(content: &MessageContent) -> Vec<(String, String)> {
        match content.validate() {
            Err(Error::Validation(errors)) => {
                errors.into_iter().map(|e| (e.field, e.reason)).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_message_is_valid() {
        let ok = content(serde_json::json!({
            "variants": { "ru": { "text": "<b>Скидка</b> 10%" }, "en": { "text": "<b>Sale</b> 10%" } },
            "media": { "kind": "photo", "url": "https://shop.example/cake.jpg" },
            "buttons": [{ "text": "Открыть", "url": "https://shop.example/" }]
        }));
        ok.validate().unwrap();
        assert_eq!(ok.text_for("en", Language::Ru), Some("<b>Sale</b> 10%"));
        assert_eq!(ok.text_for("de", Language::Ru), Some("<b>Скидка</b> 10%"));
    }

    #[test]
    fn each_bad_part_is_named() {
        let bad = content(serde_json::json!({
            "variants": { "ru": { "text": "<script>x</script>" }, "de": { "text": "Hallo" } },
            "media": { "kind": "video", "url": "http://insecure.example/v.mp4" },
            "buttons": [{ "text": "", "url": "javascript:alert(1)" }, { "text": "ok", "url": "https://ok.example" }]
        }));
        assert_eq!(
            fields(&bad),
            [
                ("variants.de".into(), "unknown_language".into()),
                ("variants.ru.text".into(), "tag_not_allowed:script".into()),
                ("media.url".into(), "invalid_url".into()),
                ("buttons[0].text".into(), "required".into()),
                ("buttons[0].url".into(), "invalid_url".into()),
            ]
        );
        let long_caption = content(serde_json::json!({
            "variants": { "ru": { "text": "a".repeat(MAX_CAPTION + 1) } },
            "media": { "kind": "photo", "file_id": "AgACAgIAAxkBAAI" }
        }));
        assert_eq!(
            fields(&long_caption),
            [("variants.ru.text".into(), "too_long".into())]
        );
        let empty = content(serde_json::json!({ "variants": {} }));
        assert_eq!(fields(&empty), [("variants".into(), "required".into())]);
    }
}
