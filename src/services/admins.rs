//! Admins of the panel and the staff bot: owner, marketing or readonly, each bound to a Telegram user.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::audit::{self, Actor, Entry};
use super::paging::{self, Page, PageRequest};
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

/// What an owner changes about an admin; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminChange {
    pub role: Option<AdminRole>,
    pub active: Option<bool>,
}

/// Changes an admin's role or switches them off.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    role: AdminRole,
    active: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<admins::Model> {
    let change = AdminChange {
        role: Some(role),
        active: Some(active),
    };
    self::change(db, id, change, actor, now).await
}

/// Applies `change` to an admin. The last active owner can be neither demoted nor switched off
/// (`ADMIN_LAST_OWNER`); switching an admin off ends their sessions.
pub async fn change<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    change: AdminChange,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<admins::Model> {
    let txn = db.begin().await?;
    let before = get(&txn, id).await?;
    let role = change.role.unwrap_or(before.role);
    let active = change.active.unwrap_or(before.active);
    let stays_owner = role == AdminRole::Owner && active;
    if before.role == AdminRole::Owner && before.active && !stays_owner {
        // Lock the active owners (MariaDB; SQLite serializes writers anyway) so two owners demoting each
        // other at once cannot both pass the count.
        let owners = Admins::find()
            .filter(admins::Column::Role.eq(AdminRole::Owner))
            .filter(admins::Column::Active.eq(true))
            .lock_exclusive()
            .all(&txn)
            .await?;
        if owners.iter().all(|o| o.id == id) {
            return Err(Error::AdminLastOwner);
        }
    }
    let mut row: admins::ActiveModel = before.clone().into();
    row.role = Set(role);
    row.active = Set(active);
    row.updated_at = Set(now);
    let after = row.update(&txn).await?;
    if before.active && !active {
        super::sessions::revoke_admin(&txn, id, now).await?;
    }
    audit::record(
        &txn,
        Entry::new(actor, "admin.update", "admin", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Filters of the admin list.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub role: Option<AdminRole>,
    pub active: Option<bool>,
}

/// A page of admins.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AdminFilter,
    request: &PageRequest,
) -> Result<Page<admins::Model>> {
    let mut query = Admins::find();
    if let Some(role) = filter.role {
        query = query.filter(admins::Column::Role.eq(role));
    }
    if let Some(active) = filter.active {
        query = query.filter(admins::Column::Active.eq(active));
    }
    paging::fetch(db, query, admins::Column::Id, request, |a| a.id).await
}
