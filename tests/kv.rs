//! The key-value contract, held by real Redis and by the in-process store alike.

mod common;

use std::time::Duration;

kv_test! {
    async fn values_expire_and_single_use_values_can_be_taken_once(kv) {
        kv.set("a", "1", None).await.unwrap();
        assert_eq!(kv.get("a").await.unwrap().as_deref(), Some("1"));
        kv.set("short", "x", Some(Duration::from_millis(50))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(kv.get("short").await.unwrap(), None);

        assert!(kv.set_nx("once", "first", Duration::from_secs(5)).await.unwrap());
        assert!(!kv.set_nx("once", "second", Duration::from_secs(5)).await.unwrap());
        assert_eq!(kv.take("once").await.unwrap().as_deref(), Some("first"));
        assert_eq!(kv.take("once").await.unwrap(), None, "a taken value is gone");
        assert!(kv.delete("a").await.unwrap());
        assert!(!kv.delete("a").await.unwrap());
        kv.ping().await.unwrap();
    }
}

kv_test! {
    async fn a_sliding_window_admits_the_limit_and_tells_when_to_retry(kv) {
        let window = Duration::from_secs(60);
        let start = 1_000_000u64;
        for i in 0..25 {
            let hit = kv.window_hit("broadcast", window, 25, start + i * 1000).await.unwrap();
            assert!(hit.allowed, "hit {i}");
            assert_eq!(hit.count, i + 1);
        }
        let refused = kv.window_hit("broadcast", window, 25, start + 30_000).await.unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(30), "the oldest hit leaves the window 30 s later");
        // Refused hits are not counted; once the oldest hit is 60 s old, one more is admitted.
        assert!(kv.window_hit("broadcast", window, 25, start + 60_000).await.unwrap().allowed);
        assert!(!kv.window_hit("broadcast", window, 25, start + 60_500).await.unwrap().allowed);
        assert!(kv.window_hit("other", window, 25, start + 60_500).await.unwrap().allowed, "windows are per key");
    }
}

kv_test! {
    async fn a_lease_has_one_holder_and_each_acquisition_gets_a_higher_fencing_token(kv) {
        let ttl = Duration::from_secs(5);
        let first = kv.acquire_lease("birthdays", "a", ttl).await.unwrap().expect("free lease");
        assert_eq!(kv.acquire_lease("birthdays", "b", ttl).await.unwrap(), None);
        assert!(!kv.release_lease("birthdays", "b").await.unwrap(), "only the holder releases");
        assert!(kv.renew_lease("birthdays", "a", ttl).await.unwrap());
        assert!(!kv.renew_lease("birthdays", "b", ttl).await.unwrap());
        assert!(kv.release_lease("birthdays", "a").await.unwrap());
        let second = kv.acquire_lease("birthdays", "b", Duration::from_millis(50)).await.unwrap().expect("released lease");
        assert!(second.fencing > first.fencing);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let third = kv.acquire_lease("birthdays", "c", ttl).await.unwrap().expect("expired lease");
        assert!(third.fencing > second.fencing);
    }
}

kv_test! {
    async fn concurrent_acquirers_of_one_lease_get_it_once(kv) {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let kv = kv.clone();
                tokio::spawn(async move { kv.acquire_lease("expiry", &format!("holder-{i}"), Duration::from_secs(5)).await.unwrap() })
            })
            .collect();
        let mut holders = 0;
        for task in tasks {
            holders += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(holders, 1);
    }
}
