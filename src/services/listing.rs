//! Lists of any size, one page at a time, by keyset: a page starts after the last row of the previous
//! one (`id < cursor` newest first, `id > cursor` oldest first), so page 10,000 costs what page 1 costs.
//! There is no OFFSET anywhere. A list sorted by a time column carries `(time, id)` in its cursor, so
//! rows with the same time are neither skipped nor repeated. The total is counted only when asked for:
//! counting a million rows on every page is the slow path.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, Order};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rows per page when the caller does not say.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page.
pub const MAX_LIMIT: u64 = 200;

/// Newest first (`desc`, the default) or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Asc,
    #[default]
    Desc,
}

impl Direction {
    pub fn order(self) -> Order {
        match self {
            Self::Asc => Order::Asc,
            Self::Desc => Order::Desc,
        }
    }
}

/// What page to read.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Rows wanted; clamped to 1..=[`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
    pub direction: Direction,
    /// Whether to count every row that matches the filters (a second query).
    pub with_total: bool,
}

impl PageRequest {
    /// The first page of `limit` rows, newest first.
    pub fn first(limit: u64) -> Self {
        Self {
            limit: Some(limit),
            ..Self::default()
        }
    }

    /// The next page after `cursor`, same size and direction.
    pub fn after(&self, cursor: &str) -> Self {
        Self {
            cursor: Some(cursor.to_string()),
            ..self.clone()
        }
    }

    /// The page size, clamped.
    pub fn limit(&self) -> u64 {
        clamp_limit(self.limit)
    }

    /// The decoded cursor, or `VALIDATION_FAILED` on `cursor` when it is not one of ours.
    pub fn position(&self) -> Result<Option<Cursor>> {
        self.cursor.as_deref().map(Cursor::decode).transpose()
    }
}

/// `limit` clamped to 1..=[`MAX_LIMIT`].
pub fn clamp_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// One page and where the next one starts.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Every matching row, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page from rows read with `LIMIT limit + 1`: the extra row only says that more follow.
    pub fn from_rows(
        mut rows: Vec<T>,
        limit: u64,
        total: Option<u64>,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|row| cursor_of(row).encode()))
            .flatten();
        Self {
            items: rows,
            next_cursor,
            total,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

/// The position after the last row of a page: its id, and its sort time when the list is sorted by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort column's value in microseconds since the epoch, for lists sorted by a time.
    pub at_micros: Option<i64>,
    pub id: i64,
}

impl Cursor {
    pub fn id(id: i64) -> Self {
        Self {
            at_micros: None,
            id,
        }
    }

    pub fn at(at: DateTime<Utc>, id: i64) -> Self {
        Self {
            at_micros: Some(at.timestamp_micros()),
            id,
        }
    }

    /// `<id>` or `<micros>_<id>`: short, URL-safe, opaque to clients.
    pub fn encode(&self) -> String {
        match self.at_micros {
            None => self.id.to_string(),
            Some(at) => format!("{at}_{}", self.id),
        }
    }

    pub fn decode(text: &str) -> Result<Self> {
        let bad = || Error::invalid("cursor", "invalid_cursor");
        let number = |s: &str| s.parse::<i64>().map_err(|_| bad());
        match text.split_once('_') {
            None => Ok(Self::id(number(text)?)),
            Some((at, id)) => Ok(Self {
                at_micros: Some(number(at)?),
                id: number(id)?,
            }),
        }
    }

    fn time(&self) -> Result<Option<DateTime<Utc>>> {
        self.at_micros
            .map(|m| {
                DateTime::from_timestamp_micros(m)
                    .ok_or_else(|| Error::invalid("cursor", "invalid_cursor"))
            })
            .transpose()
    }
}

type Compare = fn(SimpleExpr, SimpleExpr) -> SimpleExpr;

/// UTC bounds `[start, end)`, either open.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The condition "after `cursor`" for a list ordered by `id`, or by `(time, id)` when `time` is given.
/// A cursor of the other shape (from a list sorted another way) is refused.
///
/// For time-sorted lists it is `time <= t AND (time < t OR id < i)` (mirrored for ascending): the first
/// conjunct lets the database range-scan the index on `time` (InnoDB secondary indexes end with the id).
pub fn after<C: ColumnTrait>(
    cursor: Option<Cursor>,
    time: Option<C>,
    id: C,
    direction: Direction,
) -> Result<Option<Condition>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let (beyond, beyond_or_eq): (Compare, Compare) = match direction {
        Direction::Desc => (|a, b| a.lt(b), |a, b| a.lte(b)),
        Direction::Asc => (|a, b| a.gt(b), |a, b| a.gte(b)),
    };
    let id_beyond = beyond(Expr::col(id.as_column_ref()), Expr::val(cursor.id));
    match (time, cursor.time()?) {
        (None, None) => Ok(Some(Condition::all().add(id_beyond))),
        (Some(col), Some(at)) => Ok(Some(
            Condition::all()
                .add(beyond_or_eq(Expr::col(col.as_column_ref()), Expr::val(at)))
                .add(
                    Condition::any()
                        .add(beyond(Expr::col(col.as_column_ref()), Expr::val(at)))
                        .add(id_beyond),
                ),
        )),
        _ => Err(Error::invalid("cursor", "invalid_cursor")),
    }
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
    let mut time = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A zone that skips midnight skips at most a couple of hours; walk forward to the first valid minute.
    for _ in 0..24 * 60 {
        if let Some(at) = tz.from_local_datetime(&time).earliest() {
            return at.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(1);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_clamped_to_one_and_two_hundred() {
        assert_eq!(clamp_limit(None), 50);
        assert_eq!(clamp_limit(Some(0)), 1);
        assert_eq!(clamp_limit(Some(10_000)), 200);
        assert_eq!(clamp_limit(Some(7)), 7);
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        for cursor in [
            Cursor::id(42),
            Cursor {
                at_micros: Some(1_700_000_000_123_456),
                id: 7,
            },
        ] {
            assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }
        for junk in ["", "abc", "1_", "_1", "1_2_3", "9999999999999999999999"] {
            assert_eq!(
                Cursor::decode(junk).unwrap_err().code(),
                "VALIDATION_FAILED"
            );
        }
    }

    #[test]
    fn a_page_read_with_one_extra_row_says_where_the_next_starts() {
        let page = Page::from_rows(vec![5, 4, 3], 2, None, |id| Cursor::id(*id));
        assert_eq!(page.items, vec![5, 4]);
        assert_eq!(page.next_cursor.as_deref(), Some("4"));
        let last = Page::from_rows(vec![2, 1], 2, Some(5), |id| Cursor::id(*id));
        assert_eq!(last.next_cursor, None);
        assert_eq!(last.total, Some(5));
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
