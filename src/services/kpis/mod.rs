//! The admin panel's key figures per day over a date range in the shop's time zone: new users (by source,
//! how many of them subscribed) and the running total, discounts issued and redeemed per kind,
//! conversion, broadcast deliveries that reached a final state; plus the current totals
//! ([`kpi_snapshot`](super::kpi_snapshot)).
//!
//! ## Layout
//! - [`series`]: the figures of local days counted from the rows, one grouped range scan per series.
//! - [`rollup`]: closed days' figures stored once, so a report over 30 days reads 30 small rows and
//!   counts only the open days (today, and yesterday in its first hour) from the rows.
//! - Here: [`report`] puts the days together with the one figure that is always live (of a day's new
//!   users, how many are subscribed *now*) and the totals.

pub mod rollup;
mod series;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use super::kpi_snapshot::{self, Snapshot, SourceCount};
use super::listing;
use super::templates::DiscountKind;
use crate::entity::users;
use crate::error::{Error, Result};
use crate::kv::Kv;

/// The longest range one request may ask for.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindCounts {
    pub subscription: i64,
    pub birthday: i64,
    pub manual: i64,
    pub total: i64,
}

impl KindCounts {
    fn add(&mut self, kind: DiscountKind, n: i64) {
        match kind {
            DiscountKind::Subscription => self.subscription += n,
            DiscountKind::Birthday => self.birthday += n,
            DiscountKind::Manual => self.manual += n,
        }
        self.total += n;
    }

    fn plus(&mut self, other: &Self) {
        self.subscription += other.subscription;
        self.birthday += other.birthday;
        self.manual += other.manual;
        self.total += other.total;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryCounts {
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// The figures of one local day that are final once the day is closed ([`rollup`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// New users by source, in source order.
    pub users_by_source: Vec<SourceCount>,
    pub issued: KindCounts,
    pub redeemed: KindCounts,
    pub deliveries: DeliveryCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    pub users_new: i64,
    /// Of the users registered that day, how many are subscribed now.
    pub users_new_subscribed: i64,
    /// Users registered up to the end of the day.
    pub users_total: i64,
    pub discounts_issued: KindCounts,
    pub discounts_redeemed: KindCounts,
    pub deliveries: DeliveryCounts,
}

/// Redeemed divided by issued over the range, per kind (`None` when nothing was issued).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conversion {
    pub subscription: Option<f64>,
    pub birthday: Option<f64>,
    pub manual: Option<f64>,
    pub total: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Kpis {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub days: Vec<Day>,
    pub users_new: i64,
    /// New users of the range by source, largest first.
    pub users_new_by_source: Vec<SourceCount>,
    pub discounts_issued: KindCounts,
    pub discounts_redeemed: KindCounts,
    pub conversion: Conversion,
    pub deliveries: DeliveryCounts,
    /// Totals over all users now (see `as_of`).
    pub current: Snapshot,
}

/// The figures of the local days `from..=to` in `tz`.
pub async fn report(
    db: &DatabaseConnection,
    kv: &Kv,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Kpis> {
    if from > to {
        return Err(Error::invalid("to", "before_start"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Error::invalid("to", "range_too_long"));
    }
    let Some(range_end) = to.succ_opt().map(|next| listing::start_of_day(tz, next)) else {
        return Err(Error::invalid("to", "out_of_range"));
    };
    let figures = day_figures(db, tz, from, to, now).await?;
    let subscribed = series::subscribed_per_day(db, tz, from, to).await?;
    let mut by_source: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for (date, f) in figures {
        for s in &f.users_by_source {
            *by_source.entry(s.source.clone()).or_default() += s.users;
        }
        days.insert(
            date,
            Day {
                date,
                users_new: f.users_by_source.iter().map(|s| s.users).sum(),
                users_new_subscribed: subscribed.get(&date).copied().unwrap_or(0),
                users_total: 0,
                discounts_issued: f.issued,
                discounts_redeemed: f.redeemed,
                deliveries: f.deliveries,
            },
        );
    }
    let current = kpi_snapshot::get(db, kv, now).await?;
    // Users now = the snapshot plus whoever registered since it was taken; a day's total is that minus
    // everyone registered after the day.
    let since_snapshot = count_users_since(db, current.as_of).await?;
    let after_range = count_users_since(db, range_end).await?;
    let mut later = current.users_total + since_snapshot - after_range;
    for day in days.values_mut().rev() {
        day.users_total = later;
        later -= day.users_new;
    }
    let days: Vec<Day> = days.into_values().collect();
    let mut issued_total = KindCounts::default();
    let mut redeemed_total = KindCounts::default();
    let mut deliveries = DeliveryCounts::default();
    for day in &days {
        issued_total.plus(&day.discounts_issued);
        redeemed_total.plus(&day.discounts_redeemed);
        deliveries.sent += day.deliveries.sent;
        deliveries.failed += day.deliveries.failed;
        deliveries.skipped += day.deliveries.skipped;
    }
    let ratio = |r: i64, i: i64| (i > 0).then(|| r as f64 / i as f64);
    let mut users_new_by_source: Vec<SourceCount> = by_source
        .into_iter()
        .map(|(source, users)| SourceCount { source, users })
        .collect();
    users_new_by_source.sort_by(|a, b| b.users.cmp(&a.users).then(a.source.cmp(&b.source)));
    Ok(Kpis {
        from,
        to,
        timezone: tz.name().to_string(),
        users_new: days.iter().map(|d| d.users_new).sum(),
        users_new_by_source,
        conversion: Conversion {
            subscription: ratio(redeemed_total.subscription, issued_total.subscription),
            birthday: ratio(redeemed_total.birthday, issued_total.birthday),
            manual: ratio(redeemed_total.manual, issued_total.manual),
            total: ratio(redeemed_total.total, issued_total.total),
        },
        discounts_issued: issued_total,
        discounts_redeemed: redeemed_total,
        deliveries,
        days,
        current,
    })
}

/// The figures of the days `from..=to`: closed days stored (or computed and stored), open days from
/// the rows. Should storing fail, the closed days are counted from the rows too.
async fn day_figures(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, Figures>> {
    let closed = rollup::closed_through(tz, now);
    let mut days = BTreeMap::new();
    if from <= closed {
        let last = to.min(closed);
        match rollup::closed_days(db, tz, from, last, now).await {
            Ok(stored) => days.extend(stored),
            Err(e) => {
                tracing::warn!(error = %e, "stored day figures unavailable, counting the rows");
                days.extend(series::figures(db, tz, from, last).await?);
            }
        }
    }
    let open_from = from.max(closed.succ_opt().unwrap_or(closed));
    if open_from <= to {
        days.extend(series::figures(db, tz, open_from, to).await?);
    }
    Ok(days)
}

/// Users registered at or after `at` (a range scan of `ix_users_created_at`).
async fn count_users_since(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<i64> {
    let n = users::Entity::find()
        .filter(users::Column::CreatedAt.gte(at))
        .count(db)
        .await?;
    Ok(n as i64)
}
