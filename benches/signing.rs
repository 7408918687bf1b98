//! Signing benchmark on MariaDB/MySQL: the latency of `services::signing::sign` (verify the code, mark it
//! used, move the deal to `signed`, append the `signed` evidence row, one transaction) over
//! `max(200, 1000 * BENCH_SCALE)` deals, and the throughput of `services::evidence::verify` over one
//! chain of `100_000 * BENCH_SCALE` events (built in memory with the same hash and bulk-inserted).
//! Writes `target/bench/signing.json` in the shape of BENCH.md.
//!
//! Environment: `BENCH_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`), `BENCH_SCALE` (default
//! 1.0), `BENCH_KEEP=1` keeps the `bench_signing` database.

#[path = "support/report.rs"]
mod report;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, ensure};
use chrono::{Duration, SecondsFormat, Utc};
use dvorik::entity::signature_events::{self, EvidenceKind};
use dvorik::secret::{Secret, ServerKey};
use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput};
use dvorik::services::evidence::{self, GENESIS, canonical_json};
use dvorik::services::signing::{self, CodeSender, Recipient};
use dvorik::services::users::{self, TelegramProfile};
use dvorik::{clock, db};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Set, Statement};

const DB_NAME: &str = "bench_signing";
const INSERT_ROWS: usize = 2_000;

/// Keeps the last message, as the client chat would show it.
#[derive(Default)]
struct LastMessage(Mutex<String>);

#[async_trait::async_trait]
impl CodeSender for LastMessage {
    fn channel(&self) -> &'static str {
        "bench"
    }
    async fn send(&self, _: &Recipient, text: &Secret<String>) -> dvorik::Result<()> {
        *self.0.lock().unwrap() = text.expose().clone();
        Ok(())
    }
}

impl LastMessage {
    fn code(&self) -> Secret<String> {
        let text = self.0.lock().unwrap().clone();
        Secret::new(text.rsplit(": ").next().unwrap_or_default()[..6].to_string())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |name| std::env::var(name).ok();
    let server = env("BENCH_DATABASE_URL").unwrap_or("mysql://root@127.0.0.1:3306".into());
    let scale: f64 = env("BENCH_SCALE").map_or(Ok(1.0), |s| s.parse())?;
    ensure!(scale > 0.0, "BENCH_SCALE must be positive");
    let signings = ((1_000.0 * scale).round() as usize).max(200);
    let events = ((100_000.0 * scale).round() as usize).max(1_000);

    let admin = db::connect(&server, 2).await?;
    for verb in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
        admin
            .execute_unprepared(&format!("{verb} `{DB_NAME}`"))
            .await?;
    }
    let url = format!("{}/{DB_NAME}", server.trim_end_matches('/'));
    let pool = db::connect(&url, 8).await?;
    db::migrate(&pool).await?;
    let version: String = pool
        .query_one_raw(Statement::from_string(DbBackend::MySql, "SELECT VERSION()"))
        .await?
        .context("no version")?
        .try_get_by_index(0)?;
    let key = ServerKey::random();
    let now = clock::now();

    // Deals sent to their counterparties, each with a code requested (not measured).
    let sender = Arc::new(LastMessage::default());
    let mut pending = Vec::with_capacity(signings);
    for i in 0..signings {
        let profile = TelegramProfile {
            telegram_id: 10_000 + i as i64,
            first_name: "Анна".into(),
            last_name: None,
            username: None,
            language_code: Some("ru".into()),
        };
        let user = users::register(&pool, &profile, None, Default::default(), now)
            .await?
            .user;
        let input = DealInput {
            title: format!("Сделка {i}"),
            kind: "sale".into(),
            counterparty_user_id: Some(user.id),
            amount: "1500.00".parse()?,
            ..Default::default()
        };
        let deal = deals::create(&pool, &input, Actor::system(), now).await?;
        deals::send(&pool, deal.id, Actor::system(), now).await?;
        signing::request_code(&pool, &key, sender.as_ref(), user.id, deal.id, now).await?;
        pending.push((user.id, deal.id, sender.code()));
    }
    let mut sign_ms = Vec::with_capacity(signings);
    let at = now + Duration::seconds(1);
    for (user_id, deal_id, code) in &pending {
        let start = Instant::now();
        signing::sign(&pool, &key, *user_id, *deal_id, code, at).await?;
        sign_ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    sign_ms.sort_by(f64::total_cmp);

    // One long chain, hashed exactly as `append` does, bulk-inserted.
    let chain_deal = {
        let input = DealInput {
            title: "Длинная цепочка".into(),
            kind: "sale".into(),
            counterparty_user_id: Some(pending[0].0),
            amount: "1".parse()?,
            ..Default::default()
        };
        deals::create(&pool, &input, Actor::system(), now).await?.id
    };
    let mut prev = GENESIS.to_string();
    let mut batch = Vec::with_capacity(INSERT_ROWS);
    for seq in 1..=events as i32 {
        let mut row = signature_events::Model {
            id: 0,
            deal_id: chain_deal,
            seq,
            document_id: None,
            kind: EvidenceKind::Viewed,
            actor: Some("system".into()),
            payload: canonical_json(&serde_json::json!({"n": seq})),
            created_at: now,
            prev_hash: prev.clone(),
            row_hash: String::new(),
        };
        row.row_hash = evidence::row_hash(&row)?;
        prev = row.row_hash.clone();
        batch.push(signature_events::ActiveModel {
            deal_id: Set(row.deal_id),
            seq: Set(row.seq),
            document_id: Set(None),
            kind: Set(row.kind),
            actor: Set(row.actor),
            payload: Set(row.payload),
            created_at: Set(row.created_at),
            prev_hash: Set(row.prev_hash),
            row_hash: Set(row.row_hash),
            ..Default::default()
        });
        if batch.len() == INSERT_ROWS {
            signature_events::Entity::insert_many(std::mem::take(&mut batch))
                .exec(&pool)
                .await?;
        }
    }
    if !batch.is_empty() {
        signature_events::Entity::insert_many(batch)
            .exec(&pool)
            .await?;
    }
    let start = Instant::now();
    let check = evidence::verify(&pool, chain_deal).await?;
    let verify_s = start.elapsed().as_secs_f64();
    ensure!(
        check.ok && check.events == events,
        "the bulk chain must verify: {check:?}"
    );

    let metrics = serde_json::json!({
        "sign_p50_ms": percentile(&sign_ms, 0.50),
        "sign_p99_ms": percentile(&sign_ms, 0.99),
        "verify_events_per_second": events as f64 / verify_s,
        "verify_s": verify_s,
    });
    let report = serde_json::json!({
        "name": "signing",
        "when": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "setup": {"database": version, "signings": signings, "chain_events": events, "workers": 1, "scale": scale},
        "metrics": metrics,
        "goal": {},
        "ratio": {},
    });
    let path = report::write("signing", &report)?;
    println!(
        "signing: {} signings, p50 {:.2} ms, p99 {:.2} ms",
        signings,
        percentile(&sign_ms, 0.5),
        percentile(&sign_ms, 0.99)
    );
    println!(
        "verify: {events} events in {verify_s:.2} s ({:.0} events/s)",
        events as f64 / verify_s
    );
    println!("wrote {}", path.display());
    if env("BENCH_KEEP").is_none() {
        admin
            .execute_unprepared(&format!("DROP DATABASE `{DB_NAME}`"))
            .await?;
    }
    Ok(())
}
