//! The global pacer's window and pause kept in the database, for deployments without Redis: several
//! instances on one database still share one budget. Each admission is one short transaction whose
//! first statement is a no-op `UPDATE` of the scope's `rate_windows` row — on MySQL/MariaDB that takes
//! the row lock, on SQLite the write lock — so admissions of one scope are serialized: hits older than
//! the window are deleted, the rest counted, and a new hit inserted only under the limit.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};

use crate::entity::{rate_window_hits as hits, rate_windows as windows};
use crate::error::Result;
use crate::kv::WindowDecision;

/// Makes sure the scope's lock row exists (an insert that does nothing when it is there).
async fn ensure_scope(db: &impl ConnectionTrait, scope: &str) -> Result<()> {
    windows::Entity::insert(windows::ActiveModel {
        scope: Set(scope.to_string()),
        paused_until_ms: Set(0),
    })
    .on_conflict_do_nothing_on([windows::Column::Scope])
    .exec(db)
    .await?;
    Ok(())
}

/// Admits one hit to `scope` if fewer than `limit` happened in the `window` before `now_ms`.
pub async fn hit(
    db: &DatabaseConnection,
    scope: &str,
    window: Duration,
    limit: u64,
    now_ms: u64,
) -> Result<WindowDecision> {
    ensure_scope(db, scope).await?;
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    // The scope row's lock serializes admissions; READ COMMITTED keeps the hit index free of gap locks
    // shared with neighbouring scopes.
    let isolation =
        (db.get_database_backend() == DbBackend::MySql).then_some(IsolationLevel::ReadCommitted);
    let txn = db.begin_with_config(isolation, None).await?;
    windows::Entity::update_many()
        .col_expr(
            windows::Column::PausedUntilMs,
            Expr::col(windows::Column::PausedUntilMs),
        )
        .filter(windows::Column::Scope.eq(scope))
        .exec(&txn)
        .await?;
    hits::Entity::delete_many()
        .filter(hits::Column::Scope.eq(scope))
        .filter(hits::Column::AtMs.lte(now - window_ms))
        .exec(&txn)
        .await?;
    let (count, oldest): (i64, Option<i64>) = hits::Entity::find()
        .select_only()
        .column_as(Expr::col(hits::Column::Id).count(), "n")
        .column_as(Expr::col(hits::Column::AtMs).min(), "oldest")
        .filter(hits::Column::Scope.eq(scope))
        .into_tuple()
        .one(&txn)
        .await?
        .unwrap_or((0, None));
    let count = u64::try_from(count).unwrap_or(0);
    if count >= limit {
        txn.commit().await?;
        let leaves = Ord::max(oldest.map_or(0, |o| o + window_ms - now), 1);
        return Ok(WindowDecision {
            allowed: false,
            count,
            retry_after: Duration::from_millis(u64::try_from(leaves).unwrap_or(1)),
        });
    }
    hits::Entity::insert(hits::ActiveModel {
        scope: Set(scope.to_string()),
        at_ms: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(WindowDecision {
        allowed: true,
        count: count + 1,
        retry_after: Duration::ZERO,
    })
}

/// The pause deadline of `scope` (milliseconds since the epoch), if one is set.
pub async fn paused_until(db: &impl ConnectionTrait, scope: &str) -> Result<Option<u64>> {
    let until: Option<i64> = windows::Entity::find()
        .select_only()
        .column(windows::Column::PausedUntilMs)
        .filter(windows::Column::Scope.eq(scope))
        .into_tuple()
        .one(db)
        .await?;
    Ok(until.filter(|u| *u > 0).and_then(|u| u64::try_from(u).ok()))
}

/// Moves the pause deadline of `scope` to `until_ms` unless a later one is set.
pub async fn pause_until(db: &impl ConnectionTrait, scope: &str, until_ms: u64) -> Result<()> {
    ensure_scope(db, scope).await?;
    let until = i64::try_from(until_ms).unwrap_or(i64::MAX);
    windows::Entity::update_many()
        .col_expr(windows::Column::PausedUntilMs, Expr::value(until))
        .filter(windows::Column::Scope.eq(scope))
        .filter(windows::Column::PausedUntilMs.lt(until))
        .exec(db)
        .await?;
    Ok(())
}
