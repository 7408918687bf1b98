//! Keyset pagination shared by every list: a page is "the next `limit` rows after this one", never an
//! `OFFSET` (which reads and throws away every skipped row, and shifts when rows are added). The position
//! travels to the client as an opaque cursor; counting the whole result is opt-in because on a million
//! rows it is the slow part.
//!
//! [`fetch`] pages any query by its `id` column. A list ordered by another column can still use
//! [`Cursor`] (its `key` carries the last row's sort value) with a query of its own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rows per page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 50;
/// The most rows one page may hold.
pub const MAX_LIMIT: u64 = 200;

/// The direction of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Direction {
    #[default]
    #[serde(rename = "asc")]
    Asc,
    #[serde(rename = "desc")]
    Desc,
}

/// Where the previous page ended. `sort` names the ordering it belongs to, so a cursor is refused
/// with another ordering instead of silently skipping rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: String,
    #[serde(rename = "i")]
    pub id: i64,
    /// The last row's value of the sort column when the list is not ordered by id.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<serde_json::Value>,
}

impl Cursor {
    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor for the ordering `sort`; anything else is `VALIDATION_FAILED` on `cursor`.
    pub fn decode(text: &str, sort: &str) -> Result<Self> {
        let cursor: Self = URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| Error::invalid("cursor", "invalid"))?;
        if cursor.sort != sort {
            return Err(Error::invalid("cursor", "sort_mismatch"));
        }
        Ok(cursor)
    }
}

/// A time range of a filter: from (inclusive), to (exclusive); `None` is unbounded.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A filter's time range made safe to bind: MariaDB receives time parameters as `TIMESTAMP`, which
/// holds only 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC, and turns anything outside into zero
/// (matching nothing, silently). A bound outside that span is dropped when it excludes nothing stored,
/// and `None` is returned when the range cannot match any stored row.
pub fn bindable_range(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<TimeRange> {
    let (min, max) = (
        DateTime::<Utc>::from_timestamp(1, 0).unwrap_or_default(),
        DateTime::<Utc>::from_timestamp(i64::from(i32::MAX), 0).unwrap_or_default(),
    );
    if from.is_some_and(|f| f > max) || to.is_some_and(|t| t <= min) {
        return None;
    }
    Some((from.filter(|f| *f > min), to.filter(|t| *t <= max)))
}

/// One page to read.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// 1 to [`MAX_LIMIT`].
    pub limit: u64,
    pub after: Option<Cursor>,
    pub direction: Direction,
    /// Whether to count every row matching the filters, too.
    pub include_total: bool,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
            direction: Direction::Asc,
            include_total: false,
        }
    }
}

impl PageRequest {
    /// Checks the limit: `VALIDATION_FAILED` on `limit` outside 1 to [`MAX_LIMIT`].
    pub fn validate(self) -> Result<Self> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(Error::invalid("limit", "out_of_range"));
        }
        Ok(self)
    }

    /// The sort name of an id-ordered list: `id` or `-id`.
    pub fn id_sort(&self) -> &'static str {
        match self.direction {
            Direction::Asc => "id",
            Direction::Desc => "-id",
        }
    }
}

/// One page of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// Rows matching the filters, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page with nothing in it (counted as 0 when a total was asked for).
    pub fn empty(request: &PageRequest) -> Self {
        Self {
            items: Vec::new(),
            next: None,
            total: request.include_total.then_some(0),
        }
    }

    /// The same page with every item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }

    /// The same page with every item converted by a fallible function.
    pub fn try_map<U>(self, f: impl FnMut(T) -> Result<U>) -> Result<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_>>()?,
            next: self.next,
            total: self.total,
        })
    }
}

/// Reads one page of `select` (already filtered) in the order of its `id` column.
pub async fn fetch<E, M>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id: E::Column,
    request: &PageRequest,
    id_of: impl Fn(&M) -> i64,
) -> Result<Page<M>>
where
    E: EntityTrait<Model = M>,
    M: FromQueryResult + Send + Sync,
    E::Column: ColumnTrait,
{
    let request = request.clone().validate()?;
    let sort = request.id_sort();
    let total = if request.include_total {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let mut query = select;
    if let Some(after) = &request.after {
        if after.sort != sort {
            return Err(Error::invalid("cursor", "sort_mismatch"));
        }
        query = match request.direction {
            Direction::Asc => query.filter(id.gt(after.id)),
            Direction::Desc => query.filter(id.lt(after.id)),
        };
    }
    query = match request.direction {
        Direction::Asc => query.order_by_asc(id),
        Direction::Desc => query.order_by_desc(id),
    };
    // One row more than asked tells whether another page follows, without counting.
    let mut items = query.limit(request.limit + 1).all(db).await?;
    let more = items.len() as u64 > request.limit;
    items.truncate(request.limit as usize);
    let next = more
        .then(|| items.last().map(&id_of))
        .flatten()
        .map(|last| Cursor {
            sort: sort.to_string(),
            id: last,
            key: None,
        });
    Ok(Page { items, next, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_another_ordering_or_garbage() {
        let cursor = Cursor {
            sort: "-id".into(),
            id: 42,
            key: None,
        };
        let text = cursor.encode();
        assert!(!text.contains("42"), "opaque: {text}");
        assert_eq!(Cursor::decode(&text, "-id").unwrap(), cursor);
        let err = |r: Result<Cursor>| match r.unwrap_err() {
            Error::Validation(f) => f[0].reason.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(Cursor::decode(&text, "id")), "sort_mismatch");
        assert_eq!(err(Cursor::decode("%%%", "id")), "invalid");
        assert_eq!(err(Cursor::decode("e30", "id")), "invalid");
    }

    #[test]
    fn time_bounds_outside_what_mariadb_binds_are_dropped_or_match_nothing() {
        let at = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        };
        assert_eq!(
            bindable_range(Some(at(2000)), Some(at(2100))),
            Some((Some(at(2000)), None))
        );
        assert_eq!(
            bindable_range(Some(at(1900)), Some(at(2030))),
            Some((None, Some(at(2030))))
        );
        assert_eq!(bindable_range(Some(at(2100)), None), None);
        assert_eq!(bindable_range(None, Some(at(1960))), None);
    }

    #[test]
    fn the_limit_is_between_one_and_two_hundred() {
        let with = |limit| PageRequest {
            limit,
            ..Default::default()
        };
        assert!(with(0).validate().is_err());
        assert!(with(201).validate().is_err());
        assert_eq!(with(200).validate().unwrap().limit, 200);
        assert_eq!(PageRequest::default().limit, 50);
    }
}
