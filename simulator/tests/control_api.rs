//! The control API over HTTP, as a script would drive it.

mod common;

use base64::Engine;
use common::{TOKEN, call};
use dvorik_sim::Simulator;
use serde_json::{Value, json};

async fn control(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}_sim/{path}", sim.api_url());
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.expect("control request is sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("a body");
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

#[tokio::test]
async fn a_conversation_can_be_scripted_over_http() {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (status, bot) = control(
        &sim,
        reqwest::Method::POST,
        "bots",
        Some(json!({ "token": TOKEN, "username": "script_bot" })),
    )
    .await;
    assert_eq!(status, 200, "{bot}");
    assert_eq!(bot["id"], 5550001);

    let user = json!({ "id": 77, "first_name": "Olga", "language_code": "ru" });
    let (status, injected) = control(
        &sim,
        reqwest::Method::POST,
        &format!("bots/{TOKEN}/text"),
        Some(json!({ "user": user, "text": "/start src_instagram" })),
    )
    .await;
    assert_eq!(status, 200, "{injected}");
    let after = injected["message_id"].as_i64().unwrap();

    // The bot (here: raw Bot API calls) reads the update and answers.
    let (_, updates) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(
        updates["result"][0]["message"]["text"],
        "/start src_instagram"
    );
    assert_eq!(
        updates["result"][0]["message"]["from"]["language_code"],
        "ru"
    );
    let markup =
        json!({ "inline_keyboard": [[{ "text": "Subscribe", "callback_data": "subscribe" }]] });
    call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 77, "text": "Welcome!", "reply_markup": markup }),
    )
    .await;

    let (status, next) = control(
        &sim,
        reqwest::Method::GET,
        &format!("bots/{TOKEN}/chats/77/next?after={after}&timeout_ms=5000"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(next["text"], "Welcome!");
    assert_eq!(next["from_bot"], true);
    assert_eq!(next["buttons"][0][0]["callback_data"], "subscribe");
    let bot_message = next["message_id"].as_i64().unwrap();
    let (status, _) = control(
        &sim,
        reqwest::Method::GET,
        &format!("bots/{TOKEN}/chats/77/next?after={bot_message}&timeout_ms=50"),
        None,
    )
    .await;
    assert_eq!(status, 204, "nothing more within the timeout");

    let (status, press) = control(
        &sim,
        reqwest::Method::POST,
        &format!("bots/{TOKEN}/press"),
        Some(json!({ "user": { "id": 77 }, "message_id": bot_message, "data": "subscribe" })),
    )
    .await;
    assert_eq!(status, 200, "{press}");
    let (status, refused) = control(
        &sim,
        reqwest::Method::POST,
        &format!("bots/{TOKEN}/press"),
        Some(json!({ "user": { "id": 77 }, "message_id": bot_message, "data": "other" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("no inline button"),
        "{refused}"
    );

    let (_, transcript) = control(
        &sim,
        reqwest::Method::GET,
        &format!("bots/{TOKEN}/chats/77"),
        None,
    )
    .await;
    let entries = transcript.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["text"], "/start src_instagram");
    assert_eq!(entries[0]["from_bot"], false);
    assert_eq!(entries[1]["text"], "Welcome!");
    assert_eq!(entries[2]["press"]["data"], "subscribe");
    // A user named only by id keeps the name and language given before.
    let (_, updates) = call(
        &sim,
        "getUpdates",
        json!({ "offset": updates["result"][0]["update_id"].as_i64().unwrap() + 1 }),
    )
    .await;
    assert_eq!(
        updates["result"][0]["callback_query"]["from"]["first_name"],
        "Olga"
    );
    assert_eq!(
        updates["result"][0]["callback_query"]["from"]["language_code"],
        "ru"
    );

    let (_, violations) = control(&sim, reqwest::Method::GET, "violations", None).await;
    assert_eq!(violations, json!([]));
    call(&sim, "sendMessage", json!({ "chat_id": 77 })).await;
    let (_, violations) = control(&sim, reqwest::Method::GET, "violations", None).await;
    assert_eq!(violations[0]["parameter"], "text");
    control(&sim, reqwest::Method::DELETE, "violations", None).await;
    assert!(sim.violations().is_empty());

    let (_, counters) = control(&sim, reqwest::Method::GET, "counters", None).await;
    assert_eq!(counters["messages_sent"], 1);
    assert_eq!(counters["updates_injected"], 2);
    assert_eq!(counters["requests"]["sendMessage"], 2);
}

#[tokio::test]
async fn faults_membership_contacts_and_photos_can_be_set_over_http() {
    let sim = common::start().await;
    let user = json!({ "id": 88, "first_name": "Ivan" });
    let (status, _) = control(
        &sim,
        reqwest::Method::POST,
        &format!("bots/{TOKEN}/contact"),
        Some(json!({ "user": user, "phone_number": "+79990000000", "contact_user_id": 99 })),
    )
    .await;
    assert_eq!(status, 200);
    let png = base64::engine::general_purpose::STANDARD.encode(common::tiny_png());
    let (status, _) = control(
        &sim,
        reqwest::Method::POST,
        &format!("bots/{TOKEN}/photo"),
        Some(json!({ "user": user, "base64": png, "caption": "qr" })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, updates) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(updates["result"][0]["message"]["contact"]["user_id"], 99);
    let file_id = updates["result"][1]["message"]["photo"][0]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = reqwest::get(format!("{}_sim/files/{file_id}", sim.api_url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.to_vec(), common::tiny_png());

    let (status, _) = control(
        &sim,
        reqwest::Method::PUT,
        "members",
        Some(json!({ "channel": "@shop", "user_id": 88, "member": true })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, member) = call(
        &sim,
        "getChatMember",
        json!({ "chat_id": "@shop", "user_id": 88 }),
    )
    .await;
    assert_eq!(member["result"]["status"], "member");

    let (status, added) = control(
        &sim,
        reqwest::Method::POST,
        "faults",
        Some(json!({ "kind": "too_many_requests", "retry_after": 5, "method": "sendMessage", "count": 1 })),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let (_, faults) = control(&sim, reqwest::Method::GET, "faults", None).await;
    assert_eq!(faults[0]["fault"]["retry_after"], 5);
    let (status, body) = call(&sim, "sendMessage", json!({ "chat_id": 88, "text": "x" })).await;
    assert_eq!(
        (status, body["parameters"]["retry_after"].as_i64()),
        (429, Some(5))
    );
    let (status, _) = call(&sim, "sendMessage", json!({ "chat_id": 88, "text": "x" })).await;
    assert_eq!(status, 200);
    control(
        &sim,
        reqwest::Method::POST,
        "faults",
        Some(json!({ "kind": "blocked" })),
    )
    .await;
    let (status, _) = call(&sim, "sendMessage", json!({ "chat_id": 88, "text": "x" })).await;
    assert_eq!(status, 403);
    control(&sim, reqwest::Method::DELETE, "faults", None).await;
    let (status, _) = call(&sim, "sendMessage", json!({ "chat_id": 88, "text": "x" })).await;
    assert_eq!(status, 200);

    let (status, error) = control(
        &sim,
        reqwest::Method::POST,
        "bots/nope/text",
        Some(json!({ "user": user, "text": "hi" })),
    )
    .await;
    assert_eq!(status, 404, "{error}");
}
