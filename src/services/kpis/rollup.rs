//! The figures of closed days, computed once and stored in `kpi_days`, one row per (time zone, local
//! date). A day is closed [`SETTLE`] after it ended: its new users by source, discounts issued and
//! redeemed, and final deliveries cannot change after that, because each is counted by a timestamp
//! written once (registration, issue, redemption, the final delivery state) and nothing is deleted.
//! The one exception is a source given late (a customer without one opens a deep link): the
//! registration path then calls [`forget_covering`], and the day is computed again on its next read.
//!
//! Filling is one transaction that inserts the day rows (their `figures` empty), then reads the
//! figures, then writes them. The inserted rows are locked until it commits, so a late source that
//! lands meanwhile waits in [`forget_covering`] and removes the row after the commit: a stored day
//! never misses a change. Two instances filling the same days write the same figures; if filling fails
//! (a lock wait timed out, say) the report is computed from the rows instead ([`super::report`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::{Figures, series};
use crate::entity::kpi_days::{self, Entity as KpiDays};
use crate::error::{Error, Result};
use crate::services::listing::start_of_day;

/// How long after a day ends it counts as closed: covers a write that took its timestamp just before
/// midnight and committed later, and clocks of instances that differ a little.
pub const SETTLE: Duration = Duration::hours(1);

/// The last local date of `tz` closed at `now`.
pub fn closed_through(tz: chrono_tz::Tz, now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    let mut day = today.pred_opt().unwrap_or(today);
    while let Some(next) = day.succ_opt()
        && start_of_day(tz, next) + SETTLE > now
    {
        day = day.pred_opt().unwrap_or(day);
    }
    day
}

/// The stored figures of the closed days `from..=to` of `tz`; days not stored yet are computed from the
/// rows and stored on the way. `to` must be closed.
pub async fn closed_days(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, Figures>> {
    let mut days = stored(db, tz, from, to).await?;
    let missing: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|date| *date <= to)
        .filter(|date| !days.contains_key(date))
        .collect();
    if !missing.is_empty() {
        days.extend(fill(db, tz, &missing, now).await?);
    }
    Ok(days)
}

async fn stored(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, Figures>> {
    let rows = KpiDays::find()
        .filter(kpi_days::Column::Timezone.eq(tz.name()))
        .filter(kpi_days::Column::Day.gte(from.to_string()))
        .filter(kpi_days::Column::Day.lte(to.to_string()))
        .filter(kpi_days::Column::Figures.is_not_null())
        .all(db)
        .await?;
    let mut days = BTreeMap::new();
    for row in rows {
        let (Ok(date), Some(text)) = (row.day.parse::<NaiveDate>(), row.figures) else {
            continue;
        };
        // A row that no longer reads (written by another version) is computed again.
        if let Ok(figures) = serde_json::from_str::<Figures>(&text) {
            days.insert(date, figures);
        }
    }
    Ok(days)
}

/// Computes the days from the first to the last of `missing` (in date order, not empty) and stores the
/// missing ones among them, in one transaction.
async fn fill(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
    missing: &[NaiveDate],
    now: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, Figures>> {
    let (Some(&first), Some(&last)) = (missing.first(), missing.last()) else {
        return Ok(BTreeMap::new());
    };
    let txn = db.begin().await?;
    let rows = missing.iter().map(|date| {
        let next = date.succ_opt().unwrap_or(*date);
        kpi_days::ActiveModel {
            timezone: Set(tz.name().to_string()),
            day: Set(date.to_string()),
            starts_at: Set(start_of_day(tz, *date)),
            ends_at: Set(start_of_day(tz, next)),
            figures: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
    });
    // A row there already (another instance fills the same days, or an earlier version wrote figures
    // that no longer read) is kept and overwritten below.
    KpiDays::insert_many(rows)
        .on_conflict_do_nothing_on([kpi_days::Column::Timezone, kpi_days::Column::Day])
        .exec_without_returning(&txn)
        .await?;
    let figures = series::figures(&txn, tz, first, last).await?;
    for date in missing {
        let text = serde_json::to_string(&figures.get(date).cloned().unwrap_or_default())
            .map_err(|e| Error::Internal(format!("cannot write day figures: {e}")))?;
        KpiDays::update_many()
            .col_expr(kpi_days::Column::Figures, Expr::value(text))
            .filter(kpi_days::Column::Timezone.eq(tz.name()))
            .filter(kpi_days::Column::Day.eq(date.to_string()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(figures
        .into_iter()
        .filter(|(date, _)| missing.contains(date))
        .collect())
}

/// Forgets the stored days (of every time zone) that contain `at`: after a change to a row counted on
/// that day, such as a source given late to a customer registered at `at`.
pub async fn forget_covering(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<()> {
    // No local day is longer than 26 hours: the lower bound keeps the scan (and its locks) to the
    // few rows around `at` instead of every stored day before it.
    let delete = KpiDays::delete_many()
        .filter(kpi_days::Column::StartsAt.lte(at))
        .filter(kpi_days::Column::StartsAt.gt(at - Duration::hours(48)))
        .filter(kpi_days::Column::EndsAt.gt(at));
    // A fill inserting the same day can make MariaDB pick this statement as a deadlock victim; it only
    // deletes, so trying again is safe.
    let mut attempt = 1;
    loop {
        match delete.clone().exec(db).await {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 3 => {
                tracing::warn!(error = %e, attempt, "forgetting a stored day failed, trying again");
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_day_closes_an_hour_after_its_local_midnight() {
        let tz = chrono_tz::Asia::Vladivostok;
        let local = |d, h, m| {
            tz.with_ymd_and_hms(2026, 12, d, h, m, 0)
                .single()
                .unwrap()
                .with_timezone(&Utc)
        };
        let date = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(
            closed_through(tz, local(2, 0, 59)),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(closed_through(tz, local(2, 1, 0)), date(1));
        assert_eq!(closed_through(tz, local(2, 23, 0)), date(1));
    }
}
