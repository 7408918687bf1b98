//! `Idempotency-Key` on creating POSTs: the first answer is replayed, a different request with the same
//! key is refused, and concurrent duplicates create one thing.

mod common;

use common::app::{TestApp, code, read};
use dvorik::services::admins::AdminRole;
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, key: &str, body: Value) -> (u16, Value, bool) {
    let response = app
        .client
        .post(app.url("/api/v1/stores"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let (status, body) = read(response).await;
    (status, body, replayed)
}

async fn store_count(app: &TestApp, token: &str) -> u64 {
    let (_, page) = app
        .get("/api/v1/stores?include_total=true&limit=1", token)
        .await;
    page["total"].as_u64().unwrap()
}

api_test! {
    async fn a_repeated_request_gets_the_first_answer_and_creates_nothing_new(app) {
        let owner = app.login(AdminRole::Owner).await;
        let body = json!({ "name": "Первая речка" });
        let (status, first, replayed) = create(&app, &owner.access, "order-1", body.clone()).await;
        assert_eq!((status, replayed), (201, false), "{first}");
        let (status, again, replayed) = create(&app, &owner.access, "order-1", body.clone()).await;
        assert_eq!((status, replayed), (201, true));
        assert_eq!(again, first, "the same body, byte for byte");
        assert_eq!(store_count(&app, &owner.access).await, 1);

        let (status, err, _) = create(&app, &owner.access, "order-1", json!({ "name": "Вторая речка" })).await;
        assert_eq!((status, code(&err)), (422, "IDEMPOTENCY_KEY_REUSED"));

        // Without the header a repeat is a new request (and here a conflict).
        let (status, err) = app.post("/api/v1/stores", &owner.access, body.clone()).await;
        assert_eq!((status, code(&err)), (409, "STORE_NAME_TAKEN"));
        // Keys are per admin: another owner's "order-1" is another request.
        let other = app.login(AdminRole::Owner).await;
        let (status, _, replayed) = create(&app, &other.access, "order-1", json!({ "name": "Эгершельд" })).await;
        assert_eq!((status, replayed), (201, false));
    }
}

api_test! {
    async fn a_client_error_is_replayed_but_a_refused_role_is_not_stored(app) {
        let owner = app.login(AdminRole::Owner).await;
        let (status, first, _) = create(&app, &owner.access, "bad-1", json!({ "name": "" })).await;
        assert_eq!(status, 422);
        let (status, again, replayed) = create(&app, &owner.access, "bad-1", json!({ "name": "" })).await;
        assert_eq!((status, replayed, again["error"]["code"].clone()), (422, true, first["error"]["code"].clone()));

        let readonly = app.login(AdminRole::Readonly).await;
        let (status, _, _) = create(&app, &readonly.access, "ro-1", json!({ "name": "Снеговая" })).await;
        assert_eq!(status, 403);
        let (status, _, replayed) = create(&app, &readonly.access, "ro-1", json!({ "name": "Снеговая" })).await;
        assert_eq!((status, replayed), (403, false), "a 403 is answered afresh, not replayed");
    }
}

api_test! {
    async fn concurrent_duplicates_create_exactly_one_store(app) {
        let owner = app.login(AdminRole::Owner).await;
        let app = std::sync::Arc::new(app);
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (app, token) = (app.clone(), owner.access.clone());
                tokio::spawn(async move { create(&app, &token, "race-1", json!({ "name": "Гонка" })).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let (status, body, replayed) = task.await.unwrap();
            match (status, replayed) {
                (201, false) => created += 1,
                (201, true) => {}
                (409, _) => assert_eq!(code(&body), "IDEMPOTENCY_KEY_IN_PROGRESS"),
                other => panic!("unexpected {other:?}: {body}"),
            }
        }
        assert_eq!(created, 1, "the unique key let exactly one request run");
        assert_eq!(store_count(&app, &owner.access).await, 1);
    }
}

api_test! {
    async fn a_bad_key_is_a_validation_error(app) {
        let owner = app.login(AdminRole::Owner).await;
        let (status, body, _) = create(&app, &owner.access, &"k".repeat(256), json!({ "name": "Длинный ключ" })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "Idempotency-Key");
        assert_eq!(store_count(&app, &owner.access).await, 0);
    }
}
