//! `/api/v1/segments` and `/api/v1/message-templates` through HTTP: CRUD, the live count of a saved or
//! unsaved filter, and refusals that name the bad field or tag.

mod common;

use common::app::code;
use common::fixtures;
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use sea_orm::Set;
use serde_json::json;

api_test! {
    async fn segments_are_saved_counted_and_deleted(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let reader = app.login(AdminRole::Readonly).await;
        let now = app.t.now();
        fixtures::user_with(&app.t.db, 1, "a", now, |u| u.subscribed = Set(true)).await;
        fixtures::user_with(&app.t.db, 2, "b", now, |u| { u.subscribed = Set(true); u.unreachable = Set(true); }).await;
        fixtures::user_with(&app.t.db, 3, "c", now, |u| u.blocked = Set(true)).await;
        fixtures::user(&app.t.db, 4, now).await;

        let (status, body) = app.post("/api/v1/segments/count", &reader.access, json!({ "filter": {} })).await;
        assert_eq!((status, body.clone()), (200, json!({ "matching": 3, "reachable": 1 })), "{body}");
        let (status, body) = app.post("/api/v1/segments/count", &reader.access, json!({ "filter": { "subscribed": true } })).await;
        assert_eq!((status, body), (200, json!({ "matching": 2, "reachable": 1 })));
        let (status, body) = app.post("/api/v1/segments/count", &reader.access, json!({ "filter": { "languages": ["ru", "xx"], "birthday_months": [13] } })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        assert_eq!(body["error"]["details"]["fields"], json!([
            { "field": "languages[1]", "reason": "unknown_language" },
            { "field": "birthday_months[0]", "reason": "out_of_range" },
        ]));
        let (status, body) = app.post("/api/v1/segments/count", &reader.access, json!({ "filter": { "age": 3 } })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"), "an unknown criterion: {body}");

        let (status, body) = app.post("/api/v1/segments", &reader.access, json!({ "name": "x", "filter": {} })).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
        let (status, segment) = app.post("/api/v1/segments", &marketer.access, json!({ "name": "Подписчики", "filter": { "subscribed": true } })).await;
        assert_eq!(status, 201, "{segment}");
        let id = segment["id"].as_i64().unwrap();
        let (status, body) = app.get(&format!("/api/v1/segments/{id}/count"), &reader.access).await;
        assert_eq!((status, body), (200, json!({ "matching": 2, "reachable": 1 })));
        let (status, body) = app.call(Method::PUT, &format!("/api/v1/segments/{id}"), Some(&marketer.access), Some(json!({ "name": "Все", "filter": {} }))).await;
        assert_eq!((status, body["name"].as_str(), body["filter"].clone()), (200, Some("Все"), json!({})));
        let (_, list) = app.get("/api/v1/segments", &reader.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (status, _) = app.call(Method::DELETE, &format!("/api/v1/segments/{id}"), Some(&marketer.access), None).await;
        assert_eq!(status, 204);
        let (status, body) = app.get(&format!("/api/v1/segments/{id}"), &reader.access).await;
        assert_eq!((status, code(&body)), (404, "SEGMENT_NOT_FOUND"));
    }
}

api_test! {
    async fn message_templates_accept_only_telegram_html(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let content = |text: &str| json!({
            "variants": { "ru": { "text": text } },
            "buttons": [{ "text": "Сайт", "url": "https://shop.example" }]
        });
        let (status, body) = app.post("/api/v1/message-templates", &marketer.access, json!({ "name": "Акция", "content": content("<b>Скидки</b> до 50%") })).await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_i64().unwrap();
        assert_eq!(body["content"]["variants"]["ru"]["text"], "<b>Скидки</b> до 50%");
        let (status, body) = app.post("/api/v1/message-templates", &marketer.access, json!({ "name": "Другая", "content": content("Привет <img src=x>") })).await;
        assert_eq!((status, code(&body)), (422, "VALIDATION_FAILED"));
        assert_eq!(body["error"]["details"]["fields"], json!([{ "field": "variants.ru.text", "reason": "tag_not_allowed:img" }]));
        let (status, body) = app.post("/api/v1/message-templates", &marketer.access, json!({ "name": "Акция", "content": content("ok") })).await;
        assert_eq!((status, code(&body)), (409, "MESSAGE_TEMPLATE_NAME_TAKEN"));
        let (status, body) = app.call(Method::PUT, &format!("/api/v1/message-templates/{id}"), Some(&marketer.access), Some(json!({ "name": "Акция", "content": content("<i>новое</i>") }))).await;
        assert_eq!((status, body["content"]["variants"]["ru"]["text"].as_str()), (200, Some("<i>новое</i>")));
        let (status, body) = app.get(&format!("/api/v1/message-templates/{id}"), &marketer.access).await;
        assert_eq!((status, body["name"].as_str()), (200, Some("Акция")));
        let (status, _) = app.call(Method::DELETE, &format!("/api/v1/message-templates/{id}"), Some(&marketer.access), None).await;
        assert_eq!(status, 204);
        let (status, body) = app.call(Method::DELETE, &format!("/api/v1/message-templates/{id}"), Some(&marketer.access), None).await;
        assert_eq!((status, code(&body)), (404, "MESSAGE_TEMPLATE_NOT_FOUND"));
    }
}
