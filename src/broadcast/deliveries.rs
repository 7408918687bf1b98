//! The delivery rows of broadcasts: created chunk by chunk from the audience, claimed by the workers of
//! any instance, and recorded as Telegram answers ([`super::record`]). Every step is a single conditional
//! statement (or a short transaction) checked by rows affected, so several instances and a crash at any
//! point leave every row in exactly one state:
//!
//! - `pending` → `sending` (claimed by one holder until `claimed_until`) → `sent` | `skipped` | `failed`,
//!   or back to `pending` with a later `next_attempt_at` after a retryable error;
//! - a claim whose holder died is taken back once `claimed_until` has passed ([`reclaim_expired`]): the
//!   rows it had not sent are sent by someone else, and only a message in flight at the crash can go
//!   twice.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::entity::broadcast_deliveries::{
    self as deliveries, DeliveryState, Entity as Deliveries,
};
use crate::entity::broadcasts::{self, BroadcastState, Entity as Broadcasts};
use crate::entity::users::{self, Entity as Users};
use crate::error::Result;
use crate::services::segments::{Audience, SegmentFilter};

pub use super::record::{Outcome, record, record_sent};

/// The running broadcasts, oldest first.
pub async fn running(db: &impl ConnectionTrait) -> Result<Vec<broadcasts::Model>> {
    Ok(Broadcasts::find()
        .filter(broadcasts::Column::State.eq(BroadcastState::Running))
        .order_by_asc(broadcasts::Column::Id)
        .all(db)
        .await?)
}

/// The audience condition of a broadcast: its segment's filter (or every subscriber) under the broadcast
/// rules (subscribed, not blocked, reachable), evaluated as of the broadcast's start.
pub async fn audience(
    db: &impl ConnectionTrait,
    b: &broadcasts::Model,
    tz: chrono_tz::Tz,
) -> Result<Condition> {
    let filter = match b.segment_id {
        Some(id) => crate::services::segments::get(db, id).await?.filter,
        None => SegmentFilter::default(),
    };
    filter.condition(
        Audience::Broadcast,
        tz,
        b.started_at.unwrap_or(b.created_at),
    )
}

/// What one materialization step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialized {
    /// This many rows were created; more may follow.
    Chunk(u64),
    /// The audience is exhausted (this many rows in the last chunk).
    Done(u64),
    /// Another instance moved the cursor first; nothing was written here.
    Lost,
}

/// Turns the next `chunk` users of the audience (by id, after the broadcast's cursor) into pending
/// delivery rows with one `INSERT … SELECT`, and moves the cursor in the same transaction, on the
/// condition that it still stands where this step started.
pub async fn materialize_chunk<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    b: &broadcasts::Model,
    audience: Condition,
    chunk: u64,
    now: DateTime<Utc>,
) -> Result<Materialized> {
    let after = b.materialized_up_to;
    let select = Query::select()
        .expr(Expr::val(b.id))
        .column((users::Entity, users::Column::Id))
        .expr(Expr::val(DeliveryState::Pending.to_value()))
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(users::Entity)
        // The keyset walks the primary key from the cursor. Left to itself MariaDB reads an audience
        // index such as (subscribed, unreachable, id) by its equality prefix only, from the start,
        // skipping the `id > cursor` part: every chunk then re-reads all the rows before it (quadratic;
        // at a million users the last chunks read a million index entries each) and share-locks them.
        // On the primary key the whole materialization reads the table once. (SQLite ignores hints.)
        .force_index("PRIMARY", IndexHintScope::All)
        .cond_where(audience.add(users::Column::Id.gt(after)))
        .order_by((users::Entity, users::Column::Id), Order::Asc)
        .limit(chunk)
        .to_owned();
    let insert = Query::insert()
        .into_table(deliveries::Entity)
        .columns([
            deliveries::Column::BroadcastId,
            deliveries::Column::UserId,
            deliveries::Column::State,
            deliveries::Column::Attempts,
            deliveries::Column::CreatedAt,
            deliveries::Column::UpdatedAt,
        ])
        .select_from(select)
        .map_err(|e| crate::Error::Internal(format!("materialize query: {e}")))?
        .to_owned();
    let txn = db.begin().await?;
    let inserted = match txn.execute(&insert).await {
        Ok(done) => done.rows_affected(),
        // Another instance is writing (or wrote) the same chunk: its rows stand, this step is void.
        Err(e) if lost_race(&e) => {
            txn.rollback().await?;
            return Ok(Materialized::Lost);
        }
        Err(e) => return Err(e.into()),
    };
    let last: Option<i64> = Deliveries::find()
        .select_only()
        .column_as(Expr::col(deliveries::Column::UserId).max(), "m")
        .filter(deliveries::Column::BroadcastId.eq(b.id))
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await?
        .flatten();
    let done = inserted < chunk;
    let moved = Broadcasts::update_many()
        .col_expr(
            broadcasts::Column::MaterializedUpTo,
            Expr::value(Ord::max(last.unwrap_or(after), after)),
        )
        .col_expr(broadcasts::Column::Materialized, Expr::value(done))
        .filter(broadcasts::Column::Id.eq(b.id))
        .filter(broadcasts::Column::MaterializedUpTo.eq(after))
        .filter(broadcasts::Column::Materialized.eq(false))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        txn.rollback().await?;
        return Ok(Materialized::Lost);
    }
    txn.commit().await?;
    Ok(if done {
        Materialized::Done(inserted)
    } else {
        Materialized::Chunk(inserted)
    })
}

/// A unique-key violation on the delivery rows, or a deadlock between two writers of one chunk.
fn lost_race(err: &sea_orm::DbErr) -> bool {
    // The key's name on MySQL/MariaDB, its columns on SQLite.
    if crate::error::is_unique_violation(err, "ux_deliveries_broadcast_user")
        || crate::error::is_unique_violation(err, "broadcast_deliveries.user_id")
    {
        return true;
    }
    is_deadlock(err)
}

/// A claimed delivery with what sending needs to know about its recipient.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Claimed {
    pub id: i64,
    /// This claim's own token: `holder/<random>`, so two workers of one instance never mistake each
    /// other's rows for their own.
    pub claimed_by: String,
    pub user_id: i64,
    pub attempts: i32,
    pub telegram_id: i64,
    pub language: String,
    pub subscribed: bool,
    pub blocked: bool,
    pub unreachable: bool,
}

/// Claims up to `n` pending rows of `broadcast_id` due at `now` for `holder` (an instance) until
/// `now + ttl`, under a token of this claim's own. On
/// MySQL/MariaDB the rows are picked with `FOR UPDATE SKIP LOCKED`, so workers of several instances never
/// wait for each other nor pick the same row; SQLite has one writer, and one `UPDATE … WHERE id IN
/// (SELECT …)` statement claims atomically.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    broadcast_id: i64,
    n: u64,
    holder: &str,
    now: DateTime<Utc>,
    ttl: std::time::Duration,
) -> Result<Vec<Claimed>> {
    let until = now + Duration::from_std(ttl).unwrap_or(Duration::seconds(60));
    let token = format!("{holder}/{:016x}", uuid::Uuid::new_v4().as_u64_pair().0);
    let holder = token.as_str();
    let due = Condition::all()
        .add(deliveries::Column::BroadcastId.eq(broadcast_id))
        .add(deliveries::Column::State.eq(DeliveryState::Pending))
        .add(
            Condition::any()
                .add(deliveries::Column::NextAttemptAt.is_null())
                .add(deliveries::Column::NextAttemptAt.lte(now)),
        );
    let set_claim = |u: sea_orm::UpdateMany<Deliveries>| {
        u.col_expr(
            deliveries::Column::State,
            Expr::value(DeliveryState::Sending.to_value()),
        )
        .col_expr(deliveries::Column::ClaimedBy, Expr::value(holder))
        .col_expr(deliveries::Column::ClaimedUntil, Expr::value(until))
        .col_expr(deliveries::Column::UpdatedAt, Expr::value(now))
    };
    if db.get_database_backend() == DbBackend::MySql {
        return match claim_skip_locked(db, due, n, set_claim).await {
            Ok(ids) if ids.is_empty() => Ok(Vec::new()),
            Ok(ids) => claimed_rows(db, deliveries::Column::Id.is_in(ids), holder).await,
            // Two claimers crossing on the index: nothing claimed this time, the caller asks again.
            Err(e) if is_deadlock(&e) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        };
    }
    let pick = Query::select()
        .column(deliveries::Column::Id)
        .from(deliveries::Entity)
        .cond_where(due)
        .order_by(deliveries::Column::Id, Order::Asc)
        .limit(n)
        .to_owned();
    let result = set_claim(Deliveries::update_many())
        .filter(deliveries::Column::Id.in_subquery(pick))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(Vec::new());
    }
    claimed_rows(db, deliveries::Column::BroadcastId.eq(broadcast_id), holder).await
}

/// The index claims read (migration `m20261121_000003_broadcasts`).
const CLAIM_INDEX: &str = "ix_deliveries_broadcast_state_id";

/// The MySQL/MariaDB claim: pick with `FOR UPDATE SKIP LOCKED` and mark, in one READ COMMITTED
/// transaction (no gap locks, so claimers of one broadcast seldom deadlock).
async fn claim_skip_locked<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    due: Condition,
    n: u64,
    set_claim: impl Fn(sea_orm::UpdateMany<Deliveries>) -> sea_orm::UpdateMany<Deliveries>,
) -> std::result::Result<Vec<i64>, sea_orm::DbErr> {
    let txn = db
        .begin_with_config(Some(IsolationLevel::ReadCommitted), None)
        .await?;
    let mut pick = Deliveries::find()
        .select_only()
        .column(deliveries::Column::Id)
        .filter(due)
        .order_by_asc(deliveries::Column::Id)
        .limit(n)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    // Left alone, MariaDB answers `ORDER BY id LIMIT n` by walking the primary key from the first row
    // of the table and filtering, so every claim re-reads every row already sent (quadratic: at 100,000
    // recipients the last claims read 100,000 rows each). On (broadcast_id, state, id) the pending rows
    // of this broadcast come in id order: a claim reads the rows it takes.
    QuerySelect::query(&mut pick).force_index(CLAIM_INDEX, IndexHintScope::All);
    let ids: Vec<i64> = pick.into_tuple().all(&txn).await?;
    if !ids.is_empty() {
        set_claim(Deliveries::update_many())
            .filter(deliveries::Column::Id.is_in(ids.clone()))
            .filter(deliveries::Column::State.eq(DeliveryState::Pending))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

pub(super) fn is_deadlock(err: &sea_orm::DbErr) -> bool {
    let text = err.to_string();
    text.contains("1213") || text.contains("40001") || text.contains("Deadlock")
}

async fn claimed_rows(
    db: &impl ConnectionTrait,
    which: impl sea_orm::sea_query::IntoCondition,
    holder: &str,
) -> Result<Vec<Claimed>> {
    Ok(Deliveries::find()
        .select_only()
        .column(deliveries::Column::Id)
        .column(deliveries::Column::ClaimedBy)
        .column(deliveries::Column::UserId)
        .column(deliveries::Column::Attempts)
        .column_as(users::Column::TelegramId, "telegram_id")
        .column_as(users::Column::Language, "language")
        .column_as(users::Column::Subscribed, "subscribed")
        .column_as(users::Column::Blocked, "blocked")
        .column_as(users::Column::Unreachable, "unreachable")
        .inner_join(Users)
        .filter(which)
        .filter(deliveries::Column::State.eq(DeliveryState::Sending))
        .filter(deliveries::Column::ClaimedBy.eq(holder))
        .order_by_asc(deliveries::Column::Id)
        .into_model::<Claimed>()
        .all(db)
        .await?)
}

/// Puts back to pending every row whose claim expired before `now` (its holder died or stalled).
pub async fn reclaim_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let back = Deliveries::update_many().col_expr(
        deliveries::Column::State,
        Expr::value(DeliveryState::Pending.to_value()),
    );
    Ok(super::record::released(back, now)
        .filter(deliveries::Column::State.eq(DeliveryState::Sending))
        .filter(deliveries::Column::ClaimedUntil.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Marks a running broadcast completed once every recipient has a row and no row is pending or being
/// sent. Whether this call completed it.
pub async fn finish_if_done(
    db: &impl ConnectionTrait,
    b: &broadcasts::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !b.materialized {
        return Ok(false);
    }
    let open: Option<i64> = Deliveries::find()
        .select_only()
        .column(deliveries::Column::Id)
        .filter(deliveries::Column::BroadcastId.eq(b.id))
        .filter(deliveries::Column::State.is_in([DeliveryState::Pending, DeliveryState::Sending]))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if open.is_some() {
        return Ok(false);
    }
    Ok(Broadcasts::update_many()
        .col_expr(
            broadcasts::Column::State,
            Expr::value(BroadcastState::Completed.to_value()),
        )
        .col_expr(broadcasts::Column::FinishedAt, Expr::value(now))
        .col_expr(broadcasts::Column::UpdatedAt, Expr::value(now))
        .filter(broadcasts::Column::Id.eq(b.id))
        .filter(broadcasts::Column::State.eq(BroadcastState::Running))
        .filter(broadcasts::Column::Materialized.eq(true))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Keeps the `file_id` Telegram gave the uploaded media, unless one was kept already.
pub async fn keep_file_id(
    db: &impl ConnectionTrait,
    broadcast_id: i64,
    file_id: &str,
) -> Result<bool> {
    Ok(Broadcasts::update_many()
        .col_expr(broadcasts::Column::MediaFileId, Expr::value(file_id))
        .filter(broadcasts::Column::Id.eq(broadcast_id))
        .filter(broadcasts::Column::MediaFileId.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
