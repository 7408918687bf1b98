//! A teloxide echo bot against the simulator over real HTTP.

mod common;

use std::collections::HashMap;

use common::{TOKEN, WAIT};
use teloxide::prelude::*;

fn echo_bot(api_url: &str) -> anyhow::Result<Bot> {
    Ok(Bot::new(TOKEN).set_api_url(api_url.parse()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_bot_answers_every_message_of_twenty_users_in_order_without_violations()
-> anyhow::Result<()> {
    let sim = common::start().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        if let Some(text) = msg.text() {
            bot.send_message(msg.chat.id, text).await?;
        }
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(echo_bot(&sim.api_url())?, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let users: Vec<_> = (1..=20).map(|i| common::user(1000 + i)).collect();
    let mut sent: HashMap<i64, Vec<String>> = HashMap::new();
    for i in 0..200 {
        let user = &users[i % users.len()];
        let text = format!("message {i} from {}", user.id);
        sim.send_text(TOKEN, user, &text)?;
        sent.entry(user.id).or_default().push(text);
    }
    for user in &users {
        let transcript = sim
            .wait_for(TOKEN, user.id, WAIT, |entries| {
                entries.iter().filter(|e| e.from_bot).count() >= 10
            })
            .await
            .ok_or_else(|| anyhow::anyhow!("user {} did not get 10 echoes", user.id))?;
        let echoed: Vec<String> = transcript
            .iter()
            .filter(|e| e.from_bot)
            .filter_map(|e| e.text.clone())
            .collect();
        assert_eq!(
            echoed, sent[&user.id],
            "echoes of user {} in order",
            user.id
        );
        let ids: Vec<i64> = transcript.iter().filter_map(|e| e.message_id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "message ids increase within a chat: {ids:?}"
        );
    }

    shutdown
        .shutdown()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .await;
    running.await?;
    assert_eq!(sim.violations(), vec![]);
    let counters = sim.counters();
    assert_eq!(counters.messages_sent, 200);
    assert_eq!(counters.updates_injected, 200);
    assert!(
        counters.requests.get("getMe").copied().unwrap_or(0) >= 1,
        "{counters:?}"
    );
    sim.shutdown().await;
    Ok(())
}
