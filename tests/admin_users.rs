//! The admin's customer directory: search, filters, sorting and keyset pages; one user with a summary;
//! block and unblock; birthday correction; a manual discount for one user. Mutations are audited.

mod common;

use chrono::{Duration, NaiveDate};
use common::fixtures;
use dvorik::domain::Birthday;
use dvorik::entity::audit_log;
use dvorik::services::audit::Actor;
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::paging::{Cursor, Direction, PageRequest};
use dvorik::services::user_search::{self, UserFilter, UserSort};
use dvorik::services::{discounts, user_admin};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn ids(page: &dvorik::services::paging::Page<user_search::UserListItem>) -> Vec<i64> {
    page.items.iter().map(|u| u.id).collect()
}

storage_test! {
    async fn every_user_is_listed_once_across_keyset_pages_in_each_sort(t) {
        let now = t.now();
        let mut all = Vec::new();
        for i in 0..7 {
            // Two users share each activity time, so the (time, id) cursor must break ties.
            let activity = now - Duration::hours(i / 2);
            let user = fixtures::user_with(&t.db, 100 + i, "Аня", now, |u| u.last_activity_at = Set(activity)).await;
            all.push(user.id);
        }
        for sort in [UserSort::Id, UserSort::CreatedAt, UserSort::LastActivity] {
            for direction in [Direction::Desc, Direction::Asc] {
                let mut request = PageRequest { limit: 3, direction, include_total: true, ..Default::default() };
                let mut seen = Vec::new();
                loop {
                    let page = user_search::list(&t.db, &UserFilter::default(), sort, &request, TZ).await.unwrap();
                    assert_eq!(page.total, Some(7));
                    assert!(page.items.len() <= 3);
                    seen.extend(ids(&page));
                    match page.next {
                        Some(cursor) => request.after = Some(cursor),
                        None => break,
                    }
                }
                let mut sorted = seen.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, all, "{sort:?} {direction:?}: every user once");
                if sort == UserSort::Id {
                    let mut expected = all.clone();
                    if direction == Direction::Desc {
                        expected.reverse();
                    }
                    assert_eq!(seen, expected);
                }
            }
        }
        let junk = PageRequest { after: Some(Cursor { sort: "-id".into(), id: 1, key: None }), ..Default::default() };
        let err = user_search::list(&t.db, &UserFilter::default(), UserSort::Id, &junk, TZ).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
    }
}

storage_test! {
    async fn search_and_filters_select_the_right_users(t) {
        let now = t.now();
        let day = |d: u32| listing_day(2026, 3, d);
        let anna = fixtures::user_with(&t.db, 5551234, "Анна", now, |u| {
            u.subscribed = Set(true);
            u.source = Set(Some("src_instagram".into()));
            u.phone = Set(Some("+79140001122".into()));
            u.created_at = Set(day(1));
        }).await;
        let boris = fixtures::user_with(&t.db, 2, "Борис 50%_off", now, |u| {
            u.language = Set("en".into());
            u.blocked = Set(true);
            u.birthday_day = Set(Some(3));
            u.birthday_month = Set(Some(4));
            u.created_at = Set(day(2));
        }).await;
        let vera = fixtures::user_with(&t.db, 3, "Вера", now, |u| {
            u.username = Set(Some("vera_sweet".into()));
            u.created_at = Set(day(3));
        }).await;
        let find = |filter: UserFilter| {
            let db = t.db.clone();
            async move {
                let page = user_search::list(&db, &filter, UserSort::Id, &PageRequest::default(), TZ).await.unwrap();
                let mut ids = ids(&page);
                ids.sort_unstable();
                ids
            }
        };
        let q = |text: &str| UserFilter { q: Some(text.into()), ..Default::default() };
        assert_eq!(find(q("нна")).await, [anna.id], "a name substring");
        assert_eq!(find(q("@vera_s")).await, [vera.id], "a username with @");
        assert_eq!(find(q("0001122")).await, [anna.id], "a phone substring");
        assert_eq!(find(q("5551234")).await, [anna.id], "an exact Telegram id");
        assert_eq!(find(q("50%_")).await, [boris.id], "LIKE wildcards are literal");
        assert_eq!(find(q("%")).await, [boris.id]);
        assert_eq!(find(UserFilter { subscribed: Some(true), ..Default::default() }).await, [anna.id]);
        assert_eq!(find(UserFilter { language: Some("en".into()), ..Default::default() }).await, [boris.id]);
        assert_eq!(find(UserFilter { source: Some("src_instagram".into()), ..Default::default() }).await, [anna.id]);
        assert_eq!(find(UserFilter { blocked: Some(true), ..Default::default() }).await, [boris.id]);
        assert_eq!(find(UserFilter { has_birthday: Some(true), ..Default::default() }).await, [boris.id]);
        assert_eq!(find(UserFilter { has_birthday: Some(false), ..Default::default() }).await, [anna.id, vera.id]);
        // Registration dates are local days of the shop: 2 March in Vladivostok.
        let on_2nd = NaiveDate::from_ymd_opt(2026, 3, 2);
        assert_eq!(find(UserFilter { registered_from: on_2nd, registered_to: on_2nd, ..Default::default() }).await, [boris.id]);
        assert_eq!(find(UserFilter { registered_from: on_2nd, ..Default::default() }).await, [boris.id, vera.id]);
        let bad = UserFilter { language: Some("de".into()), ..Default::default() };
        let err = user_search::list(&t.db, &bad, UserSort::Id, &PageRequest::default(), TZ).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
    }
}

/// Noon of a local day in Vladivostok, as UTC.
fn listing_day(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    dvorik::services::listing::start_of_day(TZ, NaiveDate::from_ymd_opt(y, m, d).unwrap())
        + Duration::hours(12)
}

storage_test! {
    async fn the_summary_counts_discounts_by_state(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let admin = fixtures::owner(&t.db, 9, now).await;
        let manual = |days| ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: days, admin_id: admin.id, note: None };
        discounts::issue_manual(&t.db, &t.key, &manual(10), now).await.unwrap();
        let stale = discounts::issue_manual(&t.db, &t.key, &manual(1), now - Duration::days(2)).await.unwrap();
        let revoked = discounts::issue_manual(&t.db, &t.key, &manual(10), now).await.unwrap();
        discounts::revoke(&t.db, revoked.discount.id, admin.id, now).await.unwrap();
        let summary = user_search::summary(&t.db, user.id, now).await.unwrap();
        assert_eq!(summary.user.id, user.id);
        assert_eq!((summary.discounts.active, summary.discounts.expired, summary.discounts.revoked, summary.discounts.redeemed), (1, 1, 1, 0));
        let _ = stale;
        assert_eq!(user_search::summary(&t.db, 999, now).await.unwrap_err().code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn blocking_is_idempotent_audited_once_and_stops_manual_discounts(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let admin = fixtures::owner(&t.db, 9, now).await;
        let blocked = dvorik::services::audit::in_request("req-1".into(), user_admin::set_blocked(&t.db, user.id, true, Actor::admin(admin.id), now)).await.unwrap();
        assert!(blocked.blocked);
        assert_eq!(user_admin::ensure_not_blocked(&blocked).unwrap_err().code(), "USER_BLOCKED");
        user_admin::set_blocked(&t.db, user.id, true, Actor::admin(admin.id), now).await.unwrap();
        let audits = audit_log::Entity::find().filter(audit_log::Column::Action.eq("user.block")).all(&t.db).await.unwrap();
        assert_eq!(audits.len(), 1, "a repeated block changes nothing");
        assert_eq!(audits[0].request_id.as_deref(), Some("req-1"));
        assert_eq!(audits[0].actor_id, Some(admin.id));

        let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: 5, admin_id: admin.id, note: None };
        let err = user_admin::issue_discount(&t.db, &t.key, &manual, now).await.unwrap_err();
        assert_eq!(err.code(), "USER_BLOCKED");
        assert_eq!(dvorik::entity::discounts::Entity::find().count(&t.db).await.unwrap(), 0);

        let unblocked = user_admin::set_blocked(&t.db, user.id, false, Actor::admin(admin.id), now).await.unwrap();
        assert!(!unblocked.blocked);
        let issued = user_admin::issue_discount(&t.db, &t.key, &manual, now).await.unwrap();
        assert_eq!(issued.discount.issued_by_admin_id, Some(admin.id));
        let issue_audit = audit_log::Entity::find().filter(audit_log::Column::Action.eq("discount.issue")).one(&t.db).await.unwrap().unwrap();
        assert!(!issue_audit.after.unwrap().contains(issued.code.expose()), "the code never reaches the audit log");
        assert_eq!(user_admin::set_blocked(&t.db, 999, true, Actor::admin(admin.id), now).await.unwrap_err().code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn an_admin_corrects_a_birthday_keeping_when_it_was_first_set(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let admin = fixtures::owner(&t.db, 9, now).await;
        let first = Birthday { day: 1, month: 5, year: None };
        dvorik::services::users::set_birthday(&t.db, user.id, first, now - Duration::days(30)).await.unwrap();
        let fixed = Birthday { day: 2, month: 5, year: Some(1990) };
        let after = user_admin::correct_birthday(&t.db, user.id, Some(fixed), Actor::admin(admin.id), now).await.unwrap();
        assert_eq!(dvorik::services::users::birthday_of(&after), Some(fixed));
        assert_eq!(after.birthday_set_at, Some(now - Duration::days(30)));
        let audit = audit_log::Entity::find().filter(audit_log::Column::Action.eq("user.birthday_correct")).one(&t.db).await.unwrap().unwrap();
        assert_eq!(audit.before.as_deref(), Some(r#"{"day":1,"month":5,"year":null}"#));
        assert_eq!(audit.after.as_deref(), Some(r#"{"day":2,"month":5,"year":1990}"#));

        let bad = Birthday { day: 31, month: 2, year: None };
        let err = user_admin::correct_birthday(&t.db, user.id, Some(bad), Actor::admin(admin.id), now).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
        let cleared = user_admin::correct_birthday(&t.db, user.id, None, Actor::admin(admin.id), now).await.unwrap();
        assert_eq!(dvorik::services::users::birthday_of(&cleared), None);
        assert_eq!(cleared.birthday_set_at, None);
    }
}

storage_test! {
    async fn a_listed_user_carries_the_same_values_as_the_stored_row(t) {
        let now = t.now();
        let full = fixtures::user_with(&t.db, 1, "Полная", now, |u| {
            u.last_name = Set(Some("Иванова".into()));
            u.username = Set(Some("ivanova".into()));
            u.language = Set("en".into());
            u.source = Set(Some("src_vk".into()));
            u.subscribed = Set(true);
            u.blocked = Set(true);
            u.unreachable = Set(true);
            u.last_activity_at = Set(now - Duration::hours(1));
            u.created_at = Set(now - Duration::days(9));
        }).await;
        let page = user_search::list(&t.db, &UserFilter::default(), UserSort::Id, &PageRequest::default(), TZ).await.unwrap();
        let item = &page.items[0];
        let expected = user_search::UserListItem {
            id: full.id,
            telegram_id: full.telegram_id,
            first_name: full.first_name.clone(),
            last_name: full.last_name.clone(),
            username: full.username.clone(),
            language: full.language.clone(),
            source: full.source.clone(),
            subscribed: full.subscribed,
            blocked: full.blocked,
            unreachable: full.unreachable,
            last_activity_at: full.last_activity_at,
            created_at: full.created_at,
        };
        assert_eq!(item, &expected);
    }
}
