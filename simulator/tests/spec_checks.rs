//! Every request is checked against the Bot API description: what breaks it is refused and recorded.

mod common;

use common::{BOT_USERNAME, TOKEN, call};
use dvorik_sim::{Violation, check_type};
use serde_json::json;

#[tokio::test]
async fn a_request_missing_a_required_parameter_is_answered_400_and_recorded() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "hi").unwrap();
    let (status, body) = call(&sim, "sendMessage", json!({ "chat_id": 7 })).await;
    assert_eq!(status, 400);
    assert_eq!(body["ok"], false);
    assert_eq!(body["error_code"], 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("missing required parameter text"),
        "{body}"
    );
    assert_eq!(
        sim.violations(),
        vec![Violation {
            bot: BOT_USERNAME.into(),
            method: "sendMessage".into(),
            parameter: Some("text".into()),
            reason: "missing required parameter text".into(),
        }]
    );
    assert!(
        sim.transcript(TOKEN, 7).iter().all(|e| !e.from_bot),
        "nothing was sent"
    );
}

#[tokio::test]
async fn an_unknown_method_is_answered_400_and_recorded() {
    let sim = common::start().await;
    let (status, body) = call(&sim, "sendTelepathy", json!({ "chat_id": 7 })).await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("unknown method sendTelepathy"),
        "{body}"
    );
    let violations = sim.violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].method, "sendTelepathy");
    assert_eq!(sim.counters().violations, 1);
}

#[tokio::test]
async fn a_spec_method_the_simulator_does_not_implement_is_a_violation_not_a_success() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "hi").unwrap();
    let (status, body) = call(
        &sim,
        "sendSticker",
        json!({ "chat_id": 7, "sticker": "CAAC-file" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["ok"], false);
    let violations = sim.violations();
    assert_eq!(violations.len(), 1);
    assert!(
        violations[0].reason.starts_with("unsupported"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn an_unknown_parameter_or_a_value_of_the_wrong_kind_is_a_violation() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "hi").unwrap();
    let (status, _) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "x", "colour": "red" }),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(&sim, "sendMessage", json!({ "chat_id": true, "text": "x" })).await;
    assert_eq!(status, 400);
    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "x", "reply_markup": { "inline_keyboard": [{ "text": "flat row" }] } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &sim,
        "setMyCommands",
        json!({ "commands": [{ "command": "start", "description": "Start" }], "scope": { "type": "nowhere" } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let params: Vec<Option<String>> = sim.violations().into_iter().map(|v| v.parameter).collect();
    assert_eq!(
        params,
        vec![
            Some("colour".into()),
            Some("chat_id".into()),
            Some("reply_markup".into()),
            Some("scope".into())
        ]
    );
}

#[tokio::test]
async fn form_values_are_read_as_their_declared_types_and_method_names_in_any_case() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "hi").unwrap();
    let url = format!("{}bot{TOKEN}/SENDMESSAGE", sim.api_url());
    let markup =
        json!({ "inline_keyboard": [[{ "text": "Yes", "callback_data": "yes" }]] }).to_string();
    let form = [
        ("chat_id", "7"),
        ("text", "from a form"),
        ("disable_notification", "true"),
        ("reply_markup", &markup),
    ];
    let resp = reqwest::Client::new()
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["result"]["text"], "from a form");
    assert_eq!(
        body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "yes"
    );

    let bad = [
        ("chat_id", "7"),
        ("text", "x"),
        ("disable_notification", "maybe"),
    ];
    let resp = reqwest::Client::new()
        .post(&url)
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let query = format!("{}bot{TOKEN}/getMe?", sim.api_url());
    assert_eq!(reqwest::get(&query).await.unwrap().status(), 200);
    assert_eq!(sim.violations().len(), 1, "{:?}", sim.violations());
    assert_eq!(
        sim.violations()[0].parameter.as_deref(),
        Some("disable_notification")
    );
}

#[tokio::test]
async fn an_unknown_token_is_unauthorized_and_not_a_violation() {
    let sim = common::start().await;
    let resp = reqwest::get(format!("{}bot999:nope/getMe", sim.api_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
    );
    assert!(sim.violations().is_empty());
}

#[tokio::test]
async fn answers_are_shaped_as_the_bot_api_types() {
    let sim = common::start().await;
    let user = common::user(7);
    sim.send_text(TOKEN, &user, "/start src_instagram").unwrap();
    sim.send_contact(TOKEN, &user, "+79990001122", Some(7))
        .unwrap();
    sim.send_photo(TOKEN, &user, common::tiny_png(), Some("a photo"))
        .unwrap();

    let (_, me) = call(&sim, "getMe", json!({})).await;
    check_type("User", &me["result"]).unwrap();
    assert_eq!(me["result"]["can_connect_to_business"], false);
    assert_eq!(me["result"]["has_main_web_app"], false);

    let (_, updates) = call(&sim, "getUpdates", json!({})).await;
    let updates = updates["result"].as_array().unwrap().clone();
    assert_eq!(updates.len(), 3);
    for u in &updates {
        check_type("Update", u).unwrap();
    }
    assert_eq!(updates[0]["message"]["entities"][0]["type"], "bot_command");
    assert_eq!(updates[0]["message"]["entities"][0]["length"], 6);

    let markup = json!({ "inline_keyboard": [[{ "text": "Go", "callback_data": "go" }, { "text": "Site", "url": "https://example.org" }]] });
    let (_, sent) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "hello", "reply_markup": markup }),
    )
    .await;
    check_type("Message", &sent["result"]).unwrap();
    let id = sent["result"]["message_id"].as_i64().unwrap();
    sim.press_button(TOKEN, &user, id, "go").unwrap();
    let (_, updates) = call(
        &sim,
        "getUpdates",
        json!({ "offset": updates[2]["update_id"].as_i64().unwrap() + 1 }),
    )
    .await;
    check_type("Update", &updates["result"][0]).unwrap();
    assert_eq!(
        updates["result"][0]["callback_query"]["message"]["message_id"],
        id
    );

    let (_, member) = call(
        &sim,
        "getChatMember",
        json!({ "chat_id": "@shop", "user_id": 7 }),
    )
    .await;
    check_type("ChatMember", &member["result"]).unwrap();
    let bot_id = me["result"]["id"].as_i64().unwrap();
    let (_, admin) = call(
        &sim,
        "getChatMember",
        json!({ "chat_id": "@shop", "user_id": bot_id }),
    )
    .await;
    check_type("ChatMember", &admin["result"]).unwrap();
    assert_eq!(admin["result"]["status"], "administrator");

    let file_id = updates_photo_file_id(&sim);
    let (_, file) = call(&sim, "getFile", json!({ "file_id": file_id })).await;
    check_type("File", &file["result"]).unwrap();
    let (_, info) = call(&sim, "getWebhookInfo", json!({})).await;
    check_type("WebhookInfo", &info["result"]).unwrap();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

fn updates_photo_file_id(sim: &dvorik_sim::Simulator) -> String {
    let transcript = sim.transcript(TOKEN, 7);
    transcript
        .iter()
        .find_map(|e| e.media.as_ref())
        .map(|m| m.file_id.clone())
        .unwrap()
}

#[tokio::test]
async fn a_check_of_a_type_finds_a_missing_field_and_a_wrong_subtype() {
    assert!(
        check_type("User", &json!({ "id": 1, "is_bot": false }))
            .unwrap_err()
            .contains("first_name")
    );
    assert!(
        check_type(
            "ChatMember",
            &json!({ "status": "boss", "user": { "id": 1, "is_bot": false, "first_name": "A" } })
        )
        .is_err()
    );
    assert!(check_type("NoSuchType", &json!({})).is_err());
}

#[tokio::test]
async fn text_the_user_would_not_see_is_refused_as_telegram_would() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "hi").unwrap();
    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "<b>Hi</b> &amp; bye", "parse_mode": "HTML" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim.transcript(TOKEN, 7).last().unwrap().text.as_deref(),
        Some("Hi & bye")
    );

    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "<b>Hi", "parse_mode": "HTML" }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: can't parse entities"),
        "{body}"
    );
    let (status, _) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "x".repeat(4097) }),
    )
    .await;
    assert_eq!(status, 400);
    let long_data =
        json!({ "inline_keyboard": [[{ "text": "A", "callback_data": "d".repeat(65) }]] });
    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 7, "text": "x", "reply_markup": long_data }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["description"], "Bad Request: BUTTON_DATA_INVALID");
    assert_eq!(sim.violations().len(), 3, "{:?}", sim.violations());
}

#[tokio::test]
async fn a_bot_cannot_write_first_or_to_an_unknown_chat_and_that_is_no_violation() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(8), "hi").unwrap();
    let other_bot = "5550002:OTHER";
    sim.add_bot(other_bot, "other_bot").unwrap();
    sim.send_text(other_bot, &common::user(9), "hi other bot")
        .unwrap();
    // User 9 exists but never wrote to this bot.
    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 9, "text": "hello" }),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Unauthorized: bot can't initiate conversation with a user"
    );
    let (status, body) = call(
        &sim,
        "sendMessage",
        json!({ "chat_id": 424242, "text": "hello" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["description"], "Bad Request: chat not found");
    assert!(sim.violations().is_empty());
}

#[test]
fn every_implemented_method_is_a_bot_api_method() {
    let methods = dvorik_sim::spec_methods();
    assert!(methods.len() > 150, "the whole description is embedded");
    for name in dvorik_sim::IMPLEMENTED {
        assert!(
            methods.contains(name),
            "{name} is not in the Bot API description"
        );
    }
    assert_eq!(dvorik_sim::bot_api_version(), "Bot API 10.1");
}
