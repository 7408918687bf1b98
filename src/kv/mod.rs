//! Fast shared state behind one trait: rate-limit windows, job leases and short-lived values (login
//! tokens, dialogue state). Redis serves it when `REDIS_URL` is set, so the limits and leases hold across
//! every running instance; without Redis, [`memory::MemoryKv`] serves the same contract inside one process.
//!
//! Times come from the caller (`now_ms`), never from the store's own clock, so tests can move time.

pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

/// The answer of a sliding-window check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowDecision {
    /// Whether this hit was admitted (and counted).
    pub allowed: bool,
    /// Hits in the window, this one included when admitted.
    pub count: u64,
    /// When refused: how long until the oldest hit leaves the window.
    pub retry_after: Duration,
}

/// A held lease: `fencing` grows with every acquisition, so work done under a stale lease can be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub fencing: u64,
}

#[async_trait]
pub trait KeyValue: Send + Sync + 'static {
    /// The value at `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>>;
    /// Sets `key`, replacing any value; `ttl` of `None` keeps it until deleted.
    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<()>;
    /// Sets `key` only if absent; whether it was set.
    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool>;
    /// Reads and deletes `key` in one step (single-use values).
    async fn take(&self, key: &str) -> Result<Option<String>>;
    /// Deletes `key`; whether it existed.
    async fn delete(&self, key: &str) -> Result<bool>;
    /// Admits one hit to the window `key` if fewer than `limit` hits happened in the `window` before `now_ms`.
    async fn window_hit(
        &self,
        key: &str,
        window: Duration,
        limit: u64,
        now_ms: u64,
    ) -> Result<WindowDecision>;
    /// Takes the lease `name` for `holder` if nobody holds it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration)
    -> Result<Option<Lease>>;
    /// Extends the lease if `holder` still holds it.
    async fn renew_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool>;
    /// Gives the lease back if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool>;
    /// Checks the store answers (readiness).
    async fn ping(&self) -> Result<()>;
    /// `"redis"` or `"in-process"`, for logs and readiness.
    fn kind(&self) -> &'static str;
}

/// The store in use, shared by every part of the process.
pub type Kv = Arc<dyn KeyValue>;

/// Connects to Redis when a URL is given, else returns the in-process store.
pub async fn connect(redis_url: Option<&str>, prefix: &str) -> Result<Kv> {
    Ok(match redis_url {
        Some(url) => Arc::new(redis::RedisKv::connect(url, prefix).await?),
        None => Arc::new(memory::MemoryKv::default()),
    })
}
