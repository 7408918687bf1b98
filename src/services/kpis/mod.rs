//! The admin panel's key figures per day over a date range in the shop's time zone: new users (by source,
//! how many of them subscribed) and the running total, discounts issued and redeemed per kind,
//! conversion, broadcast deliveries that reached a final state; plus the current totals
//! ([`kpi_snapshot`](super::kpi_snapshot)).
//!
//! Each series is one `GROUP BY local date` over a range scan of a covering index (see migration
//! `m20261122_000102_kpi_indexes`), so the cost follows the rows in the range, not the table. Rows are
//! bucketed by local date with a constant UTC offset per [`Span`]; a day with a clock change is a span of
//! its own.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::Serialize;

use super::kpi_snapshot::{self, Snapshot, SourceCount};
use super::templates::DiscountKind;
use crate::domain::local_days::{self, Span};
use crate::entity::broadcast_deliveries::{self as deliveries, DeliveryState};
use crate::entity::{discounts, redemptions, users};
use crate::error::{Error, Result};
use crate::kv::Kv;

/// The longest range one request may ask for.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryCounts {
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
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
    let spans = local_days::spans(tz, from, to);
    let Some(range_end) = spans.last().map(|s| s.end) else {
        return Err(Error::invalid("to", "out_of_range"));
    };
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for span in &spans {
        let mut date = span.first;
        while date <= span.last {
            days.insert(date, empty_day(date));
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
    }
    let mut by_source: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for span in &spans {
        new_users(db, span, &mut days, &mut by_source).await?;
        issued(db, span, &mut days).await?;
        redeemed(db, span, &mut days).await?;
        delivered(db, span, &mut days).await?;
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

fn empty_day(date: NaiveDate) -> Day {
    Day {
        date,
        users_new: 0,
        users_new_subscribed: 0,
        users_total: 0,
        discounts_issued: KindCounts::default(),
        discounts_redeemed: KindCounts::default(),
        deliveries: DeliveryCounts::default(),
    }
}

/// The SQL for "the local date of `col`" in `span`, as `YYYY-MM-DD` text.
fn day_expr(backend: DbBackend, col: &str, span: &Span) -> Expr {
    // The offset is a number computed here from the time zone database, never input.
    let offset = span.offset_secs.unwrap_or(0);
    Expr::cust(match backend {
        DbBackend::MySql => {
            format!("DATE_FORMAT(DATE_ADD({col}, INTERVAL {offset} SECOND), '%Y-%m-%d')")
        }
        _ => format!("strftime('%Y-%m-%d', {col}, '{offset:+} seconds')"),
    })
}

/// The day a grouped row belongs to: its local date, or the span's only day when the span has a clock
/// change.
fn bucket<'a>(
    days: &'a mut BTreeMap<NaiveDate, Day>,
    span: &Span,
    day: &str,
) -> Option<&'a mut Day> {
    let date = match span.offset_secs {
        None => span.first,
        Some(_) => NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?,
    };
    days.get_mut(&date)
}

async fn new_users(
    db: &impl ConnectionTrait,
    span: &Span,
    days: &mut BTreeMap<NaiveDate, Day>,
    by_source: &mut BTreeMap<Option<String>, i64>,
) -> Result<()> {
    let rows: Vec<(String, Option<String>, bool, i64)> = users::Entity::find()
        .select_only()
        .expr_as(
            day_expr(db.get_database_backend(), "created_at", span),
            "day",
        )
        .column(users::Column::Source)
        .column(users::Column::Subscribed)
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .filter(users::Column::CreatedAt.gte(span.start))
        .filter(users::Column::CreatedAt.lt(span.end))
        .group_by(Expr::cust("day"))
        .group_by(users::Column::Source)
        .group_by(users::Column::Subscribed)
        .into_tuple()
        .all(db)
        .await?;
    for (day, source, subscribed, n) in rows {
        if let Some(d) = bucket(days, span, &day) {
            d.users_new += n;
            if subscribed {
                d.users_new_subscribed += n;
            }
            *by_source.entry(source).or_default() += n;
        }
    }
    Ok(())
}

const KINDS: [DiscountKind; 3] = [
    DiscountKind::Subscription,
    DiscountKind::Birthday,
    DiscountKind::Manual,
];

async fn issued(
    db: &impl ConnectionTrait,
    span: &Span,
    days: &mut BTreeMap<NaiveDate, Day>,
) -> Result<()> {
    // `kind IN (all kinds)` lets the database range-scan `ix_discounts_kind_issued_at` per kind.
    let rows: Vec<(String, DiscountKind, i64)> = discounts::Entity::find()
        .select_only()
        .expr_as(
            day_expr(db.get_database_backend(), "issued_at", span),
            "day",
        )
        .column(discounts::Column::Kind)
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .filter(discounts::Column::Kind.is_in(KINDS))
        .filter(discounts::Column::IssuedAt.gte(span.start))
        .filter(discounts::Column::IssuedAt.lt(span.end))
        .group_by(Expr::cust("day"))
        .group_by(discounts::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for (day, kind, n) in rows {
        if let Some(d) = bucket(days, span, &day) {
            d.discounts_issued.add(kind, n);
        }
    }
    Ok(())
}

async fn redeemed(
    db: &impl ConnectionTrait,
    span: &Span,
    days: &mut BTreeMap<NaiveDate, Day>,
) -> Result<()> {
    let rows: Vec<(String, Option<DiscountKind>, i64)> = redemptions::Entity::find()
        .select_only()
        .expr_as(
            day_expr(db.get_database_backend(), "redeemed_at", span),
            "day",
        )
        .column(redemptions::Column::Kind)
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .filter(redemptions::Column::RedeemedAt.gte(span.start))
        .filter(redemptions::Column::RedeemedAt.lt(span.end))
        .group_by(Expr::cust("day"))
        .group_by(redemptions::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for (day, kind, n) in rows {
        if let (Some(d), Some(kind)) = (bucket(days, span, &day), kind) {
            d.discounts_redeemed.add(kind, n);
        }
    }
    Ok(())
}

async fn delivered(
    db: &impl ConnectionTrait,
    span: &Span,
    days: &mut BTreeMap<NaiveDate, Day>,
) -> Result<()> {
    let finals = [
        DeliveryState::Sent,
        DeliveryState::Failed,
        DeliveryState::Skipped,
    ];
    let rows: Vec<(String, DeliveryState, i64)> = deliveries::Entity::find()
        .select_only()
        .expr_as(
            day_expr(db.get_database_backend(), "updated_at", span),
            "day",
        )
        .column(deliveries::Column::State)
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .filter(deliveries::Column::State.is_in(finals))
        .filter(deliveries::Column::UpdatedAt.gte(span.start))
        .filter(deliveries::Column::UpdatedAt.lt(span.end))
        .group_by(Expr::cust("day"))
        .group_by(deliveries::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    for (day, state, n) in rows {
        if let Some(d) = bucket(days, span, &day) {
            match state {
                DeliveryState::Sent => d.deliveries.sent += n,
                DeliveryState::Failed => d.deliveries.failed += n,
                DeliveryState::Skipped => d.deliveries.skipped += n,
                DeliveryState::Pending | DeliveryState::Sending => {}
            }
        }
    }
    Ok(())
}

/// Users registered at or after `at` (a range scan of `ix_users_created_at`).
async fn count_users_since(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<i64> {
    let n = users::Entity::find()
        .filter(users::Column::CreatedAt.gte(at))
        .count(db)
        .await?;
    Ok(n as i64)
}
