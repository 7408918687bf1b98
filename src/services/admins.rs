//! Admins of the panel and the staff bot: owner, marketing or readonly, each bound to a Telegram user.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Entry};
pub use crate::entity::admins::AdminRole;
use crate::entity::admins::{self, Entity as Admins};
use crate::error::{Error, Result, is_unique_violation};

pub async fn add(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    role: AdminRole,
    name: Option<String>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<admins::Model> {
    if telegram_id <= 0 {
        return Err(Error::invalid("telegram_id", "out_of_range"));
    }
    let name = name
        .filter(|n| !n.trim().is_empty())
        .map(|n| super::clean_text(&n, "name", 255))
        .transpose()?;
    let row = admins::ActiveModel {
        telegram_id: Set(telegram_id),
        role: Set(role),
        name: Set(name),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let admin = row.insert(db).await.map_err(|e| {
        if is_unique_violation(&e, "telegram_id") {
            Error::AdminAlreadyExists
        } else {
            e.into()
        }
    })?;
    audit::record(
        db,
        Entry::new(actor, "admin.create", "admin", admin.id).change(None::<&()>, Some(&admin)),
        now,
    )
    .await?;
    Ok(admin)
}

/// Makes sure the configured first owner exists; an existing admin with that Telegram id is left as is.
pub async fn ensure_owner(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    now: DateTime<Utc>,
) -> Result<admins::Model> {
    match add(
        db,
        telegram_id,
        AdminRole::Owner,
        None,
        Actor::system(),
        now,
    )
    .await
    {
        Err(Error::AdminAlreadyExists) => find_by_telegram_id(db, telegram_id)
            .await?
            .ok_or(Error::AdminNotFound),
        other => other,
    }
}

pub async fn find_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: i64,
) -> Result<Option<admins::Model>> {
    Ok(Admins::find()
        .filter(admins::Column::TelegramId.eq(telegram_id))
        .one(db)
        .await?)
}

/// The admin acting through Telegram, if they are an active admin.
pub async fn active_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: i64,
) -> Result<Option<admins::Model>> {
    Ok(find_by_telegram_id(db, telegram_id)
        .await?
        .filter(|a| a.active))
}

/// Active admins who decide on cashiers (owners and marketers), for approval requests.
pub async fn deciders(db: &impl ConnectionTrait) -> Result<Vec<admins::Model>> {
    Ok(Admins::find()
        .filter(admins::Column::Active.eq(true))
        .filter(admins::Column::Role.is_in([AdminRole::Owner, AdminRole::Marketing]))
        .order_by_asc(admins::Column::Id)
        .all(db)
        .await?)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<admins::Model>> {
    Ok(Admins::find()
        .order_by_asc(admins::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<admins::Model> {
    Admins::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::AdminNotFound)
}

/// Changes an admin's role or switches them off.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    role: AdminRole,
    active: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<admins::Model> {
    let before = get(db, id).await?;
    let mut row: admins::ActiveModel = before.clone().into();
    row.role = Set(role);
    row.active = Set(active);
    row.updated_at = Set(now);
    let after = row.update(db).await?;
    audit::record(
        db,
        Entry::new(actor, "admin.update", "admin", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}
