//! `/api/v1/users` through HTTP: search and filters, keyset pages in every sort, one user with a summary,
//! block and unblock, birthday corrections, a manual discount for one user.

mod common;

use common::app::{TestApp, code};
use common::fixtures;
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use sea_orm::Set;
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect()
}

async fn users(app: &TestApp, n: i64) -> Vec<i64> {
    let now = app.t.now();
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(fixtures::user(&app.t.db, 1000 + i, now).await.id);
    }
    ids
}

api_test! {
    async fn the_user_list_pages_by_cursor_in_each_sort_and_filters(app) {
        let reader = app.login(AdminRole::Readonly).await;
        let all = users(&app, 5).await;
        let now = app.t.now();
        let vip = fixtures::user_with(&app.t.db, 77, "Зоя", now, |u| {
            u.subscribed = Set(true);
            u.source = Set(Some("src_vk".into()));
        }).await;
        for sort in ["-id", "id", "-created_at", "created_at", "-last_activity", "last_activity"] {
            let mut seen = Vec::new();
            let mut path = format!("/api/v1/users?limit=2&sort={sort}&include_total=true");
            loop {
                let (status, body) = app.get(&path, &reader.access).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["total"], 6);
                seen.extend(ids(&body));
                match body["next_cursor"].as_str() {
                    Some(cursor) => path = format!("/api/v1/users?limit=2&sort={sort}&include_total=true&cursor={cursor}"),
                    None => break,
                }
            }
            seen.sort_unstable();
            let mut expected = all.clone();
            expected.push(vip.id);
            assert_eq!(seen, expected, "{sort}");
        }
        let (_, body) = app.get("/api/v1/users?limit=1", &reader.access).await;
        assert_eq!(ids(&body), [vip.id], "newest first by default");
        let cursor = body["next_cursor"].as_str().unwrap().to_string();
        let (status, body) = app.get(&format!("/api/v1/users?sort=created_at&cursor={cursor}"), &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "a cursor belongs to its sort");

        let (_, body) = app.get("/api/v1/users?subscribed=true&source=src_vk", &reader.access).await;
        assert_eq!(ids(&body), [vip.id]);
        let (_, body) = app.get("/api/v1/users?q=%D0%97%D0%BE", &reader.access).await;
        assert_eq!(ids(&body), [vip.id], "a name substring (Зо)");
        let (_, body) = app.get("/api/v1/users?q=77", &reader.access).await;
        assert!(ids(&body).contains(&vip.id), "a Telegram id");
        let (status, body) = app.get("/api/v1/users?limit=500", &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        let (status, body) = app.get("/api/v1/users?language=de", &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        let (status, body) = app.get("/api/v1/users?registered_from=2026-13-01", &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
    }
}

api_test! {
    async fn an_owner_blocks_a_user_who_then_gets_no_discount(app) {
        let owner = app.login(AdminRole::Owner).await;
        let marketer = app.login(AdminRole::Marketing).await;
        let user = users(&app, 1).await[0];
        let (status, body) = app.post(&format!("/api/v1/users/{user}/block"), &owner.access, json!({})).await;
        assert_eq!((status, body["blocked"].as_bool()), (200, Some(true)));
        let issue = json!({ "value": { "kind": "percent", "value": "15" }, "validity_days": 7, "note": "извинение" });
        let (status, body) = app.post(&format!("/api/v1/users/{user}/discounts"), &marketer.access, issue.clone()).await;
        assert_eq!((status, code(&body)), (409, "USER_BLOCKED"));
        let (status, _) = app.post(&format!("/api/v1/users/{user}/unblock"), &owner.access, json!({})).await;
        assert_eq!(status, 200);
        let (status, body) = app.post(&format!("/api/v1/users/{user}/discounts"), &marketer.access, issue).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["code"].as_str().unwrap().len(), 11, "the code, shown once: {body}");
        assert_eq!((body["discount"]["kind"].as_str(), body["discount"]["value"]["value"].as_str()), (Some("manual"), Some("15.00")));
        assert_eq!(body["discount"]["issued_by_admin_id"], marketer.admin.id);

        let (status, body) = app.get(&format!("/api/v1/users/{user}"), &marketer.access).await;
        assert_eq!(status, 200);
        assert_eq!(body["discounts"], json!({ "active": 1, "redeemed": 0, "expired": 0, "revoked": 0 }));
        assert_eq!(body["user"]["blocked"], false);
        let (status, body) = app.get("/api/v1/users/99999", &marketer.access).await;
        assert_eq!((status, code(&body)), (404, "USER_NOT_FOUND"));
        let (_, audit) = app.get(&format!("/api/v1/audit-log?entity=user&entity_id={user}"), &owner.access).await;
        let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"user.block") && actions.contains(&"user.unblock"), "{audit}");
        assert!(audit["items"][0]["request_id"].is_string(), "the request id is recorded");
    }
}

api_test! {
    async fn only_an_owner_corrects_a_birthday_and_a_bad_date_is_refused(app) {
        let owner = app.login(AdminRole::Owner).await;
        let marketer = app.login(AdminRole::Marketing).await;
        let user = users(&app, 1).await[0];
        let path = format!("/api/v1/users/{user}/birthday");
        let (status, body) = app.call(Method::PUT, &path, Some(&marketer.access), Some(json!({ "birthday": { "day": 5, "month": 6 } }))).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
        let (status, body) = app.call(Method::PUT, &path, Some(&owner.access), Some(json!({ "birthday": { "day": 5, "month": 6, "year": 1991 } }))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["birthday"], json!({ "day": 5, "month": 6, "year": 1991 }));
        let (status, body) = app.call(Method::PUT, &path, Some(&owner.access), Some(json!({ "birthday": { "day": 30, "month": 2 } }))).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        let (status, body) = app.call(Method::PUT, &path, Some(&owner.access), Some(json!({ "birthday": null }))).await;
        assert_eq!((status, body["birthday"].clone()), (200, Value::Null));
        let (status, body) = app.call(Method::PUT, &path, Some(&owner.access), Some(json!({ "birthday": null, "blocked": true }))).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "no mass assignment");
    }
}

/// The first name of user `id` in the newest-first page.
async fn listed_name(app: &TestApp, token: &str, id: i64) -> String {
    let (status, body) = app.get("/api/v1/users?limit=50", token).await;
    assert_eq!(status, 200, "{body}");
    let item = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .cloned();
    item.map(|u| u["first_name"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// With a page cache of `ttl`: a block through the API shows in the very next list; a change made
/// elsewhere (here a bot's `/start` with new names) shows once the cached page is `ttl` old.
async fn cached_pages(backend: common::Backend) {
    let ttl = std::time::Duration::from_millis(400);
    let app = common::app::spawn_app_with(backend, |c| c.list_cache_ttl = ttl).await;
    let owner = app.login(AdminRole::Owner).await;
    let user = fixtures::user(&app.t.db, 1001, app.t.now()).await;
    assert_eq!(listed_name(&app, &owner.access, user.id).await, "Анна");

    let (status, _) = app
        .post(
            &format!("/api/v1/users/{}/block", user.id),
            &owner.access,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let rendered = std::time::Instant::now();
    let (_, body) = app.get("/api/v1/users?limit=50", &owner.access).await;
    assert_eq!(
        body["items"][0]["blocked"], true,
        "a change through the API shows at once: {body}"
    );

    dvorik::services::users::register(
        &app.t.db,
        &fixtures::profile(1001, "Аня"),
        None,
        Default::default(),
        app.t.now(),
    )
    .await
    .unwrap();
    let name = listed_name(&app, &owner.access, user.id).await;
    // The page was rendered after `rendered`: younger than the TTL, it is the one served.
    if rendered.elapsed() < ttl {
        assert_eq!(
            name, "Анна",
            "a change made elsewhere waits for the cached page to expire"
        );
    }
    tokio::time::sleep(ttl).await;
    assert_eq!(listed_name(&app, &owner.access, user.id).await, "Аня");

    // A cached page is still only for a valid token.
    let response = app
        .client
        .get(app.url("/api/v1/users?limit=50"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cached_pages_show_api_changes_at_once_and_others_within_the_ttl_on_sqlite() {
    cached_pages(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cached_pages_show_api_changes_at_once_and_others_within_the_ttl_on_mariadb() {
    cached_pages(common::Backend::MariaDb).await;
}
