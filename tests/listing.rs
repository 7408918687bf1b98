//! The core's list functions: filters and keyset pages on every backend.

mod common;

use common::fixtures;
use dvorik::services::admins::{self, AdminFilter, AdminRole};
use dvorik::services::audit::{self, Actor, ActorKind, AuditFilter};
use dvorik::services::cashiers::{self, CashierFilter, CashierState};
use dvorik::services::paging::{Direction, PageRequest};
use dvorik::services::stores::{self, StoreFilter};
use dvorik::services::templates::{self, DiscountKind, TemplateFilter};

fn page(limit: u64) -> PageRequest {
    PageRequest {
        limit,
        include_total: true,
        ..Default::default()
    }
}

storage_test! {
    async fn lists_filter_and_walk_every_row_once_in_both_directions(t) {
        let now = t.now();
        let owner = fixtures::owner(&t.db, 1, now).await;
        let mut store_ids = Vec::new();
        for n in 0..7 {
            store_ids.push(fixtures::store(&t.db, &format!("Точка {n}"), now).await.id);
        }
        stores::set_active(&t.db, store_ids[3], false, Actor::admin(owner.id), now).await.unwrap();

        for direction in [Direction::Asc, Direction::Desc] {
            let mut request = PageRequest { direction, ..page(3) };
            let mut seen = Vec::new();
            loop {
                let p = stores::page(&t.db, &StoreFilter::default(), &request).await.unwrap();
                assert_eq!(p.total, Some(7));
                assert!(p.items.len() <= 3);
                seen.extend(p.items.iter().map(|s| s.id));
                match p.next {
                    Some(cursor) => request.after = Some(cursor),
                    None => break,
                }
            }
            let mut expected = store_ids.clone();
            if direction == Direction::Desc {
                expected.reverse();
            }
            assert_eq!(seen, expected, "{direction:?}");
        }
        let open = stores::page(&t.db, &StoreFilter { active: Some(false), name: None }, &page(50)).await.unwrap();
        assert_eq!(open.items.iter().map(|s| s.id).collect::<Vec<_>>(), [store_ids[3]]);
        let named = stores::page(&t.db, &StoreFilter { active: None, name: Some("ка 5".into()) }, &page(50)).await.unwrap();
        assert_eq!(named.total, Some(1));
        let exact = PageRequest { limit: 7, ..Default::default() };
        let full = stores::page(&t.db, &StoreFilter::default(), &exact).await.unwrap();
        assert_eq!((full.items.len(), full.next.is_none(), full.total), (7, true, None), "no next page when exactly full; no count unless asked");
        assert_eq!(stores::page(&t.db, &StoreFilter::default(), &page(201)).await.unwrap_err().code(), "VALIDATION_FAILED");

        let c1 = cashiers::register(&t.db, 11, "Анна", store_ids[0], now).await.unwrap();
        let c2 = cashiers::register(&t.db, 12, "Борис", store_ids[1], now).await.unwrap();
        cashiers::approve(&t.db, c2.id, owner.id, now).await.unwrap();
        let pending = cashiers::page(&t.db, &CashierFilter { state: Some(CashierState::Pending), store_id: None }, &page(50)).await.unwrap();
        assert_eq!(pending.items.iter().map(|c| c.id).collect::<Vec<_>>(), [c1.id]);
        let at_store = cashiers::page(&t.db, &CashierFilter { state: None, store_id: Some(store_ids[1]) }, &page(50)).await.unwrap();
        assert_eq!(at_store.items.iter().map(|c| c.id).collect::<Vec<_>>(), [c2.id]);

        admins::add(&t.db, 2, AdminRole::Readonly, None, Actor::admin(owner.id), now).await.unwrap();
        let readonly = admins::page(&t.db, &AdminFilter { role: Some(AdminRole::Readonly), active: None }, &page(50)).await.unwrap();
        assert_eq!(readonly.total, Some(1));
        let active = admins::page(&t.db, &AdminFilter { role: None, active: Some(true) }, &page(50)).await.unwrap();
        assert_eq!(active.total, Some(2));

        fixtures::template(&t.db, DiscountKind::Birthday, fixtures::percent("10"), 14, now).await;
        let welcome = fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("5"), 30, now).await;
        let subs = templates::page(&t.db, &TemplateFilter { kind: Some(DiscountKind::Subscription), active: Some(true) }, &page(50)).await.unwrap();
        assert_eq!(subs.items.iter().map(|t| t.id).collect::<Vec<_>>(), [welcome.id]);
    }
}

storage_test! {
    async fn the_audit_log_filters_by_actor_entity_action_request_and_time(t) {
        let now = t.now();
        let owner = fixtures::owner(&t.db, 1, now).await;
        let store = audit::in_request("req-9".into(), async {
            fixtures::store(&t.db, "Луговая", now).await
        })
        .await;
        stores::set_active(&t.db, store.id, false, Actor::admin(owner.id), now + chrono::Duration::hours(1)).await.unwrap();
        let newest = PageRequest { direction: Direction::Desc, ..page(50) };
        let filter = |f: AuditFilter| {
            let (db, request) = (t.db.clone(), newest.clone());
            async move { audit::page(&db, &f, &request).await.unwrap() }
        };
        let by_request = filter(AuditFilter { request_id: Some("req-9".into()), ..Default::default() }).await;
        assert_eq!(by_request.items.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["store.create"]);
        let by_admin = filter(AuditFilter { actor_kind: Some(ActorKind::Admin), actor_id: Some(owner.id), ..Default::default() }).await;
        assert_eq!(by_admin.items.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["store.set_active"]);
        let store_rows = filter(AuditFilter { entity: Some("store".into()), entity_id: Some(store.id.to_string()), ..Default::default() }).await;
        assert_eq!(store_rows.total, Some(2));
        assert_eq!(store_rows.items[0].action, "store.set_active", "newest first");
        let window = filter(AuditFilter { entity: Some("store".into()), from: Some(now + chrono::Duration::minutes(30)), to: Some(now + chrono::Duration::hours(2)), ..Default::default() }).await;
        assert_eq!(window.items.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["store.set_active"]);
        let action = filter(AuditFilter { action: Some("admin.create".into()), ..Default::default() }).await;
        assert_eq!(action.total, Some(1));
        let far = filter(AuditFilter { from: Some(now + chrono::Duration::days(365 * 80)), ..Default::default() }).await;
        assert_eq!((far.items.len(), far.total), (0, Some(0)));
    }
}
