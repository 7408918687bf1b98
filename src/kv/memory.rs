//! The in-process [`KeyValue`]: one mutex over plain maps. It serves a single instance; several
//! instances need Redis for their limits and leases to be shared.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{KeyValue, Lease, WindowDecision};
use crate::error::Result;

#[derive(Default)]
pub struct MemoryKv {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    values: HashMap<String, (String, Option<Instant>)>,
    windows: HashMap<String, VecDeque<u64>>,
    leases: HashMap<String, (String, Instant)>,
    fencing: HashMap<String, u64>,
}

impl State {
    fn live_value(&mut self, key: &str) -> Option<&String> {
        let expired = matches!(self.values.get(key), Some((_, Some(at))) if *at <= Instant::now());
        if expired {
            self.values.remove(key);
        }
        self.values.get(key).map(|(v, _)| v)
    }

    fn live_lease(&mut self, name: &str) -> Option<&String> {
        if matches!(self.leases.get(name), Some((_, until)) if *until <= Instant::now()) {
            self.leases.remove(name);
        }
        self.leases.get(name).map(|(holder, _)| holder)
    }
}

impl MemoryKv {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps in a valid state, so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().live_value(key).cloned())
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<()> {
        let until = ttl.map(|t| Instant::now() + t);
        self.lock()
            .values
            .insert(key.to_string(), (value.to_string(), until));
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let mut state = self.lock();
        if state.live_value(key).is_some() {
            return Ok(false);
        }
        state.values.insert(
            key.to_string(),
            (value.to_string(), Some(Instant::now() + ttl)),
        );
        Ok(true)
    }

    async fn take(&self, key: &str) -> Result<Option<String>> {
        let mut state = self.lock();
        let value = state.live_value(key).cloned();
        state.values.remove(key);
        Ok(value)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let mut state = self.lock();
        let existed = state.live_value(key).is_some();
        state.values.remove(key);
        Ok(existed)
    }

    async fn window_hit(
        &self,
        key: &str,
        window: Duration,
        limit: u64,
        now_ms: u64,
    ) -> Result<WindowDecision> {
        let mut state = self.lock();
        let hits = state.windows.entry(key.to_string()).or_default();
        let window_ms = window.as_millis() as u64;
        while hits.front().is_some_and(|&t| t + window_ms <= now_ms) {
            hits.pop_front();
        }
        if (hits.len() as u64) < limit {
            hits.push_back(now_ms);
            return Ok(WindowDecision {
                allowed: true,
                count: hits.len() as u64,
                retry_after: Duration::ZERO,
            });
        }
        let oldest = hits.front().copied().unwrap_or(now_ms);
        let retry_after = Duration::from_millis((oldest + window_ms).saturating_sub(now_ms));
        Ok(WindowDecision {
            allowed: false,
            count: hits.len() as u64,
            retry_after,
        })
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        let mut state = self.lock();
        if state.live_lease(name).is_some() {
            return Ok(None);
        }
        state
            .leases
            .insert(name.to_string(), (holder.to_string(), Instant::now() + ttl));
        let fencing = state.fencing.entry(name.to_string()).or_default();
        *fencing += 1;
        Ok(Some(Lease { fencing: *fencing }))
    }

    async fn renew_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let mut state = self.lock();
        if state.live_lease(name).map(String::as_str) != Some(holder) {
            return Ok(false);
        }
        state
            .leases
            .insert(name.to_string(), (holder.to_string(), Instant::now() + ttl));
        Ok(true)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        let mut state = self.lock();
        if state.live_lease(name).map(String::as_str) != Some(holder) {
            return Ok(false);
        }
        state.leases.remove(name);
        Ok(true)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}
