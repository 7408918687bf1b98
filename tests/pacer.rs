//! The global broadcast pacer with the test clock, on Redis and the in-process store: several pacers
//! sharing one store never exceed the limit in any sliding 60-second window and achieve at least 95% of
//! it; a 429 pause holds every pacer until its deadline; an unreachable store admits nothing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use dvorik::broadcast::Pacer;
use dvorik::broadcast::pacer::{Admission, MAX_PER_MINUTE, WaitReason};
use dvorik::clock::Clock;
use dvorik::kv::{KeyValue, Kv, Lease, WindowDecision};
use dvorik::{Error, Result};

fn clock() -> Clock {
    Clock::test(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap())
}

/// A store that can be switched off, as if Redis stopped.
struct Flaky {
    inner: std::sync::Mutex<Kv>,
    down: AtomicBool,
}

impl Flaky {
    fn inner(&self) -> Kv {
        self.inner.lock().unwrap().clone()
    }

    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::KvUnavailable("switched off by the test".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl KeyValue for Flaky {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.check()?;
        self.inner().get(key).await
    }
    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<()> {
        self.check()?;
        self.inner().set(key, value, ttl).await
    }
    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        self.check()?;
        self.inner().set_nx(key, value, ttl).await
    }
    async fn take(&self, key: &str) -> Result<Option<String>> {
        self.check()?;
        self.inner().take(key).await
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        self.check()?;
        self.inner().delete(key).await
    }
    async fn window_hit(
        &self,
        key: &str,
        window: Duration,
        limit: u64,
        now_ms: u64,
    ) -> Result<WindowDecision> {
        self.check()?;
        self.inner().window_hit(key, window, limit, now_ms).await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        self.check()?;
        self.inner().acquire_lease(name, holder, ttl).await
    }
    async fn renew_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        self.check()?;
        self.inner().renew_lease(name, holder, ttl).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        self.check()?;
        self.inner().release_lease(name, holder).await
    }
    async fn ping(&self) -> Result<()> {
        self.check()?;
        self.inner().ping().await
    }
    fn kind(&self) -> &'static str {
        self.inner().kind()
    }
}

/// The largest number of sends in any window [t, t + 60 s) starting at a send.
fn max_in_any_window(sends: &[u64]) -> usize {
    let mut sends = sends.to_vec();
    sends.sort_unstable();
    let mut best = 0;
    let mut end = 0;
    for start in 0..sends.len() {
        while end < sends.len() && sends[end] < sends[start] + 60_000 {
            end += 1;
        }
        best = best.max(end - start);
    }
    best
}

/// Three pacers on one store, each asking every `step` of test time for `seconds`; the send times.
/// `outage` switches the store off for a span of the run.
async fn simulate(
    store: Arc<Flaky>,
    per_minute: u32,
    seconds: u64,
    outage: Option<(u64, u64)>,
) -> Vec<u64> {
    let clock = clock();
    let kv: Kv = store.clone();
    let pacers: Vec<Pacer> = (0..3)
        .map(|_| Pacer::new(kv.clone(), clock.clone()))
        .collect();
    let start = clock.now_ms();
    let step = Duration::from_millis(50);
    let mut sends = Vec::new();
    while clock.now_ms() - start < seconds * 1000 {
        let elapsed = clock.now_ms() - start;
        let down = outage.is_some_and(|(from, to)| (from * 1000..to * 1000).contains(&elapsed));
        store.down.store(down, Ordering::SeqCst);
        for pacer in &pacers {
            // Each instance keeps asking while it is admitted, as a sending worker would.
            for _ in 0..4 {
                match pacer.admit(per_minute).await {
                    Admission::Send => {
                        assert!(!down, "admitted while the store was down");
                        sends.push(clock.now_ms() - start);
                    }
                    Admission::Wait { reason, .. } => {
                        if down {
                            assert_eq!(reason, WaitReason::StoreUnavailable);
                        }
                        break;
                    }
                }
            }
        }
        clock.advance(step);
    }
    store.down.store(false, Ordering::SeqCst);
    sends
}

fn flaky(kv: Kv) -> Arc<Flaky> {
    Arc::new(Flaky {
        inner: std::sync::Mutex::new(kv),
        down: AtomicBool::new(false),
    })
}

kv_test! {
    async fn three_pacers_at_120_per_minute_never_exceed_it_and_reach_95_percent(kv) {
        let sends = simulate(flaky(kv), 120, 180, None).await;
        assert!(max_in_any_window(&sends) <= 120, "max {}", max_in_any_window(&sends));
        // 3 minutes at 120 per minute: at least 95% of 360.
        assert!(sends.len() as f64 >= 0.95 * 360.0, "achieved {}", sends.len());
    }
}

kv_test! {
    async fn the_default_25_per_minute_holds_too(kv) {
        let sends = simulate(flaky(kv), 25, 180, None).await;
        assert!(max_in_any_window(&sends) <= 25);
        assert!(sends.len() as f64 >= 0.95 * 75.0, "achieved {}", sends.len());
    }
}

kv_test! {
    async fn a_store_outage_sends_nothing_and_sending_resumes_after_it(kv) {
        // The store is down from 50 s to 130 s of a 3-minute run.
        let sends = simulate(flaky(kv), 120, 180, Some((50, 130))).await;
        assert!(max_in_any_window(&sends) <= 120);
        assert!(!sends.iter().any(|t| (50_000..130_000).contains(t)), "sent during the outage");
        assert!(sends.iter().any(|t| *t >= 130_000), "resumed after the outage");
    }
}

kv_test! {
    async fn a_store_that_comes_back_empty_after_an_outage_never_lets_a_window_exceed_the_limit(kv) {
        let store = flaky(kv);
        let clock = clock();
        let pacer = Pacer::new(store.clone() as Kv, clock.clone());
        let start = clock.now_ms();
        let mut sends = Vec::new();
        while clock.now_ms() - start < 150_000 {
            let elapsed = clock.now_ms() - start;
            // 25 go out in the first 25 s. Down from 30 s to 40 s; it comes back as a restarted Redis
            // would, without the window: sending at once would put 50 in the first minute.
            let down = (30_000..40_000).contains(&elapsed);
            if elapsed == 40_000 {
                *store.inner.lock().unwrap() = common::test_kv(false).await;
            }
            store.down.store(down, Ordering::SeqCst);
            while pacer.admit(25).await == Admission::Send {
                assert!(!down, "admitted while the store was down");
                sends.push(clock.now_ms() - start);
            }
            clock.advance(Duration::from_millis(100));
        }
        assert!(max_in_any_window(&sends) <= 25, "max {}", max_in_any_window(&sends));
        assert!(sends.iter().any(|t| *t >= 90_000), "sending resumed after the outage");
    }
}

kv_test! {
    async fn a_429_pause_holds_every_pacer_until_the_deadline(kv) {
        let clock = clock();
        let pacers: Vec<Pacer> = (0..3).map(|_| Pacer::new(kv.clone(), clock.clone())).collect();
        assert_eq!(pacers[0].admit(1800).await, Admission::Send);
        pacers[1].pause_for(Duration::from_secs(5)).await.unwrap();
        // A shorter pause afterwards does not cut the longer one short.
        pacers[2].pause_for(Duration::from_secs(1)).await.unwrap();
        for ms in [0, 1000, 4999] {
            clock.set(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap() + chrono::Duration::milliseconds(ms));
            for pacer in &pacers {
                match pacer.admit(1800).await {
                    Admission::Wait { after, reason: WaitReason::Paused } => {
                        assert_eq!(after, Duration::from_millis((5000 - ms) as u64));
                    }
                    other => panic!("sent at {ms} ms during the pause: {other:?}"),
                }
            }
        }
        clock.advance(Duration::from_millis(1));
        for pacer in &pacers {
            assert_eq!(pacer.admit(1800).await, Admission::Send);
        }
    }
}

kv_test! {
    async fn a_rate_is_capped_at_30_per_second_and_a_minute_is_never_spent_at_once(kv) {
        let clock = clock();
        let pacer = Pacer::new(kv, clock.clone());
        let start = clock.now_ms();
        let mut sends = Vec::new();
        // Asking as fast as possible for 61 s of test time, in 10 ms steps.
        while clock.now_ms() - start < 61_000 {
            while pacer.admit(u32::MAX).await == Admission::Send {
                sends.push(clock.now_ms() - start);
            }
            clock.advance(Duration::from_millis(10));
        }
        let in_first_second = sends.iter().filter(|t| **t < 1_000).count();
        assert_eq!(in_first_second, 30, "a burst larger than 30 per second");
        for window_start in &sends {
            let in_second = sends
                .iter()
                .filter(|t| (*window_start..*window_start + 1_000).contains(*t))
                .count();
            assert!(in_second <= 30, "{in_second} in the second from {window_start} ms");
        }
        assert!(max_in_any_window(&sends) <= MAX_PER_MINUTE as usize);
        assert!(sends.len() >= MAX_PER_MINUTE as usize, "achieved {}", sends.len());
    }
}

kv_test! {
    async fn the_default_25_per_minute_goes_out_one_per_second_not_all_at_once(kv) {
        let clock = clock();
        let pacer = Pacer::new(kv, clock.clone());
        assert_eq!(pacer.admit(25).await, Admission::Send);
        match pacer.admit(25).await {
            Admission::Wait { after, reason: WaitReason::Rate } => assert!(after <= Duration::from_secs(1)),
            other => panic!("a second message in the same instant: {other:?}"),
        }
    }
}

/// Three instances: three separate Redis connections under one prefix, each with its own pacer.
#[tokio::test]
async fn three_redis_connections_share_one_budget() {
    let prefix = format!("dvorik-test:{}:", uuid::Uuid::new_v4().simple());
    let clock = clock();
    let mut pacers = Vec::new();
    for _ in 0..3 {
        let kv = dvorik::kv::connect(Some(&common::redis_url()), &prefix)
            .await
            .unwrap();
        pacers.push(Pacer::new(kv, clock.clone()));
    }
    let start = clock.now_ms();
    let mut sends = Vec::new();
    while clock.now_ms() - start < 180_000 {
        let mut tasks = Vec::new();
        for pacer in &pacers {
            let pacer = pacer.clone();
            tasks.push(tokio::spawn(async move {
                pacer.admit(120).await == Admission::Send
            }));
        }
        for task in tasks {
            if task.await.unwrap() {
                sends.push(clock.now_ms() - start);
            }
        }
        clock.advance(Duration::from_millis(100));
    }
    assert!(max_in_any_window(&sends) <= 120);
    assert!(
        sends.len() as f64 >= 0.95 * 360.0,
        "achieved {}",
        sends.len()
    );
}
