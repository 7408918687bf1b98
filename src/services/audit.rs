//! The audit log: who changed what, with the entity before and after. Writers pass the same connection
//! (or transaction) as the change itself, so a change and its audit row commit together.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;

use crate::entity::audit_log;
pub use crate::entity::audit_log::ActorKind;
use crate::error::Result;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
}

impl Actor {
    pub fn admin(id: i64) -> Self {
        Self {
            kind: ActorKind::Admin,
            id: Some(id),
        }
    }

    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
        }
    }
}

/// One audit row to write.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    /// What happened, as `entity.verb`: `cashier.approve`, `setting.update`.
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

impl Entry {
    /// An entry for `action` on `entity` `id`, without snapshots.
    pub fn new(
        actor: Actor,
        action: &'static str,
        entity: &'static str,
        id: impl ToString,
    ) -> Self {
        Self {
            actor,
            action,
            entity,
            entity_id: Some(id.to_string()),
            before: None,
            after: None,
            request_id: None,
        }
    }

    /// Adds before/after snapshots of anything serializable.
    pub fn change(
        mut self,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
    ) -> Self {
        self.before = before.and_then(|b| serde_json::to_value(b).ok());
        self.after = after.and_then(|a| serde_json::to_value(a).ok());
        self
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<audit_log::Model> {
    let row = audit_log::ActiveModel {
        at: Set(now),
        actor_kind: Set(entry.actor.kind),
        actor_id: Set(entry.actor.id),
        action: Set(entry.action.to_string()),
        entity: Set(entry.entity.to_string()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before.map(|v| v.to_string())),
        after: Set(entry.after.map(|v| v.to_string())),
        request_id: Set(entry.request_id),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}
