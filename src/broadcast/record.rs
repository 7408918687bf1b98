//! Recording what Telegram answered for claimed delivery rows: one conditional `UPDATE` per row, or one
//! for a whole claim's sent rows ([`record_sent`]) when the engine sends a claim's rows at once. Every
//! statement is conditional on the claim's token and on `state = 'sending'`, so an answer that comes
//! after the claim expired (and another worker took the row back) changes nothing.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::deliveries::{Claimed, is_deadlock};
use crate::entity::broadcast_deliveries::{
    self as deliveries, DeliveryState, Entity as Deliveries,
};
use crate::entity::users::{self, Entity as Users};
use crate::error::Result;

/// The final or next state of a claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        message_id: i64,
    },
    /// Not sent and never retried; `unreachable` also marks the user so later audiences leave them out.
    Skipped {
        reason: String,
        unreachable: bool,
    },
    /// Back to pending, retried at `at` (`count_attempt`: whether this try counts towards the limit).
    Retry {
        reason: Option<String>,
        at: DateTime<Utc>,
        count_attempt: bool,
    },
    Failed {
        reason: String,
    },
}

/// Records what happened to a claimed row. `false` when the claim was no longer this one (it expired and
/// another worker took the row back), so nothing was changed.
pub async fn record(
    db: &impl ConnectionTrait,
    row: &Claimed,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut update = released(Deliveries::update_many(), now);
    let (state, error) = match outcome {
        Outcome::Sent { message_id } => {
            update = update
                .col_expr(deliveries::Column::SentAt, Expr::value(now))
                .col_expr(
                    deliveries::Column::TelegramMessageId,
                    Expr::value(*message_id),
                )
                .col_expr(deliveries::Column::Attempts, Expr::value(row.attempts + 1));
            (DeliveryState::Sent, None)
        }
        Outcome::Skipped { reason, .. } => (DeliveryState::Skipped, Some(reason.clone())),
        Outcome::Retry {
            reason,
            at,
            count_attempt,
        } => {
            update = update
                .col_expr(deliveries::Column::NextAttemptAt, Expr::value(*at))
                .col_expr(
                    deliveries::Column::Attempts,
                    Expr::value(row.attempts + i32::from(*count_attempt)),
                );
            (DeliveryState::Pending, reason.clone())
        }
        Outcome::Failed { reason } => {
            update = update.col_expr(deliveries::Column::Attempts, Expr::value(row.attempts + 1));
            (DeliveryState::Failed, Some(reason.clone()))
        }
    };
    let error = error.map(|e| e.chars().take(500).collect::<String>());
    let update = update
        .col_expr(deliveries::Column::State, Expr::value(state.to_value()))
        .col_expr(deliveries::Column::Error, Expr::value(error))
        .filter(deliveries::Column::Id.eq(row.id))
        .filter(deliveries::Column::State.eq(DeliveryState::Sending))
        .filter(deliveries::Column::ClaimedBy.eq(row.claimed_by.as_str()));
    let changed = retry_deadlock(|| update.clone().exec(db))
        .await?
        .rows_affected
        > 0;
    if changed
        && let Outcome::Skipped {
            unreachable: true, ..
        } = outcome
    {
        let mark = Users::update_many()
            .col_expr(users::Column::Unreachable, Expr::value(true))
            .col_expr(users::Column::UnreachableAt, Expr::value(now))
            .filter(users::Column::Id.eq(row.user_id));
        retry_deadlock(|| mark.clone().exec(db)).await?;
    }
    Ok(changed)
}

/// `update` also gives the rows' claim up (no holder, no deadline), as of `now`: every way a row leaves
/// `sending` does this.
pub(super) fn released(
    update: sea_orm::UpdateMany<Deliveries>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<Deliveries> {
    update
        .col_expr(
            deliveries::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            deliveries::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(deliveries::Column::UpdatedAt, Expr::value(now))
}

/// Runs a single autocommit statement again when InnoDB rolled it back as a deadlock victim (a record
/// crossing a claim or a materialization on the delivery indexes). Retrying is safe: the statement is
/// conditional, and the rollback undid all of it. Without this the message just sent would stay
/// `sending` until its claim expired, and then go out a second time.
pub(super) async fn retry_deadlock<T, F, Fut>(
    mut statement: F,
) -> std::result::Result<T, sea_orm::DbErr>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, sea_orm::DbErr>>,
{
    const TRIES: u64 = 10;
    let mut tried = 1;
    loop {
        match statement().await {
            Err(e) if is_deadlock(&e) && tried < TRIES => {
                tokio::time::sleep(std::time::Duration::from_millis(tried)).await;
                tried += 1;
            }
            other => return other,
        }
    }
}

/// Records every row of one claim that Telegram accepted, `(row, message_id)`, in one statement: each
/// row gets its own message id, and only rows still `sending` under their claim's token change. How many
/// rows changed (fewer than given when a claim expired meanwhile).
///
/// The rows may come from different claims; each keeps its own token condition.
pub async fn record_sent(
    db: &impl ConnectionTrait,
    sent: &[(&Claimed, i64)],
    now: DateTime<Utc>,
) -> Result<u64> {
    if sent.is_empty() {
        return Ok(0);
    }
    let message_ids = sent
        .iter()
        .fold(CaseStatement::new(), |case, (row, message_id)| {
            case.case(deliveries::Column::Id.eq(row.id), Expr::value(*message_id))
        })
        .finally(Expr::col(deliveries::Column::TelegramMessageId));
    let mine = sent
        .iter()
        .fold(sea_orm::Condition::any(), |any, (row, _)| {
            any.add(
                sea_orm::Condition::all()
                    .add(deliveries::Column::Id.eq(row.id))
                    .add(deliveries::Column::ClaimedBy.eq(row.claimed_by.as_str())),
            )
        });
    let update = Deliveries::update_many()
        .col_expr(
            deliveries::Column::State,
            Expr::value(DeliveryState::Sent.to_value()),
        )
        .col_expr(deliveries::Column::TelegramMessageId, message_ids.into())
        .col_expr(
            deliveries::Column::Attempts,
            Expr::col(deliveries::Column::Attempts).add(1),
        )
        .col_expr(deliveries::Column::SentAt, Expr::value(now))
        .col_expr(
            deliveries::Column::Error,
            Expr::value(Option::<String>::None),
        );
    let update = released(update, now)
        .filter(deliveries::Column::Id.is_in(sent.iter().map(|(row, _)| row.id)))
        .filter(deliveries::Column::State.eq(DeliveryState::Sending))
        .filter(mine);
    Ok(retry_deadlock(|| update.clone().exec(db))
        .await?
        .rows_affected)
}
