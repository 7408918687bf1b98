//! Telegram updates already handled, per bot: each `(bot, update_id)` is recorded once before it is
//! handled (unique key), so an update Telegram delivers again has no second effect. Telegram may
//! restart `update_id`s after a week of silence, so old rows are deleted by [`delete_older_than`].

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

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
    // No read-back of the row (sea-orm's `insert` on MySQL selects it again): one statement.
    match ProcessedUpdates::insert(row)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e, "update") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// [`first_time`] for several updates of `bot` at once: one statement (one durable commit) when none
/// was recorded before, the usual case; otherwise each is tried alone. The answers follow the order
/// of `update_ids` (an id given twice is `true` once).
pub async fn first_time_many(
    db: &impl ConnectionTrait,
    bot: &str,
    update_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<bool>> {
    if update_ids.len() > 1 {
        let rows = update_ids
            .iter()
            .map(|&update_id| processed_updates::ActiveModel {
                bot: Set(bot.to_string()),
                update_id: Set(update_id),
                processed_at: Set(now),
                ..Default::default()
            });
        // A multi-row INSERT is all or nothing: on a duplicate no row of it is kept.
        match ProcessedUpdates::insert_many(rows)
            .exec_without_returning(db)
            .await
        {
            Ok(_) => return Ok(vec![true; update_ids.len()]),
            Err(e) if is_unique_violation(&e, "update") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut answers = Vec::with_capacity(update_ids.len());
    for &update_id in update_ids {
        answers.push(first_time(db, bot, update_id, now).await?);
    }
    Ok(answers)
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
