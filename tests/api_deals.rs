//! `/api/v1/deals` and `/api/v1/blacklist` through HTTP: a marketer drafts, renders and sends a deal;
//! the evidence, its verification and the signing record are readable; refusals have their codes.

mod common;

use common::app::code;
use common::fixtures;
use dvorik::entity::signature_events;
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

api_test! {
    async fn a_marketer_drafts_renders_and_sends_a_deal_and_reads_its_verified_evidence(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let readonly = app.login(AdminRole::Readonly).await;
        let user = fixtures::user(&app.core.db, 100, dvorik::clock::now()).await;
        let body = json!({
            "title": "Поставка сыра", "kind": "sale", "counterparty_user_id": user.id, "amount": "1500.50",
            "terms": {"payment_plan": [{"due": "2026-12-01", "amount": "1500.50"}],
                      "splits": [{"party": "Магазин", "percent": "100"}]}
        });
        let (status, deal) = app.post("/api/v1/deals", &marketer.access, body).await;
        assert_eq!(status, 201, "{deal}");
        assert_eq!((deal["amount"].as_str(), deal["amount_minor"].as_i64(), deal["state"].as_str()), (Some("1500.50"), Some(150_050), Some("draft")));
        let id = deal["id"].as_i64().unwrap();

        let (status, doc) = app.post(&format!("/api/v1/deals/{id}/documents"), &marketer.access, json!({})).await;
        assert_eq!((status, doc["version"].as_i64()), (201, Some(1)), "{doc}");
        assert!(doc["body"].as_str().unwrap().contains("1500,50 руб."));
        let pdf = app
            .client
            .get(app.url(&format!("/api/v1/documents/{}/pdf", doc["id"])))
            .bearer_auth(&readonly.access)
            .send()
            .await
            .unwrap();
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
        let (status, sent) = app.post(&format!("/api/v1/deals/{id}/send"), &marketer.access, json!({})).await;
        assert_eq!((status, sent["state"].as_str()), (200, Some("sent")), "{sent}");

        let (status, events) = app.get(&format!("/api/v1/deals/{id}/evidence"), &readonly.access).await;
        assert_eq!(status, 200);
        assert_eq!(events[0]["kind"], "sent");
        assert_eq!(events[0]["document_id"], doc["id"]);
        let (status, check) = app.get(&format!("/api/v1/deals/{id}/evidence/verify"), &readonly.access).await;
        assert_eq!((status, check["ok"].as_bool(), check["events"].as_i64()), (200, Some(true), Some(1)));

        signature_events::Entity::update_many()
            .col_expr(signature_events::Column::Payload, Expr::value("{}"))
            .filter(signature_events::Column::DealId.eq(id))
            .exec(&app.core.db)
            .await
            .unwrap();
        let (_, check) = app.get(&format!("/api/v1/deals/{id}/evidence/verify"), &readonly.access).await;
        assert_eq!(check["ok"], false);
        assert_eq!(check["first_break"], json!({"deal_id": id, "seq": 1, "reason": "hash_mismatch"}));

        let (status, record) = app.get(&format!("/api/v1/deals/{id}/signing-record"), &readonly.access).await;
        assert_eq!(status, 200);
        assert_eq!(record["document"]["sha256"], doc["sha256"]);
        assert_eq!(record["verification"]["ok"], false);

        let (_, list) = app.get("/api/v1/deals?state=sent", &readonly.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (status, body) = app.get("/api/v1/deals?state=bogus", &readonly.access).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
    }
}

api_test! {
    async fn deal_and_blacklist_refusals_have_their_codes(app) {
        let owner = app.login(AdminRole::Owner).await;
        let body = json!({"title": "X", "kind": "sale", "counterparty_phone": "8 914 123 45 67", "amount": "10.001",
                          "terms": {"splits": [{"party": "A", "percent": "60"}]}});
        let (status, err) = app.post("/api/v1/deals", &owner.access, body).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
        let fields = &err["error"]["details"]["fields"];
        assert!(fields.as_array().unwrap().contains(&json!({"field": "amount", "reason": "too_many_decimals"})), "{fields}");
        assert!(fields.as_array().unwrap().contains(&json!({"field": "terms.splits", "reason": "sum_not_100"})), "{fields}");

        let body = json!({"title": "X", "kind": "sale", "counterparty_phone": "8 914 123 45 67", "amount": "10"});
        let (_, deal) = app.post("/api/v1/deals", &owner.access, body.clone()).await;
        assert_eq!(deal["counterparty_phone"], "+79141234567");
        let id = deal["id"].as_i64().unwrap();
        let (status, cancelled) = app.post(&format!("/api/v1/deals/{id}/cancel"), &owner.access, json!({"reason": "ошибка"})).await;
        assert_eq!((status, cancelled["state"].as_str()), (200, Some("cancelled")));
        let (status, err) = app.call(Method::PUT, &format!("/api/v1/deals/{id}"), Some(&owner.access), Some(body)).await;
        assert_eq!((status, code(&err)), (409, "DEAL_NOT_DRAFT"));
        let (status, err) = app.post(&format!("/api/v1/deals/{id}/send"), &owner.access, json!({})).await;
        assert_eq!((status, code(&err)), (409, "DEAL_STATE_CONFLICT"));
        let (status, err) = app.get("/api/v1/deals/424242", &owner.access).await;
        assert_eq!((status, code(&err)), (404, "DEAL_NOT_FOUND"));
        let (status, err) = app.get("/api/v1/documents/424242", &owner.access).await;
        assert_eq!((status, code(&err)), (404, "DOCUMENT_NOT_FOUND"));

        let entry = json!({"kind": "phone", "value": "+7 914 000-00-00", "reason": "мошенник"});
        let (status, added) = app.post("/api/v1/blacklist", &owner.access, entry.clone()).await;
        assert_eq!((status, added["value"].as_str()), (201, Some("+79140000000")), "{added}");
        let (status, err) = app.post("/api/v1/blacklist", &owner.access, entry).await;
        assert_eq!((status, code(&err)), (409, "BLACKLIST_ENTRY_EXISTS"));
        let (_, list) = app.get("/api/v1/blacklist?kind=phone", &owner.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let entry_id = added["id"].as_i64().unwrap();
        let (status, _) = app.call(Method::DELETE, &format!("/api/v1/blacklist/{entry_id}"), Some(&owner.access), None).await;
        assert_eq!(status, 204);
        let (status, err) = app.get(&format!("/api/v1/blacklist/{entry_id}"), &owner.access).await;
        assert_eq!((status, code(&err)), (404, "BLACKLIST_ENTRY_NOT_FOUND"));
    }
}
