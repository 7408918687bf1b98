//! Message templates: reusable message content (a text per language in Telegram's HTML subset, media,
//! URL buttons) that broadcasts start from. Names are unique.
//!
//! - [`content`]: the content and its validation;
//! - [`html`]: the HTML subset checker.

pub mod content;
pub mod html;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

pub use self::content::MessageContent;
use super::audit::{self, Actor, Entry};
use super::paging::{self, Page, PageRequest};
use crate::entity::message_templates::{self, Entity as Templates};
use crate::error::{Error, Result, is_unique_violation};

/// What an admin fills in to create or change a template.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageTemplateInput {
    pub name: String,
    pub content: MessageContent,
}

/// A saved template with its content parsed.
#[derive(Debug, Clone, Serialize)]
pub struct MessageTemplate {
    pub id: i64,
    pub name: String,
    pub content: MessageContent,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<message_templates::Model> for MessageTemplate {
    type Error = Error;

    fn try_from(row: message_templates::Model) -> Result<Self> {
        let content = serde_json::from_str(&row.content).map_err(|e| {
            Error::Internal(format!("message template {} is unreadable: {e}", row.id))
        })?;
        Ok(Self {
            id: row.id,
            name: row.name,
            content,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn checked(input: &MessageTemplateInput) -> Result<(String, String)> {
    let name = super::clean_text(&input.name, "name", 255)?;
    input.content.validate()?;
    let content = serde_json::to_string(&input.content)
        .map_err(|e| Error::Internal(format!("cannot store a message template: {e}")))?;
    Ok((name, content))
}

fn name_taken(err: sea_orm::DbErr) -> Error {
    if is_unique_violation(&err, "name") {
        Error::MessageTemplateNameTaken
    } else {
        err.into()
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: &MessageTemplateInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<MessageTemplate> {
    let (name, content) = checked(input)?;
    let row = message_templates::ActiveModel {
        name: Set(name),
        content: Set(content),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(name_taken)?;
    let template = MessageTemplate::try_from(row)?;
    let entry = Entry::new(
        actor,
        "message_template.create",
        "message_template",
        template.id,
    )
    .change(None::<&()>, Some(&template));
    audit::record(db, entry, now).await?;
    Ok(template)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &MessageTemplateInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<MessageTemplate> {
    let (name, content) = checked(input)?;
    let before = Templates::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::MessageTemplateNotFound)?;
    let mut row: message_templates::ActiveModel = before.clone().into();
    row.name = Set(name);
    row.content = Set(content);
    row.updated_at = Set(now);
    let after = MessageTemplate::try_from(row.update(db).await.map_err(name_taken)?)?;
    let entry = Entry::new(actor, "message_template.update", "message_template", id)
        .change(Some(&MessageTemplate::try_from(before)?), Some(&after));
    audit::record(db, entry, now).await?;
    Ok(after)
}

pub async fn delete(
    db: &impl ConnectionTrait,
    id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = get(db, id).await?;
    let result = Templates::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(Error::MessageTemplateNotFound);
    }
    let entry = Entry::new(actor, "message_template.delete", "message_template", id)
        .change(Some(&before), None::<&()>);
    audit::record(db, entry, now).await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<MessageTemplate> {
    Templates::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::MessageTemplateNotFound)?
        .try_into()
}

/// Templates by id (the request's direction).
pub async fn list(db: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<MessageTemplate>> {
    paging::fetch(
        db,
        Templates::find(),
        message_templates::Column::Id,
        page,
        |t| t.id,
    )
    .await?
    .try_map(MessageTemplate::try_from)
}
