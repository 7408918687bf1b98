//! Idempotency keys in the core: claim once, replay, refuse a different request, free on failure.

mod common;

use chrono::Duration;
use dvorik::services::idempotency::{self, Claim, RETENTION};

storage_test! {
    async fn a_key_is_claimed_once_replayed_and_refused_for_another_request(t) {
        let now = t.now();
        assert_eq!(idempotency::claim(&t.db, "admin:1", "k", "h1", now).await.unwrap(), Claim::Started);
        let busy = idempotency::claim(&t.db, "admin:1", "k", "h1", now).await.unwrap_err();
        assert_eq!(busy.code(), "IDEMPOTENCY_KEY_IN_PROGRESS");
        idempotency::complete(&t.db, "admin:1", "k", 201, r#"{"id":7}"#).await.unwrap();
        let replay = idempotency::claim(&t.db, "admin:1", "k", "h1", now).await.unwrap();
        assert_eq!(replay, Claim::Replay { status: 201, body: r#"{"id":7}"#.into() });
        let other = idempotency::claim(&t.db, "admin:1", "k", "h2", now).await.unwrap_err();
        assert_eq!(other.code(), "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(idempotency::claim(&t.db, "admin:2", "k", "h2", now).await.unwrap(), Claim::Started, "scoped per admin");

        // After 24 hours the key is free again.
        let later = now + RETENTION + Duration::seconds(1);
        assert_eq!(idempotency::claim(&t.db, "admin:1", "k", "h2", later).await.unwrap(), Claim::Started);
        assert_eq!(idempotency::delete_expired(&t.db, later + RETENTION).await.unwrap(), 2);
    }
}

storage_test! {
    async fn a_released_key_runs_again_and_concurrent_claims_have_one_winner(t) {
        let now = t.now();
        assert_eq!(idempotency::claim(&t.db, "s", "fail", "h", now).await.unwrap(), Claim::Started);
        idempotency::release(&t.db, "s", "fail").await.unwrap();
        assert_eq!(idempotency::claim(&t.db, "s", "fail", "h", now).await.unwrap(), Claim::Started);
        let bad = idempotency::claim(&t.db, "s", "", "h", now).await.unwrap_err();
        assert_eq!(bad.code(), "VALIDATION_FAILED");

        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let db = t.db.clone();
                tokio::spawn(async move { idempotency::claim(&db, "s", "race", "h", now).await })
            })
            .collect();
        let mut started = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(Claim::Started) => started += 1,
                Err(e) => assert_eq!(e.code(), "IDEMPOTENCY_KEY_IN_PROGRESS"),
                Ok(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(started, 1);
    }
}
