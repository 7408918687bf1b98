//! Broadcasts in the core, without Telegram: the lifecycle is a set of conditional updates (a draft
//! changes, a scheduled one starts once however many instances race), the audience becomes one delivery
//! row per recipient chunk by chunk (never the unsubscribed, blocked or unreachable), two instances
//! materializing at once still create each row once, claims never overlap, and a dead instance's claim
//! comes back.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::fixtures;
use dvorik::broadcast::deliveries::{self, Materialized, Outcome};
use dvorik::entity::broadcast_deliveries::{self, DeliveryState};
use dvorik::entity::broadcasts::BroadcastState;
use dvorik::services::audit::Actor;
use dvorik::services::broadcasts::{self, BroadcastInput, StartAt, Transition};
use dvorik::services::message_templates::MessageContent;
use dvorik::{Error, services};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn content(text: &str) -> MessageContent {
    serde_json::from_value(serde_json::json!({ "variants": { "ru": { "text": text } } })).unwrap()
}

fn input(name: &str) -> BroadcastInput {
    BroadcastInput {
        name: name.into(),
        segment_id: None,
        message_template_id: None,
        content: Some(content("<b>Скидки</b> недели")),
        rate_per_minute: None,
    }
}

/// 19 reachable subscribers (returned), plus an unreachable and a blocked subscriber and 4 users who are
/// not subscribed.
async fn audience(db: &DatabaseConnection, now: DateTime<Utc>) -> Vec<i64> {
    let mut subscribed = Vec::new();
    for i in 0..25 {
        let user = fixtures::user_with(db, 1000 + i, "U", now, |u| {
            u.subscribed = Set(i < 21);
            u.blocked = Set(i == 20);
            u.unreachable = Set(i == 19);
        })
        .await;
        if i < 19 {
            subscribed.push(user.id);
        }
    }
    subscribed
}

async fn started(db: &DatabaseConnection, now: DateTime<Utc>) -> dvorik::entity::broadcasts::Model {
    let b = broadcasts::create(db, &input("week"), Actor::system(), now)
        .await
        .unwrap();
    broadcasts::transition(db, b.id, Transition::Start, Actor::system(), now)
        .await
        .unwrap();
    dvorik::entity::broadcasts::Entity::find_by_id(b.id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn rows(db: &DatabaseConnection, broadcast: i64) -> Vec<broadcast_deliveries::Model> {
    broadcast_deliveries::Entity::find()
        .filter(broadcast_deliveries::Column::BroadcastId.eq(broadcast))
        .all(db)
        .await
        .unwrap()
}

async fn materialize_all(db: &DatabaseConnection, id: i64, chunk: u64, now: DateTime<Utc>) -> u32 {
    let mut steps = 0;
    loop {
        let b = dvorik::entity::broadcasts::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        if b.materialized {
            return steps;
        }
        let cond = deliveries::audience(db, &b, TZ).await.unwrap();
        deliveries::materialize_chunk(db, &b, cond, chunk, now)
            .await
            .unwrap();
        steps += 1;
    }
}

storage_test! {
    async fn only_a_draft_changes_and_each_step_starts_from_its_own_states(t) {
        let now = t.now();
        let b = broadcasts::create(&t.db, &input("week"), Actor::system(), now).await.unwrap();
        assert_eq!(b.state, BroadcastState::Draft);
        let changed = broadcasts::update(&t.db, b.id, &input("weekend"), Actor::system(), now).await.unwrap();
        assert_eq!(changed.name, "weekend");
        assert!(matches!(
            broadcasts::transition(&t.db, b.id, Transition::Pause, Actor::system(), now).await,
            Err(Error::BroadcastStateConflict)
        ));
        broadcasts::transition(&t.db, b.id, Transition::Start, Actor::system(), now).await.unwrap();
        assert!(matches!(
            broadcasts::update(&t.db, b.id, &input("late"), Actor::system(), now).await,
            Err(Error::BroadcastNotDraft)
        ));
        assert!(matches!(
            broadcasts::transition(&t.db, b.id, Transition::Start, Actor::system(), now).await,
            Err(Error::BroadcastStateConflict)
        ));
        let paused = broadcasts::transition(&t.db, b.id, Transition::Pause, Actor::system(), now).await.unwrap();
        assert_eq!(paused.state, BroadcastState::Paused);
        broadcasts::transition(&t.db, b.id, Transition::Resume, Actor::system(), now).await.unwrap();
        let cancelled = broadcasts::transition(&t.db, b.id, Transition::Cancel, Actor::system(), now).await.unwrap();
        assert_eq!(cancelled.state, BroadcastState::Cancelled);
        assert!(matches!(
            broadcasts::transition(&t.db, b.id, Transition::Resume, Actor::system(), now).await,
            Err(Error::BroadcastStateConflict)
        ));
    }
}

storage_test! {
    async fn bad_content_names_every_field_and_saves_nothing(t) {
        let now = t.now();
        let mut bad = input("");
        bad.content = Some(
            serde_json::from_value(serde_json::json!({
                "variants": { "ru": { "text": "<script>x</script>" }, "xx": { "text": "a" } },
                "buttons": [{ "text": "", "url": "ftp://x" }]
            }))
            .unwrap(),
        );
        bad.rate_per_minute = Some(5000);
        let Err(Error::Validation(fields)) = broadcasts::create(&t.db, &bad, Actor::system(), now).await else {
            panic!("accepted");
        };
        let names: HashSet<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        for field in ["name", "rate_per_minute", "content.variants.ru.text", "content.variants.xx", "content.buttons[0].text"] {
            assert!(names.contains(field), "{field} missing from {fields:?}");
        }
        let page = broadcasts::list(&t.db, None, &Default::default()).await.unwrap();
        assert!(page.items.is_empty());
    }
}

storage_test! {
    async fn every_subscriber_gets_one_row_whatever_the_chunk_size_and_nobody_else_does(t) {
        let now = t.now();
        let expected = audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        let steps = materialize_all(&t.db, b.id, 7, now).await;
        // 19 recipients in chunks of 7: 7, 7, 5 (the short chunk ends it).
        assert_eq!(steps, 3);
        let got: Vec<i64> = rows(&t.db, b.id).await.iter().map(|r| r.user_id).collect();
        let mut want = expected.clone();
        want.sort_unstable();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, want);
        assert!(rows(&t.db, b.id).await.iter().all(|r| r.state == DeliveryState::Pending));
        // Once done, nothing more is materialized.
        let b = dvorik::entity::broadcasts::Entity::find_by_id(b.id).one(&t.db).await.unwrap().unwrap();
        let cond = deliveries::audience(&t.db, &b, TZ).await.unwrap();
        assert_eq!(deliveries::materialize_chunk(&t.db, &b, cond, 7, now).await.unwrap(), Materialized::Lost);
    }
}

storage_test! {
    async fn two_instances_materializing_at_once_create_each_row_once(t) {
        let now = t.now();
        let expected = audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        let (a, c) = tokio::join!(
            materialize_all(&t.db, b.id, 3, now),
            materialize_all(&t.db, b.id, 3, now)
        );
        assert!(a + c >= 7);
        let got = rows(&t.db, b.id).await;
        assert_eq!(got.len(), expected.len());
        let distinct: HashSet<i64> = got.iter().map(|r| r.user_id).collect();
        assert_eq!(distinct.len(), expected.len());
    }
}

storage_test! {
    async fn claims_never_overlap_and_a_dead_holders_claim_comes_back(t) {
        let now = t.now();
        audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        materialize_all(&t.db, b.id, 1000, now).await;
        let ttl = std::time::Duration::from_secs(30);
        let (first, second) = tokio::join!(
            deliveries::claim(&t.db, b.id, 8, "a", now, ttl),
            deliveries::claim(&t.db, b.id, 8, "b", now, ttl)
        );
        let (first, second) = (first.unwrap(), second.unwrap());
        let a: HashSet<i64> = first.iter().map(|r| r.id).collect();
        let c: HashSet<i64> = second.iter().map(|r| r.id).collect();
        assert!(a.is_disjoint(&c), "one row claimed twice");
        // SKIP LOCKED may hand the later one fewer rows, never the same ones.
        assert!(a.len() <= 8 && c.len() <= 8 && a.len() + c.len() >= 8, "{} and {}", a.len(), c.len());
        let (dead, live, dead_holder, live_holder) = if first.len() >= second.len() {
            (first, second, "a", "b")
        } else {
            (second, first, "b", "a")
        };
        // One holder sends one and dies; the other records its own.
        assert!(deliveries::record(&t.db, &dead[0], &Outcome::Sent { message_id: 7 }, now).await.unwrap());
        for row in &live {
            assert!(row.claimed_by.starts_with(live_holder));
            assert!(deliveries::record(&t.db, row, &Outcome::Sent { message_id: 8 }, now).await.unwrap());
        }
        // A row cannot be recorded under another claim's token.
        let forged = deliveries::Claimed { claimed_by: format!("{live_holder}/other"), ..dead[1].clone() };
        assert!(!deliveries::record(&t.db, &forged, &Outcome::Sent { message_id: 9 }, now).await.unwrap());
        assert_eq!(deliveries::reclaim_expired(&t.db, now + Duration::seconds(10)).await.unwrap(), 0);
        let reclaimed = deliveries::reclaim_expired(&t.db, now + Duration::seconds(31)).await.unwrap();
        assert_eq!(reclaimed as usize, dead.len() - 1);
        let all = rows(&t.db, b.id).await;
        let sent = 1 + live.len();
        assert_eq!(all.iter().filter(|r| r.state == DeliveryState::Sent).count(), sent);
        assert_eq!(all.iter().filter(|r| r.state == DeliveryState::Pending).count(), 19 - sent);
        // The late answer of the dead holder changes nothing now.
        assert!(dead[1].claimed_by.starts_with(dead_holder));
        assert!(!deliveries::record(&t.db, &dead[1], &Outcome::Sent { message_id: 9 }, now).await.unwrap());
    }
}

storage_test! {
    async fn an_unreachable_answer_skips_the_row_and_marks_the_user(t) {
        let now = t.now();
        audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        materialize_all(&t.db, b.id, 1000, now).await;
        let claimed = deliveries::claim(&t.db, b.id, 1, "a", now, std::time::Duration::from_secs(30)).await.unwrap();
        let outcome = Outcome::Skipped { reason: "blocked_by_user".into(), unreachable: true };
        assert!(deliveries::record(&t.db, &claimed[0], &outcome, now).await.unwrap());
        let user = services::users::get(&t.db, claimed[0].user_id).await.unwrap();
        assert!(user.unreachable);
        let page = broadcasts::progress::failures(&t.db, b.id, &Default::default()).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].reason.as_deref(), Some("blocked_by_user"));
        let p = broadcasts::progress::progress(&t.db, b.id, now, 25).await.unwrap();
        assert_eq!((p.total, p.skipped, p.pending, p.sent), (19, 1, 18, 0));
        assert_eq!(p.eta_seconds, Some(18 * 60 / 25 + 1));
    }
}

storage_test! {
    async fn a_claims_sent_rows_are_recorded_at_once_each_with_its_message_id_and_only_under_its_token(t) {
        let now = t.now();
        audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        materialize_all(&t.db, b.id, 1000, now).await;
        let ttl = std::time::Duration::from_secs(30);
        let mine = deliveries::claim(&t.db, b.id, 5, "a", now, ttl).await.unwrap();
        let theirs = deliveries::claim(&t.db, b.id, 2, "b", now, ttl).await.unwrap();
        assert_eq!((mine.len(), theirs.len()), (5, 2));
        // Another claim's row under this claim's token is not this claim's to record.
        let forged = deliveries::Claimed { claimed_by: mine[0].claimed_by.clone(), ..theirs[0].clone() };
        let sent: Vec<(&deliveries::Claimed, i64)> =
            mine.iter().zip(100..).chain([(&forged, 999)]).collect();
        assert_eq!(deliveries::record_sent(&t.db, &sent, now).await.unwrap(), 5);
        // Recording again changes nothing: the rows are no longer being sent.
        assert_eq!(deliveries::record_sent(&t.db, &sent, now).await.unwrap(), 0);
        let all = rows(&t.db, b.id).await;
        for (row, message_id) in mine.iter().zip(100..) {
            let stored = all.iter().find(|r| r.id == row.id).unwrap();
            assert_eq!(stored.state, DeliveryState::Sent);
            assert_eq!(stored.telegram_message_id, Some(message_id));
            assert_eq!((stored.attempts, stored.claimed_by.as_deref()), (1, None));
        }
        let other = all.iter().find(|r| r.id == theirs[0].id).unwrap();
        assert_eq!((other.state, other.telegram_message_id), (DeliveryState::Sending, None));
        assert!(deliveries::record(&t.db, &theirs[0], &Outcome::Sent { message_id: 7 }, now).await.unwrap());
    }
}

storage_test! {
    async fn a_finished_broadcast_completes_once(t) {
        let now = t.now();
        audience(&t.db, now).await;
        let b = started(&t.db, now).await;
        materialize_all(&t.db, b.id, 1000, now).await;
        let b = dvorik::entity::broadcasts::Entity::find_by_id(b.id).one(&t.db).await.unwrap().unwrap();
        assert!(!deliveries::finish_if_done(&t.db, &b, now).await.unwrap(), "completed with rows pending");
        let claimed = deliveries::claim(&t.db, b.id, 100, "a", now, std::time::Duration::from_secs(30)).await.unwrap();
        assert_eq!(claimed.len(), 19);
        for row in &claimed {
            deliveries::record(&t.db, row, &Outcome::Sent { message_id: 1 }, now).await.unwrap();
        }
        let (x, y) = tokio::join!(deliveries::finish_if_done(&t.db, &b, now), deliveries::finish_if_done(&t.db, &b, now));
        assert!(x.unwrap() ^ y.unwrap(), "completed twice or never");
        assert_eq!(broadcasts::get(&t.db, b.id).await.unwrap().state, BroadcastState::Completed);
    }
}

storage_test! {
    async fn a_scheduled_broadcast_starts_once_however_many_instances_race(t) {
        let now = t.now();
        let b = broadcasts::create(&t.db, &input("week"), Actor::system(), now).await.unwrap();
        assert!(matches!(
            broadcasts::transition(&t.db, b.id, Transition::Schedule(now - Duration::minutes(1)), Actor::system(), now).await,
            Err(Error::Validation(_))
        ));
        broadcasts::transition(&t.db, b.id, Transition::Schedule(now + Duration::minutes(5)), Actor::system(), now)
            .await
            .unwrap();
        assert!(broadcasts::start_due(&t.db, now).await.unwrap().is_empty(), "started early");
        let due = now + Duration::minutes(5);
        let results = futures_util::future::join_all((0..4).map(|_| broadcasts::start_due(&t.db, due))).await;
        let started: Vec<i64> = results.into_iter().flat_map(|r| r.unwrap()).collect();
        assert_eq!(started, vec![b.id]);
        assert_eq!(broadcasts::get(&t.db, b.id).await.unwrap().state, BroadcastState::Running);
    }
}

#[test]
fn a_local_time_is_read_in_the_shop_time_zone() {
    let local = NaiveDate::from_ymd_opt(2026, 12, 5)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    assert_eq!(
        StartAt::Local(local).resolve(TZ).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap()
    );
}
