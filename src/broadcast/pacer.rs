//! The global pacer: admits at most N broadcast messages in every sliding 60-second window across all
//! running instances, by counting hits in one shared window of the key-value store
//! ([`crate::kv::KeyValue::window_hit`]); time comes from the [`Clock`], so tests move it.
//!
//! After a Telegram 429 every instance stops sending until `retry_after` has passed: [`Pacer::pause_for`]
//! writes the deadline to a shared key that [`Pacer::admit`] checks first. When the store cannot be
//! reached the pacer admits nothing (it never risks exceeding the limit); once it answers again the
//! pacer still waits until a whole window has passed since the outage began, since a restarted Redis
//! may have lost the hits of the last minute.
//!
//! Within the minute, at most `ceil(rate / 60)` messages go out per second: the budget is spread, never
//! spent in one burst, and 30 per second is never passed. A broadcast's window is its own
//! ([`Pacer::for_core_scoped`]); the 429 pause is every broadcast's.
//!
//! Without Redis the window and the pause are kept in the database ([`Pacer::in_database`]), so
//! instances sharing a database share the budget too.
//!
//! Transactional messages (replies, codes, notices) do not go through the pacer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::db_window;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::kv::Kv;

/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The highest rate a deployment or a broadcast may ask for: 30 messages per second.
pub const MAX_PER_MINUTE: u32 = 30 * 60;
/// How long to wait before asking a store that did not answer again.
pub const STORE_RETRY: Duration = Duration::from_secs(1);
/// Admissions are counted over a window this much longer than a minute, so that two messages admitted
/// a minute apart still reach Telegram a minute apart whatever the network's jitter.
pub const GUARD: Duration = Duration::from_millis(500);
/// The burst window: at most `ceil(rate / 60)` messages per second, so a full minute's budget is never
/// spent in one instant (and 30 per second, Telegram's bulk limit, is never passed).
pub const BURST_WINDOW: Duration = Duration::from_secs(1);

const GLOBAL_SCOPE: &str = "global";

/// The pacer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send one message now (it has been counted).
    Send,
    /// Do not send; ask again after this long.
    Wait { after: Duration, reason: WaitReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The window is full.
    Rate,
    /// Sending is paused after a 429 until a deadline.
    Paused,
    /// The key-value store did not answer.
    StoreUnavailable,
    /// The store answers again after an outage, but may have lost the window (a Redis restart):
    /// nothing is sent until a whole window has passed since the outage began.
    Recovering,
}

/// A handle on the shared budget; cheap to clone, one per sending task is fine.
#[derive(Clone)]
pub struct Pacer {
    store: Store,
    clock: Clock,
    window_key: String,
    burst_key: String,
    pause_key: String,
    /// When this pacer first saw the store fail (ms), until a window has passed after it answers again.
    outage_since: Arc<Mutex<Option<u64>>>,
}

/// Where the window and the pause live: the key-value store (Redis across instances), or the database
/// (shared by every instance on it, for deployments without Redis).
#[derive(Clone)]
enum Store {
    Kv(Kv),
    Db(DatabaseConnection),
}

impl Pacer {
    /// The deployment-wide pacer: one budget for all broadcasts on all instances sharing `kv`.
    pub fn new(kv: Kv, clock: Clock) -> Self {
        Self::scoped(kv, clock, GLOBAL_SCOPE)
    }

    /// A pacer whose window is `scope`'s own (for example a broadcast with its own rate); the 429 pause
    /// is still shared by every scope, since Telegram's limit is per bot.
    pub fn scoped(kv: Kv, clock: Clock, scope: &str) -> Self {
        Self {
            store: Store::Kv(kv),
            clock,
            window_key: format!("pacer:window:{scope}"),
            burst_key: format!("pacer:burst:{scope}"),
            pause_key: "pacer:pause-until".into(),
            outage_since: Arc::default(),
        }
    }

    /// The deployment-wide pacer over the database (`rate_windows`), for instances sharing a database
    /// but no Redis.
    pub fn in_database(db: DatabaseConnection, clock: Clock) -> Self {
        Self::in_database_scoped(db, clock, GLOBAL_SCOPE)
    }

    /// [`Pacer::in_database`] with `scope`'s own window.
    pub fn in_database_scoped(db: DatabaseConnection, clock: Clock, scope: &str) -> Self {
        Self {
            store: Store::Db(db),
            clock,
            window_key: format!("window:{scope}"),
            burst_key: format!("burst:{scope}"),
            pause_key: "pause".into(),
            outage_since: Arc::default(),
        }
    }

    /// The pacer of a deployment: Redis when configured, else the database (an in-process window would
    /// only hold within one process).
    pub fn for_core(core: &crate::app::Core, clock: Clock) -> Self {
        Self::for_core_scoped(core, clock, GLOBAL_SCOPE)
    }

    /// [`Pacer::for_core`] with `scope`'s own window (one per broadcast); the 429 pause stays shared.
    pub fn for_core_scoped(core: &crate::app::Core, clock: Clock, scope: &str) -> Self {
        if core.kv.kind() == "redis" {
            Self::scoped(core.kv.clone(), clock, scope)
        } else {
            Self::in_database_scoped(core.db.clone(), clock, scope)
        }
    }

    /// `"redis"`, `"in-process"` or `"database"`: where the budget is kept.
    pub fn store_kind(&self) -> &'static str {
        match &self.store {
            Store::Kv(kv) => kv.kind(),
            Store::Db(_) => "database",
        }
    }

    /// Asks to send one message at `per_minute` (clamped to 1..=[`MAX_PER_MINUTE`]).
    pub async fn admit(&self, per_minute: u32) -> Admission {
        match self.try_admit(per_minute).await {
            Ok(admission) => admission,
            Err(e) => {
                let now_ms = self.clock.now_ms();
                let mut since = lock(&self.outage_since);
                if since.is_none() {
                    tracing::warn!(error = %e, "pacer store unavailable: holding broadcasts");
                    *since = Some(now_ms);
                }
                Admission::Wait {
                    after: STORE_RETRY,
                    reason: WaitReason::StoreUnavailable,
                }
            }
        }
    }

    async fn try_admit(&self, per_minute: u32) -> Result<Admission> {
        let now_ms = self.clock.now_ms();
        let since = *lock(&self.outage_since);
        if let Some(since) = since {
            // Ask the store first: while it is still down this stays an outage.
            self.paused_until_ms().await?;
            let resume = since + window_ms();
            if now_ms < resume {
                return Ok(Admission::Wait {
                    after: Duration::from_millis(resume - now_ms),
                    reason: WaitReason::Recovering,
                });
            }
            tracing::info!("pacer store answers again: broadcasts resume");
            *lock(&self.outage_since) = None;
        }
        if let Some(until) = self.paused_until_ms().await?
            && until > now_ms
        {
            return Ok(Admission::Wait {
                after: Duration::from_millis(until - now_ms),
                reason: WaitReason::Paused,
            });
        }
        let per_minute = per_minute.clamp(1, MAX_PER_MINUTE);
        let burst = self
            .hit(
                &self.burst_key,
                BURST_WINDOW,
                u64::from(per_minute.div_ceil(60)),
                now_ms,
            )
            .await?;
        if !burst.allowed {
            return Ok(Admission::Wait {
                after: burst.retry_after.max(Duration::from_millis(1)),
                reason: WaitReason::Rate,
            });
        }
        let decision = self
            .hit(
                &self.window_key,
                WINDOW + GUARD,
                u64::from(per_minute),
                now_ms,
            )
            .await?;
        Ok(if decision.allowed {
            Admission::Send
        } else {
            Admission::Wait {
                after: decision.retry_after.max(Duration::from_millis(1)),
                reason: WaitReason::Rate,
            }
        })
    }

    async fn hit(
        &self,
        key: &str,
        window: Duration,
        limit: u64,
        now_ms: u64,
    ) -> Result<crate::kv::WindowDecision> {
        match &self.store {
            Store::Kv(kv) => kv.window_hit(key, window, limit, now_ms).await,
            Store::Db(db) => db_window::hit(db, key, window, limit, now_ms).await,
        }
    }

    /// Waits (on the clock) until a message may be sent at `per_minute`, then counts it.
    pub async fn acquire(&self, per_minute: u32) {
        loop {
            match self.admit(per_minute).await {
                Admission::Send => return,
                Admission::Wait { after, .. } => self.clock.sleep(after).await,
            }
        }
    }

    /// After a 429: no instance sends until `retry_after` from now. A later deadline already set stays.
    pub async fn pause_for(&self, retry_after: Duration) -> Result<()> {
        let until =
            self.clock.now_ms() + u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX / 2);
        if let Some(current) = self.paused_until_ms().await?
            && current >= until
        {
            return Ok(());
        }
        match &self.store {
            // The key outlives the deadline a little; the deadline itself is compared on the clock.
            Store::Kv(kv) => {
                kv.set(
                    &self.pause_key,
                    &until.to_string(),
                    Some(retry_after + Duration::from_secs(60)),
                )
                .await
            }
            Store::Db(db) => db_window::pause_until(db, &self.pause_key, until).await,
        }
    }

    /// The pause deadline (milliseconds since the epoch), if one was set and is still stored.
    pub async fn paused_until_ms(&self) -> Result<Option<u64>> {
        let kv = match &self.store {
            Store::Kv(kv) => kv,
            Store::Db(db) => return db_window::paused_until(db, &self.pause_key).await,
        };
        match kv.get(&self.pause_key).await? {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| Error::Internal(format!("bad pacer pause value {v:?}"))),
        }
    }
}

fn window_ms() -> u64 {
    u64::try_from((WINDOW + GUARD).as_millis()).unwrap_or(u64::MAX / 2)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The value is a plain timestamp: a panic elsewhere cannot leave it half-written.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
