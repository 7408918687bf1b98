//! `/api/v1/cashiers` and `/api/v1/discount-templates` through HTTP.

mod common;

use common::app::code;
use common::fixtures;
use dvorik::services::admins::AdminRole;
use dvorik::services::cashiers;
use reqwest::Method;
use serde_json::json;

api_test! {
    async fn a_marketer_approves_rejects_and_revokes_cashiers(app) {
        let now = app.t.now();
        let store = fixtures::store(&app.t.db, "Светланская", now).await;
        let a = cashiers::register(&app.t.db, 701, "Ольга", store.id, now).await.unwrap();
        let b = cashiers::register(&app.t.db, 702, "Пётр", store.id, now).await.unwrap();
        let marketer = app.login(AdminRole::Marketing).await;

        let (status, pending) = app.get("/api/v1/cashiers?state=pending&include_total=true", &marketer.access).await;
        assert_eq!((status, pending["total"].as_u64()), (200, Some(2)));
        let (status, body) = app.post(&format!("/api/v1/cashiers/{}/approve", a.id), &marketer.access, json!({})).await;
        assert_eq!((status, body["state"].as_str(), body["decided_by_admin_id"].as_i64()), (200, Some("approved"), Some(marketer.admin.id)));
        let (status, body) = app.post(&format!("/api/v1/cashiers/{}/approve", a.id), &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (409, "CASHIER_NOT_PENDING"));
        let (status, body) = app.post(&format!("/api/v1/cashiers/{}/reject", b.id), &marketer.access, json!({})).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("rejected")));
        let (status, body) = app.post(&format!("/api/v1/cashiers/{}/revoke", b.id), &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (409, "CASHIER_NOT_APPROVED"));
        let (status, body) = app.post(&format!("/api/v1/cashiers/{}/revoke", a.id), &marketer.access, json!({})).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("revoked")));

        let (_, by_store) = app.get(&format!("/api/v1/cashiers?store_id={}&sort=-id", store.id), &marketer.access).await;
        let ids: Vec<i64> = by_store["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [b.id, a.id]);
        let (status, body) = app.get("/api/v1/cashiers?state=sleeping", &marketer.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        let (status, body) = app.post("/api/v1/cashiers/99999/approve", &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (404, "CASHIER_NOT_FOUND"));
    }
}

api_test! {
    async fn templates_are_created_changed_and_one_per_kind_is_active(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let birthday = |name: &str, value: &str| json!({
            "kind": "birthday", "name": name, "value": { "kind": "percent", "value": value },
            "validity_days": 14, "active": true, "text": "С днём рождения!"
        });
        let (status, first) = app.post("/api/v1/discount-templates", &marketer.access, birthday("ДР 10%", "10")).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["value"], json!({ "kind": "percent", "value": "10.00" }));
        let (status, second) = app.post("/api/v1/discount-templates", &marketer.access, birthday("ДР 12.5%", "12.5")).await;
        assert_eq!((status, second["active"].as_bool()), (201, Some(true)));
        let first_id = first["id"].as_i64().unwrap();
        let (_, first_now) = app.get(&format!("/api/v1/discount-templates/{first_id}"), &marketer.access).await;
        assert_eq!(first_now["active"], false, "activating the second switched the first off");

        let (status, body) = app.post(&format!("/api/v1/discount-templates/{first_id}/activate"), &marketer.access, json!({})).await;
        assert_eq!((status, body["active"].as_bool()), (200, Some(true)));
        let (_, active) = app.get("/api/v1/discount-templates?kind=birthday&active=true", &marketer.access).await;
        let active: Vec<i64> = active["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(active, [first_id]);
        let (status, body) = app.post(&format!("/api/v1/discount-templates/{first_id}/deactivate"), &marketer.access, json!({})).await;
        assert_eq!((status, body["active"].as_bool()), (200, Some(false)));

        let mut changed = body_fixed();
        changed["name"] = json!("Скидка 300 ₽");
        let (status, body) = app.call(Method::PUT, &format!("/api/v1/discount-templates/{first_id}"), Some(&marketer.access), Some(changed)).await;
        assert_eq!((status, body["value"].clone(), body["kind"].as_str()), (200, json!({ "kind": "fixed", "value": "300.00" }), Some("manual")));

        for (value, reason) in [("0", "out_of_range"), ("100.5", "out_of_range"), ("1.234", "too_many_decimals")] {
            let (status, body) = app.post("/api/v1/discount-templates", &marketer.access, birthday("bad", value)).await;
            assert_eq!((status, body["error"]["details"]["fields"][0]["reason"].as_str()), (422, Some(reason)), "{value}");
        }
        let mut bad = body_fixed();
        bad["validity_days"] = json!(0);
        let (status, body) = app.post("/api/v1/discount-templates", &marketer.access, bad).await;
        assert_eq!((status, body["error"]["details"]["fields"][0]["field"].as_str()), (422, Some("validity_days")));
    }
}

fn body_fixed() -> serde_json::Value {
    json!({ "kind": "manual", "name": "300", "value": { "kind": "fixed", "value": "300.00" }, "validity_days": 30, "active": true, "text": null })
}
