//! The audit log: who changed what, with the entity before and after. Writers pass the same connection
//! (or transaction) as the change itself, so a change and its audit row commit together.
//!
//! The request id: an adapter runs each request inside [`in_request`], and every row written while it
//! runs carries the id, without each service threading it through its signature. An entry with an
//! explicit `request_id` keeps its own.

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use super::paging::{self, Page, PageRequest};
pub use crate::entity::audit_log::ActorKind;
use crate::entity::audit_log::{self, Entity as AuditLog};
use crate::error::Result;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `work` as the request `request_id`: audit rows written meanwhile carry the id.
pub async fn in_request<F: Future>(request_id: String, work: F) -> F::Output {
    REQUEST_ID.scope(request_id, work).await
}

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

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
        request_id: Set(entry.request_id.or_else(current_request_id)),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Filters of the audit log; every one is optional, `from` inclusive and `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_kind: Option<ActorKind>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of the audit log (the caller picks the direction; the API shows newest first).
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    request: &PageRequest,
) -> Result<Page<audit_log::Model>> {
    let mut query = AuditLog::find();
    if let Some(kind) = filter.actor_kind {
        query = query.filter(audit_log::Column::ActorKind.eq(kind));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter(audit_log::Column::ActorId.eq(id));
    }
    for (column, value) in [
        (audit_log::Column::Action, &filter.action),
        (audit_log::Column::Entity, &filter.entity),
        (audit_log::Column::EntityId, &filter.entity_id),
        (audit_log::Column::RequestId, &filter.request_id),
    ] {
        if let Some(value) = value {
            query = query.filter(column.eq(value.as_str()));
        }
    }
    let Some((from, to)) = paging::bindable_range(filter.from, filter.to) else {
        return Ok(Page::empty(request));
    };
    if let Some(from) = from {
        query = query.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(audit_log::Column::At.lt(to));
    }
    paging::fetch(db, query, audit_log::Column::Id, request, |row| row.id).await
}
