//! The users a filter selects, counted for the live preview or read in chunks by keyset (`id > last`,
//! 1000 at a time): memory never grows with the audience, and a reader can stop and resume at the last
//! id it handled. The broadcast engine and bulk discounts read their audiences this way.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use super::filter::{Audience, SegmentFilter};
use crate::entity::users::{self, Entity as Users};
use crate::error::Result;

/// Users per chunk unless the reader asks otherwise.
pub const CHUNK: u64 = 1000;

/// How many users a filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SegmentCount {
    /// Matching users who are not blocked (the audience of a bulk discount).
    pub matching: u64,
    /// Of those, the ones a broadcast reaches: subscribed and reachable.
    pub reachable: u64,
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    matching: i64,
    reachable: i64,
}

/// Both counts in one scan of the matching rows.
pub async fn count(
    db: &impl ConnectionTrait,
    filter: &SegmentFilter,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<SegmentCount> {
    let condition = filter.condition(Audience::NotBlocked, tz, now)?;
    let reachable = Expr::case(
        Condition::all()
            .add(users::Column::Subscribed.eq(true))
            .add(users::Column::Unreachable.eq(false)),
        Expr::val(1),
    );
    let row = Users::find()
        .select_only()
        .column_as(Expr::col(users::Column::Id).count(), "matching")
        // COUNT of a CASE without ELSE counts the rows where it holds (NULL otherwise), as BIGINT on
        // every backend (SUM would be DECIMAL on MySQL).
        .column_as(Expr::expr(reachable).count(), "reachable")
        .filter(condition)
        .into_model::<CountRow>()
        .one(db)
        .await?;
    let row = row.unwrap_or(CountRow {
        matching: 0,
        reachable: 0,
    });
    Ok(SegmentCount {
        matching: u64::try_from(row.matching).unwrap_or(0),
        reachable: u64::try_from(row.reachable).unwrap_or(0),
    })
}

/// Who to send to or issue for.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, Serialize)]
pub struct Recipient {
    pub id: i64,
    pub telegram_id: i64,
    pub language: String,
}

/// A resumable reader of a filter's audience, chunk by chunk in id order.
#[derive(Debug, Clone)]
pub struct Recipients {
    condition: Condition,
    last_id: i64,
    chunk: u64,
    done: bool,
}

impl Recipients {
    /// The audience of `filter` for `audience`, from the first user. `now` is fixed for the whole read,
    /// so "has an active discount" means the same at the last chunk as at the first.
    pub fn new(
        filter: &SegmentFilter,
        audience: Audience,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        Ok(Self {
            condition: filter.condition(audience, tz, now)?,
            last_id: 0,
            chunk: CHUNK,
            done: false,
        })
    }

    /// Continues after the user `last_id` (the last one handled before a stop or crash).
    pub fn resume_after(mut self, last_id: i64) -> Self {
        self.last_id = last_id;
        self
    }

    /// Reads `chunk` users at a time instead of [`CHUNK`].
    pub fn chunk_size(mut self, chunk: u64) -> Self {
        self.chunk = Ord::max(chunk, 1);
        self
    }

    /// The id of the last user returned so far (0 before the first chunk).
    pub fn last_id(&self) -> i64 {
        self.last_id
    }

    /// The next chunk, or `None` when the audience is exhausted.
    pub async fn next_chunk(
        &mut self,
        db: &impl ConnectionTrait,
    ) -> Result<Option<Vec<Recipient>>> {
        if self.done {
            return Ok(None);
        }
        let rows = Users::find()
            .select_only()
            .columns([
                users::Column::Id,
                users::Column::TelegramId,
                users::Column::Language,
            ])
            .filter(self.condition.clone())
            .filter(users::Column::Id.gt(self.last_id))
            .order_by_asc(users::Column::Id)
            .limit(self.chunk)
            .into_model::<Recipient>()
            .all(db)
            .await?;
        if (rows.len() as u64) < self.chunk {
            self.done = true;
        }
        match rows.last() {
            Some(last) => {
                self.last_id = last.id;
                Ok(Some(rows))
            }
            None => Ok(None),
        }
    }
}
