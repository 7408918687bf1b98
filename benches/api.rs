//! Admin API benchmark: authenticated `GET /api/v1/users?limit=50` and `GET /api/v1/stats` (30 days) on
//! `1_000_000 * BENCH_SCALE` users in MariaDB/MySQL, served in this process on port 0 and loaded by `wrk`
//! (Debian's `wrk`, a second process). Writes `target/bench/api.json` in the shape of BENCH.md.
//!
//! Environment: `BENCH_DATABASE_URL` (the server; default `mysql://root@127.0.0.1:3306`), `BENCH_SCALE`
//! (default 1.0), `BENCH_SECONDS` (each measured run, default 15), `BENCH_KEEP=1` keeps the
//! `bench_api` database. `wrk` must be installed (`apt-get install -y wrk`).
//!
//! Data: users registered over three years (id order is registration order), 60 % subscribed, eight
//! sources, a quarter of them with a discount (half welcome, a tenth birthday, the rest manual), a third
//! of those redeemed within 20 days. Method: a 3-second warm-up, then `wrk` with one thread: the user
//! list with 64 connections, twice: as deployed (`users_list`: the page cache on, its default TTL, so a
//! page is rendered about once a second) and with the cache off (`users_list_uncached`: every request
//! queries the database); the stats with 4; and `GET /health` with 64 as the peer (the same stack
//! without the database and the token). `stats_first_ms` is the first stats request, which counts the
//! range's closed days from the rows and stores them; the measured ones read them back. The API's per-token and per-IP rate limits are off for the
//! bench client (a production deployment would limit one token to hundreds of requests per minute).

#[path = "api/cpu.rs"]
mod cpu;
#[path = "api/data.rs"]
mod data;
#[path = "support/database_url.rs"]
mod database_url;
#[path = "support/report.rs"]
mod report;
#[path = "api/wrk.rs"]
mod wrk;

use database_url::database_url;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, ensure};
use chrono::{SecondsFormat, Utc};
use dvorik::app::Core;
use dvorik::http::{ApiConfig, Metrics};
use dvorik::secret::ServerKey;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use dvorik::{clock, db};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

const DB_NAME: &str = "bench_api";
/// Database connections of the served app (`BENCH_POOL`).
const POOL: u32 = 16;
/// wrk connections for the list (`BENCH_CONNECTIONS`) and for the stats.
const LIST_CONNECTIONS: u32 = 64;
const STATS_CONNECTIONS: u32 = 4;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |name| std::env::var(name).ok();
    let server = env("BENCH_DATABASE_URL").unwrap_or("mysql://root@127.0.0.1:3306".into());
    let scale: f64 = env("BENCH_SCALE").map_or(Ok(1.0), |s| s.parse())?;
    let seconds: u32 = env("BENCH_SECONDS").map_or(Ok(15), |s| s.parse())?;
    let pool_size: u32 = env("BENCH_POOL").map_or(Ok(POOL), |s| s.parse())?;
    let list_connections: u32 =
        env("BENCH_CONNECTIONS").map_or(Ok(LIST_CONNECTIONS), |s| s.parse())?;
    ensure!(scale > 0.0, "BENCH_SCALE must be positive");
    let n = ((1_000_000.0 * scale).round() as usize).max(1_000);
    wrk::check_installed()?;

    let admin = db::connect(&database_url(&server, ""), 2).await?;
    let version = query_string(&admin, "SELECT VERSION()").await?;
    let buffer_pool_mb = query_string(&admin, "SELECT @@innodb_buffer_pool_size")
        .await?
        .parse::<u64>()?
        >> 20;
    for verb in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
        let sql = format!("{verb} `{DB_NAME}`");
        admin.execute_unprepared(&sql).await?;
    }
    let pool = db::connect(&database_url(&server, DB_NAME), pool_size).await?;
    db::migrate(&pool).await?;
    println!(
        "api bench: {version}, {n} users (BENCH_SCALE={scale}), buffer pool {buffer_pool_mb} MB"
    );

    let started = Instant::now();
    let loaded = data::load(&pool, n, clock::now()).await?;
    let load_s = started.elapsed().as_secs_f64();
    println!(
        "  loaded {n} users, {} discounts, {} redemptions in {load_s:.1} s",
        loaded.discounts, loaded.redemptions
    );
    for table in ["users", "discounts", "redemptions"] {
        pool.execute_unprepared(&format!("ANALYZE TABLE {table}"))
            .await?;
    }
    data::settle(&pool).await?;

    let key = ServerKey::random();
    let kv = dvorik::kv::connect(None, "").await?;
    let core = Core {
        db: pool.clone(),
        kv,
        key: key.clone(),
        timezone: chrono_tz::Asia::Vladivostok,
    };
    let mut config = ApiConfig::defaults(&key);
    (
        config.rate_per_ip,
        config.rate_per_token,
        config.login_rate_per_ip,
    ) = (0, 0, 0);
    // The served app as deployed (its page cache on), and the same app with the cache off, to measure
    // what every uncached page costs.
    let mut uncached = config.clone();
    uncached.list_cache_ttl = std::time::Duration::ZERO;
    let base = serve(dvorik::http::router_with(
        core.clone(),
        config,
        Metrics::default(),
    ))
    .await?;
    let uncached_base = serve(dvorik::http::router_with(
        core,
        uncached,
        Metrics::default(),
    ))
    .await?;
    let token = login(&pool, &key, &base).await?;
    let auth = format!("Authorization: Bearer {token}");

    let users_url = format!("{base}/api/v1/users?limit=50");
    let stats_url = format!("{base}/api/v1/stats");
    let health_url = format!("{base}/health");
    check(&users_url, &token, |body| {
        body["items"].as_array().map(Vec::len) == Some(50)
    })
    .await?;
    // The first report of the range counts its closed days from the rows and stores them; later ones
    // read them back.
    let first_report = Instant::now();
    check(&stats_url, &token, |body| {
        body["days"].as_array().map(Vec::len) == Some(30) && body["users_new"].as_i64() > Some(0)
    })
    .await?;
    let stats_first_ms = first_report.elapsed().as_secs_f64() * 1e3;
    let uncached_url = format!("{uncached_base}/api/v1/users?limit=50");

    let runs = [
        (
            "users_list",
            &users_url,
            list_connections,
            Some(auth.as_str()),
        ),
        (
            "users_list_uncached",
            &uncached_url,
            list_connections,
            Some(auth.as_str()),
        ),
        ("stats", &stats_url, STATS_CONNECTIONS, Some(auth.as_str())),
        ("health", &health_url, list_connections, None),
    ];
    let database_pid = cpu::database_pid();
    let mut results = Vec::new();
    for (name, url, connections, header) in runs {
        wrk::run(url, connections, 3, header)?;
        let before = (cpu::seconds(None), cpu::seconds(database_pid));
        let result = wrk::run(url, connections, seconds, header)?;
        let after = (cpu::seconds(None), cpu::seconds(database_pid));
        let requests = result.per_second * f64::from(seconds);
        let per_request = |a: Option<f64>, b: Option<f64>| {
            a.zip(b).map(|(a, b)| (b - a) * 1e6 / requests.max(1.0))
        };
        let app_us = per_request(before.0, after.0);
        let db_us = per_request(before.1, after.1);
        println!(
            "  {name:<10} {connections:>3} connections: {:>9.0} req/s, p50 {:.2} ms, p99 {:.2} ms; \
             CPU per request: app {:.0} µs, database {:.0} µs",
            result.per_second,
            result.p50_ms,
            result.p99_ms,
            app_us.unwrap_or(f64::NAN),
            db_us.unwrap_or(f64::NAN)
        );
        results.push((name, result, app_us, db_us));
    }
    let find = |name: &str| results.iter().find(|r| r.0 == name).expect("run");
    let get = |name: &str| &find(name).1;
    let (list, stats, health) = (get("users_list"), get("stats"), get("health"));
    let uncached = get("users_list_uncached");
    let cpu_us = |name: &str| {
        let (_, _, app, db) = find(name);
        serde_json::json!({ "app": app.map(|v| v.round()), "database": db.map(|v| v.round()) })
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let report = serde_json::json!({
        "name": "api",
        "when": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "setup": {
            "database": version, "users": n, "discounts": loaded.discounts,
            "redemptions": loaded.redemptions, "scale": scale, "seconds": seconds,
            "load_generator": "wrk 4.1, 1 thread, a second process",
            "users_list_connections": list_connections, "stats_connections": STATS_CONNECTIONS,
            "db_pool": pool_size, "innodb_buffer_pool_mb": buffer_pool_mb, "rate_limits": "off",
            "users_list_cache_ms": dvorik::config::Config::from_lookup(|_| None)?.api_list_cache_ms,
            "stats_days": 30, "cpus": std::thread::available_parallelism().map_or(0, |p| p.get()),
        },
        "metrics": {
            "users_list_per_second": round(list.per_second),
            "users_list_p50_ms": round(list.p50_ms),
            "users_list_p99_ms": round(list.p99_ms),
            "users_list_uncached_per_second": round(uncached.per_second),
            "users_list_uncached_p50_ms": round(uncached.p50_ms),
            "users_list_uncached_p99_ms": round(uncached.p99_ms),
            "stats_per_second": round(stats.per_second),
            "stats_p50_ms": round(stats.p50_ms),
            "stats_p99_ms": round(stats.p99_ms),
            "stats_first_ms": round(stats_first_ms),
            "health_per_second": round(health.per_second),
            "load_s": round(load_s),
        },
        "cpu_us_per_request": {
            "users_list": cpu_us("users_list"), "users_list_uncached": cpu_us("users_list_uncached"),
            "stats": cpu_us("stats"), "health": cpu_us("health"),
        },
        "goal": {"users_list_per_second_min": 10000, "stats_p99_ms_max": 200},
        "ratio": {"users_list_vs_health_per_second": round(list.per_second / health.per_second)},
    });
    let path = report::write("api", &report)?;
    println!(
        "users list {:.0}/s (uncached {:.0}/s; goal ≥ 10000), stats p99 {:.1} ms (goal ≤ 200); wrote {}",
        list.per_second,
        uncached.per_second,
        stats.p99_ms,
        path.display()
    );

    if env("BENCH_KEEP").as_deref() != Some("1") {
        admin
            .execute_unprepared(&format!("DROP DATABASE `{DB_NAME}`"))
            .await?;
    }
    Ok(())
}

/// Serves `app` on a port of its own; its base URL.
async fn serve(app: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(base)
}

/// Signs an owner in through the API, as the panel does: a one-time token, then `POST /auth/token`.
async fn login(pool: &DatabaseConnection, key: &ServerKey, base: &str) -> anyhow::Result<String> {
    let now = clock::now();
    let owner = admins::add(pool, 1, AdminRole::Owner, None, Actor::system(), now).await?;
    let one_time = dvorik::services::login_tokens::issue(pool, key, owner.id, now).await?;
    let body = serde_json::json!({ "token": one_time.expose() });
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&body)
        .send()
        .await?;
    ensure!(response.status() == 200, "login: {}", response.status());
    let session: serde_json::Value = response.json().await?;
    Ok(session["access_token"]
        .as_str()
        .context("no access token")?
        .to_string())
}

/// One request, to see the route answers as expected before loading it.
async fn check(
    url: &str,
    token: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> anyhow::Result<()> {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    ensure!(status == 200 && ok(&body), "{url}: {status} {body}");
    Ok(())
}

async fn query_string(db: &DatabaseConnection, sql: &str) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::MySql, sql))
        .await?;
    let row = row.context("no row")?;
    // Numbers come back as numbers, text as text: accept both.
    Ok(match row.try_get_by_index::<String>(0) {
        Ok(text) => text,
        Err(_) => row.try_get_by_index::<u64>(0)?.to_string(),
    })
}
