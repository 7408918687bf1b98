//! `/api/v1/stores` through HTTP: owners manage stores, everybody reads them, lists page by cursor.

mod common;

use common::app::{TestApp, code};
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use serde_json::json;

async fn create(app: &TestApp, token: &str, name: &str) -> i64 {
    let (status, body) = app
        .post(
            "/api/v1/stores",
            token,
            json!({ "name": name, "address": "Светланская, 1" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

api_test! {
    async fn an_owner_creates_renames_closes_and_reopens_a_store(app) {
        let owner = app.login(AdminRole::Owner).await;
        let id = create(&app, &owner.access, "Центральный").await;
        let (status, body) = app.get(&format!("/api/v1/stores/{id}"), &owner.access).await;
        assert_eq!((status, body["name"].as_str(), body["active"].as_bool()), (200, Some("Центральный"), Some(true)));

        let (status, body) = app
            .call(Method::PUT, &format!("/api/v1/stores/{id}"), Some(&owner.access), Some(json!({ "name": "Центр", "hours": "9–21" })))
            .await;
        assert_eq!((status, body["name"].as_str(), body["hours"].as_str()), (200, Some("Центр"), Some("9–21")));
        assert_eq!(body["address"], serde_json::Value::Null, "PUT replaces every editable field");

        let (status, body) = app.post(&format!("/api/v1/stores/{id}/close"), &owner.access, json!({})).await;
        assert_eq!((status, body["active"].as_bool()), (200, Some(false)));
        let (_, open) = app.get("/api/v1/stores?active=true", &owner.access).await;
        assert_eq!(open["items"].as_array().unwrap().len(), 0);
        let (status, body) = app.post(&format!("/api/v1/stores/{id}/open"), &owner.access, json!({})).await;
        assert_eq!((status, body["active"].as_bool()), (200, Some(true)));
    }
}

api_test! {
    async fn store_refusals_have_their_codes(app) {
        let owner = app.login(AdminRole::Owner).await;
        create(&app, &owner.access, "Алеутская").await;
        let (status, body) = app.post("/api/v1/stores", &owner.access, json!({ "name": "Алеутская" })).await;
        assert_eq!((status, code(&body)), (409, "STORE_NAME_TAKEN"));
        let (status, body) = app.post("/api/v1/stores", &owner.access, json!({ "name": "  " })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        assert_eq!(body["error"]["details"]["fields"], json!([{ "field": "name", "reason": "required" }]));
        let (status, body) = app.post("/api/v1/stores", &owner.access, json!({ "name": "X", "active": false })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "no mass assignment: {body}");
        assert_eq!(body["error"]["details"]["fields"][0]["reason"], "unknown_field");
        let (status, body) = app.get("/api/v1/stores/424242", &owner.access).await;
        assert_eq!((status, code(&body)), (404, "STORE_NOT_FOUND"));
        let (status, body) = app.get("/api/v1/stores/abc", &owner.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
    }
}

api_test! {
    async fn a_marketer_reads_stores_but_cannot_change_them(app) {
        let owner = app.login(AdminRole::Owner).await;
        let marketer = app.login(AdminRole::Marketing).await;
        let id = create(&app, &owner.access, "Океанский").await;
        let (status, _) = app.get(&format!("/api/v1/stores/{id}"), &marketer.access).await;
        assert_eq!(status, 200);
        let (status, body) = app.post(&format!("/api/v1/stores/{id}/close"), &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
        let (_, body) = app.get(&format!("/api/v1/stores/{id}"), &owner.access).await;
        assert_eq!(body["active"], true, "the refused close changed nothing");
    }
}

api_test! {
    async fn the_store_list_pages_by_cursor_filters_and_counts_on_request(app) {
        let owner = app.login(AdminRole::Owner).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(create(&app, &owner.access, &format!("Магазин {n}")).await);
        }
        create(&app, &owner.access, "Склад").await;

        let mut seen = Vec::new();
        let mut path = "/api/v1/stores?name=Магазин&limit=2&include_total=true".to_string();
        loop {
            let (status, page) = app.get(&path, &owner.access).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(page["total"], 5);
            seen.extend(page["items"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/stores?name=Магазин&limit=2&include_total=true&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, ids, "every store once, oldest first");

        let (_, newest) = app.get("/api/v1/stores?sort=-id&limit=1", &owner.access).await;
        assert_eq!(newest["items"][0]["name"], "Склад");
        assert_eq!(newest["total"], serde_json::Value::Null, "not counted unless asked");
        let cursor = newest["next_cursor"].as_str().unwrap();
        let (status, body) = app.get(&format!("/api/v1/stores?cursor={cursor}"), &owner.access).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["reason"].as_str()), (422, Some("sort_mismatch")));
        for bad in ["limit=0", "limit=201", "limit=x", "cursor=garbage", "sort=name", "active=maybe"] {
            let (status, body) = app.get(&format!("/api/v1/stores?{bad}"), &owner.access).await;
            assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "{bad}");
        }
        let (status, body) = app.get("/api/v1/stores?limit=200", &owner.access).await;
        assert_eq!((status, body["items"].as_array().unwrap().len()), (200, 6));
    }
}
