//! The day's key figures for the staff bot's `/stats`: one calendar day in the shop's time zone.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::entity::discount_templates::DiscountKind;
use crate::entity::discounts::{self, Entity as Discounts};
use crate::entity::redemptions::{self, Entity as Redemptions};
use crate::entity::users::{self, Entity as Users};
use crate::error::Result;

/// Key figures of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySummary {
    /// The calendar day in the shop's time zone.
    pub date: NaiveDate,
    pub users_total: u64,
    pub users_new: u64,
    pub subscribed_total: u64,
    pub subscribed_new: u64,
    pub discounts_issued: u64,
    pub welcome_issued: u64,
    pub birthday_issued: u64,
    pub redeemed: u64,
    /// Sum of the receipt amounts cashiers entered with the day's redemptions, in kopecks.
    pub receipts_minor: i64,
}

/// The UTC instants where the shop's calendar day `date` starts and ends.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A day that starts in a DST gap starts at the earliest valid instant after it.
        tz.from_local_datetime(&midnight)
            .earliest()
            .unwrap_or_else(|| tz.from_utc_datetime(&midnight))
            .with_timezone(&Utc)
    };
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    (start_of(date), start_of(next))
}

/// The figures of the shop's current day as of `now`.
pub async fn day_summary(
    db: &impl ConnectionTrait,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<DaySummary> {
    let date = now.with_timezone(&tz).date_naive();
    let (start, end) = day_bounds(tz, date);
    let issued = |kind: Option<DiscountKind>| {
        let mut query = Discounts::find()
            .filter(discounts::Column::IssuedAt.gte(start))
            .filter(discounts::Column::IssuedAt.lt(end));
        if let Some(kind) = kind {
            query = query.filter(discounts::Column::Kind.eq(kind));
        }
        query.count(db)
    };
    let redeemed = Redemptions::find()
        .filter(redemptions::Column::RedeemedAt.gte(start))
        .filter(redemptions::Column::RedeemedAt.lt(end));
    // A day has at most a few thousand redemptions; summing here avoids SUM's DECIMAL result on MySQL.
    let receipts: i64 = redeemed
        .clone()
        .select_only()
        .column(redemptions::Column::AmountMinor)
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .sum();
    Ok(DaySummary {
        date,
        users_total: Users::find().count(db).await?,
        users_new: Users::find()
            .filter(users::Column::CreatedAt.gte(start))
            .filter(users::Column::CreatedAt.lt(end))
            .count(db)
            .await?,
        subscribed_total: Users::find()
            .filter(users::Column::Subscribed.eq(true))
            .count(db)
            .await?,
        subscribed_new: Users::find()
            .filter(users::Column::Subscribed.eq(true))
            .filter(users::Column::SubscribedAt.gte(start))
            .filter(users::Column::SubscribedAt.lt(end))
            .count(db)
            .await?,
        discounts_issued: issued(None).await?,
        welcome_issued: issued(Some(DiscountKind::Subscription)).await?,
        birthday_issued: issued(Some(DiscountKind::Birthday)).await?,
        redeemed: redeemed.count(db).await?,
        receipts_minor: receipts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vladivostok_day_starts_at_14_utc_the_day_before() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let (start, end) = day_bounds(chrono_tz::Asia::Vladivostok, date);
        assert_eq!(start.to_rfc3339(), "2026-11-20T14:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-11-21T14:00:00+00:00");
    }
}
