//! Paging parameters for lists ordered by something other than the id alone (`sort=-created_at`): the
//! cursor carries the sort name, so a cursor from one order is refused in another.

use crate::error::Result;
use crate::services::listing;
use crate::services::paging::{Cursor, DEFAULT_LIMIT, Direction, PageRequest};

/// The page to read for the sort `column` in `direction`.
pub fn request(
    limit: Option<u64>,
    cursor: Option<&str>,
    include_total: Option<bool>,
    column: &str,
    direction: Direction,
) -> Result<PageRequest> {
    let sort = listing::sort_name(column, direction);
    PageRequest {
        limit: limit.unwrap_or(DEFAULT_LIMIT),
        after: cursor.map(|c| Cursor::decode(c, &sort)).transpose()?,
        direction,
        include_total: include_total.unwrap_or(false),
    }
    .validate()
}
