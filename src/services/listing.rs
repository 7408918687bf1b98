//! Helpers over [`paging`](super::paging) for lists that need more than its id-ordered [`paging::fetch`]:
//! lists ordered by a time column (keyset on `(time, id)`, so rows with the same time are neither
//! skipped nor repeated), lists read through joins, and filters by local dates of the shop's time zone.
//! Still no OFFSET anywhere.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, Order};

use super::paging::{Cursor, Direction, Page, PageRequest};
use crate::error::{Error, Result};

/// The SQL order of a direction.
pub fn order(direction: Direction) -> Order {
    match direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    }
}

/// The sort name a cursor carries: `column` ascending, `-column` descending.
pub fn sort_name(column: &str, direction: Direction) -> String {
    match direction {
        Direction::Asc => column.to_string(),
        Direction::Desc => format!("-{column}"),
    }
}

type Compare = fn(SimpleExpr, SimpleExpr) -> SimpleExpr;

/// UTC bounds `[start, end)`, either open.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The condition "after the request's cursor" for a list sorted as `sort` (see [`sort_name`]) by `id`,
/// or by `(time, id)` when `time` is given. A cursor of another sort is refused.
///
/// For time-sorted lists it is `time <= t AND (time < t OR id < i)` (mirrored for ascending): the first
/// conjunct lets the database range-scan the index on `time` (InnoDB secondary indexes end with the id).
pub fn after<C: ColumnTrait>(
    request: &PageRequest,
    sort: &str,
    time: Option<C>,
    id: C,
) -> Result<Option<Condition>> {
    let Some(cursor) = &request.after else {
        return Ok(None);
    };
    if cursor.sort != sort {
        return Err(Error::invalid("cursor", "sort_mismatch"));
    }
    let (beyond, beyond_or_eq): (Compare, Compare) = match request.direction {
        Direction::Desc => (|a, b| a.lt(b), |a, b| a.lte(b)),
        Direction::Asc => (|a, b| a.gt(b), |a, b| a.gte(b)),
    };
    let id_beyond = beyond(Expr::col(id.as_column_ref()), Expr::val(cursor.id));
    let Some(col) = time else {
        return Ok(Some(Condition::all().add(id_beyond)));
    };
    let at = cursor
        .key
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| Error::invalid("cursor", "invalid"))?;
    let time = || Expr::col(col.as_column_ref());
    Ok(Some(
        Condition::all()
            .add(beyond_or_eq(time(), Expr::val(at)))
            .add(
                Condition::any()
                    .add(beyond(time(), Expr::val(at)))
                    .add(id_beyond),
            ),
    ))
}

/// A page from rows read with `LIMIT limit + 1` (the extra row only says that more follow); `position`
/// gives a row's id and, for time-sorted lists, its time.
pub fn page_from_rows<T>(
    mut rows: Vec<T>,
    request: &PageRequest,
    sort: &str,
    total: Option<u64>,
    position: impl Fn(&T) -> (i64, Option<DateTime<Utc>>),
) -> Page<T> {
    let more = rows.len() as u64 > request.limit;
    rows.truncate(request.limit as usize);
    let next = more
        .then(|| rows.last().map(&position))
        .flatten()
        .map(|(id, at)| Cursor {
            sort: sort.to_string(),
            id,
            key: at.map(|at| serde_json::Value::from(at.timestamp_micros())),
        });
    Page {
        items: rows,
        next,
        total,
    }
}

/// The checked request (limit 1 to [`super::paging::MAX_LIMIT`]).
pub fn checked(request: &PageRequest) -> Result<PageRequest> {
    request.clone().validate()
}

/// The UTC instants bounding the local dates `from..=to` in `tz`: `[start of from, start of the day
/// after to)`. Either end may be open; `from` after `to` is refused on `to_field`.
pub fn day_bounds(
    tz: chrono_tz::Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    to_field: &str,
) -> Result<Bounds> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(Error::invalid(to_field, "before_start"));
    }
    let start = from.map(|d| start_of_day(tz, d));
    let end = to
        .map(|d| {
            d.succ_opt()
                .ok_or_else(|| Error::invalid(to_field, "out_of_range"))
        })
        .transpose()?
        .map(|d| start_of_day(tz, d));
    Ok((start, end))
}

/// The first instant of the local date `date` in `tz` (the first valid local time when midnight is
/// skipped by a clock change).
pub fn start_of_day(tz: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    let mut time = midnight;
    // A zone that skips midnight skips at most a couple of hours; walk forward to the first valid minute.
    for _ in 0..24 * 60 {
        if let Some(at) = tz.from_local_datetime(&time).earliest() {
            return at.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(1);
    }
    Utc.from_utc_datetime(&midnight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_read_with_one_extra_row_says_where_the_next_starts() {
        let request = PageRequest {
            limit: 2,
            ..Default::default()
        };
        let page = page_from_rows(vec![5, 4, 3], &request, "-id", None, |id| (*id, None));
        assert_eq!(page.items, vec![5, 4]);
        let next = page.next.unwrap();
        assert_eq!((next.sort.as_str(), next.id, next.key), ("-id", 4, None));
        let last = page_from_rows(vec![2, 1], &request, "-id", Some(5), |id| (*id, None));
        assert_eq!((last.next, last.total), (None, Some(5)));
    }

    #[test]
    fn a_cursor_of_another_sort_or_without_its_time_is_refused() {
        let request = |sort: &str, key| PageRequest {
            after: Some(Cursor {
                sort: sort.into(),
                id: 1,
                key,
            }),
            direction: Direction::Desc,
            ..Default::default()
        };
        let time = Some(crate::entity::users::Column::CreatedAt);
        let id = crate::entity::users::Column::Id;
        let reason = |r: Result<Option<Condition>>| match r.unwrap_err() {
            Error::Validation(f) => f[0].reason.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(after(&request("-id", None), "-created_at", time, id)),
            "sort_mismatch"
        );
        assert_eq!(
            reason(after(
                &request("-created_at", None),
                "-created_at",
                time,
                id
            )),
            "invalid"
        );
        let ok = request(
            "-created_at",
            Some(serde_json::json!(1_700_000_000_000_000i64)),
        );
        assert!(after(&ok, "-created_at", time, id).unwrap().is_some());
    }

    #[test]
    fn local_days_become_utc_bounds_in_the_shop_time_zone() {
        let tz = chrono_tz::Asia::Vladivostok;
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let (from, to) = day_bounds(tz, Some(day), Some(day), "to").unwrap();
        assert_eq!(from.unwrap().to_rfc3339(), "2026-02-28T14:00:00+00:00");
        assert_eq!(to.unwrap().to_rfc3339(), "2026-03-01T14:00:00+00:00");
        let later = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            day_bounds(tz, Some(later), Some(day), "to")
                .unwrap_err()
                .code(),
            "VALIDATION_FAILED"
        );
    }
}
