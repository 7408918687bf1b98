//! Segments: each criterion selects the right users in one query, broadcasts never reach unsubscribed,
//! blocked or unreachable users, the audience is read by keyset in chunks, saved segments are audited.

mod common;

use chrono::{Duration, NaiveDate};
use common::fixtures;
use dvorik::entity::audit_log;
use dvorik::services::audit::Actor;
use dvorik::services::discounts::{self, ManualDiscount};
use dvorik::services::paging::PageRequest;
use dvorik::services::segments::{self, Audience, Recipients, SegmentFilter, SegmentInput};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn local_noon(m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    dvorik::services::listing::start_of_day(TZ, NaiveDate::from_ymd_opt(2026, m, d).unwrap())
        + Duration::hours(12)
}

async fn audience(
    db: &sea_orm::DatabaseConnection,
    filter: &SegmentFilter,
    audience: Audience,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<i64> {
    let mut reader = Recipients::new(filter, audience, TZ, now).unwrap();
    let mut ids = Vec::new();
    while let Some(chunk) = reader.next_chunk(db).await.unwrap() {
        ids.extend(chunk.into_iter().map(|r| r.id));
    }
    ids
}

storage_test! {
    async fn each_criterion_selects_the_right_users(t) {
        let now = local_noon(6, 15);
        let admin = fixtures::owner(&t.db, 99, now).await;
        let a = fixtures::user_with(&t.db, 1, "A", now, |u| {
            u.subscribed = Set(true);
            u.source = Set(Some("src_vk".into()));
            u.created_at = Set(local_noon(1, 10));
            u.birthday_month = Set(Some(7));
            u.birthday_day = Set(Some(1));
            u.last_activity_at = Set(local_noon(6, 14));
        }).await;
        let b = fixtures::user_with(&t.db, 2, "B", now, |u| {
            u.language = Set("en".into());
            u.source = Set(Some("src_instagram".into()));
            u.created_at = Set(local_noon(3, 1));
            u.last_activity_at = Set(local_noon(2, 1));
        }).await;
        let c = fixtures::user_with(&t.db, 3, "C", now, |u| {
            u.subscribed = Set(true);
            u.created_at = Set(local_noon(5, 5));
            u.last_activity_at = Set(local_noon(5, 31));
        }).await;
        let manual = |user_id, days| ManualDiscount { user_id, value: fixtures::percent("5"), validity_days: days, admin_id: admin.id, note: None };
        // b has a usable discount; c had one that expired; a redeemed one 3 days ago.
        discounts::issue_manual(&t.db, &t.key, &manual(b.id, 30), now).await.unwrap();
        discounts::issue_manual(&t.db, &t.key, &manual(c.id, 1), now - Duration::days(10)).await.unwrap();
        let cashier = fixtures::approved_cashier(&t.db, 500, now).await;
        let used = discounts::issue_manual(&t.db, &t.key, &manual(a.id, 30), now - Duration::days(5)).await.unwrap();
        dvorik::services::redemption::redeem(&t.db, &t.key, used.code.expose(), cashier.id, None, now - Duration::days(3)).await.unwrap();

        let cases: Vec<(serde_json::Value, Vec<i64>)> = vec![
            (serde_json::json!({}), vec![a.id, b.id, c.id]),
            (serde_json::json!({ "subscribed": true }), vec![a.id, c.id]),
            (serde_json::json!({ "subscribed": false }), vec![b.id]),
            (serde_json::json!({ "languages": ["en"] }), vec![b.id]),
            (serde_json::json!({ "sources": ["src_vk", "src_instagram"] }), vec![a.id, b.id]),
            (serde_json::json!({ "registered_from": "2026-03-01", "registered_to": "2026-05-05" }), vec![b.id, c.id]),
            (serde_json::json!({ "registered_to": "2026-02-28" }), vec![a.id]),
            (serde_json::json!({ "birthday_months": [7, 8] }), vec![a.id]),
            (serde_json::json!({ "has_active_discount": true }), vec![b.id]),
            (serde_json::json!({ "has_active_discount": false }), vec![a.id, c.id]),
            (serde_json::json!({ "redeemed_within_days": 7 }), vec![a.id]),
            (serde_json::json!({ "redeemed_within_days": 2 }), vec![]),
            (serde_json::json!({ "last_activity_after": "2026-05-31" }), vec![a.id, c.id]),
            (serde_json::json!({ "last_activity_before": "2026-05-31" }), vec![b.id]),
            (serde_json::json!({ "subscribed": true, "has_active_discount": false, "registered_from": "2026-02-01" }), vec![c.id]),
        ];
        for (json, expected) in cases {
            let filter: SegmentFilter = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(audience(&t.db, &filter, Audience::NotBlocked, now).await, expected, "{json}");
            let count = segments::count(&t.db, &filter, TZ, now).await.unwrap();
            assert_eq!(count.matching, expected.len() as u64, "{json}");
        }
    }
}

storage_test! {
    async fn broadcasts_never_reach_unsubscribed_blocked_or_unreachable_users(t) {
        let now = t.now();
        let ok = fixtures::user_with(&t.db, 1, "ok", now, |u| u.subscribed = Set(true)).await;
        fixtures::user_with(&t.db, 2, "unsubscribed", now, |u| u.subscribed = Set(false)).await;
        let blocked = fixtures::user_with(&t.db, 3, "blocked", now, |u| { u.subscribed = Set(true); u.blocked = Set(true); }).await;
        let unreachable = fixtures::user_with(&t.db, 4, "unreachable", now, |u| { u.subscribed = Set(true); u.unreachable = Set(true); }).await;
        let everyone = SegmentFilter::default();
        assert_eq!(audience(&t.db, &everyone, Audience::Broadcast, now).await, [ok.id]);
        // Even a filter that asks for unsubscribed users gets nobody for a broadcast.
        let unsubscribed = SegmentFilter { subscribed: Some(false), ..Default::default() };
        assert!(audience(&t.db, &unsubscribed, Audience::Broadcast, now).await.is_empty());
        let not_blocked = audience(&t.db, &everyone, Audience::NotBlocked, now).await;
        assert!(!not_blocked.contains(&blocked.id));
        assert!(not_blocked.contains(&unreachable.id));
        let count = segments::count(&t.db, &everyone, TZ, now).await.unwrap();
        assert_eq!((count.matching, count.reachable), (3, 1));
    }
}

storage_test! {
    async fn the_audience_is_read_in_keyset_chunks_and_resumes_after_the_last_id(t) {
        let now = t.now();
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(fixtures::user_with(&t.db, 10 + i, "u", now, |u| u.subscribed = Set(true)).await.id);
        }
        let filter = SegmentFilter::default();
        let mut reader = Recipients::new(&filter, Audience::Broadcast, TZ, now).unwrap().chunk_size(3);
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        while let Some(chunk) = reader.next_chunk(&t.db).await.unwrap() {
            sizes.push(chunk.len());
            seen.extend(chunk.iter().map(|r| r.id));
            assert!(chunk.iter().all(|r| r.language == "ru"));
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(seen, ids);
        let mut resumed = Recipients::new(&filter, Audience::Broadcast, TZ, now).unwrap().resume_after(ids[4]);
        let rest: Vec<i64> = resumed.next_chunk(&t.db).await.unwrap().unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(rest, &ids[5..]);
        assert!(resumed.next_chunk(&t.db).await.unwrap().is_none());
    }
}

storage_test! {
    async fn saved_segments_are_validated_counted_and_audited(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        fixtures::user_with(&t.db, 1, "u", now, |u| u.subscribed = Set(true)).await;
        let input = SegmentInput { name: "  Подписчики ".into(), filter: SegmentFilter { subscribed: Some(true), ..Default::default() } };
        let segment = segments::create(&t.db, &input, Actor::admin(admin.id), now).await.unwrap();
        assert_eq!(segment.name, "Подписчики");
        assert_eq!(segments::get(&t.db, segment.id).await.unwrap().filter, input.filter);
        let count = segments::count_saved(&t.db, segment.id, TZ, now).await.unwrap();
        assert_eq!((count.matching, count.reachable), (1, 1));

        let bad = SegmentInput { name: "x".into(), filter: SegmentFilter { languages: vec!["fr".into()], ..Default::default() } };
        let err = segments::update(&t.db, segment.id, &bad, Actor::admin(admin.id), now).await.unwrap_err();
        let dvorik::Error::Validation(fields) = err else { panic!("expected a validation error") };
        assert_eq!(fields[0].field, "languages[0]");

        let renamed = SegmentInput { name: "Все".into(), filter: SegmentFilter::default() };
        segments::update(&t.db, segment.id, &renamed, Actor::admin(admin.id), now).await.unwrap();
        let page = segments::list(&t.db, &PageRequest::default()).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].name, "Все");
        segments::delete(&t.db, segment.id, Actor::admin(admin.id), now).await.unwrap();
        assert_eq!(segments::get(&t.db, segment.id).await.unwrap_err().code(), "SEGMENT_NOT_FOUND");
        assert_eq!(segments::delete(&t.db, segment.id, Actor::admin(admin.id), now).await.unwrap_err().code(), "SEGMENT_NOT_FOUND");
        let actions: Vec<String> = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("segment"))
            .all(&t.db).await.unwrap().into_iter().map(|a| a.action).collect();
        assert_eq!(actions, ["segment.create", "segment.update", "segment.delete"]);
    }
}
