//! Paging parameters and the page body every list shares: `?limit=50&cursor=…&include_total=true&sort=-id`
//! in, `{"items":[…],"next_cursor":"…","total":123}` out. The cursor is opaque (keyset on `id`); `total`
//! is counted only when asked for.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Result;
use crate::services::paging::{Cursor, DEFAULT_LIMIT, Direction, Page, PageRequest};

/// Paging of an id-ordered list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page, to read the next one (empty: the first page).
    #[param(pattern = "^[A-Za-z0-9_-]*$", max_length = 512)]
    pub cursor: Option<String>,
    /// Also count every row matching the filters (slower on large lists).
    pub include_total: Option<bool>,
    /// `id` (oldest first) or `-id` (newest first).
    pub sort: Option<IdSort>,
}

/// The order of an id-ordered list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum IdSort {
    #[serde(rename = "id")]
    Oldest,
    #[serde(rename = "-id")]
    Newest,
}

impl PageParams {
    /// The page to read; `default` is the list's order when `sort` is absent.
    pub fn request(&self, default: IdSort) -> Result<PageRequest> {
        let direction = match self.sort.unwrap_or(default) {
            IdSort::Oldest => Direction::Asc,
            IdSort::Newest => Direction::Desc,
        };
        let mut request = PageRequest {
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
            after: None,
            direction,
            include_total: self.include_total.unwrap_or(false),
        };
        if let Some(text) = self.cursor.as_deref().filter(|c| !c.is_empty()) {
            request.after = Some(Cursor::decode(text, request.id_sort())?);
        }
        request.validate()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Rows matching the filters; only with `include_total=true`.
    pub total: Option<u64>,
}

impl<T: ToSchema> PageBody<T> {
    /// Renders a page of the core with `view`.
    pub fn render<M>(page: Page<M>, view: impl FnMut(M) -> T) -> Self {
        Self {
            next_cursor: page.next.as_ref().map(Cursor::encode),
            total: page.total,
            items: page.items.into_iter().map(view).collect(),
        }
    }
}
