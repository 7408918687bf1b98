//! Wall-clock time as the database keeps it: UTC with microseconds (`DATETIME(6)`), so a time written and
//! read back compares equal. Services take `now` as a parameter; adapters pass [`now`] or read a [`Clock`],
//! tests any instant.
//!
//! [`Clock`] is what the scheduled jobs and the broadcast pacer read: [`Clock::system`] in production,
//! [`Clock::test`] in tests, a shared handle that tests move forward with [`Clock::advance`] or
//! [`Clock::set`] without sleeping. It is passed down explicitly; there is no global clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, Utc};

/// The current instant, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// `at` truncated to microseconds.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// A source of the current time: the system's, or a test time that only moves when told to.
/// Cloning shares the handle: every clone of a test clock sees the same instant.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A test clock standing at `start` until moved.
    pub fn test(start: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(Mutex::new(truncate(start)))))
    }

    /// Whether this is a test clock.
    pub fn is_test(&self) -> bool {
        self.0.is_some()
    }

    /// The current instant (microseconds).
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => now(),
            Some(at) => *lock(at),
        }
    }

    /// The current instant in milliseconds since the Unix epoch (the key-value store's time unit).
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.now().timestamp_millis()).unwrap_or(0)
    }

    /// Moves a test clock forward by `by`. Panics on the system clock: tests only.
    pub fn advance(&self, by: std::time::Duration) {
        let at = self.0.as_ref().expect("advance() needs a test clock");
        let by = chrono::Duration::from_std(by).expect("duration in range");
        let mut guard = lock(at);
        *guard = truncate(*guard + by);
    }

    /// Sets a test clock to `at`. Panics on the system clock: tests only.
    pub fn set(&self, at: DateTime<Utc>) {
        let cell = self.0.as_ref().expect("set() needs a test clock");
        *lock(cell) = truncate(at);
    }

    /// Waits `duration`: really on the system clock; on a test clock it only yields, since tests move time.
    pub async fn sleep(&self, duration: std::time::Duration) {
        if self.is_test() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(duration).await;
        }
    }
}

fn lock(at: &Mutex<DateTime<Utc>>) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
    // A plain value cannot be left half-written, so a poisoned lock is still valid.
    at.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    #[test]
    fn a_test_clock_moves_only_when_told_and_clones_share_it() {
        let start = Utc.with_ymd_and_hms(2026, 2, 27, 22, 59, 0).unwrap();
        let clock = Clock::test(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(Duration::from_secs(60));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(60));
        assert_eq!(clock.now_ms(), (start.timestamp() as u64 + 60) * 1000);
        clock.set(start);
        assert_eq!(shared.now(), start);
    }

    #[test]
    fn the_system_clock_follows_real_time() {
        let clock = Clock::system();
        let before = now();
        let read = clock.now();
        assert!(read >= before && read <= now());
        assert!(!clock.is_test());
    }
}
