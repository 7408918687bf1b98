//! Broadcasts with real `dvorik serve` processes against a Bot API simulator in this test process:
//!
//! - **Crash**: a broadcast to 2,000 subscribers while the one instance is killed with SIGKILL at random
//!   moments 20 times and started again; in the end every eligible user got it, nobody unsubscribed or
//!   unreachable did, and duplicates are at most the number of kills (one worker: one message in flight).
//! - **Pacing**: three instances on one MariaDB (sharing Redis, or without Redis the database window)
//!   run a broadcast at 120 per minute and one at the default 25 per minute for 3 minutes: in no sliding
//!   60-second window does the simulator receive more than the limit, and each reaches 95% of it.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dvorik::entity::broadcasts::BroadcastState;
use dvorik::entity::users;
use dvorik::services::audit::Actor;
use dvorik::services::broadcasts::{self, BroadcastInput, Transition};
use dvorik_sim::{SimUser, Simulator};
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use crate::common::{Backend, TestDb};

const CLIENT: &str = "7200001:instances-client";
const STAFF: &str = "7200002:instances-staff";

/// A `dvorik serve` on `db_url`, its bots at the simulator, broadcasts on, jobs off.
fn serve(db_url: &str, sim: &Simulator, dir: &PathBuf, redis: Option<(&str, &str)>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvorik"));
    cmd.current_dir(dir)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("DVORIK_DATA_DIR", dir)
        .env(
            "DVORIK_SECRET_KEY",
            "instances-test-key-0123456789abcdef0123456789",
        )
        .env("DVORIK_HTTP_ADDR", "127.0.0.1:0")
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DVORIK_CLIENT_BOT_TOKEN", CLIENT)
        .env("DVORIK_STAFF_BOT_TOKEN", STAFF)
        .env("DVORIK_BOT_THROTTLE", "off")
        .env("DVORIK_JOBS", "off")
        .env("DVORIK_BROADCAST_CLAIM_TTL_SECS", "5")
        .env("DVORIK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((url, prefix)) = redis {
        cmd.env("REDIS_URL", url).env("DVORIK_REDIS_PREFIX", prefix);
    }
    cmd.spawn().expect("spawn dvorik serve")
}

/// A pseudo-random number in `0..n` (fresh entropy each call).
fn random(n: u64) -> u64 {
    (uuid::Uuid::new_v4().as_u128() % u128::from(n)) as u64
}

/// `subscribers` subscribed users, 50 unsubscribed and 20 unreachable, all with an open chat in the
/// simulator; their Telegram ids by kind.
async fn people(
    db: &DatabaseConnection,
    sim: &Simulator,
    subscribers: i64,
) -> (Vec<i64>, Vec<i64>) {
    let now = dvorik::clock::now();
    let (mut eligible, mut excluded) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for i in 0..subscribers + 70 {
        let telegram_id = 800_000 + i;
        let kind = i - subscribers; // < 0 subscriber, 0..50 unsubscribed, 50..70 unreachable
        rows.push(users::ActiveModel {
            telegram_id: Set(telegram_id),
            first_name: Set(format!("U{i}")),
            language: Set("ru".into()),
            subscribed: Set(!(0..50).contains(&kind)),
            blocked: Set(false),
            unreachable: Set(kind >= 50),
            last_activity_at: Set(now),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        sim.open_chat(CLIENT, &SimUser::new(telegram_id, format!("U{i}")))
            .unwrap();
        if kind < 0 {
            eligible.push(telegram_id);
        } else {
            excluded.push(telegram_id);
        }
    }
    for chunk in rows.chunks(500) {
        users::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    (eligible, excluded)
}

async fn start(db: &DatabaseConnection, name: &str, rate: Option<u32>) -> i64 {
    let now = dvorik::clock::now();
    let input = BroadcastInput {
        name: name.into(),
        segment_id: None,
        message_template_id: None,
        content: Some(
            serde_json::from_value(serde_json::json!({ "variants": { "ru": { "text": name } } }))
                .unwrap(),
        ),
        rate_per_minute: rate,
    };
    let b = broadcasts::create(db, &input, Actor::system(), now)
        .await
        .unwrap();
    broadcasts::transition(db, b.id, Transition::Start, Actor::system(), now)
        .await
        .unwrap();
    b.id
}

fn simulator_users(sim: &Simulator, chat: i64, text: &str) -> Vec<i64> {
    sim.transcript(CLIENT, chat)
        .into_iter()
        .filter(|e| e.from_bot && e.text.as_deref() == Some(text))
        .map(|e| e.received_ms)
        .collect()
}

async fn new_sim() -> Simulator {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sim.add_bot(CLIENT, "instances_client_bot").unwrap();
    sim.add_bot(STAFF, "instances_staff_bot").unwrap();
    sim
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dvorik-inst-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

storage_test! {
    async fn a_broadcast_survives_twenty_kill_nines_losing_nobody_and_doubling_at_most_one_per_kill(t) {
        let sim = new_sim().await;
        let (eligible, excluded) = people(&t.db, &sim, 2000).await;
        let dir = temp_dir();
        let id = start(&t.db, "Новогодние скидки", Some(1800)).await;
        let kills = 20;
        for _ in 0..kills {
            let mut child = serve(&t.url, &sim, &dir, None);
            tokio::time::sleep(Duration::from_millis(400 + random(2000))).await;
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
        }
        let mut last = serve(&t.url, &sim, &dir, None);
        let deadline = Instant::now() + Duration::from_secs(300);
        while broadcasts::get(&t.db, id).await.unwrap().state != BroadcastState::Completed {
            assert!(Instant::now() < deadline, "not completed: {:?}",
                broadcasts::progress::progress(&t.db, id, dvorik::clock::now(), 1800).await.unwrap());
            assert!(last.try_wait().unwrap().is_none(), "dvorik serve exited");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        last.kill().unwrap();
        last.wait().unwrap();
        let mut duplicates = 0;
        for chat in &eligible {
            let got = simulator_users(&sim, *chat, "Новогодние скидки").len();
            assert!(got >= 1, "user {chat} never got the broadcast");
            duplicates += got - 1;
        }
        for chat in &excluded {
            assert!(simulator_users(&sim, *chat, "Новогодние скидки").is_empty(), "user {chat} got it");
        }
        assert!(duplicates <= kills, "{duplicates} duplicates after {kills} kills");
        let violations = sim.violations();
        sim.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
        assert!(violations.is_empty(), "Bot API violations: {violations:#?}");
    }
}

/// The largest number of `times` (ms) in any window [t, t + 60 s).
fn max_in_any_minute(times: &[i64]) -> usize {
    let mut times = times.to_vec();
    times.sort_unstable();
    let mut end = 0;
    let mut best = 0;
    for start in 0..times.len() {
        while end < times.len() && times[end] < times[start] + 60_000 {
            end += 1;
        }
        best = best.max(end - start);
    }
    best
}

async fn three_instances_hold_both_limits(redis: bool) {
    let t = TestDb::new(Backend::MariaDb).await;
    let sim = new_sim().await;
    let (eligible, _) = people(&t.db, &sim, 500).await;
    let prefix = format!("dvorik-test:{}:", uuid::Uuid::new_v4().simple());
    let redis_url = common::redis_url();
    let redis = redis.then_some((redis_url.as_str(), prefix.as_str()));
    let dirs: Vec<PathBuf> = (0..3).map(|_| temp_dir()).collect();
    let mut children: Vec<Child> = dirs.iter().map(|d| serve(&t.url, &sim, d, redis)).collect();
    // Let the three start before the broadcasts do.
    tokio::time::sleep(Duration::from_secs(3)).await;
    start(&t.db, "fast", Some(120)).await;
    start(&t.db, "default", None).await;
    tokio::time::sleep(Duration::from_secs(185)).await;
    for child in &mut children {
        assert!(child.try_wait().unwrap().is_none(), "an instance exited");
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let mut by_text: HashMap<&str, Vec<i64>> = HashMap::new();
    for text in ["fast", "default"] {
        for chat in &eligible {
            by_text
                .entry(text)
                .or_default()
                .extend(simulator_users(&sim, *chat, text));
        }
    }
    for (text, limit) in [("fast", 120_usize), ("default", 25)] {
        let times = &by_text[text];
        let max = max_in_any_minute(times);
        assert!(max <= limit, "{text}: {max} in one minute, limit {limit}");
        let first = times.iter().min().copied().unwrap_or_default();
        let in_three_minutes = times.iter().filter(|t| **t < first + 180_000).count();
        let want = 0.95 * 3.0 * limit as f64;
        assert!(
            in_three_minutes as f64 >= want,
            "{text}: {in_three_minutes} in 3 minutes, want ≥ {want}"
        );
    }
    let violations = sim.violations();
    sim.shutdown().await;
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
    assert!(violations.is_empty(), "Bot API violations: {violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_sharing_redis_never_exceed_120_or_25_per_minute_and_reach_95_percent() {
    three_instances_hold_both_limits(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_without_redis_share_the_database_window_just_as_well() {
    three_instances_hold_both_limits(false).await;
}
