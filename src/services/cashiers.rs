//! Cashiers: a staff-bot user registers with a store and waits; an owner or marketer approves or rejects;
//! an approved cashier can be revoked. Every transition is a conditional update on the current state.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Entry};
use super::paging::{self, Page, PageRequest};
use super::{clean_text, stores};
pub use crate::entity::cashiers::CashierState;
use crate::entity::cashiers::{self, Entity as Cashiers};
use crate::error::{Error, Result, is_unique_violation};

/// Registers a cashier, pending approval. A rejected or revoked cashier may apply again.
pub async fn register(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    name: &str,
    store_id: i64,
    now: DateTime<Utc>,
) -> Result<cashiers::Model> {
    let name = clean_text(name, "name", 255)?;
    let store = stores::get(db, store_id).await?;
    if !store.active {
        return Err(Error::StoreNotFound);
    }
    let row = cashiers::ActiveModel {
        telegram_id: Set(telegram_id),
        name: Set(name.clone()),
        store_id: Set(store_id),
        state: Set(CashierState::Pending),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(cashier) => return Ok(cashier),
        Err(e) if is_unique_violation(&e, "telegram_id") => {}
        Err(e) => return Err(e.into()),
    }
    let reapplied = Cashiers::update_many()
        .col_expr(cashiers::Column::Name, Expr::value(name))
        .col_expr(cashiers::Column::StoreId, Expr::value(store_id))
        .col_expr(cashiers::Column::State, Expr::value(CashierState::Pending))
        .col_expr(cashiers::Column::DecidedByAdminId, Expr::value(None::<i64>))
        .col_expr(
            cashiers::Column::DecidedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(cashiers::Column::UpdatedAt, Expr::value(now))
        .filter(cashiers::Column::TelegramId.eq(telegram_id))
        .filter(cashiers::Column::State.is_in([CashierState::Rejected, CashierState::Revoked]))
        .exec(db)
        .await?;
    if reapplied.rows_affected == 0 {
        return Err(Error::CashierAlreadyRegistered);
    }
    find_by_telegram_id(db, telegram_id)
        .await?
        .ok_or(Error::CashierNotFound)
}

/// Approves a pending cashier.
pub async fn approve(
    db: &impl ConnectionTrait,
    id: i64,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<cashiers::Model> {
    transition(
        db,
        id,
        CashierState::Pending,
        CashierState::Approved,
        admin_id,
        "cashier.approve",
        now,
    )
    .await
}

/// Rejects a pending cashier.
pub async fn reject(
    db: &impl ConnectionTrait,
    id: i64,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<cashiers::Model> {
    transition(
        db,
        id,
        CashierState::Pending,
        CashierState::Rejected,
        admin_id,
        "cashier.reject",
        now,
    )
    .await
}

/// Revokes an approved cashier: they can no longer redeem.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: i64,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<cashiers::Model> {
    transition(
        db,
        id,
        CashierState::Approved,
        CashierState::Revoked,
        admin_id,
        "cashier.revoke",
        now,
    )
    .await
}

async fn transition(
    db: &impl ConnectionTrait,
    id: i64,
    from: CashierState,
    to: CashierState,
    admin_id: i64,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<cashiers::Model> {
    let result = Cashiers::update_many()
        .col_expr(cashiers::Column::State, Expr::value(to))
        .col_expr(cashiers::Column::DecidedByAdminId, Expr::value(admin_id))
        .col_expr(cashiers::Column::DecidedAt, Expr::value(now))
        .col_expr(cashiers::Column::UpdatedAt, Expr::value(now))
        .filter(cashiers::Column::Id.eq(id))
        .filter(cashiers::Column::State.eq(from))
        .exec(db)
        .await?;
    let cashier = get(db, id).await?;
    if result.rows_affected == 0 {
        return Err(if from == CashierState::Approved {
            Error::CashierNotApproved
        } else {
            Error::CashierNotPending
        });
    }
    let before = serde_json::json!({ "state": from });
    let after = serde_json::json!({ "state": to });
    audit::record(
        db,
        Entry::new(Actor::admin(admin_id), action, "cashier", id)
            .change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(cashier)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<cashiers::Model> {
    Cashiers::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::CashierNotFound)
}

pub async fn find_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: i64,
) -> Result<Option<cashiers::Model>> {
    Ok(Cashiers::find()
        .filter(cashiers::Column::TelegramId.eq(telegram_id))
        .one(db)
        .await?)
}

/// The cashier if approved, else `CASHIER_NOT_APPROVED` (or `CASHIER_NOT_FOUND`).
pub async fn require_approved(db: &impl ConnectionTrait, id: i64) -> Result<cashiers::Model> {
    let cashier = get(db, id).await?;
    if cashier.state != CashierState::Approved {
        return Err(Error::CashierNotApproved);
    }
    Ok(cashier)
}

/// Cashiers, oldest first, optionally in one state.
pub async fn list(
    db: &impl ConnectionTrait,
    state: Option<CashierState>,
) -> Result<Vec<cashiers::Model>> {
    let mut query = Cashiers::find().order_by_asc(cashiers::Column::Id);
    if let Some(state) = state {
        query = query.filter(cashiers::Column::State.eq(state));
    }
    Ok(query.all(db).await?)
}

/// Filters of the cashier list.
#[derive(Debug, Clone, Default)]
pub struct CashierFilter {
    pub state: Option<CashierState>,
    pub store_id: Option<i64>,
}

/// A page of cashiers.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &CashierFilter,
    request: &PageRequest,
) -> Result<Page<cashiers::Model>> {
    let mut query = Cashiers::find();
    if let Some(state) = filter.state {
        query = query.filter(cashiers::Column::State.eq(state));
    }
    if let Some(store_id) = filter.store_id {
        query = query.filter(cashiers::Column::StoreId.eq(store_id));
    }
    paging::fetch(db, query, cashiers::Column::Id, request, |c| c.id).await
}
