//! Webhook mode: updates are POSTed with the secret header; getUpdates is refused meanwhile.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{TOKEN, call};
use serde_json::{Value, json};

/// What the webhook received: the secret header and the update.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

#[tokio::test]
async fn updates_are_posted_to_the_webhook_with_its_secret_until_it_is_deleted() {
    let sim = common::start().await;
    let received: Received = Arc::default();
    let notify = Arc::new(tokio::sync::Notify::new());
    let app = {
        let (received, notify) = (received.clone(), notify.clone());
        Router::new().route(
            "/hook",
            post(
                move |headers: HeaderMap, body: axum::Json<Value>| async move {
                    let secret = headers
                        .get("x-telegram-bot-api-secret-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    received.lock().unwrap().push((secret, body.0));
                    notify.notify_one();
                    ""
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{hook_addr}/hook");
    let (status, _) = call(
        &sim,
        "setWebhook",
        json!({ "url": url, "secret_token": "s3cret_-X" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.webhook_url(TOKEN).as_deref(), Some(url.as_str()));
    let (status, _) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(status, 409);

    let injected = sim
        .send_text(TOKEN, &common::user(3), "via webhook")
        .unwrap();
    tokio::time::timeout(common::WAIT, notify.notified())
        .await
        .expect("the webhook is called");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.as_deref(), Some("s3cret_-X"));
    assert_eq!(got[0].1["update_id"], injected.update_id);
    assert_eq!(got[0].1["message"]["text"], "via webhook");
    let (_, info) = call(&sim, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], url);
    assert_eq!(info["result"]["pending_update_count"], 0);

    let (status, body) = call(
        &sim,
        "setWebhook",
        json!({ "url": url, "secret_token": "bad secret!" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(sim.violations().len(), 1);

    call(&sim, "deleteWebhook", json!({})).await;
    let later = sim
        .send_text(TOKEN, &common::user(3), "via polling")
        .unwrap();
    let (status, updates) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(updates["result"][0]["update_id"], later.update_id);
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_webhook_keeps_the_update_and_reports_the_error() {
    let sim = common::start().await;
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    call(
        &sim,
        "setWebhook",
        json!({ "url": format!("http://127.0.0.1:{port}/hook") }),
    )
    .await;
    sim.send_text(TOKEN, &common::user(3), "lost?").unwrap();
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        let (_, info) = call(&sim, "getWebhookInfo", json!({})).await;
        if info["result"]["last_error_message"].is_string() {
            assert_eq!(info["result"]["pending_update_count"], 1);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no error reported: {info}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    call(&sim, "deleteWebhook", json!({})).await;
    let (_, updates) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(updates["result"][0]["message"]["text"], "lost?");
}
