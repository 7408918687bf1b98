//! The discount list of the admin panel: filters by user, kind, state and issue date, newest first by
//! keyset.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Deserialize;

use super::listing::{self, Cursor, Page, PageRequest};
use super::templates::DiscountKind;
use crate::entity::discounts::{self, DiscountState, Entity as Discounts};
use crate::error::Result;

/// Filters of the discount list; they combine with AND.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiscountFilter {
    pub user_id: Option<i64>,
    pub kind: Option<DiscountKind>,
    /// The stored state; `active` means active and not past its expiry, `expired` includes active codes
    /// past their expiry that the expiry job has not marked yet.
    pub state: Option<DiscountState>,
    /// Issued on or after this local date (shop time zone).
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this local date (shop time zone).
    pub issued_to: Option<NaiveDate>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &DiscountFilter,
    page: &PageRequest,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Page<discounts::Model>> {
    let position = page.position()?;
    let limit = page.limit();
    let condition = condition(filter, tz, now)?;
    let total = if page.with_total {
        Some(
            Discounts::find()
                .filter(condition.clone())
                .count(db)
                .await?,
        )
    } else {
        None
    };
    let mut query = Discounts::find().filter(condition);
    if let Some(after) = listing::after(position, None, discounts::Column::Id, page.direction)? {
        query = query.filter(after);
    }
    let rows = query
        .order_by(discounts::Column::Id, page.direction.order())
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, limit, total, |d| Cursor::id(d.id)))
}

fn condition(filter: &DiscountFilter, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Condition> {
    let mut all = Condition::all();
    if let Some(user_id) = filter.user_id {
        all = all.add(discounts::Column::UserId.eq(user_id));
    }
    if let Some(kind) = filter.kind {
        all = all.add(discounts::Column::Kind.eq(kind));
    }
    match filter.state {
        None => {}
        Some(DiscountState::Active) => {
            all = all
                .add(discounts::Column::State.eq(DiscountState::Active))
                .add(discounts::Column::ExpiresAt.gt(now));
        }
        Some(DiscountState::Expired) => {
            all = all.add(
                Condition::any()
                    .add(discounts::Column::State.eq(DiscountState::Expired))
                    .add(
                        Condition::all()
                            .add(discounts::Column::State.eq(DiscountState::Active))
                            .add(discounts::Column::ExpiresAt.lte(now)),
                    ),
            );
        }
        Some(state) => all = all.add(discounts::Column::State.eq(state)),
    }
    let (from, to) = listing::day_bounds(tz, filter.issued_from, filter.issued_to, "issued_to")?;
    if let Some(from) = from {
        all = all.add(discounts::Column::IssuedAt.gte(from));
    }
    if let Some(to) = to {
        all = all.add(discounts::Column::IssuedAt.lt(to));
    }
    Ok(all)
}
