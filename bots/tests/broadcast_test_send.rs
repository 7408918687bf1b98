//! `POST /api/v1/broadcasts/{id}/test` with the client bot as the sender, over real HTTP to the Bot API
//! simulator, on SQLite and MariaDB: the message reaches the signed-in admin's own chat (a photo is
//! uploaded once and its `file_id` kept for the broadcast), an admin Telegram cannot reach gets
//! `BROADCAST_TEST_SEND_FAILED`, and the simulator sees no Bot API violation.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::Backend;
use common::app::{code, read, spawn_app_with_sender};
use dvorik::broadcast::BroadcastSender;
use dvorik::services::admins::AdminRole;
use dvorik_bots::broadcast_sender::TelegramSender;
use dvorik_sim::{SimUser, Simulator};
use serde_json::json;

const CLIENT: &str = "7100002:broadcast-test-client";

async fn test_send(backend: Backend) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sim.add_bot(CLIENT, "broadcast_test_client_bot").unwrap();
    let sender: Arc<dyn BroadcastSender> =
        Arc::new(TelegramSender::new(&sim.api_url(), CLIENT).unwrap());
    let dir = std::env::temp_dir().join(format!("dvorik-media-{}", uuid::Uuid::new_v4().simple()));
    let media_dir = dir.clone();
    let app = spawn_app_with_sender(backend, Some(sender), move |c| c.media_dir = media_dir).await;

    let admin = app.admin(AdminRole::Marketing).await;
    sim.open_chat(CLIENT, &SimUser::new(admin.telegram_id, "Marketer"))
        .unwrap();
    let marketer = app.login_as(admin.clone()).await;
    let content = json!({
        "variants": { "ru": { "text": "<b>Новинки</b> недели" }, "en": { "text": "<b>New</b> this week" } },
        "buttons": [{ "text": "Магазин", "url": "https://example.com/shop" }]
    });
    let (status, b) = app
        .post(
            "/api/v1/broadcasts",
            &marketer.access,
            json!({ "name": "Новинки", "content": content }),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let id = b["id"].as_i64().unwrap();

    let (status, sent) = app
        .post(
            &format!("/api/v1/broadcasts/{id}/test"),
            &marketer.access,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["telegram_id"], admin.telegram_id);
    let got: Vec<_> = sim
        .transcript(CLIENT, admin.telegram_id)
        .into_iter()
        .filter(|e| e.from_bot)
        .collect();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].message_id, sent["message_id"].as_i64());
    // An admin has no language of their own: the shop's default (Russian) variant.
    assert_eq!(got[0].text.as_deref(), Some("Новинки недели"));
    assert_eq!(got[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        got[0].buttons[0][0].url.as_deref(),
        Some("https://example.com/shop")
    );

    // A photo: uploaded by the test send, then the broadcast has Telegram's file_id.
    let png = include_bytes!("../../assets/test/pixel.png");
    let response = app
        .client
        .put(app.url(&format!("/api/v1/broadcasts/{id}/media")))
        .bearer_auth(&marketer.access)
        .header("content-type", "image/png")
        .body(png.as_slice())
        .send()
        .await
        .unwrap();
    let (status, b) = read(response).await;
    assert_eq!(
        (status, b["media_uploaded"].as_bool()),
        (200, Some(false)),
        "{b}"
    );
    let (status, sent) = app
        .post(
            &format!("/api/v1/broadcasts/{id}/test"),
            &marketer.access,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let last = sim.transcript(CLIENT, admin.telegram_id).pop().unwrap();
    assert!(last.media.is_some(), "a photo: {last:#?}");
    assert_eq!(last.caption.as_deref(), Some("Новинки недели"));
    let (_, b) = app
        .get(&format!("/api/v1/broadcasts/{id}"), &marketer.access)
        .await;
    assert_eq!(b["media_uploaded"], true, "the file_id is kept: {b}");
    assert_eq!(b["state"], "draft", "a test send starts nothing");

    // An owner who never opened the client bot: Telegram refuses, and the API says so.
    let stranger = app.login(AdminRole::Owner).await;
    let (status, err) = app
        .post(
            &format!("/api/v1/broadcasts/{id}/test"),
            &stranger.access,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&err)),
        (422, "BROADCAST_TEST_SEND_FAILED"),
        "{err}"
    );

    let violations = sim.violations();
    drop(app);
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
    assert!(violations.is_empty(), "Bot API violations: {violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_test_send_reaches_the_admins_own_chat_on_sqlite() {
    test_send(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_test_send_reaches_the_admins_own_chat_on_mariadb() {
    test_send(Backend::MariaDb).await;
}
