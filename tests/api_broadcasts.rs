//! `/api/v1/broadcasts` through HTTP: drafts (from content or a message template) and their field-named
//! refusals, edits while a draft, scheduling by instant or by the shop's wall clock, the lifecycle and
//! its conflicts, progress and failures, media uploads, test sends without bots, roles and retries.

mod common;

use chrono::{DateTime, Utc};
use common::Backend;
use common::app::{TestApp, code, read, spawn_app_with};
use common::fixtures;
use dvorik::broadcast::deliveries::{self, Materialized};
use dvorik::entity::{broadcast_deliveries, broadcasts as broadcast_rows};
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

fn draft(name: &str) -> Value {
    json!({
        "name": name,
        "content": {
            "variants": { "ru": { "text": "<b>Скидки</b> недели" } },
            "buttons": [{ "text": "Сайт", "url": "https://shop.example" }]
        }
    })
}

async fn create(app: &TestApp, token: &str) -> i64 {
    let (status, body) = app
        .post("/api/v1/broadcasts", token, draft("Новости"))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn step(app: &TestApp, token: &str, id: i64, action: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/broadcasts/{id}/{action}"),
        token,
        json!({}),
    )
    .await
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

api_test! {
    async fn a_marketer_creates_a_draft_and_gets_its_view(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let (status, b) = app.post("/api/v1/broadcasts", &marketer.access, draft("Новости")).await;
        assert_eq!(status, 201, "{b}");
        assert_eq!(b["name"], "Новости");
        assert_eq!(b["state"], "draft");
        assert_eq!(b["segment_id"], Value::Null, "every subscriber");
        assert_eq!(b["content"]["variants"]["ru"]["text"], "<b>Скидки</b> недели");
        assert_eq!(b["content"]["buttons"][0]["url"], "https://shop.example");
        assert_eq!((b["media_kind"].clone(), b["media_uploaded"].clone()), (Value::Null, json!(false)));
        assert_eq!(b["rate_per_minute"], Value::Null, "the deployment's rate");
        assert_eq!(b["created_by_admin_id"], marketer.admin.id);
        let id = b["id"].as_i64().unwrap();
        let (status, got) = app.get(&format!("/api/v1/broadcasts/{id}"), &marketer.access).await;
        assert_eq!((status, got), (200, b));
    }
}

api_test! {
    async fn bad_drafts_are_refused_in_the_one_error_shape_naming_each_field(app) {
        let owner = app.login(AdminRole::Owner).await;
        let body = json!({
            "name": "  ",
            "rate_per_minute": 5000,
            "content": { "variants": { "ru": { "text": "Привет <img src=x>" } } }
        });
        let (status, err) = app.post("/api/v1/broadcasts", &owner.access, body).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
        assert_eq!(err["error"]["details"]["fields"], json!([
            { "field": "name", "reason": "required" },
            { "field": "rate_per_minute", "reason": "out_of_range" },
            { "field": "content.variants.ru.text", "reason": "tag_not_allowed:img" },
        ]));
        assert!(err["error"]["message"].is_string() && err["error"]["details"]["request_id"].is_string(), "{err}");
        let (status, err) = app.post("/api/v1/broadcasts", &owner.access, json!({ "name": "Пусто" })).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
        assert_eq!(err["error"]["details"]["fields"], json!([{ "field": "content", "reason": "content_or_message_template_id" }]));
        let (_, list) = app.get("/api/v1/broadcasts", &owner.access).await;
        assert_eq!(list["items"], json!([]), "nothing was created");
    }
}

api_test! {
    async fn a_draft_made_from_a_message_template_copies_its_content(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let content = json!({ "variants": { "ru": { "text": "<i>Из шаблона</i>" }, "en": { "text": "<i>From a template</i>" } } });
        let (status, template) = app.post("/api/v1/message-templates", &marketer.access, json!({ "name": "Акция", "content": content })).await;
        assert_eq!(status, 201, "{template}");
        let body = json!({ "name": "По шаблону", "message_template_id": template["id"], "rate_per_minute": 600 });
        let (status, b) = app.post("/api/v1/broadcasts", &marketer.access, body).await;
        assert_eq!(status, 201, "{b}");
        assert_eq!(b["content"], content);
        assert_eq!(b["rate_per_minute"], 600);
        let (status, err) = app.post("/api/v1/broadcasts", &marketer.access, json!({ "name": "x", "message_template_id": 424242 })).await;
        assert_eq!((status, code(&err)), (404, "MESSAGE_TEMPLATE_NOT_FOUND"));
    }
}

api_test! {
    async fn a_draft_can_be_edited_until_it_starts(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let id = create(&app, &marketer.access).await;
        let path = format!("/api/v1/broadcasts/{id}");
        let (status, b) = app.call(Method::PUT, &path, Some(&marketer.access), Some(draft("Новое имя"))).await;
        assert_eq!((status, b["name"].as_str()), (200, Some("Новое имя")), "{b}");
        let (status, err) = app.call(Method::PUT, &path, Some(&marketer.access), Some(json!({ "name": "" , "content": draft("x")["content"] }))).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
        let (status, b) = step(&app, &marketer.access, id, "start").await;
        assert_eq!((status, b["state"].as_str()), (200, Some("running")), "{b}");
        let (status, err) = app.call(Method::PUT, &path, Some(&marketer.access), Some(draft("Поздно"))).await;
        assert_eq!((status, code(&err)), (409, "BROADCAST_NOT_DRAFT"));
        let (_, b) = app.get(&path, &marketer.access).await;
        assert_eq!(b["name"], "Новое имя", "the refused edit changed nothing");
    }
}

api_test! {
    async fn a_shop_wall_clock_time_is_scheduled_as_its_utc_instant_and_the_past_is_refused(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let id = create(&app, &marketer.access).await;
        // Vladivostok is UTC+10 all year.
        let (status, b) = app.post(&format!("/api/v1/broadcasts/{id}/schedule"), &marketer.access, json!({ "send_at_local": "2036-12-05T10:00:00" })).await;
        assert_eq!((status, b["state"].as_str()), (200, Some("scheduled")), "{b}");
        assert_eq!(instant(&b["scheduled_at"]), "2036-12-05T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let (status, b) = app.post(&format!("/api/v1/broadcasts/{id}/schedule"), &marketer.access, json!({ "send_at": "2036-12-06T09:30:00+03:00" })).await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(instant(&b["scheduled_at"]), "2036-12-06T06:30:00Z".parse::<DateTime<Utc>>().unwrap());

        let other = create(&app, &marketer.access).await;
        let (status, err) = app.post(&format!("/api/v1/broadcasts/{other}/schedule"), &marketer.access, json!({ "send_at": "2020-01-01T00:00:00Z" })).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
        assert_eq!(err["error"]["details"]["fields"], json!([{ "field": "send_at", "reason": "in_the_past" }]));
        let (status, err) = app.post(&format!("/api/v1/broadcasts/{other}/schedule"), &marketer.access, json!({})).await;
        assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"), "neither time: {err}");
        let (_, b) = app.get(&format!("/api/v1/broadcasts/{other}"), &marketer.access).await;
        assert_eq!((b["state"].as_str(), b["scheduled_at"].clone()), (Some("draft"), Value::Null));
    }
}

api_test! {
    async fn a_broadcast_starts_once_pauses_resumes_and_cancels(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let id = create(&app, &marketer.access).await;
        let (status, err) = step(&app, &marketer.access, id, "pause").await;
        assert_eq!((status, code(&err)), (409, "BROADCAST_STATE_CONFLICT"), "a draft is not running");
        let (status, b) = step(&app, &marketer.access, id, "start").await;
        assert_eq!((status, b["state"].as_str()), (200, Some("running")), "{b}");
        assert!(b["started_at"].is_string(), "{b}");
        let (status, err) = step(&app, &marketer.access, id, "start").await;
        assert_eq!((status, code(&err)), (409, "BROADCAST_STATE_CONFLICT"));
        let (status, err) = step(&app, &marketer.access, id, "resume").await;
        assert_eq!((status, code(&err)), (409, "BROADCAST_STATE_CONFLICT"), "running is not paused");
        let (status, b) = step(&app, &marketer.access, id, "pause").await;
        assert_eq!((status, b["state"].as_str()), (200, Some("paused")));
        let (status, b) = step(&app, &marketer.access, id, "resume").await;
        assert_eq!((status, b["state"].as_str()), (200, Some("running")));
        let (status, b) = step(&app, &marketer.access, id, "cancel").await;
        assert_eq!((status, b["state"].as_str()), (200, Some("cancelled")));
        assert!(b["finished_at"].is_string(), "{b}");
        for action in ["start", "pause", "resume", "cancel"] {
            let (status, err) = step(&app, &marketer.access, id, action).await;
            assert_eq!((status, code(&err)), (409, "BROADCAST_STATE_CONFLICT"), "{action} after cancel");
        }
        let (_, list) = app.get("/api/v1/broadcasts?state=cancelled", &marketer.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (_, list) = app.get("/api/v1/broadcasts?state=running", &marketer.access).await;
        assert_eq!(list["items"], json!([]));
    }
}

api_test! {
    async fn progress_counts_the_materialized_deliveries_and_failures_list_their_reasons(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let now = app.t.now();
        for telegram_id in 1..=4 {
            fixtures::user_with(&app.t.db, telegram_id, "U", now, |u| u.subscribed = Set(true)).await;
        }
        fixtures::user_with(&app.t.db, 5, "U", now, |u| u.subscribed = Set(false)).await;
        let id = create(&app, &marketer.access).await;
        step(&app, &marketer.access, id, "start").await;
        let (status, p) = app.get(&format!("/api/v1/broadcasts/{id}/progress"), &marketer.access).await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(p, json!({
            "broadcast_id": id, "state": "running", "total": 0, "materialized": false, "sent": 0, "failed": 0,
            "skipped": 0, "pending": 0, "current_per_minute": 0, "rate_per_minute": 25, "eta_seconds": null
        }));

        let row = broadcast_rows::Entity::find_by_id(id).one(&app.t.db).await.unwrap().unwrap();
        let audience = deliveries::audience(&app.t.db, &row, app.core.timezone).await.unwrap();
        let done = deliveries::materialize_chunk(&app.t.db, &row, audience, 100, app.t.now()).await.unwrap();
        assert_eq!(done, Materialized::Done(4), "the four subscribers");
        let first = broadcast_deliveries::Entity::find()
            .filter(broadcast_deliveries::Column::BroadcastId.eq(id))
            .one(&app.t.db).await.unwrap().unwrap();
        broadcast_deliveries::Entity::update_many()
            .col_expr(broadcast_deliveries::Column::State, Expr::value(broadcast_deliveries::DeliveryState::Failed))
            .col_expr(broadcast_deliveries::Column::Error, Expr::value("Internal Server Error"))
            .col_expr(broadcast_deliveries::Column::Attempts, Expr::value(3))
            .filter(broadcast_deliveries::Column::Id.eq(first.id))
            .exec(&app.t.db).await.unwrap();

        let reader = app.login(AdminRole::Readonly).await;
        let (status, p) = app.get(&format!("/api/v1/broadcasts/{id}/progress"), &reader.access).await;
        assert_eq!(status, 200, "{p}");
        assert_eq!((p["total"].as_u64(), p["materialized"].as_bool(), p["pending"].as_u64(), p["failed"].as_u64()), (Some(4), Some(true), Some(3), Some(1)), "{p}");
        // Three pending at 25 per minute.
        assert_eq!(p["eta_seconds"], 8, "{p}");
        let (status, page) = app.get(&format!("/api/v1/broadcasts/{id}/failures"), &reader.access).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!((items[0]["delivery_id"].as_i64(), items[0]["user_id"].as_i64()), (Some(first.id), Some(first.user_id)));
        assert_eq!((items[0]["state"].as_str(), items[0]["attempts"].as_i64(), items[0]["reason"].as_str()), (Some("failed"), Some(3), Some("Internal Server Error")));
        assert_eq!(page["next_cursor"], Value::Null);
    }
}

async fn media(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("dvorik-media-{}", uuid::Uuid::new_v4().simple()));
    let media_dir = dir.clone();
    let app = spawn_app_with(backend, move |c| c.media_dir = media_dir).await;
    let marketer = app.login(AdminRole::Marketing).await;
    let id = create(&app, &marketer.access).await;
    let upload = |content_type: &'static str, bytes: &'static [u8]| {
        app.client
            .put(app.url(&format!("/api/v1/broadcasts/{id}/media")))
            .bearer_auth(&marketer.access)
            .header("content-type", content_type)
            .body(bytes)
            .send()
    };
    let png = include_bytes!("../assets/test/pixel.png");
    let (status, b) = read(upload("image/png", png).await.unwrap()).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        (b["media_kind"].as_str(), b["media_uploaded"].as_bool()),
        (Some("photo"), Some(false))
    );
    let stored: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        stored,
        vec![png.to_vec()],
        "the file is kept in the media folder"
    );

    let (status, err) = read(upload("text/plain", b"hello").await.unwrap()).await;
    assert_eq!((status, code(&err)), (422, "VALIDATION_FAILED"));
    assert_eq!(
        err["error"]["details"]["fields"],
        json!([{ "field": "media", "reason": "unsupported_type" }])
    );
    let (status, err) = read(upload("image/png", b"").await.unwrap()).await;
    assert_eq!(
        (status, code(&err)),
        (422, "VALIDATION_FAILED"),
        "an empty file"
    );

    step(&app, &marketer.access, id, "start").await;
    let (status, err) = read(upload("image/png", png).await.unwrap()).await;
    assert_eq!((status, code(&err)), (409, "BROADCAST_NOT_DRAFT"));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "a refused upload leaves no file"
    );
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_is_attached_by_raw_upload_and_other_types_are_refused_on_sqlite() {
    media(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_is_attached_by_raw_upload_and_other_types_are_refused_on_mariadb() {
    media(Backend::MariaDb).await;
}

api_test! {
    async fn a_test_send_without_bots_is_refused_and_unknown_broadcasts_are_not_found(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let id = create(&app, &marketer.access).await;
        let (status, err) = step(&app, &marketer.access, id, "test").await;
        assert_eq!((status, code(&err)), (503, "BOTS_UNAVAILABLE"));
        for (method, path) in [
            (Method::GET, "/api/v1/broadcasts/424242"),
            (Method::GET, "/api/v1/broadcasts/424242/progress"),
            (Method::GET, "/api/v1/broadcasts/424242/failures"),
            (Method::POST, "/api/v1/broadcasts/424242/start"),
            (Method::POST, "/api/v1/broadcasts/424242/cancel"),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let (status, err) = app.call(method, path, Some(&marketer.access), body).await;
            assert_eq!((status, code(&err)), (404, "BROADCAST_NOT_FOUND"), "{path}");
        }
        let (status, err) = app.call(Method::PUT, "/api/v1/broadcasts/424242", Some(&marketer.access), Some(draft("x"))).await;
        assert_eq!((status, code(&err)), (404, "BROADCAST_NOT_FOUND"));
    }
}

api_test! {
    async fn a_reader_lists_broadcasts_but_cannot_create_one(app) {
        let reader = app.login(AdminRole::Readonly).await;
        let owner = app.login(AdminRole::Owner).await;
        let (status, err) = app.post("/api/v1/broadcasts", &reader.access, draft("Нельзя")).await;
        assert_eq!((status, code(&err)), (403, "FORBIDDEN"));
        let id = create(&app, &owner.access).await;
        let (status, err) = step(&app, &reader.access, id, "start").await;
        assert_eq!((status, code(&err)), (403, "FORBIDDEN"));
        let (status, list) = app.get("/api/v1/broadcasts", &reader.access).await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!((items.len(), items[0]["id"].as_i64(), items[0]["state"].as_str()), (1, Some(id), Some("draft")));
    }
}

api_test! {
    async fn a_repeated_create_with_the_same_idempotency_key_replays_the_first_draft(app) {
        let marketer = app.login(AdminRole::Marketing).await;
        let post = || {
            app.client
                .post(app.url("/api/v1/broadcasts"))
                .bearer_auth(&marketer.access)
                .header("idempotency-key", "news-1")
                .json(&draft("Новости"))
                .send()
        };
        let first = post().await.unwrap();
        assert!(first.headers().get("idempotent-replayed").is_none());
        let (status, first) = read(first).await;
        assert_eq!(status, 201, "{first}");
        let again = post().await.unwrap();
        assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
        let (status, again) = read(again).await;
        assert_eq!((status, &again), (201, &first));
        let (_, list) = app.get("/api/v1/broadcasts?include_total=true", &marketer.access).await;
        assert_eq!(list["total"], 1, "one draft: {list}");
    }
}
