//! The global pacer: admits at most N broadcast messages in every sliding 60-second window across all
//! running instances, by counting hits in one shared window of the key-value store
//! ([`crate::kv::KeyValue::window_hit`]); time comes from the [`Clock`], so tests move it.
//!
//! After a Telegram 429 every instance stops sending until `retry_after` has passed: [`Pacer::pause_for`]
//! writes the deadline to a shared key that [`Pacer::admit`] checks first. When the store cannot be
//! reached the pacer admits nothing (it never risks exceeding the limit) and resumes once the store
//! answers again.
//!
//! Transactional messages (replies, codes, notices) do not go through the pacer.

use std::time::Duration;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::kv::Kv;

/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The highest rate a deployment or a broadcast may ask for: 30 messages per second.
pub const MAX_PER_MINUTE: u32 = 30 * 60;
/// How long to wait before asking a store that did not answer again.
pub const STORE_RETRY: Duration = Duration::from_secs(1);

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
}

/// A handle on the shared budget; cheap to clone, one per sending task is fine.
#[derive(Clone)]
pub struct Pacer {
    kv: Kv,
    clock: Clock,
    window_key: String,
    pause_key: String,
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
            kv,
            clock,
            window_key: format!("pacer:window:{scope}"),
            pause_key: "pacer:pause-until".into(),
        }
    }

    /// Asks to send one message at `per_minute` (clamped to 1..=[`MAX_PER_MINUTE`]).
    pub async fn admit(&self, per_minute: u32) -> Admission {
        match self.try_admit(per_minute).await {
            Ok(admission) => admission,
            Err(e) => {
                tracing::warn!(error = %e, "pacer store unavailable: holding broadcasts");
                Admission::Wait {
                    after: STORE_RETRY,
                    reason: WaitReason::StoreUnavailable,
                }
            }
        }
    }

    async fn try_admit(&self, per_minute: u32) -> Result<Admission> {
        let now_ms = self.clock.now_ms();
        if let Some(until) = self.paused_until_ms().await?
            && until > now_ms
        {
            return Ok(Admission::Wait {
                after: Duration::from_millis(until - now_ms),
                reason: WaitReason::Paused,
            });
        }
        let limit = u64::from(per_minute.clamp(1, MAX_PER_MINUTE));
        let decision = self
            .kv
            .window_hit(&self.window_key, WINDOW, limit, now_ms)
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
        // The key outlives the deadline a little; the deadline itself is compared on the clock.
        self.kv
            .set(
                &self.pause_key,
                &until.to_string(),
                Some(retry_after + Duration::from_secs(60)),
            )
            .await
    }

    /// The pause deadline (milliseconds since the epoch), if one was set and is still stored.
    pub async fn paused_until_ms(&self) -> Result<Option<u64>> {
        match self.kv.get(&self.pause_key).await? {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| Error::Internal(format!("bad pacer pause value {v:?}"))),
        }
    }
}
