//! `/api/v1/admins` and `/api/v1/settings`: owner-only resources.

mod common;

use common::app::code;
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use serde_json::json;

api_test! {
    async fn an_owner_adds_lists_and_changes_admins(app) {
        let owner = app.login(AdminRole::Owner).await;
        let (status, created) = app.post("/api/v1/admins", &owner.access, json!({ "telegram_id": 5550001, "role": "marketing", "name": "Маша" })).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!((created["role"].as_str(), created["active"].as_bool()), (Some("marketing"), Some(true)));
        let id = created["id"].as_i64().unwrap();
        let (status, body) = app.post("/api/v1/admins", &owner.access, json!({ "telegram_id": 5550001, "role": "readonly" })).await;
        assert_eq!((status, code(&body)), (409, "ADMIN_ALREADY_EXISTS"));
        let (status, body) = app.post("/api/v1/admins", &owner.access, json!({ "telegram_id": 1, "role": "superuser" })).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["field"].as_str()), (422, Some("role")));

        let (status, body) = app.call(Method::PATCH, &format!("/api/v1/admins/{id}"), Some(&owner.access), Some(json!({ "role": "readonly" }))).await;
        assert_eq!((status, body["role"].as_str(), body["active"].as_bool()), (200, Some("readonly"), Some(true)), "absent fields stay");
        let (_, marketers) = app.get("/api/v1/admins?role=marketing&include_total=true", &owner.access).await;
        assert_eq!(marketers["total"], 0);
        let (_, readonly) = app.get("/api/v1/admins?role=readonly", &owner.access).await;
        assert_eq!(readonly["items"][0]["id"], id);
        let (status, body) = app.get("/api/v1/admins/99999999", &owner.access).await;
        assert_eq!((status, code(&body)), (404, "ADMIN_NOT_FOUND"));
    }
}

api_test! {
    async fn the_last_active_owner_cannot_be_demoted_or_switched_off(app) {
        let owner = app.login(AdminRole::Owner).await;
        let me = format!("/api/v1/admins/{}", owner.admin.id);
        for change in [json!({ "role": "marketing" }), json!({ "active": false })] {
            let (status, body) = app.call(Method::PATCH, &me, Some(&owner.access), Some(change)).await;
            assert_eq!((status, code(&body)), (409, "ADMIN_LAST_OWNER"));
        }
        let second = app.login(AdminRole::Owner).await;
        let (status, body) = app.call(Method::PATCH, &me, Some(&second.access), Some(json!({ "role": "marketing" }))).await;
        assert_eq!((status, body["role"].as_str()), (200, Some("marketing")), "with another owner it is allowed");
        let (status, body) = app.call(Method::PATCH, &format!("/api/v1/admins/{}", second.admin.id), Some(&second.access), Some(json!({ "active": false }))).await;
        assert_eq!((status, code(&body)), (409, "ADMIN_LAST_OWNER"));
    }
}

api_test! {
    async fn settings_are_read_and_changed_all_or_nothing(app) {
        let owner = app.login(AdminRole::Owner).await;
        let (status, settings) = app.get("/api/v1/settings", &owner.access).await;
        assert_eq!((status, settings["broadcast_rate_per_minute"].as_u64()), (200, Some(25)));
        let patch = json!({ "broadcast_rate_per_minute": 40, "channel": "@sweets_vl", "default_language": "en" });
        let (status, body) = app.call(Method::PATCH, "/api/v1/settings", Some(&owner.access), Some(patch)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["broadcast_rate_per_minute"].as_u64(), body["channel"].as_str(), body["default_language"].as_str()), (Some(40), Some("@sweets_vl"), Some("en")));

        // One bad value refuses the whole change.
        let patch = json!({ "shop_hours": "10–20", "audit_retention_days": 0 });
        let (status, body) = app.call(Method::PATCH, "/api/v1/settings", Some(&owner.access), Some(patch)).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["field"].as_str()), (422, Some("audit_retention_days")));
        let (_, now) = app.get("/api/v1/settings", &owner.access).await;
        assert_eq!(now["shop_hours"], "", "nothing of the refused change applied");

        let (status, body) = app.call(Method::PATCH, "/api/v1/settings", Some(&owner.access), Some(json!({ "channel": "" }))).await;
        assert_eq!((status, body["channel"].clone()), (200, serde_json::Value::Null), "an empty channel clears it");
        let (status, body) = app.call(Method::PATCH, "/api/v1/settings", Some(&owner.access), Some(json!({ "colour": "pink" }))).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["reason"].as_str()), (422, Some("unknown_field")));
    }
}
