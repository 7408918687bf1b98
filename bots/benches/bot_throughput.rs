//! Client bot throughput end to end on MariaDB: the simulator injects a `/start → /subscribe →
//! /discounts` conversation for each of 10,000 distinct users (× `BENCH_SCALE`) into the client bot,
//! which runs exactly as `dvorik serve` runs it (teloxide long polling over HTTP, the processed-updates
//! record, dialogue state, the core's services on MariaDB). Each virtual user waits for the answer
//! before its next message; `BENCH_CONCURRENCY` users (default 1,000) talk at once.
//!
//! Measured: updates per second, and the time from injecting an update to the bot's answer (p50, p99).
//! The ceiling is the same load against a trivial teloxide echo bot on the same simulator, built like the
//! client bot (`run::make_bot`: the same `Throttle` with the same limits, the same long polling), so the
//! two differ only by what the handlers do. Both keep the limits production keeps
//! (`run::transactional_limits`: one message a second per chat), so a conversation of three answers
//! takes at least two seconds whatever the bot does; `BENCH_THROTTLE=off` measures without limits.
//! Writes `target/bench/bot_throughput.json`.

#[path = "../../benches/support/report.rs"]
mod report;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dvorik::app::Core;
use dvorik::domain::DiscountValue;
use dvorik::services::audit::Actor;
use dvorik::services::templates::{self, DiscountKind, TemplateInput};
use dvorik_bots::common::TgBot;
use dvorik_bots::run::{self, BotsOptions};
use dvorik_sim::{SimUser, Simulator};
use sea_orm::{ConnectionTrait, Database};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;
use tokio::sync::Semaphore;

const CLIENT: &str = "8100001:bench-client";
const STAFF: &str = "8100002:bench-staff";
const ECHO: &str = "8100003:bench-echo";
const STEPS: [&str; 3] = ["/start src_bench", "/subscribe", "/discounts"];

struct Run {
    updates: usize,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

/// Statements the bots sent, counted in the process (sea-orm's metric callback): SELECT, INSERT,
/// UPDATE, DELETE, anything else.
#[derive(Default)]
struct Sent([AtomicU64; 5]);

impl Sent {
    fn count(&self, sql: &str) {
        let verb = sql
            .trim_start()
            .split_ascii_whitespace()
            .next()
            .unwrap_or("");
        let i = ["SELECT", "INSERT", "UPDATE", "DELETE"]
            .iter()
            .position(|v| verb.eq_ignore_ascii_case(v))
            .unwrap_or(4);
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> [u64; 5] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// Server counters whose deltas over the client-bot run are reported per update (they are global:
/// other clients of the same server add to them).
const STATUS: [&str; 9] = [
    "Questions",
    "Com_select",
    "Com_insert",
    "Com_update",
    "Com_delete",
    "Com_begin",
    "Com_commit",
    "Innodb_log_writes",
    "Innodb_data_fsyncs",
];

async fn server_status(db: &impl ConnectionTrait) -> anyhow::Result<Vec<u64>> {
    let list = STATUS.map(|v| format!("'{v}'")).join(",");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SHOW GLOBAL STATUS WHERE Variable_name IN ({list})"),
        ))
        .await?;
    let mut values = vec![0; STATUS.len()];
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let value: String = row.try_get_by_index(1)?;
        if let Some(i) = STATUS.iter().position(|v| v.eq_ignore_ascii_case(&name)) {
            values[i] = value.parse().unwrap_or(0);
        }
    }
    Ok(values)
}

/// CPU seconds used so far: (this process, the MariaDB server, the whole machine), from `/proc`
/// (Linux; zeros elsewhere). The machine's total shows how much other work shared the cores.
fn cpu_seconds() -> [f64; 3] {
    let ticks = |stat: &str| -> f64 {
        // Fields after the `(comm)`: utime and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (get(11) + get(12)) / 100.0
    };
    let own = std::fs::read_to_string("/proc/self/stat").map_or(0.0, |s| ticks(&s));
    let mut server = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            if matches!(comm.trim(), "mariadbd" | "mysqld") {
                server +=
                    std::fs::read_to_string(entry.path().join("stat")).map_or(0.0, |s| ticks(&s));
            }
        }
    }
    let machine = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let line = s.lines().next()?.to_owned();
            let f: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            // user nice system (idle iowait skipped) irq softirq steal
            Some(
                [0usize, 1, 2, 5, 6, 7]
                    .iter()
                    .map(|&i| f.get(i).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / 100.0,
            )
        })
        .unwrap_or(0.0);
    [own, server, machine]
}

/// What one client-bot update cost the database.
struct Cost {
    /// Statements sent by the bot: SELECT, INSERT, UPDATE, DELETE, other.
    sent: [u64; 5],
    /// Deltas of [`STATUS`] on the server.
    server: Vec<u64>,
    /// CPU seconds over the run: this process, the database server, the whole machine.
    cpu_s: [f64; 3],
}

impl Cost {
    fn per_update(&self, updates: usize) -> serde_json::Value {
        let per = |n: u64| round(n as f64 / updates as f64);
        let total: u64 = self.sent.iter().sum();
        let mut server = serde_json::Map::new();
        for (name, delta) in STATUS.iter().zip(&self.server) {
            server.insert(name.to_lowercase(), per(*delta).into());
        }
        serde_json::json!({
            "statements": per(total),
            "selects": per(self.sent[0]),
            "inserts": per(self.sent[1]),
            "updates": per(self.sent[2]),
            "deletes": per(self.sent[3]),
            "other": per(self.sent[4]),
            "server": server,
            "cpu_ms": {
                "bench_process": round(self.cpu_s[0] * 1e3 / updates as f64),
                "database": round(self.cpu_s[1] * 1e3 / updates as f64),
                "others": round((self.cpu_s[2] - self.cpu_s[0] - self.cpu_s[1]).max(0.0) * 1e3 / updates as f64),
            },
        })
    }
}

impl Run {
    fn per_second(&self) -> f64 {
        self.updates as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or(0.0)
    }
}

/// `users` virtual users, `concurrency` at a time, each sending the three steps to `token` and waiting
/// for an answer after each.
async fn drive(
    sim: &Simulator,
    token: &'static str,
    users: usize,
    concurrency: usize,
    first_id: i64,
) -> Run {
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(users);
    for i in 0..users {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let sim = sim.clone();
        let user = SimUser::new(first_id + i as i64, format!("User{i}")).language("ru");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(STEPS.len());
            // The answer to a step is the first bot message after the answer to the one before (the
            // chat is new and each step waits), so no copy of the transcript is needed to find it.
            let mut after = 0;
            for step in STEPS {
                let sent = Instant::now();
                sim.send_text(token, &user, step).expect("inject");
                let answer = sim
                    .next_bot_message(token, user.id, after, Duration::from_secs(120))
                    .await
                    .unwrap_or_else(|| panic!("user {} got no answer to {step}", user.id));
                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                after = answer.message_id.unwrap_or(after);
            }
            drop(permit);
            latencies
        }));
    }
    let mut latencies_ms = Vec::with_capacity(users * STEPS.len());
    for task in tasks {
        latencies_ms.extend(task.await.expect("virtual user"));
    }
    Run {
        updates: users * STEPS.len(),
        elapsed: started.elapsed(),
        latencies_ms,
    }
}

/// The same load against a bot that only echoes: what the simulator and teloxide can do at most with
/// the client bot's `options` (limits, poll timeout).
async fn ceiling(
    sim: &Simulator,
    options: &BotsOptions,
    users: usize,
    concurrency: usize,
) -> anyhow::Result<Run> {
    sim.add_bot(ECHO, "bench_echo_bot")?;
    let bot = run::make_bot(&sim.api_url(), ECHO, options.limits)?;
    let handler = Update::filter_message().endpoint(|bot: TgBot, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or_default())
            .await?;
        respond(())
    });
    let listener = Polling::builder(bot.inner().clone())
        .timeout(options.poll_timeout)
        .delete_webhook()
        .await
        .build();
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let errors = LoggingErrorHandler::with_custom_text("echo: getting updates failed");
    let running =
        tokio::spawn(async move { dispatcher.dispatch_with_listener(listener, errors).await });
    let run = drive(sim, ECHO, users, concurrency, 5_000_000).await;
    for _ in 0..100 {
        if shutdown.shutdown().is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.await?;
    Ok(run)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let users = ((10_000.0 * scale).round() as usize).max(10);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000)
        .min(users);
    // Production's pool unless told otherwise (`DVORIK_DB_MAX_CONNECTIONS` defaults to 10).
    let pool: u32 = std::env::var("BENCH_DB_POOL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let server = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
        .await?;
    let version = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT VERSION()",
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let result = measure(
        &admin,
        &format!("{server}/{name}"),
        users,
        concurrency,
        pool,
    )
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await?;
    let (bots, echo, cost) = result?;
    let per_update = cost.per_update(bots.updates);

    let per_second = bots.per_second();
    let ceiling_per_second = echo.per_second();
    let report = serde_json::json!({
        "name": "bot_throughput",
        "when": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "setup": {
            "database": format!("mariadb {}", version.split('-').next().unwrap_or_default()),
            "users": users,
            "updates": bots.updates,
            "mix": STEPS,
            "concurrent_users": concurrency,
            "db_pool": pool,
            "kv": "in-process",
            "throttle": if throttled() { "production (1 message/s per chat)" } else { "off" },
            "scale": scale,
        },
        "metrics": {
            "per_second": round(per_second),
            "p50_ms": round(bots.percentile(0.50)),
            "p99_ms": round(bots.percentile(0.99)),
            "ceiling_per_second": round(ceiling_per_second),
            "ceiling_p99_ms": round(echo.percentile(0.99)),
            "elapsed_s": round(bots.elapsed.as_secs_f64()),
            "statements_per_update": per_update["statements"],
            "server_fsyncs_per_update": per_update["server"]["innodb_data_fsyncs"],
        },
        "per_update": per_update,
        "goal": {"per_second_min": 1000.0, "vs_ceiling_min": 0.7},
        "ratio": {"vs_ceiling": round(per_second / ceiling_per_second)},
    });
    report::write("bot_throughput", &report)?;
    println!(
        "bot_throughput: {users} users, {} updates, {concurrency} at a time",
        bots.updates
    );
    println!(
        "  client bot : {:>8.0} updates/s  p50 {:>7.1} ms  p99 {:>7.1} ms",
        per_second,
        bots.percentile(0.5),
        bots.percentile(0.99)
    );
    println!(
        "  echo (ceiling): {:>5.0} updates/s  p50 {:>7.1} ms  p99 {:>7.1} ms",
        ceiling_per_second,
        echo.percentile(0.5),
        echo.percentile(0.99)
    );
    println!("  vs ceiling : {:.2}", per_second / ceiling_per_second);
    println!("  per update : {per_update}");
    Ok(())
}

/// Whether the bots keep production's message limits (`BENCH_THROTTLE=off`: no limits).
fn throttled() -> bool {
    std::env::var("BENCH_THROTTLE").as_deref() != Ok("off")
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn measure(
    admin: &impl ConnectionTrait,
    url: &str,
    users: usize,
    concurrency: usize,
    pool: u32,
) -> anyhow::Result<(Run, Run, Cost)> {
    let mut db = dvorik::db::connect(url, pool).await?;
    let sent = Arc::new(Sent::default());
    let counter = sent.clone();
    db.set_metric_callback(move |info| counter.count(&info.statement.sql));
    dvorik::db::migrate(&db).await?;
    let now = dvorik::clock::now();
    let welcome = TemplateInput {
        kind: DiscountKind::Subscription,
        name: "Welcome".into(),
        value: DiscountValue::Percent(10.into()),
        validity_days: 30,
        active: true,
        text: None,
    };
    templates::create(&db, &welcome, Actor::system(), now).await?;
    let core = Core {
        db,
        kv: dvorik::kv::connect(None, "").await?,
        key: dvorik::secret::ServerKey::random(),
        timezone: chrono_tz::Asia::Vladivostok,
    };
    let sim = Simulator::start("127.0.0.1:0".parse()?).await?;
    sim.add_bot(CLIENT, "bench_client_bot")?;
    sim.add_bot(STAFF, "bench_staff_bot")?;
    let mut options = BotsOptions::new(&sim.api_url(), CLIENT, STAFF);
    if !throttled() {
        options = options.unthrottled();
    }
    options.poll_timeout = Duration::from_secs(1);
    let bots = run::start(core, options.clone()).await?;
    let (sent_before, status_before) = (sent.snapshot(), server_status(admin).await?);
    let cpu_before = cpu_seconds();
    let measured = drive(&sim, CLIENT, users, concurrency, 1_000_000).await;
    let cpu_after = cpu_seconds();
    let (sent_after, status_after) = (sent.snapshot(), server_status(admin).await?);
    bots.stop().await;
    let cost = Cost {
        sent: std::array::from_fn(|i| sent_after[i] - sent_before[i]),
        server: status_after
            .iter()
            .zip(&status_before)
            .map(|(a, b)| a.saturating_sub(*b))
            .collect(),
        cpu_s: std::array::from_fn(|i| cpu_after[i] - cpu_before[i]),
    };
    let echo = ceiling(&sim, &options, users, concurrency).await?;
    let violations = sim.violations();
    anyhow::ensure!(violations.is_empty(), "Bot API violations: {violations:?}");
    sim.shutdown().await;
    Ok((measured, echo, cost))
}
