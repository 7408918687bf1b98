//! Anti-fraud limits of signing codes.
//!
//! - **Requests**: at most [`MAX_CODES_PER_WINDOW`] codes per user per [`WINDOW_MINUTES`] minutes, held
//!   under concurrent requests. Each user has that many slots (`code_request_slots`, unique per
//!   (user, slot)); a request claims a slot free for the whole window, by a conditional `UPDATE … WHERE
//!   claimed_at <= now - window` checked by rows affected, or by inserting the slot when it does not exist
//!   yet (the unique key lets one of two concurrent inserts win). No slot, no code.
//! - **Attempts** (velocity): codes typed per user per hour, at most the shop setting
//!   `code_attempts_per_hour`, counted over the user's challenges of the last hour (a code lives 10
//!   minutes, so its attempts fall at most that long after its creation).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entity::code_challenges::{self, Entity as Challenges};
use crate::entity::code_request_slots::{self as slots, Entity as Slots};
use crate::error::{Error, Result, is_unique_violation};

pub const MAX_CODES_PER_WINDOW: i32 = 3;
pub const WINDOW_MINUTES: i64 = 10;

/// A claimed request slot; [`release`] it when the code could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub user_id: i64,
    pub slot: i32,
    pub at: DateTime<Utc>,
}

/// Claims one of `user_id`'s request slots at `now`, or `SIGNING_TOO_MANY_CODES`.
pub async fn claim(db: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<Claim> {
    let free_before = now - Duration::minutes(WINDOW_MINUTES);
    for slot in 0..MAX_CODES_PER_WINDOW {
        let taken = Slots::update_many()
            .col_expr(slots::Column::ClaimedAt, Expr::value(now))
            .filter(slots::Column::UserId.eq(user_id))
            .filter(slots::Column::Slot.eq(slot))
            .filter(slots::Column::ClaimedAt.lte(free_before))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Claim {
                user_id,
                slot,
                at: now,
            });
        }
        let row = slots::ActiveModel {
            user_id: Set(user_id),
            slot: Set(slot),
            claimed_at: Set(now),
            ..Default::default()
        };
        match Slots::insert(row).exec(db).await {
            Ok(_) => {
                return Ok(Claim {
                    user_id,
                    slot,
                    at: now,
                });
            }
            // The slot exists and was claimed within the window: try the next one.
            Err(e) if is_unique_violation(&e, "slot") || is_unique_violation(&e, "user_id") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::SigningTooManyCodes)
}

/// Frees a claim whose code never reached the user, so it does not count toward the limit.
pub async fn release(db: &impl ConnectionTrait, claim: Claim) -> Result<()> {
    let long_ago = DateTime::<Utc>::UNIX_EPOCH;
    Slots::update_many()
        .col_expr(slots::Column::ClaimedAt, Expr::value(long_ago))
        .filter(slots::Column::UserId.eq(claim.user_id))
        .filter(slots::Column::Slot.eq(claim.slot))
        .filter(slots::Column::ClaimedAt.eq(claim.at))
        .exec(db)
        .await?;
    Ok(())
}

/// `SIGNING_VELOCITY_EXCEEDED` once the user typed `per_hour` codes in the last hour (0: no limit).
pub async fn check_attempts(
    db: &impl ConnectionTrait,
    user_id: i64,
    per_hour: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    if per_hour == 0 {
        return Ok(());
    }
    // A handful of rows per user and hour: summed here, portable (SUM is DECIMAL on MySQL).
    let attempts: Vec<i32> = Challenges::find()
        .select_only()
        .column(code_challenges::Column::Attempts)
        .filter(code_challenges::Column::UserId.eq(user_id))
        .filter(code_challenges::Column::CreatedAt.gt(now - Duration::hours(1)))
        .into_tuple()
        .all(db)
        .await?;
    let total: i64 = attempts.into_iter().map(i64::from).sum();
    if total >= i64::from(per_hour) {
        return Err(Error::SigningVelocityExceeded);
    }
    Ok(())
}
