//! The discount list of the admin panel: filters by user, kind, state and issue date, newest first by
//! keyset.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::listing;
use super::paging::{self, Page, PageRequest};
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

/// One page of discounts by id (the request's direction).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &DiscountFilter,
    page: &PageRequest,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Page<discounts::Model>> {
    let query = Discounts::find().filter(condition(filter, tz, now)?);
    paging::fetch(db, query, discounts::Column::Id, page, |d| d.id).await
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
