//! The simulator's capacity with a trivial teloxide echo bot: inject N messages from many users, wait
//! until every one is echoed, print updates per second. `cargo run --release -p dvorik-sim --example
//! echo_throughput -- 10000` (the bots' benchmark measures the same as its ceiling).

use std::time::{Duration, Instant};

use dvorik_sim::{SimUser, Simulator};
use teloxide::prelude::*;

const TOKEN: &str = "4242:ECHO";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let users = 1_000.min(n).max(1);
    let sim = Simulator::start("127.0.0.1:0".parse()?).await?;
    sim.add_bot(TOKEN, "echo_bot")?;
    let bot = Bot::new(TOKEN).set_api_url(sim.api_url().parse()?);
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or_default())
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let started = Instant::now();
    for i in 0..n {
        let id = 10_000 + (i % users) as i64;
        sim.send_text(TOKEN, &SimUser::new(id, "U"), &format!("m{i}"))?;
    }
    let injected = started.elapsed();
    while sim.counters().messages_sent < n as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{n} updates from {users} users: injected in {:.1} ms, all echoed in {:.1} ms: {:.0} updates/s; violations: {}",
        injected.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3,
        n as f64 / elapsed.as_secs_f64(),
        sim.violations().len()
    );
    shutdown
        .shutdown()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .await;
    running.await?;
    sim.shutdown().await;
    Ok(())
}
