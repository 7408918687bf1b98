//! Broadcasts end to end: the delivery engine sends through the client bot's sender over real HTTP to
//! the Bot API simulator, on SQLite and MariaDB. Every subscriber gets the message once, in their
//! language, with its buttons; the unsubscribed, blocked and unreachable get nothing; a 429 holds all
//! sending until its deadline; "blocked by the user" marks the user unreachable and is never retried;
//! other errors are retried with backoff and then fail with the reason; a photo is uploaded once and
//! then sent by `file_id`; a paused broadcast sends nothing until resumed; unpaced, a claim's rows go
//! out at once and each answer is recorded against its own row. No Bot API violations.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use dvorik::app::Core;
use dvorik::broadcast::{Engine, EngineConfig, EngineHandle};
use dvorik::clock::Clock;
use dvorik::entity::broadcast_deliveries::{self, DeliveryState};
use dvorik::entity::broadcasts::BroadcastState;
use dvorik::services::audit::Actor;
use dvorik::services::broadcasts::{self, BroadcastInput, Transition};
use dvorik_bots::broadcast_sender::TelegramSender;
use dvorik_sim::{Fault, FaultKind, SimUser, Simulator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::common::{TestDb, fixtures};

const CLIENT: &str = "7100001:broadcast-client";

struct Setup {
    sim: Simulator,
    core: Core,
    /// Telegram ids of the users who should get the broadcast, with their language.
    reachable: Vec<(i64, &'static str)>,
    /// Telegram ids who must not get it (unsubscribed, blocked, unreachable).
    excluded: Vec<i64>,
}

async fn setup(t: &TestDb, subscribers: i64) -> Setup {
    // `RUST_LOG=info` shows what the engine does while a test runs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sim.add_bot(CLIENT, "broadcast_client_bot").unwrap();
    let core = Core {
        db: t.db.clone(),
        kv: common::test_kv(false).await,
        key: t.key.clone(),
        timezone: chrono_tz::Asia::Vladivostok,
    };
    let now = t.now();
    let mut reachable = Vec::new();
    let mut excluded = Vec::new();
    for i in 0..subscribers + 3 {
        let telegram_id = 500_000 + i;
        let lang = if i % 2 == 0 { "ru" } else { "en" };
        let kind = i - subscribers; // 0: unsubscribed, 1: blocked, 2: unreachable
        fixtures::user_with(&t.db, telegram_id, "U", now, |u| {
            u.language = Set(lang.into());
            u.subscribed = Set(kind != 0);
            u.blocked = Set(kind == 1);
            u.unreachable = Set(kind == 2);
        })
        .await;
        sim.open_chat(CLIENT, &SimUser::new(telegram_id, "U"))
            .unwrap();
        if kind < 0 {
            reachable.push((telegram_id, lang));
        } else {
            excluded.push(telegram_id);
        }
    }
    Setup {
        sim,
        core,
        reachable,
        excluded,
    }
}

fn input(rate: u32, content: serde_json::Value) -> BroadcastInput {
    BroadcastInput {
        name: "news".into(),
        segment_id: None,
        message_template_id: None,
        content: Some(serde_json::from_value(content).unwrap()),
        rate_per_minute: Some(rate),
    }
}

fn bilingual() -> serde_json::Value {
    serde_json::json!({
        "variants": { "ru": { "text": "<b>Новинки</b> недели" }, "en": { "text": "<b>New</b> this week" } },
        "buttons": [{ "text": "Shop", "url": "https://example.com/shop" }]
    })
}

async fn start_broadcast(s: &Setup, input: BroadcastInput) -> i64 {
    let now = dvorik::clock::now();
    let b = broadcasts::create(&s.core.db, &input, Actor::system(), now)
        .await
        .unwrap();
    broadcasts::transition(&s.core.db, b.id, Transition::Start, Actor::system(), now)
        .await
        .unwrap();
    b.id
}

fn engine(s: &Setup, clock: Clock, config: EngineConfig) -> EngineHandle {
    let sender = Arc::new(TelegramSender::new(&s.sim.api_url(), CLIENT).unwrap());
    Engine::new(&s.core, clock, sender, config, Default::default()).start()
}

fn fast() -> EngineConfig {
    EngineConfig {
        workers: 2,
        idle_poll: Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

async fn wait_for_state(s: &Setup, id: i64, state: BroadcastState, clock: Option<&Clock>) {
    for _ in 0..600 {
        if broadcasts::get(&s.core.db, id).await.unwrap().state == state {
            return;
        }
        if let Some(clock) = clock {
            clock.advance(Duration::from_secs(1));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = broadcasts::progress::progress(&s.core.db, id, Utc::now(), 1800)
        .await
        .unwrap();
    panic!("broadcast {id} never became {state:?}: {p:?}");
}

fn bot_messages(s: &Setup, chat: i64) -> Vec<dvorik_sim::Entry> {
    s.sim
        .transcript(CLIENT, chat)
        .into_iter()
        .filter(|e| e.from_bot)
        .collect()
}

async fn finish(s: Setup, engine: EngineHandle) {
    engine.stop().await;
    let violations = s.sim.violations();
    s.sim.shutdown().await;
    assert!(violations.is_empty(), "Bot API violations: {violations:#?}");
}

async fn delivery(s: &Setup, broadcast: i64, telegram_id: i64) -> broadcast_deliveries::Model {
    let user = dvorik::services::users::find_by_telegram_id(&s.core.db, telegram_id)
        .await
        .unwrap()
        .unwrap();
    broadcast_deliveries::Entity::find()
        .filter(broadcast_deliveries::Column::BroadcastId.eq(broadcast))
        .filter(broadcast_deliveries::Column::UserId.eq(user.id))
        .one(&s.core.db)
        .await
        .unwrap()
        .unwrap()
}

storage_test! {
    async fn every_subscriber_gets_it_once_in_their_language_with_its_button_and_nobody_else(t) {
        let s = setup(&t, 12).await;
        let id = start_broadcast(&s, input(1800, bilingual())).await;
        let engine = engine(&s, Clock::system(), fast());
        wait_for_state(&s, id, BroadcastState::Completed, None).await;
        for (chat, lang) in &s.reachable {
            let got = bot_messages(&s, *chat);
            assert_eq!(got.len(), 1, "chat {chat}: {got:#?}");
            let want = if *lang == "ru" { "Новинки недели" } else { "New this week" };
            assert_eq!(got[0].text.as_deref(), Some(want));
            assert_eq!(got[0].parse_mode.as_deref(), Some("HTML"));
            assert_eq!(got[0].buttons[0][0].url.as_deref(), Some("https://example.com/shop"));
        }
        for chat in &s.excluded {
            assert!(bot_messages(&s, *chat).is_empty(), "chat {chat} got the broadcast");
        }
        let p = broadcasts::progress::progress(&s.core.db, id, dvorik::clock::now(), 1800).await.unwrap();
        assert_eq!((p.total, p.sent, p.pending, p.failed), (12, 12, 0, 0));
        finish(s, engine).await;
    }
}

storage_test! {
    async fn unpaced_claims_go_out_at_once_and_every_answer_in_them_is_recorded(t) {
        let s = setup(&t, 40).await;
        let (blocker, _) = s.reachable[7];
        s.sim.add_fault(Fault::new(FaultKind::Blocked).chat(blocker));
        // Message ids count per chat: a few words from each customer make every chat's next id differ,
        // so a message id recorded against the wrong row shows.
        for (k, (chat, _)) in s.reachable.iter().enumerate() {
            for _ in 0..k % 7 {
                s.sim.send_text(CLIENT, &SimUser::new(*chat, "U"), "hi").unwrap();
            }
        }
        let id = start_broadcast(&s, input(1800, bilingual())).await;
        let config = EngineConfig { pacing: false, unpaced_batch: 16, ..fast() };
        let engine = engine(&s, Clock::system(), config);
        wait_for_state(&s, id, BroadcastState::Completed, None).await;
        for (chat, _) in &s.reachable {
            let want = usize::from(*chat != blocker);
            assert_eq!(bot_messages(&s, *chat).len(), want, "chat {chat}");
            let row = delivery(&s, id, *chat).await;
            if *chat == blocker {
                assert_eq!((row.state, row.error.as_deref()), (DeliveryState::Skipped, Some("blocked_by_user")));
            } else {
                assert_eq!((row.state, row.attempts), (DeliveryState::Sent, 1));
                let sent = bot_messages(&s, *chat)[0].message_id;
                assert_eq!(row.telegram_message_id, sent, "chat {chat}: another chat's message id");
            }
        }
        for chat in &s.excluded {
            assert!(bot_messages(&s, *chat).is_empty(), "chat {chat} got the broadcast");
        }
        let p = broadcasts::progress::progress(&s.core.db, id, dvorik::clock::now(), 1800).await.unwrap();
        assert_eq!((p.total, p.sent, p.skipped, p.pending), (40, 39, 1, 0));
        finish(s, engine).await;
    }
}

storage_test! {
    async fn a_429_holds_all_sending_until_retry_after_has_passed(t) {
        let s = setup(&t, 6).await;
        let clock = Clock::test(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        s.sim.add_fault(Fault::new(FaultKind::TooManyRequests { retry_after: 5 }).method("sendMessage").times(1));
        let id = start_broadcast(&s, input(1800, bilingual())).await;
        // One worker: the 429 answers the first message, and no other is in flight meanwhile.
        let engine = engine(&s, clock.clone(), EngineConfig { workers: 1, ..fast() });
        // The first request meets the 429.
        for _ in 0..200 {
            if s.sim.faults().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(s.sim.faults().is_empty(), "the 429 was never hit");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let at_429 = s.sim.counters().messages_sent;
        assert_eq!(at_429, 0, "sent after the 429");
        // Real time passes, test time does not: nothing may be sent before the deadline.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(s.sim.counters().messages_sent, at_429, "sent during the 429 pause");
        clock.advance(Duration::from_millis(4_900));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(s.sim.counters().messages_sent, at_429, "sent before retry_after had passed");
        clock.advance(Duration::from_millis(200));
        wait_for_state(&s, id, BroadcastState::Completed, Some(&clock)).await;
        for (chat, _) in &s.reachable {
            assert_eq!(bot_messages(&s, *chat).len(), 1);
        }
        finish(s, engine).await;
    }
}

storage_test! {
    async fn a_user_who_blocked_the_bot_is_skipped_marked_unreachable_and_left_out_next_time(t) {
        let s = setup(&t, 5).await;
        let (blocker, _) = s.reachable[2];
        s.sim.add_fault(Fault::new(FaultKind::Blocked).chat(blocker));
        let first = start_broadcast(&s, input(1800, bilingual())).await;
        let engine = engine(&s, Clock::system(), fast());
        wait_for_state(&s, first, BroadcastState::Completed, None).await;
        let row = delivery(&s, first, blocker).await;
        assert_eq!(row.state, DeliveryState::Skipped);
        assert_eq!(row.error.as_deref(), Some("blocked_by_user"));
        assert_eq!(row.attempts, 0, "a permanent refusal counts no retry");
        let user = dvorik::services::users::find_by_telegram_id(&s.core.db, blocker).await.unwrap().unwrap();
        assert!(user.unreachable);
        let second = start_broadcast(&s, input(1800, bilingual())).await;
        wait_for_state(&s, second, BroadcastState::Completed, None).await;
        let p = broadcasts::progress::progress(&s.core.db, second, dvorik::clock::now(), 1800).await.unwrap();
        assert_eq!((p.total, p.sent), (4, 4), "the unreachable user is not in the next audience");
        finish(s, engine).await;
    }
}

storage_test! {
    async fn other_errors_are_retried_with_backoff_then_fail_with_the_reason(t) {
        let s = setup(&t, 3).await;
        let (unlucky, _) = s.reachable[0];
        let (flaky, _) = s.reachable[1];
        s.sim.add_fault(Fault::new(FaultKind::ServerError { status: 500 }).chat(unlucky));
        s.sim.add_fault(Fault::new(FaultKind::ServerError { status: 502 }).chat(flaky).times(1));
        let clock = Clock::test(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        let id = start_broadcast(&s, input(1800, bilingual())).await;
        // teloxide waits 10 s (real time) after a 5xx before it answers; the test clock runs faster, so
        // the claims must outlast that.
        let config = EngineConfig { max_attempts: 2, claim_ttl: Duration::from_secs(3600), ..fast() };
        let engine = engine(&s, clock.clone(), config);
        wait_for_state(&s, id, BroadcastState::Completed, Some(&clock)).await;
        let failed = delivery(&s, id, unlucky).await;
        assert_eq!(failed.state, DeliveryState::Failed);
        assert_eq!(failed.attempts, 2);
        assert!(failed.error.as_deref().unwrap_or_default().contains("Internal Server Error"), "{failed:?}");
        let recovered = delivery(&s, id, flaky).await;
        assert_eq!(recovered.state, DeliveryState::Sent);
        assert_eq!(recovered.attempts, 2);
        assert_eq!(bot_messages(&s, flaky).len(), 1);
        assert!(bot_messages(&s, unlucky).is_empty());
        finish(s, engine).await;
    }
}

storage_test! {
    async fn a_photo_is_uploaded_once_and_then_sent_by_its_file_id(t) {
        let s = setup(&t, 4).await;
        let now = dvorik::clock::now();
        let b = broadcasts::create(&s.core.db, &input(1800, bilingual()), Actor::system(), now).await.unwrap();
        let dir = std::env::temp_dir().join(format!("dvorik-media-{}", uuid::Uuid::new_v4().simple()));
        let png = include_bytes!("../../assets/test/pixel.png");
        broadcasts::attach_media(&s.core.db, &dir, b.id, "image/png", png, Actor::system(), now).await.unwrap();
        broadcasts::transition(&s.core.db, b.id, Transition::Start, Actor::system(), now).await.unwrap();
        let engine = engine(&s, Clock::system(), fast());
        wait_for_state(&s, b.id, BroadcastState::Completed, None).await;
        let stored = broadcasts::get(&s.core.db, b.id).await.unwrap();
        assert!(stored.media_uploaded);
        let mut file_ids = std::collections::HashSet::new();
        for (chat, _) in &s.reachable {
            let got = bot_messages(&s, *chat);
            assert_eq!(got.len(), 1);
            let media = got[0].media.as_ref().expect("a photo");
            file_ids.insert(media.file_id.clone());
            assert!(got[0].caption.is_some());
        }
        assert_eq!(file_ids.len(), 1, "one upload, then its file_id: {file_ids:?}");
        assert_eq!(s.sim.counters().requests.get("sendPhoto").copied(), Some(4));
        let _ = std::fs::remove_dir_all(dir);
        finish(s, engine).await;
    }
}

storage_test! {
    async fn a_paused_broadcast_sends_nothing_until_it_is_resumed(t) {
        let s = setup(&t, 6).await;
        let clock = Clock::test(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        let id = start_broadcast(&s, input(60, bilingual())).await;
        let engine = engine(&s, clock.clone(), fast());
        // 60 per minute: one per second of test time.
        while s.sim.counters().messages_sent < 2 {
            clock.advance(Duration::from_millis(1_000));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        broadcasts::transition(&s.core.db, id, Transition::Pause, Actor::system(), dvorik::clock::now()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let at_pause = s.sim.counters().messages_sent;
        for _ in 0..10 {
            clock.advance(Duration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(s.sim.counters().messages_sent, at_pause, "sent while paused");
        broadcasts::transition(&s.core.db, id, Transition::Resume, Actor::system(), dvorik::clock::now()).await.unwrap();
        wait_for_state(&s, id, BroadcastState::Completed, Some(&clock)).await;
        assert_eq!(s.sim.counters().messages_sent, 6);
        finish(s, engine).await;
    }
}

/// A Redis server of this test's own, on a free port, that the test can stop and start again.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        redis.up();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (empty: no persistence, as a restarted cache would come back) and waits until it answers.
    fn up(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (make test installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.down();
    }
}

storage_test! {
    async fn redis_stopping_mid_broadcast_sends_nothing_and_never_breaks_the_limit(t) {
        let mut redis = OwnRedis::start();
        let mut s = setup(&t, 24).await;
        let prefix = format!("dvorik-test:{}:", uuid::Uuid::new_v4().simple());
        s.core.kv = dvorik::kv::connect(Some(&redis.url()), &prefix).await.unwrap();
        let clock = Clock::test(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        let id = start_broadcast(&s, input(10, bilingual())).await;
        let engine = engine(&s, clock.clone(), fast());
        let step = || async {
            clock.advance(Duration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(40)).await;
        };
        while s.sim.counters().messages_sent < 5 {
            step().await;
        }
        redis.down();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = s.sim.counters().messages_sent;
        let down_from = clock.now();
        for _ in 0..40 {
            step().await;
        }
        assert_eq!(s.sim.counters().messages_sent, before, "sent while Redis was down");
        redis.up();
        let up_at = clock.now();
        wait_for_state(&s, id, BroadcastState::Completed, Some(&clock)).await;
        for (chat, _) in &s.reachable {
            assert_eq!(bot_messages(&s, *chat).len(), 1, "chat {chat}");
        }
        let mut sent: Vec<i64> = broadcast_deliveries::Entity::find()
            .filter(broadcast_deliveries::Column::BroadcastId.eq(id))
            .all(&s.core.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|d| d.sent_at.map(|at| at.timestamp_millis()))
            .collect();
        sent.sort_unstable();
        assert!(
            !sent.iter().any(|t| (down_from.timestamp_millis() + 1_000..up_at.timestamp_millis()).contains(t)),
            "sent during the outage"
        );
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|t| **t < start + 60_000).count();
            assert!(in_window <= 10, "{in_window} in the minute from {start}");
        }
        finish(s, engine).await;
    }
}
