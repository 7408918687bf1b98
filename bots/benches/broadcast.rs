//! Broadcast delivery on MariaDB, two phases. Writes `target/bench/broadcast.json` (BENCH.md shape).
//!
//! 1. **Materialize**: 1,000,000 subscribed users (× `BENCH_SCALE`) turned into pending delivery rows
//!    by `deliveries::materialize_chunk` in chunks of 1000, re-reading the broadcast row before each step
//!    as `Engine::materialize_once` does. Seconds and peak RSS.
//! 2. **Unpaced**: a 100,000-recipient broadcast (× `BENCH_SCALE`) sent by the real `Engine` (pacing off,
//!    Redis as the store) through the client bot's `TelegramSender` over HTTP to the Bot API simulator,
//!    for 2, 4 and 8 workers, each claiming and sending 32 rows at once; the best is reported. Timed from
//!    the engine's start (it materializes as it sends) until the broadcast is `completed`; messages/s =
//!    sent / seconds. The simulator runs in
//!    this process: its CPU and its memory (every chat's transcript) count against the engine.
//!
//! Isolation: each timed phase runs in a child process of this binary (the same executable, selected by
//! `DVORIK_BENCH_BROADCAST_PHASE`), and the child resets its peak RSS (`echo 5 > /proc/self/clear_refs`
//! resets VmHWM to the current RSS on Linux) just before timing, so VmHWM read at the end covers the
//! timed phase only: not the user load (done by the parent), not the simulator's chat setup, not an
//! earlier phase's freed but still mapped heap.
//!
//! Environment: `BENCH_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`), `BENCH_REDIS_URL`
//! (default `redis://127.0.0.1:6379`), `BENCH_SCALE` (default 1.0), `BENCH_WORKERS` (e.g. `16,32`),
//! `BENCH_BATCH` (rows per claim, default 32), `BENCH_CHUNK` (rows per materialization step, default the
//! engine's 1000).

#[path = "../../benches/api/cpu.rs"]
mod cpu;
#[path = "../../benches/support/database_url.rs"]
mod database_url;
#[path = "../../benches/support/report.rs"]
mod report;

use database_url::database_url;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{SecondsFormat, Utc};
use dvorik::app::Core;
use dvorik::broadcast::deliveries::{self, Materialized};
use dvorik::broadcast::{Engine, EngineConfig};
use dvorik::clock::Clock;
use dvorik::entity::broadcasts::{BroadcastState, Entity as Broadcasts};
use dvorik::services::audit::Actor;
use dvorik::services::broadcasts::{self, BroadcastInput, Transition};
use dvorik_bots::broadcast_sender::TelegramSender;
use dvorik_sim::{SimUser, Simulator};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};

const CLIENT: &str = "8200001:bench-broadcast";
const PHASE: &str = "DVORIK_BENCH_BROADCAST_PHASE";
const WORKERS: [usize; 3] = [2, 4, 8];
/// Rows a worker claims and sends at once (`EngineConfig::unpaced_batch`; `BENCH_BATCH`).
const BATCH: usize = 32;
const FIRST_TELEGRAM_ID: i64 = 100_000_000;
/// Users per `INSERT … SELECT` of the load (from MariaDB's sequence engine, `seq_A_to_B`).
const LOAD_ROWS: i64 = 100_000;
const IDLE_POLL: Duration = Duration::from_millis(100);
const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Audience rows per materialization step (`EngineConfig::chunk`; `BENCH_CHUNK`).
fn chunk() -> u64 {
    env("BENCH_CHUNK")
        .and_then(|c| c.parse().ok())
        .unwrap_or(EngineConfig::default().chunk)
}

fn batch() -> usize {
    env("BENCH_BATCH")
        .and_then(|b| b.parse().ok())
        .unwrap_or(BATCH)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    match env(PHASE).as_deref() {
        Some("materialize") => print_result(materialize_phase().await?),
        Some("unpaced") => print_result(unpaced_phase().await?),
        Some(other) => bail!("unknown phase {other}"),
        None => parent().await,
    }
}

/// The child's answer to the parent: one JSON line on stdout (everything else goes to stderr).
fn print_result(result: Value) -> anyhow::Result<()> {
    println!("{result}");
    Ok(())
}

async fn parent() -> anyhow::Result<()> {
    let server = env("BENCH_DATABASE_URL").unwrap_or("mysql://root@127.0.0.1:3306".into());
    let scale: f64 = env("BENCH_SCALE").map_or(Ok(1.0), |s| s.parse())?;
    ensure!(scale > 0.0, "BENCH_SCALE must be positive");
    let workers: Vec<usize> = match env("BENCH_WORKERS") {
        Some(list) => list.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => WORKERS.to_vec(),
    };
    let users = ((1_000_000.0 * scale).round() as i64).max(1000);
    let recipients = ((100_000.0 * scale).round() as i64).max(1000);
    let admin = dvorik::db::connect(&database_url(&server, ""), 2).await?;
    let version = query_string(&admin, "SELECT VERSION()").await?;
    let version = version.split('-').next().unwrap_or_default();
    let database = format!(
        "mariadb {}",
        version.rsplit_once('.').map_or(version, |v| v.0)
    );
    println!("broadcast bench: MariaDB {version}, BENCH_SCALE={scale}");
    // Other work on the machine shares its 2 cores: the report says how busy it was.
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_average = load_average
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");

    let random = uuid::Uuid::new_v4().simple().to_string();
    let names = [0, 1].map(|k| format!("bench_broadcast_{}_{k}", &random[..12]));
    let result = run(&server, &names, users, recipients, &workers).await;
    for name in &names {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
            .await?;
    }
    let (materialize, unpaced) = result?;

    let best = unpaced
        .iter()
        .max_by(|a, b| {
            a["per_second"]
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b["per_second"].as_f64().unwrap_or(0.0))
        })
        .context("no unpaced run")?;
    let mut metrics = serde_json::Map::new();
    metrics.insert("materialize_1m_s".into(), materialize["seconds"].clone());
    metrics.insert(
        "materialize_peak_rss_mb".into(),
        materialize["peak_rss_mb"].clone(),
    );
    metrics.insert(
        "materialize_db_cpu_s".into(),
        materialize["db_cpu_s"].clone(),
    );
    metrics.insert(
        "materialize_rows_per_second".into(),
        materialize["per_second"].clone(),
    );
    metrics.insert("unpaced_per_second".into(), best["per_second"].clone());
    metrics.insert("unpaced_peak_rss_mb".into(), best["peak_rss_mb"].clone());
    metrics.insert("unpaced_s".into(), best["seconds"].clone());
    metrics.insert(
        "unpaced_rss_at_start_mb".into(),
        best["rss_at_start_mb"].clone(),
    );
    metrics.insert("unpaced_cpu_s".into(), best["cpu_s"].clone());
    metrics.insert("unpaced_db_cpu_s".into(), best["db_cpu_s"].clone());
    metrics.insert("unpaced_duplicates".into(), best["duplicates"].clone());
    for run in &unpaced {
        let w = &run["workers"];
        metrics.insert(format!("unpaced_per_second_{w}"), run["per_second"].clone());
        metrics.insert(
            format!("unpaced_peak_rss_mb_{w}"),
            run["peak_rss_mb"].clone(),
        );
    }
    let report = json!({
        "name": "broadcast",
        "when": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "setup": {
            "database": database,
            "users": users,
            "recipients": recipients,
            "scale": scale,
            "workers": best["workers"],
            "workers_tried": workers,
            "chunk": chunk(),
            "unpaced_batch": batch(),
            "idle_poll_ms": IDLE_POLL.as_millis() as u64,
            "kv": "redis",
            "sender": "TelegramSender (teloxide) over HTTP",
            "simulator": "in-process (its CPU and memory count against the engine)",
            "peak_rss": "VmHWM of a child process per phase, reset by clear_refs before timing",
            "load_average_at_start": load_average,
        },
        "metrics": metrics,
        "goal": {
            "materialize_1m_s_max": 30.0,
            "materialize_peak_rss_mb_max": 150.0,
            "unpaced_per_second_min": 2000.0,
        },
    });
    let path = report::write("broadcast", &report)?;

    println!(
        "\n{:<24} {:>10} {:>10} {:>12} {:>8}",
        "phase", "rows", "seconds", "per second", "RSS MB"
    );
    let row = |label: &str, r: &Value, rows: i64| {
        let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{label:<24} {rows:>10} {:>10.1} {:>12.0} {:>8.1}",
            f("seconds"),
            f("per_second"),
            f("peak_rss_mb")
        );
    };
    row("materialize", &materialize, users);
    for run in &unpaced {
        row(
            &format!("unpaced, {} workers", run["workers"]),
            run,
            recipients,
        );
    }
    println!(
        "goals: materialize 1M ≤ 30 s and ≤ 150 MB; unpaced ≥ 2000/s (simulator in-process, sharing the CPU)"
    );
    println!("wrote {}", path.display());
    Ok(())
}

/// Loads both databases, then runs each timed phase in a child process.
async fn run(
    server: &str,
    names: &[String; 2],
    users: i64,
    recipients: i64,
    workers: &[usize],
) -> anyhow::Result<(Value, Vec<Value>)> {
    for (name, n) in names.iter().zip([users, recipients]) {
        let started = Instant::now();
        let db = dvorik::db::connect(&database_url(server, name), 2).await?;
        dvorik::db::migrate(&db).await?;
        load_users(&db, n).await?;
        db.close().await?;
        println!(
            "  {name}: {n} users loaded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let materialize = child("materialize", &database_url(server, &names[0]), users, 0)?;
    println!("  materialize: {materialize}");
    let mut unpaced = Vec::new();
    for &w in workers {
        let result = child("unpaced", &database_url(server, &names[1]), recipients, w)?;
        println!("  unpaced: {result}");
        unpaced.push(result);
    }
    Ok((materialize, unpaced))
}

fn child(phase: &str, url: &str, rows: i64, workers: usize) -> anyhow::Result<Value> {
    let output = Command::new(std::env::current_exe()?)
        .env(PHASE, phase)
        .env("BENCH_PHASE_DATABASE_URL", url)
        .env("BENCH_PHASE_ROWS", rows.to_string())
        .env("BENCH_PHASE_WORKERS", workers.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    ensure!(
        output.status.success(),
        "phase {phase} failed: {}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("phase printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// `n` subscribed users with ids `1..=n`, by `INSERT … SELECT` from the sequence engine.
async fn load_users(db: &DatabaseConnection, n: i64) -> anyhow::Result<()> {
    let now = dvorik::clock::now();
    for from in (1..=n).step_by(LOAD_ROWS as usize) {
        let to = (from + LOAD_ROWS - 1).min(n);
        let sql = format!(
            "INSERT INTO users (id, telegram_id, first_name, username, language, subscribed, \
             subscribed_at, blocked, unreachable, last_activity_at, created_at, updated_at) \
             SELECT seq, {FIRST_TELEGRAM_ID} + seq, 'Анна', CONCAT('user', seq), 'ru', 1, ?, 0, 0, \
             ?, ?, ? FROM seq_{from}_to_{to}"
        );
        let values: [sea_orm::Value; 4] = [now.into(), now.into(), now.into(), now.into()];
        let inserted = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::MySql,
                sql,
                values,
            ))
            .await?
            .rows_affected();
        ensure!(
            inserted == (to - from + 1) as u64,
            "loaded {inserted} users of {from}..={to}"
        );
    }
    Ok(())
}

fn phase_env() -> anyhow::Result<(String, i64, usize)> {
    let url = env("BENCH_PHASE_DATABASE_URL").context("no database")?;
    let rows = env("BENCH_PHASE_ROWS").context("no rows")?.parse()?;
    let workers = env("BENCH_PHASE_WORKERS").context("no workers")?.parse()?;
    Ok((url, rows, workers))
}

fn content() -> serde_json::Result<dvorik::services::message_templates::MessageContent> {
    serde_json::from_value(json!({
        "variants": { "ru": { "text": "<b>Новинки</b> недели: скидка 10% до воскресенья" } },
        "buttons": [{ "text": "Каталог", "url": "https://example.com/shop" }]
    }))
}

/// Creates and starts a broadcast to every subscriber.
async fn start_broadcast(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let input = BroadcastInput {
        name: "bench".into(),
        segment_id: None,
        message_template_id: None,
        content: Some(content()?),
        rate_per_minute: None,
    };
    let now = dvorik::clock::now();
    let b = broadcasts::create(db, &input, Actor::system(), now).await?;
    broadcasts::transition(db, b.id, Transition::Start, Actor::system(), now).await?;
    Ok(b.id)
}

async fn materialize_phase() -> anyhow::Result<Value> {
    let (url, rows, _) = phase_env()?;
    let db = dvorik::db::connect(&url, 4).await?;
    let id = start_broadcast(&db).await?;
    let now = dvorik::clock::now();
    let (mut steps, mut total) = (0u64, 0u64);
    reset_peak_rss()?;
    let (cpu, db_cpu) = (cpu_seconds()?, database_cpu_seconds());
    let started = Instant::now();
    loop {
        let b = Broadcasts::find_by_id(id)
            .one(&db)
            .await?
            .context("no broadcast")?;
        let audience = deliveries::audience(&db, &b, TZ).await?;
        steps += 1;
        match deliveries::materialize_chunk(&db, &b, audience, chunk(), now).await? {
            Materialized::Chunk(n) => total += n,
            Materialized::Done(n) => {
                total += n;
                break;
            }
            Materialized::Lost => bail!("materialization lost a race with nobody"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu, peak) = (cpu_seconds()? - cpu, peak_rss_mb()?);
    let db_cpu = database_cpu_seconds() - db_cpu;
    ensure!(
        total == rows as u64,
        "{total} delivery rows for {rows} users"
    );
    Ok(json!({
        "rows": total, "steps": steps, "seconds": round(seconds), "per_second": round(total as f64 / seconds),
        "peak_rss_mb": round(peak), "cpu_s": round(cpu), "db_cpu_s": round(db_cpu),
    }))
}

async fn unpaced_phase() -> anyhow::Result<Value> {
    let (url, rows, workers) = phase_env()?;
    let db = dvorik::db::connect(&url, workers as u32 + 8).await?;
    let redis = env("BENCH_REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into());
    let prefix = format!("dvorik-bench:{}:", uuid::Uuid::new_v4().simple());
    let core = Core {
        db: db.clone(),
        kv: dvorik::kv::connect(Some(&redis), &prefix).await?,
        key: dvorik::secret::ServerKey::random(),
        timezone: TZ,
    };
    let sim = Simulator::start("127.0.0.1:0".parse()?).await?;
    sim.add_bot(CLIENT, "bench_broadcast_bot")?;
    for i in 1..=rows {
        sim.open_chat(CLIENT, &SimUser::new(FIRST_TELEGRAM_ID + i, "Анна"))?;
    }
    let id = start_broadcast(&db).await?;
    let config = EngineConfig {
        pacing: false,
        workers,
        idle_poll: IDLE_POLL,
        unpaced_batch: batch(),
        chunk: chunk(),
        ..EngineConfig::default()
    };
    let sender = Arc::new(TelegramSender::new(&sim.api_url(), CLIENT)?);
    let engine = Engine::new(&core, Clock::system(), sender, config, Default::default());
    reset_peak_rss()?;
    // The simulator's 100,000 chats, set up before timing, are part of this baseline.
    let baseline = rss_mb()?;
    let (cpu, db_cpu) = (cpu_seconds()?, database_cpu_seconds());
    let started = Instant::now();
    let running = engine.start();
    let deadline = Duration::from_secs(1800);
    while broadcasts::get(&db, id).await?.state != BroadcastState::Completed {
        ensure!(
            started.elapsed() < deadline,
            "broadcast {id} not completed in {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu, peak) = (cpu_seconds()? - cpu, peak_rss_mb()?);
    let db_cpu = database_cpu_seconds() - db_cpu;
    running.stop().await;
    let p = broadcasts::progress::progress(&db, id, dvorik::clock::now(), 1800).await?;
    let counters = sim.counters();
    let violations = sim.violations().len();
    sim.shutdown().await;
    ensure!(p.sent == rows as u64, "sent {} of {rows}: {p:?}", p.sent);
    // More messages than rows sent: a delivery went out twice (none may without a crash).
    let duplicates = counters.messages_sent.saturating_sub(p.sent);
    if duplicates > 0 {
        eprintln!("  WARNING: {duplicates} messages were sent twice");
    }
    ensure!(violations == 0, "{violations} Bot API violations");
    Ok(json!({
        "workers": workers, "sent": p.sent, "seconds": round(seconds),
        "per_second": round(p.sent as f64 / seconds), "peak_rss_mb": round(peak), "cpu_s": round(cpu),
        "db_cpu_s": round(db_cpu), "duplicates": duplicates, "rss_at_start_mb": round(baseline),
    }))
}

/// Resets VmHWM to the current RSS (Linux: writing 5 to `clear_refs`).
fn reset_peak_rss() -> anyhow::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("cannot reset the peak RSS")
}

/// VmHWM of this process in MB.
fn peak_rss_mb() -> anyhow::Result<f64> {
    status_mb("VmHWM:")
}

/// VmRSS of this process in MB: what the peak of a phase started from.
fn rss_mb() -> anyhow::Result<f64> {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("no {field}"))?;
    let kb: f64 = line
        .split_whitespace()
        .nth(1)
        .context(field.to_string())?
        .parse()?;
    Ok(kb / 1024.0)
}

/// User plus system CPU seconds of this process so far.
fn cpu_seconds() -> anyhow::Result<f64> {
    cpu::seconds(None).context("no /proc/self/stat")
}

/// CPU seconds of the local MariaDB server so far (0 when it runs elsewhere).
fn database_cpu_seconds() -> f64 {
    cpu::database_pid()
        .and_then(|pid| cpu::seconds(Some(pid)))
        .unwrap_or(0.0)
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn query_string(db: &DatabaseConnection, sql: &str) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::MySql, sql))
        .await?;
    Ok(row.context("no row")?.try_get_by_index(0)?)
}
