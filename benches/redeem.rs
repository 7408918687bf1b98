//! Redemption benchmark: `services::redemption::redeem` against its floor, a bare durable conditional
//! single-row UPDATE of the same table, on `1_000_000 * BENCH_SCALE` users with one active discount
//! each, in MariaDB/MySQL. Writes `target/bench/redeem.json` in the shape of BENCH.md.
//!
//! Environment: `BENCH_DATABASE_URL` (the server; default `mysql://root@127.0.0.1:3306`), `BENCH_SCALE`
//! (default 1.0), `BENCH_KEEP=1` keeps the `bench_redeem` database it creates.
//!
//! Method: `ROUNDS` rounds, each measuring floor@1, redeem@1, floor@8, redeem@8 in that order, each
//! after its own warm-up, so both kinds see the same machine state. Every reported metric is the median
//! over the rounds of that metric; the ratios divide those medians. Every op touches a row no other op
//! touches (distinct codes, distinct ids) and really changes it, so none is a no-op write that would
//! skip the redo-log flush.

#[path = "support/database_url.rs"]
mod database_url;
#[path = "support/report.rs"]
mod report;

use database_url::database_url;
use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chrono::{DateTime, SecondsFormat, Utc};
use dvorik::domain::code::{DiscountCode, new_nonce};
use dvorik::entity::discount_templates::{DiscountKind, ValueKind};
use dvorik::entity::discounts::DiscountState;
use dvorik::entity::{discounts, users};
use dvorik::secret::ServerKey;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use dvorik::services::stores::{self, StoreInput};
use dvorik::services::{cashiers, redemption};
use dvorik::{clock, db};
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryTrait, Set};
use sea_orm::{Statement, TransactionTrait, Value};

const DB_NAME: &str = "bench_redeem";
/// Rows per multi-row INSERT, rows per load transaction, load transactions in flight.
const STMT_ROWS: usize = 2_000;
const TXN_ROWS: usize = 20_000;
const LOAD_TASKS: usize = 4;
const ROUNDS: usize = 3;
const WORKERS: [usize; 2] = [1, 8];
/// Measured ops per run at scale 1.0 for each entry of `WORKERS`; scaled, but never below `MIN_OPS`.
const BASE_OPS: [f64; 2] = [2_000.0, 8_000.0];
const MIN_OPS: usize = 500;
const FLOOR_SQL: &str = "UPDATE discounts SET reminded_at = ? WHERE id = ? AND state = 'active'";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |name| std::env::var(name).ok();
    let server = env("BENCH_DATABASE_URL").unwrap_or("mysql://root@127.0.0.1:3306".into());
    let scale: f64 = env("BENCH_SCALE").map_or(Ok(1.0), |s| s.parse())?;
    ensure!(scale > 0.0, "BENCH_SCALE must be positive");
    let n = (1_000_000.0 * scale).round() as usize;
    let ops = BASE_OPS.map(|base| ((base * scale).round() as usize).max(MIN_OPS));
    let warm = ops.map(|o| (o / 10).max(50));
    let per_kind = ROUNDS * (ops.iter().sum::<usize>() + warm.iter().sum::<usize>());
    ensure!(2 * per_kind <= n, "BENCH_SCALE is too small: {n} discounts");

    let admin = db::connect(&database_url(&server, ""), 2).await?;
    let version = query_string(&admin, "SELECT VERSION()").await?;
    for verb in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
        let sql = format!("{verb} `{DB_NAME}`");
        admin.execute_unprepared(&sql).await?;
    }
    let pool = db::connect(&database_url(&server, DB_NAME), 16).await?;
    db::migrate(&pool).await?;
    println!("redeem bench: {version}, {n} users and discounts (BENCH_SCALE={scale})");

    let (now, system) = (clock::now(), Actor::system());
    let store = StoreInput {
        name: "Bench".into(),
        ..Default::default()
    };
    let store = stores::create(&pool, &store, system, now).await?;
    let owner = admins::add(&pool, 1, AdminRole::Owner, None, system, now).await?;
    let cashier = cashiers::register(&pool, 2, "Bench cashier", store.id, now).await?;
    let cashier = cashiers::approve(&pool, cashier.id, owner.id, now).await?;
    // One cashier at machine speed: the velocity limit (redemptions per cashier per minute) is off,
    // while its bounded count still runs in every redemption.
    let off = serde_json::json!(0);
    dvorik::services::settings::set(
        &pool,
        "redemptions_per_cashier_per_minute",
        off,
        system,
        now,
    )
    .await?;

    let key = Arc::new(ServerKey::random());
    let started = Instant::now();
    let rows = Arc::new(code_rows(&key, n));
    println!("  {n} codes derived and sorted in {:.1} s", secs(started));
    // Distinct rows in random order: the first `per_kind` are redeemed, the rest get the floor update.
    let picks = sample(n, 2 * per_kind);
    let code_of = |i: &usize| String::from(DiscountCode::derive(&key, rows[*i].nonce()).expose());
    let codes: Vec<String> = picks[..per_kind].iter().map(code_of).collect();
    let floor_ids: Vec<i64> = picks[per_kind..].iter().map(|&i| i as i64 + 1).collect();

    let started = Instant::now();
    let users = move |r: Range<usize>| users::Entity::insert_many(r.map(|i| user_row(i, now)));
    load(&pool, n, "users", move |r| users(r).into_query()).await?;
    let (owner_id, table) = (owner.id, rows.clone());
    let discounts = move |r: Range<usize>| {
        let rows = r.map(|i| discount_row(i, &table[i], owner_id, now));
        discounts::Entity::insert_many(rows).into_query()
    };
    load(&pool, n, "discounts", discounts).await?;
    let load_s = secs(started);
    println!("  loaded {n} users and {n} discounts in {load_s:.1} s");
    drop(rows);
    settle(&pool).await?;

    let floor = {
        let pool = pool.clone();
        move |id: i64| {
            let pool = pool.clone();
            async move {
                let values: [Value; 2] = [clock::now().into(), id.into()];
                let update = Statement::from_sql_and_values(DbBackend::MySql, FLOOR_SQL, values);
                let changed = pool.execute_raw(update).await?.rows_affected();
                ensure!(changed == 1, "floor: discount {id}, {changed} rows changed");
                Ok(())
            }
        }
    };
    let redeem = {
        let (pool, key, cashier_id) = (pool.clone(), key.clone(), cashier.id);
        move |code: String| {
            let (pool, key) = (pool.clone(), key.clone());
            async move {
                let at = clock::now();
                redemption::redeem(&pool, &key, &code, cashier_id, Some(150_000), at).await?;
                Ok(())
            }
        }
    };
    let (mut codes, mut ids) = (codes.into_iter(), floor_ids.into_iter());
    // results[kind][index into WORKERS], one Stats per round; kind 0 is the floor, 1 is redeem.
    let mut results: [[Vec<Stats>; 2]; 2] = Default::default();
    for round in 1..=ROUNDS {
        for (w, &workers) in WORKERS.iter().enumerate() {
            let (warm, ops) = (warm[w], ops[w]);
            let floor = run(&mut ids, warm, ops, workers, floor.clone()).await?;
            let redeem = run(&mut codes, warm, ops, workers, redeem.clone()).await?;
            for (kind, stats) in [floor, redeem].into_iter().enumerate() {
                let label = KINDS[kind];
                println!("  round {round} {label:<6} @{workers}: {}", show(&stats));
                results[kind][w].push(stats);
            }
        }
    }

    let med = |kind: usize, w: usize, metric: usize| {
        let mut values: Vec<f64> = results[kind][w].iter().map(|s| s[metric]).collect();
        values.sort_unstable_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut metrics = serde_json::Map::new();
    for (w, workers) in WORKERS.iter().enumerate() {
        for (kind, prefix) in [(1, ""), (0, "floor_")] {
            for (m, name) in METRICS.iter().enumerate() {
                let value = (med(kind, w, m) * 1000.0).round() / 1000.0;
                metrics.insert(format!("{prefix}{name}_{workers}"), value.into());
            }
        }
    }
    // The BENCH.md example keys carry the 8-worker figures.
    for key in ["p50_ms", "p99_ms", "per_second", "floor_p99_ms"] {
        metrics.insert(key.into(), metrics[&format!("{key}_8")].clone());
    }
    let ratios = [0, 1].map(|w| (med(1, w, 1) / med(0, w, 1) * 1000.0).round() / 1000.0);
    let report = serde_json::json!({
        "name": "redeem",
        "when": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "setup": {"database": version, "users": n, "codes": n, "workers": WORKERS, "scale": scale},
        "metrics": metrics,
        "goal": {"p99_vs_floor_max": 1.5},
        "ratio": {"p99_vs_floor": ratios[1], "p99_vs_floor_1": ratios[0]},
    });
    let path = report::write("redeem", &report)?;

    println!(
        "\n{:8} {:>7} {:>9} {:>9} {:>9}",
        "", "workers", "p50 ms", "p99 ms", "ops/s"
    );
    for (w, workers) in WORKERS.iter().enumerate() {
        for (kind, label) in KINDS.iter().enumerate() {
            let [a, b, c] = [0, 1, 2].map(|m| med(kind, w, m));
            println!("{label:<8} {workers:>7} {a:>9.2} {b:>9.2} {c:>9.0}");
        }
    }
    let [r1, r8] = ratios;
    println!("p99 redeem/floor: {r1:.2} at 1 worker, {r8:.2} at 8 (goal 1.5); load {load_s:.1} s");
    println!("wrote {}", path.display());

    if env("BENCH_KEEP").as_deref() != Some("1") {
        let sql = format!("DROP DATABASE `{DB_NAME}`");
        admin.execute_unprepared(&sql).await?;
    }
    pool.close().await?;
    admin.close().await?;
    Ok(())
}

async fn query_string(db: &DatabaseConnection, sql: &str) -> anyhow::Result<String> {
    let query = Statement::from_string(DbBackend::MySql, sql);
    let row = db.query_one_raw(query).await?;
    Ok(row.context("no row")?.try_get_by_index(0)?)
}

/// One discount's code material as ASCII hex: the keyed hash of the code and its nonce.
struct CodeRow {
    hash: [u8; 64],
    nonce: [u8; 32],
}

impl CodeRow {
    fn hash(&self) -> &str {
        std::str::from_utf8(&self.hash).expect("hex")
    }

    fn nonce(&self) -> &str {
        std::str::from_utf8(&self.nonce).expect("hex")
    }
}

/// `n` fresh codes (derived on all cores), sorted by hash. Rows go in in hash order so the unique
/// code-hash index grows at its end like every other index of `discounts`: in random order that index
/// (~100 MB at a million rows, and unique, so never change-buffered) competes with the table for a
/// default 128 MB buffer pool, and the load turns into random page reads.
fn code_rows(key: &ServerKey, n: usize) -> Vec<CodeRow> {
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let row = |_| {
        let nonce = new_nonce();
        let hash = DiscountCode::derive(key, &nonce).hash(key);
        let (hash, nonce) = (hash.as_bytes().try_into(), nonce.as_bytes().try_into());
        let (hash, nonce) = (hash.expect("64 hex digits"), nonce.expect("32 hex digits"));
        CodeRow { hash, nonce }
    };
    let mut rows: Vec<CodeRow> = std::thread::scope(|s| {
        let parts: Vec<_> = (0..threads)
            .map(|t| n / threads + usize::from(t < n % threads))
            .map(|count| s.spawn(move || (0..count).map(row).collect::<Vec<_>>()))
            .collect();
        let parts = parts.into_iter().map(|p| p.join().expect("code thread"));
        parts.flatten().collect()
    });
    rows.sort_unstable_by_key(|row| row.hash);
    rows
}

/// `k` distinct positions in `0..n` in random order (a partial Fisher-Yates shuffle, xorshift64*).
fn sample(n: usize, k: usize) -> Vec<usize> {
    let mut state = u64::from_le_bytes(dvorik::secret::random_bytes::<8>()) | 1;
    let mut all: Vec<u32> = (0..n as u32).collect();
    for i in 0..k {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let j = i + (state.wrapping_mul(0x2545_f491_4f6c_dd1d) % (n - i) as u64) as usize;
        all.swap(i, j);
    }
    all[..k].iter().map(|&i| i as usize).collect()
}

/// User `i` (id `i + 1`), subscribed.
fn user_row(i: usize, now: DateTime<Utc>) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(i as i64 + 1),
        telegram_id: Set(100_000_000 + i as i64),
        first_name: Set("Анна".into()),
        username: Set(Some(format!("user{i}"))),
        language: Set("ru".into()),
        subscribed: Set(true),
        subscribed_at: Set(Some(now)),
        blocked: Set(false),
        unreachable: Set(false),
        last_activity_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Discount `i` (id `i + 1`) of user `i + 1`: manual, 10 %, active, expiring in 30 days.
fn discount_row(i: usize, c: &CodeRow, admin: i64, now: DateTime<Utc>) -> discounts::ActiveModel {
    discounts::ActiveModel {
        id: Set(i as i64 + 1),
        user_id: Set(i as i64 + 1),
        kind: Set(DiscountKind::Manual),
        code_hash: Set(c.hash().to_owned()),
        code_nonce: Set(c.nonce().to_owned()),
        value_kind: Set(ValueKind::Percent),
        percent_bp: Set(Some(1000)),
        state: Set(DiscountState::Active),
        issued_at: Set(now),
        expires_at: Set(now + chrono::Duration::days(30)),
        issued_by_admin_id: Set(Some(admin)),
        ..Default::default()
    }
}

/// Inserts rows `0..n` of `table`: `LOAD_TASKS` tasks, each taking `TXN_ROWS` rows at a time in one
/// transaction of `STMT_ROWS`-row INSERTs (prepared once per connection and row count, then reused).
async fn load<F>(pool: &DatabaseConnection, n: usize, table: &str, build: F) -> anyhow::Result<()>
where
    F: Fn(Range<usize>) -> InsertStatement + Send + Sync + 'static,
{
    let (next, done) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let build = Arc::new(build);
    let (started, mut tasks) = (Instant::now(), Vec::new());
    for _ in 0..LOAD_TASKS {
        let (pool, next, done, build) = (pool.clone(), next.clone(), done.clone(), build.clone());
        let table = table.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(TXN_ROWS, Ordering::Relaxed);
                if start >= n {
                    return anyhow::Ok(());
                }
                let end = (start + TXN_ROWS).min(n);
                let txn = pool.begin().await?;
                for from in (start..end).step_by(STMT_ROWS) {
                    let insert = build(from..(from + STMT_ROWS).min(end));
                    txn.execute(&insert).await?;
                }
                txn.commit().await?;
                let total = done.fetch_add(end - start, Ordering::Relaxed) + end - start;
                if total / 100_000 > (total - (end - start)) / 100_000 {
                    println!("  {table}: {total} rows, {:.1} s", secs(started));
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    println!("  {table}: {n} rows in {:.1} s", secs(started));
    Ok(())
}

/// Waits until InnoDB has written back the pages the load dirtied: until at most 1 % of the buffer
/// pool is dirty, or the count has not fallen for 3 s (MariaDB does not flush an idle pool below its
/// low-water mark), or 60 s passed. The first round then does not compete with a flush backlog.
async fn settle(pool: &DatabaseConnection) -> anyhow::Result<()> {
    let status = |name: &str| {
        let sql = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME";
        let sql = format!("{sql} = 'INNODB_BUFFER_POOL_PAGES_{name}'");
        async move { anyhow::Ok(query_string(pool, &sql).await?.parse::<u64>()?) }
    };
    let (started, mut lowest, mut fell_at) = (Instant::now(), u64::MAX, Instant::now());
    loop {
        let (dirty, total) = (status("DIRTY").await?, status("TOTAL").await?);
        if dirty < lowest {
            (lowest, fell_at) = (dirty, Instant::now());
        }
        let stalled = fell_at.elapsed() > Duration::from_secs(3);
        if dirty * 100 <= total || stalled || started.elapsed() > Duration::from_secs(60) {
            let waited = started.elapsed().as_secs_f64();
            println!("  settled in {waited:.0} s: {dirty} of {total} buffer pool pages dirty");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// p50 in ms, p99 in ms, ops per second.
type Stats = [f64; 3];
const METRICS: [&str; 3] = ["p50_ms", "p99_ms", "per_second"];
const KINDS: [&str; 2] = ["floor", "redeem"];

fn show([p50, p99, rate]: &Stats) -> String {
    format!("p50 {p50:.2} ms, p99 {p99:.2} ms, {rate:.0}/s")
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// Runs `op` on the next `warm` items (a warm-up), then on the next `count` items, `workers` at a
/// time, measuring each op's latency and the wall time of the second run.
async fn run<T, F, Fut>(
    items: &mut impl Iterator<Item = T>,
    warm: usize,
    count: usize,
    workers: usize,
    op: F,
) -> anyhow::Result<Stats>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let mut stats = [0.0; 3];
    for take in [warm, count] {
        let queue = Arc::new(Mutex::new(items.take(take).collect::<Vec<_>>().into_iter()));
        let (started, mut tasks) = (Instant::now(), Vec::new());
        for _ in 0..workers {
            let (queue, op) = (queue.clone(), op.clone());
            tasks.push(tokio::spawn(async move {
                let (next, mut latencies) = (|| queue.lock().expect("queue").next(), Vec::new());
                while let Some(item) = next() {
                    let t = Instant::now();
                    op(item).await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::with_capacity(take);
        for task in tasks {
            latencies.extend(task.await??);
        }
        let rate = take as f64 / secs(started);
        latencies.sort_unstable();
        let ms = |p: f64| latencies[((take as f64 * p).ceil() as usize).clamp(1, take) - 1];
        stats = [
            ms(0.50).as_secs_f64() * 1e3,
            ms(0.99).as_secs_f64() * 1e3,
            rate,
        ];
    }
    Ok(stats)
}
