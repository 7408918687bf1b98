//! [`PageCache`]: rendered pages of the user list, kept for a moment.
//!
//! A page of `GET /users` is one query and about 16 KB of JSON; a panel polling it, or many admins
//! opening it at once, would run that query for every request, and on a million users the database's
//! share alone (about 130 µs of CPU a page on MariaDB, measured by `benches/api.rs`) keeps a 2-core
//! machine under 5,000 pages a second. A page is kept here for [`ApiConfig::list_cache_ttl`] (one
//! second by default, `DVORIK_API_LIST_CACHE_MS`; `0` switches it off), keyed by the exact query string.
//!
//! What an admin may see, and when:
//! - A change made **through this API** shows at once: every successful mutating request empties the
//!   cache before its response leaves ([`forget_after_writes`]), so an admin who blocks a user and
//!   reloads the list sees them blocked. A page whose rendering began before that is not kept either.
//! - A change made **elsewhere** (a bot, a job, another instance) shows within the TTL. The list's own
//!   figures are no fresher than that anyway: `last_activity_at` moves with every update of a customer.
//! - Authentication and the role check run before the cache is read, on every request.
//! - Only `200` answers are kept; errors are computed every time.
//!
//! [`ApiConfig::list_cache_ttl`]: super::state::ApiConfig::list_cache_ttl

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::state::ApiState;

/// At most this many pages are kept (a 50-user page is about 16 KB, a 200-user one about 66 KB).
pub const MAX_PAGES: usize = 256;

/// Rendered pages by query string, each for `ttl` after it was rendered.
pub struct PageCache {
    ttl: Duration,
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_query: HashMap<String, (Instant, Bytes)>,
    /// Counts [`PageCache::clear`]s: a page whose rendering began before the last one is not kept.
    generation: u64,
}

/// What [`PageCache::lookup`] found.
pub enum Lookup {
    /// The page, still fresh.
    Hit(Bytes),
    /// No fresh page: render it, then [`PageCache::put`] it with this.
    Miss(Rendering),
}

/// When a page began to be rendered, for [`PageCache::put`].
#[derive(Debug, Clone, Copy)]
pub struct Rendering {
    at: Instant,
    generation: u64,
}

impl PageCache {
    /// A cache keeping pages for `ttl`; a zero `ttl` keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            pages: Mutex::default(),
        }
    }

    /// The page rendered for `query` less than the TTL ago, or else the start of its rendering (one
    /// look under the lock, so no clear can fall between the two).
    pub fn lookup(&self, query: &str) -> Lookup {
        let pages = self.lock();
        let rendering = Rendering {
            at: Instant::now(),
            generation: pages.generation,
        };
        match pages.by_query.get(query) {
            Some((at, body)) if rendering.at.duration_since(*at) < self.ttl => {
                Lookup::Hit(body.clone())
            }
            _ => Lookup::Miss(rendering),
        }
    }

    /// Keeps `body` as the page for `query`, unless the cache was cleared since `rendering` began: a
    /// page read before a change made through the API must not be served after that change. Its age
    /// counts from when it began, so a write elsewhere that lands while it renders is not hidden for
    /// longer than the TTL. A full cache drops its expired pages first, and everything if none has.
    pub fn put(&self, query: &str, rendering: Rendering, body: Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut pages = self.lock();
        if pages.generation != rendering.generation {
            return;
        }
        if pages.by_query.len() >= MAX_PAGES && !pages.by_query.contains_key(query) {
            pages.by_query.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if pages.by_query.len() >= MAX_PAGES {
                pages.by_query.clear();
            }
        }
        pages
            .by_query
            .insert(query.to_string(), (rendering.at, body));
    }

    /// Drops every page, and every page still rendering (after a change made through the API).
    pub fn clear(&self) {
        let mut pages = self.lock();
        pages.by_query.clear();
        pages.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        // Inserts, removals and a counter: consistent after a panic, keep using it.
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Empties the page cache after every successful request that may have changed something (any method
/// but GET, HEAD and OPTIONS), before the response is sent, so the next list read by anyone sees it.
pub async fn forget_after_writes(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        state.pages.clear();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    impl PageCache {
        fn get(&self, query: &str) -> Option<Bytes> {
            match self.lookup(query) {
                Lookup::Hit(body) => Some(body),
                Lookup::Miss(_) => None,
            }
        }

        fn begin(&self) -> Rendering {
            match self.lookup("") {
                Lookup::Miss(rendering) => rendering,
                Lookup::Hit(_) => {
                    unreachable!("no page is kept for the empty query in these tests")
                }
            }
        }
    }

    #[test]
    fn a_page_is_served_until_its_ttl_and_a_zero_ttl_keeps_nothing() {
        let cache = PageCache::new(Duration::from_millis(50));
        cache.put("limit=50", cache.begin(), Bytes::from_static(b"page"));
        assert_eq!(cache.get("limit=50").as_deref(), Some(&b"page"[..]));
        assert_eq!(cache.get("limit=20"), None, "another query is another page");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("limit=50"), None);

        let off = PageCache::new(Duration::ZERO);
        off.put("limit=50", off.begin(), Bytes::from_static(b"page"));
        assert_eq!(off.get("limit=50"), None);
    }

    #[test]
    fn a_page_that_began_before_a_clear_is_not_kept() {
        let cache = PageCache::new(Duration::from_secs(60));
        let before = cache.begin();
        cache.clear();
        cache.put("limit=50", before, Bytes::from_static(b"stale"));
        assert_eq!(cache.get("limit=50"), None);
        cache.put("limit=50", cache.begin(), Bytes::from_static(b"fresh"));
        assert_eq!(cache.get("limit=50").as_deref(), Some(&b"fresh"[..]));
    }

    #[test]
    fn a_full_cache_makes_room_and_clear_drops_everything() {
        let cache = PageCache::new(Duration::from_secs(60));
        for i in 0..MAX_PAGES + 10 {
            cache.put(
                &format!("cursor={i}"),
                cache.begin(),
                Bytes::from_static(b"p"),
            );
        }
        assert!(cache.lock().by_query.len() <= MAX_PAGES);
        let last = format!("cursor={}", MAX_PAGES + 9);
        assert!(cache.get(&last).is_some(), "the newest page is kept");
        cache.clear();
        assert_eq!(cache.get(&last), None);
    }
}
