//! Telegram updates already handled, per bot: each `(bot, update_id)` is recorded once before it is
//! handled (unique key), so an update Telegram delivers again has no second effect. Telegram may
//! restart `update_id`s after a week of silence, so old rows are deleted by [`delete_older_than`].

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::processed_updates::{self, Entity as ProcessedUpdates};
use crate::error::{Result, is_unique_violation};

/// Records that `bot` is handling `update_id`; `false` when it was recorded before (skip it).
pub async fn first_time(
    db: &impl ConnectionTrait,
    bot: &str,
    update_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let row = processed_updates::ActiveModel {
        bot: Set(bot.to_string()),
        update_id: Set(update_id),
        processed_at: Set(now),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e, "update") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deletes records older than `before` (cleanup job); how many.
pub async fn delete_older_than(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    Ok(ProcessedUpdates::delete_many()
        .filter(processed_updates::Column::ProcessedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// The highest update id `bot` has recorded, if any (a restarted local simulator continues after it).
pub async fn last_id(db: &impl ConnectionTrait, bot: &str) -> Result<Option<i64>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(ProcessedUpdates::find()
        .select_only()
        .column(processed_updates::Column::UpdateId)
        .filter(processed_updates::Column::Bot.eq(bot))
        .order_by_desc(processed_updates::Column::UpdateId)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?)
}
