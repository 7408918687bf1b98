//! How far a broadcast got: deliveries by state, the rate of the last minute, an ETA, and the failures
//! with their reasons. Counts are one grouped scan of `ix_deliveries_broadcast_state_id`; the rate is a
//! range of `ix_deliveries_broadcast_sent_at`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::paging::{self, Page, PageRequest};
use crate::entity::broadcast_deliveries::{self, DeliveryState, Entity as Deliveries};
use crate::entity::broadcasts::BroadcastState;
use crate::error::Result;

/// A broadcast's progress.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub broadcast_id: i64,
    #[schema(value_type = String)]
    pub state: BroadcastState,
    /// Delivery rows created so far (the audience is turned into rows chunk by chunk).
    pub total: u64,
    /// Whether every recipient has a row yet.
    pub materialized: bool,
    pub sent: u64,
    pub failed: u64,
    /// Unsubscribed, blocked or unreachable by the time their turn came.
    pub skipped: u64,
    /// Waiting or being sent right now.
    pub pending: u64,
    /// Messages sent in the last 60 seconds.
    pub current_per_minute: u64,
    /// The pace this broadcast is held to.
    pub rate_per_minute: u32,
    /// Seconds until the known pending rows are sent at the lower of the two rates; `null` when
    /// nothing is pending or the broadcast is not running.
    pub eta_seconds: Option<u64>,
}

/// Counts for `broadcast_id` at `now`; `rate_per_minute` is its effective pace.
pub async fn progress(
    db: &impl ConnectionTrait,
    broadcast_id: i64,
    now: DateTime<Utc>,
    rate_per_minute: u32,
) -> Result<Progress> {
    let row = super::row(db, broadcast_id).await?;
    let groups: Vec<(DeliveryState, i64)> = Deliveries::find()
        .select_only()
        .column(broadcast_deliveries::Column::State)
        .column_as(Expr::col(broadcast_deliveries::Column::Id).count(), "n")
        .filter(broadcast_deliveries::Column::BroadcastId.eq(broadcast_id))
        .group_by(broadcast_deliveries::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let mut p = Progress {
        broadcast_id,
        state: row.state,
        total: 0,
        materialized: row.materialized,
        sent: 0,
        failed: 0,
        skipped: 0,
        pending: 0,
        current_per_minute: 0,
        rate_per_minute,
        eta_seconds: None,
    };
    for (state, n) in groups {
        let n = u64::try_from(n).unwrap_or(0);
        p.total += n;
        match state {
            DeliveryState::Sent => p.sent += n,
            DeliveryState::Failed => p.failed += n,
            DeliveryState::Skipped => p.skipped += n,
            DeliveryState::Pending | DeliveryState::Sending => p.pending += n,
        }
    }
    let recent: i64 = Deliveries::find()
        .select_only()
        .column_as(Expr::col(broadcast_deliveries::Column::Id).count(), "n")
        .filter(broadcast_deliveries::Column::BroadcastId.eq(broadcast_id))
        .filter(broadcast_deliveries::Column::SentAt.gt(now - Duration::seconds(60)))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    p.current_per_minute = u64::try_from(recent).unwrap_or(0);
    if p.pending > 0 && row.state == BroadcastState::Running {
        p.eta_seconds = Some(eta_seconds(
            p.pending,
            p.current_per_minute,
            rate_per_minute,
        ));
    }
    Ok(p)
}

/// A delivery that did not happen, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Failure {
    pub delivery_id: i64,
    pub user_id: i64,
    /// `failed` (gave up after retries) or `skipped` (unreachable, unsubscribed, blocked).
    #[schema(value_type = String)]
    pub state: DeliveryState,
    pub attempts: i32,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The failed and skipped deliveries of a broadcast, by id.
pub async fn failures(
    db: &impl ConnectionTrait,
    broadcast_id: i64,
    page: &PageRequest,
) -> Result<Page<Failure>> {
    super::row(db, broadcast_id).await?;
    let query = Deliveries::find()
        .filter(broadcast_deliveries::Column::BroadcastId.eq(broadcast_id))
        .filter(
            broadcast_deliveries::Column::State
                .is_in([DeliveryState::Failed, DeliveryState::Skipped]),
        );
    let page = paging::fetch(db, query, broadcast_deliveries::Column::Id, page, |d| d.id).await?;
    page.try_map(|d| {
        Ok(Failure {
            delivery_id: d.id,
            user_id: d.user_id,
            state: d.state,
            attempts: d.attempts,
            reason: d.error,
            updated_at: d.updated_at,
        })
    })
}

/// Seconds to send `pending` messages at the slower of the rate measured over the last minute
/// (`current`, 0 when nothing was sent yet) and the allowed `rate` per minute.
pub fn eta_seconds(pending: u64, current: u64, rate: u32) -> u64 {
    let pace = match current {
        0 => u64::from(rate),
        current => Ord::min(current, u64::from(rate)),
    };
    let pace = Ord::max(pace, 1);
    pending.saturating_mul(60).div_ceil(pace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eta_uses_the_slower_of_the_measured_and_the_allowed_rate() {
        assert_eq!(eta_seconds(50, 0, 25), 120);
        assert_eq!(eta_seconds(50, 100, 25), 120);
        assert_eq!(eta_seconds(50, 10, 25), 300);
        assert_eq!(eta_seconds(1, 0, 0), 60);
    }
}
