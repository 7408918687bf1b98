//! getUpdates: offset confirmation, batches of at most 100, long polling, redelivery.

mod common;

use std::time::Duration;

use common::{TOKEN, call};
use serde_json::{Value, json};

fn ids(answer: &Value) -> Vec<i64> {
    answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_confirmed_update_is_never_returned_again() {
    let sim = common::start().await;
    let user = common::user(5);
    for text in ["one", "two", "three"] {
        sim.send_text(TOKEN, &user, text).unwrap();
    }
    let (_, first) = call(&sim, "getUpdates", json!({})).await;
    let first = ids(&first);
    assert_eq!(first.len(), 3);
    // Unconfirmed updates come again.
    let (_, again) = call(&sim, "getUpdates", json!({ "offset": first[0] })).await;
    assert_eq!(ids(&again), first);
    // An offset confirms everything below it.
    let (_, rest) = call(&sim, "getUpdates", json!({ "offset": first[1] })).await;
    assert_eq!(ids(&rest), first[1..]);
    let (_, none) = call(
        &sim,
        "getUpdates",
        json!({ "offset": first[2] + 1, "timeout": 0 }),
    )
    .await;
    assert_eq!(ids(&none), Vec::<i64>::new());
    let (_, still_none) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(ids(&still_none), Vec::<i64>::new());
    assert_eq!(sim.pending_updates(TOKEN).unwrap(), 0);
}

#[tokio::test]
async fn get_updates_returns_at_most_a_hundred_or_the_limit() {
    let sim = common::start().await;
    for i in 0..250 {
        sim.send_text(TOKEN, &common::user(100 + i % 7), &format!("m{i}"))
            .unwrap();
    }
    let (_, batch) = call(&sim, "getUpdates", json!({ "limit": 1000 })).await;
    let batch = ids(&batch);
    assert_eq!(batch.len(), 100);
    assert!(batch.windows(2).all(|w| w[1] == w[0] + 1), "in order");
    let (_, small) = call(
        &sim,
        "getUpdates",
        json!({ "offset": batch[99] + 1, "limit": 7 }),
    )
    .await;
    assert_eq!(ids(&small).len(), 7);
    assert_eq!(ids(&small)[0], batch[99] + 1);
    let mut seen = 107;
    let mut offset = ids(&small)[6] + 1;
    loop {
        let (_, next) = call(&sim, "getUpdates", json!({ "offset": offset })).await;
        let next = ids(&next);
        if next.is_empty() {
            break;
        }
        assert!(next.len() <= 100);
        seen += next.len();
        offset = next[next.len() - 1] + 1;
    }
    assert_eq!(seen, 250);
}

#[tokio::test]
async fn a_long_poll_returns_when_an_update_arrives() {
    let sim = common::start().await;
    let poller = {
        let sim = sim.clone();
        tokio::spawn(async move { call(&sim, "getUpdates", json!({ "timeout": 50 })).await })
    };
    // Let the poll start waiting; correctness does not depend on it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    sim.send_text(TOKEN, &common::user(5), "wake up").unwrap();
    let (status, answer) = tokio::time::timeout(Duration::from_secs(20), poller)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(answer["result"][0]["message"]["text"], "wake up");
}

#[tokio::test]
async fn shutdown_ends_a_waiting_long_poll() {
    let sim = common::start().await;
    let url = format!("{}bot{TOKEN}/getUpdates?timeout=60", sim.api_url());
    let poller = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    tokio::time::timeout(Duration::from_secs(20), sim.shutdown())
        .await
        .expect("shutdown does not wait for the poll");
    let status = tokio::time::timeout(Duration::from_secs(20), poller)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(status, Ok(200) | Err(_)), "{status:?}");
}

#[tokio::test]
async fn a_redelivered_update_comes_again_after_it_was_confirmed() {
    let sim = common::start().await;
    let user = common::user(5);
    let first = sim.send_text(TOKEN, &user, "once").unwrap();
    let (_, got) = call(&sim, "getUpdates", json!({})).await;
    assert_eq!(ids(&got), vec![first.update_id]);
    sim.redeliver(TOKEN, first.update_id).unwrap();
    let second = sim.send_text(TOKEN, &user, "twice").unwrap();
    // The bot confirms the first delivery with its next poll; the redelivery still comes.
    let (_, got) = call(&sim, "getUpdates", json!({ "offset": first.update_id + 1 })).await;
    assert_eq!(ids(&got), vec![first.update_id, second.update_id]);
    let (_, got) = call(
        &sim,
        "getUpdates",
        json!({ "offset": second.update_id + 1 }),
    )
    .await;
    assert_eq!(ids(&got), Vec::<i64>::new());
    assert!(
        sim.redeliver(TOKEN, 1).is_err(),
        "an update never injected cannot be redelivered"
    );
}

#[tokio::test]
async fn update_ids_can_restart_lower() {
    let sim = common::start().await;
    let before = sim.send_text(TOKEN, &common::user(5), "before").unwrap();
    sim.set_next_update_id(TOKEN, 10).unwrap();
    let after = sim.send_text(TOKEN, &common::user(5), "after").unwrap();
    assert_eq!(after.update_id, 10);
    assert!(after.update_id < before.update_id);
}

#[tokio::test]
async fn updates_the_bot_did_not_allow_are_not_delivered() {
    let sim = common::start().await;
    let user = common::user(5);
    sim.send_text(TOKEN, &user, "hi").unwrap();
    let (_, got) = call(
        &sim,
        "getUpdates",
        json!({ "allowed_updates": ["message"] }),
    )
    .await;
    let offset = ids(&got)[0] + 1;
    let (_, sent) = call(&sim, "sendMessage", json!({ "chat_id": 5, "text": "pick", "reply_markup": { "inline_keyboard": [[{ "text": "A", "callback_data": "a" }]] } })).await;
    sim.press_button(
        TOKEN,
        &user,
        sent["result"]["message_id"].as_i64().unwrap(),
        "a",
    )
    .unwrap();
    let text = sim.send_text(TOKEN, &user, "after the press").unwrap();
    let (_, got) = call(&sim, "getUpdates", json!({ "offset": offset })).await;
    assert_eq!(
        ids(&got),
        vec![text.update_id],
        "the callback query is left out"
    );
    // An empty list restores the default set.
    call(
        &sim,
        "getUpdates",
        json!({ "offset": text.update_id + 1, "allowed_updates": [] }),
    )
    .await;
    let press = sim
        .press_button(
            TOKEN,
            &user,
            sent["result"]["message_id"].as_i64().unwrap(),
            "a",
        )
        .unwrap();
    let (_, got) = call(&sim, "getUpdates", json!({ "offset": text.update_id + 1 })).await;
    assert_eq!(ids(&got), vec![press.update_id]);
}
