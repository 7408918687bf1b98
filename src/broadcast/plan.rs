//! What a broadcast sends, worked out once per broadcast (and again when it changes): the text of each
//! language, the buttons, and where the media comes from — the `file_id` Telegram gave the first upload
//! when there is one, else the uploaded file or URL (sent once, by the worker holding the upload lock).

use std::path::PathBuf;

use super::sender::{MediaSource, Outgoing};
use crate::domain::Language;
use crate::entity::broadcasts;
use crate::error::{Error, Result};
use crate::services::message_templates::content::{MediaKind, MessageContent};

#[derive(Debug, Clone)]
pub struct Plan {
    content: MessageContent,
    default_language: Language,
    media: Option<(MediaKind, MediaSource)>,
    /// Whether the answer's `file_id` should be kept (the media was uploaded or fetched by URL).
    wants_file_id: bool,
    updated_at: chrono::DateTime<chrono::Utc>,
    file_id: Option<String>,
}

impl Plan {
    pub fn new(b: &broadcasts::Model, default_language: Language) -> Result<Self> {
        let content: MessageContent = serde_json::from_str(&b.content)
            .map_err(|e| Error::Internal(format!("broadcast {} is unreadable: {e}", b.id)))?;
        let uploaded_kind = match b.media_kind.as_deref() {
            Some("video") => Some(MediaKind::Video),
            Some(_) => Some(MediaKind::Photo),
            None => None,
        };
        let (media, wants_file_id) = match (uploaded_kind, &b.media_path, &content.media) {
            (Some(kind), Some(path), _) => match &b.media_file_id {
                Some(id) => (Some((kind, MediaSource::FileId(id.clone()))), false),
                None => (Some((kind, MediaSource::Upload(PathBuf::from(path)))), true),
            },
            (_, _, Some(media)) => match (&b.media_file_id, &media.file_id, &media.url) {
                (Some(id), _, _) | (None, Some(id), _) => {
                    (Some((media.kind, MediaSource::FileId(id.clone()))), false)
                }
                (None, None, Some(url)) => {
                    (Some((media.kind, MediaSource::Url(url.clone()))), true)
                }
                (None, None, None) => (None, false),
            },
            _ => (None, false),
        };
        Ok(Self {
            content,
            default_language,
            media,
            wants_file_id,
            updated_at: b.updated_at,
            file_id: b.media_file_id.clone(),
        })
    }

    /// Whether this plan still describes `b`.
    pub fn is_current(&self, b: &broadcasts::Model) -> bool {
        self.updated_at == b.updated_at && self.file_id == b.media_file_id
    }

    pub fn media_source(&self) -> Option<&MediaSource> {
        self.media.as_ref().map(|(_, source)| source)
    }

    pub fn wants_file_id(&self) -> bool {
        self.wants_file_id
    }

    /// The message for a recipient whose language is `language`: their variant, else the shop's
    /// default language's, else the first one.
    pub fn message_for(&self, chat_id: i64, language: &str) -> Outgoing {
        let variants = &self.content.variants;
        let text = variants
            .get(language)
            .or_else(|| variants.get(self.default_language.code()))
            .or_else(|| variants.values().next())
            .map(|v| v.text.clone())
            .unwrap_or_default();
        Outgoing {
            chat_id,
            html: text,
            media: self.media.clone(),
            buttons: self.content.buttons.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::broadcasts::BroadcastState;

    fn broadcast(content: &str) -> broadcasts::Model {
        let now = chrono::Utc::now();
        broadcasts::Model {
            id: 1,
            name: "b".into(),
            segment_id: None,
            content: content.into(),
            media_kind: None,
            media_path: None,
            media_file_id: None,
            state: BroadcastState::Running,
            scheduled_at: None,
            started_at: None,
            finished_at: None,
            rate_per_minute: None,
            materialized_up_to: 0,
            materialized: false,
            created_by_admin_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_recipient_gets_their_language_else_the_shop_default_else_any() {
        let b = broadcast(r#"{"variants":{"ru":{"text":"Привет"},"en":{"text":"Hello"}}}"#);
        let plan = Plan::new(&b, Language::Ru).unwrap();
        assert_eq!(plan.message_for(7, "en").html, "Hello");
        assert_eq!(plan.message_for(7, "de").html, "Привет");
        let only_en = broadcast(r#"{"variants":{"en":{"text":"Hello"}}}"#);
        assert_eq!(
            Plan::new(&only_en, Language::Ru)
                .unwrap()
                .message_for(7, "ru")
                .html,
            "Hello"
        );
    }

    #[test]
    fn an_uploaded_file_is_sent_by_file_id_once_telegram_has_it() {
        let mut b = broadcast(r#"{"variants":{"ru":{"text":"x"}}}"#);
        b.media_kind = Some("photo".into());
        b.media_path = Some("/data/p.jpg".into());
        let first = Plan::new(&b, Language::Ru).unwrap();
        assert!(first.wants_file_id());
        assert_eq!(
            first.media_source(),
            Some(&MediaSource::Upload("/data/p.jpg".into()))
        );
        b.media_file_id = Some("AgAD".into());
        assert!(!first.is_current(&b));
        let later = Plan::new(&b, Language::Ru).unwrap();
        assert!(!later.wants_file_id());
        assert_eq!(
            later.media_source(),
            Some(&MediaSource::FileId("AgAD".into()))
        );
    }
}
