//! Injected faults: 429 with retry_after, 403 blocked or deactivated, 400 chat not found, 5xx, latency.

mod common;

use std::time::{Duration, Instant};

use common::{TOKEN, call};
use dvorik_sim::{Fault, FaultKind};
use serde_json::json;
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

fn bot(sim: &dvorik_sim::Simulator) -> Bot {
    Bot::new(TOKEN).set_api_url(sim.api_url().parse().unwrap())
}

#[tokio::test]
async fn a_429_fault_answers_retry_after_and_teloxide_carries_it() {
    let sim = common::start().await;
    let user = common::user(11);
    sim.send_text(TOKEN, &user, "hi").unwrap();
    sim.add_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 3 })
            .method("sendMessage")
            .times(1),
    );
    let (status, body) = call(&sim, "sendMessage", json!({ "chat_id": 11, "text": "x" })).await;
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], 3);
    assert_eq!(body["description"], "Too Many Requests: retry after 3");

    sim.add_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 7 })
            .method("SendMessage")
            .times(1),
    );
    match bot(&sim).send_message(ChatId(11), "hello").await {
        Err(RequestError::RetryAfter(after)) => assert_eq!(after.seconds(), 7),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    // The fault is used up: the next send goes through.
    bot(&sim)
        .send_message(ChatId(11), "hello again")
        .await
        .unwrap();
    assert_eq!(
        sim.transcript(TOKEN, 11).last().unwrap().text.as_deref(),
        Some("hello again")
    );
    assert!(sim.faults().is_empty());
    assert!(sim.violations().is_empty());
}

#[tokio::test]
async fn a_blocked_fault_for_one_chat_stays_until_cleared_and_spares_other_chats() {
    let sim = common::start().await;
    for id in [21, 22] {
        sim.send_text(TOKEN, &common::user(id), "hi").unwrap();
    }
    let id = sim.add_fault(Fault::new(FaultKind::Blocked).chat(21));
    for _ in 0..2 {
        match bot(&sim).send_message(ChatId(21), "promo").await {
            Err(RequestError::Api(ApiError::BotBlocked)) => {}
            other => panic!("expected BotBlocked, got {other:?}"),
        }
    }
    bot(&sim).send_message(ChatId(22), "promo").await.unwrap();
    assert!(sim.remove_fault(id));
    bot(&sim).send_message(ChatId(21), "promo").await.unwrap();
    assert_eq!(
        sim.transcript(TOKEN, 21)
            .iter()
            .filter(|e| e.from_bot)
            .count(),
        1
    );
}

#[tokio::test]
async fn deactivated_chat_not_found_and_server_errors_are_answered_as_telegram_does() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(31), "hi").unwrap();
    sim.add_fault(Fault::new(FaultKind::Deactivated).times(1));
    assert!(matches!(
        bot(&sim).send_message(ChatId(31), "x").await,
        Err(RequestError::Api(ApiError::UserDeactivated))
    ));
    sim.add_fault(Fault::new(FaultKind::ChatNotFound).times(1));
    assert!(matches!(
        bot(&sim).send_message(ChatId(31), "x").await,
        Err(RequestError::Api(ApiError::ChatNotFound))
    ));
    sim.add_fault(Fault::new(FaultKind::ServerError { status: 502 }).times(1));
    let (status, body) = call(&sim, "sendMessage", json!({ "chat_id": 31, "text": "x" })).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (502, Some("Bad Gateway"))
    );
    // (Not through teloxide: it sleeps 10 s on any 5xx before returning the error.)
    sim.add_fault(
        Fault::new(FaultKind::ServerError { status: 500 })
            .method("getMe")
            .times(1),
    );
    let (status, body) = call(&sim, "getMe", json!({})).await;
    assert_eq!((status, body["error_code"].as_i64()), (500, Some(500)));
    bot(&sim).get_me().await.unwrap();
    assert!(sim.transcript(TOKEN, 31).iter().all(|e| !e.from_bot));
    assert!(sim.violations().is_empty());
}

#[tokio::test]
async fn a_latency_fault_delays_the_answer_but_still_answers() {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(41), "hi").unwrap();
    sim.add_fault(
        Fault::new(FaultKind::Latency { ms: 300 })
            .method("sendMessage")
            .times(1),
    );
    let started = Instant::now();
    bot(&sim).send_message(ChatId(41), "slow").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        sim.transcript(TOKEN, 41).last().unwrap().text.as_deref(),
        Some("slow")
    );
}
