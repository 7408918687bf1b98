//! Every mutation through the API leaves an audit row naming who, what, which entity, before and after,
//! and the request; `/api/v1/audit-log` filters them.

mod common;

use common::app::{code, read};
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use serde_json::json;

api_test! {
    async fn a_change_is_audited_with_its_request_id_and_can_be_found(app) {
        let owner = app.login(AdminRole::Owner).await;
        let response = app.client.post(app.url("/api/v1/stores")).bearer_auth(&owner.access).header("x-request-id", "req-store-1").json(&json!({ "name": "Чуркин" })).send().await.unwrap();
        let (status, store) = read(response).await;
        assert_eq!(status, 201);
        let id = store["id"].as_i64().unwrap();
        app.call(Method::PUT, &format!("/api/v1/stores/{id}"), Some(&owner.access), Some(json!({ "name": "Чуркин-2" }))).await;

        let (status, page) = app.get("/api/v1/audit-log?request_id=req-store-1", &owner.access).await;
        assert_eq!(status, 200, "{page}");
        let row = &page["items"][0];
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!((row["action"].as_str(), row["entity"].as_str(), row["entity_id"].as_str()), (Some("store.create"), Some("store"), Some(id.to_string().as_str())));
        assert_eq!((row["actor_kind"].as_str(), row["actor_id"].as_i64()), (Some("admin"), Some(owner.admin.id)));
        assert_eq!((row["before"].clone(), row["after"]["name"].as_str()), (serde_json::Value::Null, Some("Чуркин")));

        let (_, updates) = app.get(&format!("/api/v1/audit-log?entity=store&entity_id={id}&action=store.update"), &owner.access).await;
        let update = &updates["items"][0];
        assert_eq!((update["before"]["name"].as_str(), update["after"]["name"].as_str()), (Some("Чуркин"), Some("Чуркин-2")));
        assert!(update["request_id"].as_str().is_some_and(|r| !r.is_empty()), "a generated request id");

        let (_, mine) = app.get(&format!("/api/v1/audit-log?actor_id={}&include_total=true", owner.admin.id), &owner.access).await;
        assert_eq!(mine["total"], 3, "login, create, update: {mine}");
        assert_eq!(mine["items"][0]["action"], "store.update", "newest first");
        let (_, oldest) = app.get(&format!("/api/v1/audit-log?actor_id={}&sort=id&limit=1", owner.admin.id), &owner.access).await;
        assert_eq!(oldest["items"][0]["action"], "admin.login");

        let (_, future) = app.get("/api/v1/audit-log?from=2100-01-01T00:00:00Z&include_total=true", &owner.access).await;
        assert_eq!(future["total"], 0);
        let (_, past) = app.get("/api/v1/audit-log?to=2000-01-01T00:00:00Z&include_total=true", &owner.access).await;
        assert_eq!(past["total"], 0);
        let (_, all) = app.get("/api/v1/audit-log?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&include_total=true", &owner.access).await;
        assert!(all["total"].as_u64().unwrap() >= 3, "{all}");
        let (status, body) = app.get("/api/v1/audit-log?from=yesterday", &owner.access).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["field"].as_str()), (422, Some("from")));
    }
}

api_test! {
    async fn a_refused_change_leaves_no_audit_row_and_cashier_decisions_are_audited(app) {
        use common::fixtures;
        let owner = app.login(AdminRole::Owner).await;
        let marketer = app.login(AdminRole::Marketing).await;
        let (status, body) = app.post("/api/v1/stores", &marketer.access, json!({ "name": "Запрещённый" })).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
        let (_, stores) = app.get("/api/v1/audit-log?entity=store&include_total=true", &owner.access).await;
        assert_eq!(stores["total"], 0);

        let now = app.t.now();
        let store = fixtures::store(&app.t.db, "Садгород", now).await;
        let cashier = dvorik::services::cashiers::register(&app.t.db, 801, "Вера", store.id, now).await.unwrap();
        app.post(&format!("/api/v1/cashiers/{}/approve", cashier.id), &marketer.access, json!({})).await;
        let (_, rows) = app.get("/api/v1/audit-log?entity=cashier", &owner.access).await;
        let row = &rows["items"][0];
        assert_eq!((row["action"].as_str(), row["actor_id"].as_i64()), (Some("cashier.approve"), Some(marketer.admin.id)));
        assert_eq!((row["before"]["state"].as_str(), row["after"]["state"].as_str()), (Some("pending"), Some("approved")));
        assert!(row["request_id"].is_string());
    }
}
