//! The blacklist of users and phones (anti-fraud): a listed user or phone gets no signing code and
//! cannot share its contact for signing. Entries are unique per (kind, value) by a unique key.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;

use super::audit::{self, Actor, ActorKind, Entry};
use super::deals::normalize_phone;
use super::paging::{self, Page, PageRequest};
pub use crate::entity::blacklist::BlacklistKind;
use crate::entity::blacklist::{self, Entity as Blacklist};
use crate::error::{Error, Result, is_unique_violation};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BlacklistInput {
    #[schema(value_type = String, example = "phone")]
    pub kind: BlacklistKind,
    /// A user id (`kind = user`) or a phone number (`kind = phone`, normalized to `+7…`).
    pub value: String,
    pub reason: Option<String>,
}

/// The stored form of `value` for `kind`.
fn normalized(kind: BlacklistKind, value: &str) -> Result<String> {
    match kind {
        BlacklistKind::Phone => {
            normalize_phone(value).ok_or_else(|| Error::invalid("value", "invalid_phone"))
        }
        BlacklistKind::User => value
            .trim()
            .parse::<i64>()
            .map(|id| id.to_string())
            .map_err(|_| Error::invalid("value", "invalid_user_id")),
    }
}

pub async fn add(
    db: &impl ConnectionTrait,
    input: &BlacklistInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<blacklist::Model> {
    let value = normalized(input.kind, &input.value)?;
    let reason = input
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| super::clean_text(r, "reason", 255))
        .transpose()?;
    let row = blacklist::ActiveModel {
        kind: Set(input.kind),
        value: Set(value),
        reason: Set(reason),
        created_by_admin_id: Set(actor.id.filter(|_| actor.kind == ActorKind::Admin)),
        created_at: Set(now),
        ..Default::default()
    };
    let entry = row.insert(db).await.map_err(|e| {
        if is_unique_violation(&e, "value") {
            Error::BlacklistEntryExists
        } else {
            e.into()
        }
    })?;
    audit::record(
        db,
        Entry::new(actor, "blacklist.add", "blacklist", entry.id).change(None::<&()>, Some(&entry)),
        now,
    )
    .await?;
    Ok(entry)
}

pub async fn remove(
    db: &impl ConnectionTrait,
    id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = get(db, id).await?;
    let done = Blacklist::delete_by_id(id).exec(db).await?;
    if done.rows_affected == 0 {
        return Err(Error::BlacklistEntryNotFound);
    }
    audit::record(
        db,
        Entry::new(actor, "blacklist.remove", "blacklist", id).change(Some(&before), None::<&()>),
        now,
    )
    .await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<blacklist::Model> {
    Blacklist::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::BlacklistEntryNotFound)
}

/// A page of entries, optionally of one kind.
pub async fn page(
    db: &impl ConnectionTrait,
    kind: Option<BlacklistKind>,
    request: &PageRequest,
) -> Result<Page<blacklist::Model>> {
    let mut query = Blacklist::find();
    if let Some(kind) = kind {
        query = query.filter(blacklist::Column::Kind.eq(kind));
    }
    paging::fetch(db, query, blacklist::Column::Id, request, |e| e.id).await
}

/// Whether the user `user_id` or the phone `phone` (any format) is listed.
pub async fn is_listed(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
    phone: Option<&str>,
) -> Result<bool> {
    let mut any = sea_orm::Condition::any();
    if let Some(id) = user_id {
        any = any.add(
            sea_orm::Condition::all()
                .add(blacklist::Column::Kind.eq(BlacklistKind::User))
                .add(blacklist::Column::Value.eq(id.to_string())),
        );
    }
    if let Some(phone) = phone.and_then(normalize_phone) {
        any = any.add(
            sea_orm::Condition::all()
                .add(blacklist::Column::Kind.eq(BlacklistKind::Phone))
                .add(blacklist::Column::Value.eq(phone)),
        );
    }
    if any.is_empty() {
        return Ok(false);
    }
    Ok(Blacklist::find().filter(any).count(db).await? > 0)
}
