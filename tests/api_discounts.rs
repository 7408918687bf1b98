//! `/api/v1/discounts` through HTTP: list with filters, read, revoke, and a bulk issue to a list or a
//! segment running in the background with readable progress.

mod common;

use std::time::Duration;

use common::app::{TestApp, code};
use common::fixtures;
use dvorik::services::admins::AdminRole;
use serde_json::{Value, json};

async fn wait_done(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..200 {
        let (status, body) = app
            .get(&format!("/api/v1/discounts/bulk/{id}"), token)
            .await;
        assert_eq!(status, 200, "{body}");
        if body["state"] == "done" || body["state"] == "failed" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} did not finish");
}

api_test! {
    async fn a_marketer_issues_lists_and_revokes_discounts(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let reader = app.login(AdminRole::Readonly).await;
        let now = app.t.now();
        let a = fixtures::user(&app.t.db, 1, now).await.id;
        let b = fixtures::user(&app.t.db, 2, now).await.id;
        let issue = |user: i64, value: &str| {
            let body = json!({ "value": { "kind": "fixed", "value": value }, "validity_days": 30 });
            let path = format!("/api/v1/users/{user}/discounts");
            let token = marketer.access.clone();
            let app = &app;
            async move {
                let (status, body) = app.post(&path, &token, body).await;
                assert_eq!(status, 201, "{body}");
                body["discount"]["id"].as_i64().unwrap()
            }
        };
        let first = issue(a, "300").await;
        let second = issue(b, "99.90").await;
        let (status, body) = app.get("/api/v1/discounts?include_total=true", &reader.access).await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(2)));
        assert_eq!(body["items"][0]["id"], second, "newest first");
        assert_eq!(body["items"][0]["value"], json!({ "kind": "fixed", "value": "99.90" }));
        assert!(body["items"][0].get("code").is_none(), "a list never shows codes");
        let (_, body) = app.get(&format!("/api/v1/discounts?user_id={a}"), &reader.access).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        let (_, body) = app.get("/api/v1/discounts?kind=birthday", &reader.access).await;
        assert!(body["items"].as_array().unwrap().is_empty());

        let (status, body) = app.post(&format!("/api/v1/discounts/{first}/revoke"), &reader.access, json!({})).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
        let (status, body) = app.post(&format!("/api/v1/discounts/{first}/revoke"), &marketer.access, json!({})).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("revoked")));
        let (status, body) = app.post(&format!("/api/v1/discounts/{first}/revoke"), &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (409, "DISCOUNT_REVOKED"));
        let (_, body) = app.get("/api/v1/discounts?state=active", &reader.access).await;
        assert_eq!(body["items"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect::<Vec<_>>(), [second]);
        let (status, body) = app.get("/api/v1/discounts/777777", &reader.access).await;
        assert_eq!((status, code(&body)), (404, "DISCOUNT_NOT_FOUND"));
    }
}

api_test! {
    async fn a_bulk_issue_runs_in_the_background_and_reports_its_progress(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let now = app.t.now();
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(fixtures::user(&app.t.db, 10 + i, now).await.id);
        }
        let mut target = ids.clone();
        target.push(424_242);
        let body = json!({ "user_ids": target, "value": { "kind": "percent", "value": "7.5" }, "validity_days": 10, "note": "Акция" });
        let (status, task) = app.post("/api/v1/discounts/bulk", &marketer.access, body).await;
        assert_eq!(status, 202, "{task}");
        assert_eq!(task["total"], 7);
        let done = wait_done(&app, &marketer.access, task["id"].as_i64().unwrap()).await;
        assert_eq!((done["state"].as_str(), done["issued"].as_i64(), done["failed"].as_i64()), (Some("done"), Some(6), Some(1)));
        assert_eq!(done["failures"], json!([{ "user_id": 424_242, "code": "USER_NOT_FOUND" }]));
        let (_, list) = app.get("/api/v1/discounts?include_total=true&kind=manual", &marketer.access).await;
        assert_eq!(list["total"], 6);

        // A segment target: the English speakers.
        let en = fixtures::user_with(&app.t.db, 99, "Ann", now, |u| u.language = sea_orm::Set("en".into())).await;
        let (status, segment) = app.post("/api/v1/segments", &marketer.access, json!({ "name": "EN", "filter": { "languages": ["en"] } })).await;
        assert_eq!(status, 201, "{segment}");
        let body = json!({ "segment_id": segment["id"], "value": { "kind": "fixed", "value": "100" }, "validity_days": 5 });
        let (status, task) = app.post("/api/v1/discounts/bulk", &marketer.access, body).await;
        assert_eq!((status, task["total"].as_i64()), (202, Some(1)));
        let done = wait_done(&app, &marketer.access, task["id"].as_i64().unwrap()).await;
        assert_eq!(done["issued"], 1);
        let (_, list) = app.get(&format!("/api/v1/discounts?user_id={}", en.id), &marketer.access).await;
        assert_eq!(list["items"][0]["value"], json!({ "kind": "fixed", "value": "100.00" }));

        let both = json!({ "user_ids": [1], "segment_id": 1, "value": { "kind": "fixed", "value": "1" }, "validity_days": 5 });
        let (status, body) = app.post("/api/v1/discounts/bulk", &marketer.access, both).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        let (status, body) = app.get("/api/v1/discounts/bulk/5555", &marketer.access).await;
        assert_eq!((status, code(&body)), (404, "DISCOUNT_TASK_NOT_FOUND"));
    }
}
