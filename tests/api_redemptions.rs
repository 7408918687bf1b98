//! `/api/v1/redemptions` and `/api/v1/stats` through HTTP: the usage log with filters and its streamed
//! CSV export; the daily figures of the last 30 days.

mod common;

use common::app::code;
use common::fixtures;
use dvorik::services::admins::AdminRole;
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::{discounts, redemption};
use serde_json::json;

api_test! {
    async fn the_usage_log_lists_and_exports_redemptions_as_csv(app) {
        let reader = app.login(AdminRole::Readonly).await;
        let now = app.t.now();
        let cashier = fixtures::approved_cashier(&app.t.db, 500, now).await;
        let owner = fixtures::owner(&app.t.db, 600, now).await;
        let mut redeemed = Vec::new();
        for i in 0..3 {
            let user = fixtures::user(&app.t.db, 10 + i, now).await;
            let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("10"), validity_days: 5, admin_id: owner.id, note: None };
            let issued = discounts::issue_manual(&app.t.db, &app.t.key, &manual, now).await.unwrap();
            let done = redemption::redeem(&app.t.db, &app.t.key, issued.code.expose(), cashier.id, Some(150_000 + i), now + chrono::Duration::seconds(i)).await.unwrap();
            redeemed.push(done.redemption.id);
        }
        let (status, body) = app.get("/api/v1/redemptions?limit=2&include_total=true", &reader.access).await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(3)), "{body}");
        assert_eq!(body["items"][0]["id"], redeemed[2], "newest first");
        assert_eq!(body["items"][0]["receipt_amount"], "1500.02");
        assert_eq!(body["items"][0]["value"], json!({ "kind": "percent", "value": "10.00" }));
        let cursor = body["next_cursor"].as_str().unwrap();
        let (_, next) = app.get(&format!("/api/v1/redemptions?limit=2&cursor={cursor}"), &reader.access).await;
        assert_eq!(next["items"][0]["id"], redeemed[0]);
        assert!(next["next_cursor"].is_null());
        let (_, none) = app.get(&format!("/api/v1/redemptions?store_id={}", cashier.store_id + 1000), &reader.access).await;
        assert!(none["items"].as_array().unwrap().is_empty());

        let response = app.client.get(app.url("/api/v1/redemptions/export.csv?kind=manual")).bearer_auth(&reader.access).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(lines[0].starts_with("redemption_id,redeemed_at,"));
        assert!(lines[1].starts_with(&format!("{},", redeemed[2])));
        assert!(lines[1].contains(",manual,"), "{}", lines[1]);
        assert!(lines[1].ends_with(",10.00%,1500.02"), "{}", lines[1]);
        let (status, body) = app.get("/api/v1/redemptions/export.csv?from=2026-03-02&to=2026-03-01", &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "a bad range is a JSON error, not a broken file");
    }
}

api_test! {
    async fn the_stats_cover_thirty_local_days_by_default(app) {
        let reader = app.login(AdminRole::Readonly).await;
        let now = app.t.now();
        fixtures::user(&app.t.db, 1, now).await;
        fixtures::user(&app.t.db, 2, now).await;
        let (status, body) = app.get("/api/v1/stats", &reader.access).await;
        assert_eq!(status, 200, "{body}");
        let days = body["days"].as_array().unwrap();
        assert_eq!(days.len(), 30);
        let today = now.with_timezone(&chrono_tz::Asia::Vladivostok).date_naive().to_string();
        assert_eq!(days[29]["date"], today);
        assert_eq!((days[29]["users_new"].as_i64(), days[29]["users_total"].as_i64()), (Some(2), Some(2)));
        assert_eq!(body["users_new"], 2);
        assert_eq!(body["current"]["users_total"], 2);
        assert_eq!(body["timezone"], "Asia/Vladivostok");
        let (status, body) = app.get("/api/v1/stats?from=2026-03-01&to=2026-03-03", &reader.access).await;
        assert_eq!((status, body["days"].as_array().map(Vec::len)), (200, Some(3)));
        let (status, body) = app.get("/api/v1/stats?from=2020-01-01&to=2026-01-01", &reader.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
    }
}
