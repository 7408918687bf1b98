//! The admin's discount list, and bulk manual discounts as a background task: progress, failures recorded
//! per user, a segment audience, and no double issue when a task is resumed after its runner died.

mod common;

use chrono::Duration;
use common::fixtures;
use dvorik::entity::discount_tasks::TaskState;
use dvorik::entity::discounts;
use dvorik::services::audit::Actor;
use dvorik::services::discount_list::{self, DiscountFilter};
use dvorik::services::discount_tasks::{self, BulkIssueInput, BulkTarget, RunLimits};
use dvorik::services::discounts::{DiscountState, ManualDiscount};
use dvorik::services::paging::{Direction, PageRequest};
use dvorik::services::segments::{self, SegmentFilter, SegmentInput};
use dvorik::services::templates::DiscountKind;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn input(target: BulkTarget) -> BulkIssueInput {
    BulkIssueInput {
        target,
        value: fixtures::percent("15"),
        validity_days: 14,
        note: Some("Весенняя акция".into()),
    }
}

/// Discounts per user, as (user_id, count) sorted by user.
async fn per_user(db: &sea_orm::DatabaseConnection) -> Vec<(i64, i64)> {
    let mut rows: Vec<(i64, i64)> = discounts::Entity::find()
        .select_only()
        .column(discounts::Column::UserId)
        .column_as(discounts::Column::Id.count(), "n")
        .group_by(discounts::Column::UserId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    rows.sort_unstable();
    rows
}

storage_test! {
    async fn the_discount_list_filters_by_user_kind_state_and_issue_date(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let a = fixtures::user(&t.db, 1, now).await;
        let b = fixtures::user(&t.db, 2, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let welcome = dvorik::services::discounts::issue_welcome(&t.db, &t.key, a.id, now).await.unwrap();
        let manual = |user_id, days| ManualDiscount { user_id, value: fixtures::percent("5"), validity_days: days, admin_id: admin.id, note: None };
        let old = dvorik::services::discounts::issue_manual(&t.db, &t.key, &manual(b.id, 1), now - Duration::days(40)).await.unwrap();
        let fresh = dvorik::services::discounts::issue_manual(&t.db, &t.key, &manual(b.id, 10), now).await.unwrap();
        let list = |filter: DiscountFilter| {
            let db = t.db.clone();
            async move {
                let page = discount_list::list(&db, &filter, &PageRequest { include_total: true, direction: Direction::Desc, ..Default::default() }, TZ, now).await.unwrap();
                assert_eq!(page.total, Some(page.items.len() as u64));
                page.items.into_iter().map(|d| d.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(list(DiscountFilter::default()).await, [fresh.discount.id, old.discount.id, welcome.discount.id], "newest first");
        assert_eq!(list(DiscountFilter { user_id: Some(b.id), ..Default::default() }).await, [fresh.discount.id, old.discount.id]);
        assert_eq!(list(DiscountFilter { kind: Some(DiscountKind::Subscription), ..Default::default() }).await, [welcome.discount.id]);
        // `old` is still stored as active but is past its expiry: it lists as expired, not active.
        assert_eq!(list(DiscountFilter { state: Some(DiscountState::Expired), ..Default::default() }).await, [old.discount.id]);
        assert_eq!(list(DiscountFilter { state: Some(DiscountState::Active), user_id: Some(b.id), ..Default::default() }).await, [fresh.discount.id]);
        let forty_days_ago = (now - Duration::days(40)).with_timezone(&TZ).date_naive();
        assert_eq!(list(DiscountFilter { issued_from: Some(forty_days_ago), issued_to: Some(forty_days_ago), ..Default::default() }).await, [old.discount.id]);
    }
}

storage_test! {
    async fn a_bulk_issue_to_a_list_records_each_failure_and_gives_the_rest_one_discount_each(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(fixtures::user(&t.db, 10 + i, now).await.id);
        }
        let blocked = fixtures::user_with(&t.db, 50, "blocked", now, |u| u.blocked = Set(true)).await;
        let mut target = ids.clone();
        target.extend([blocked.id, 999_999, ids[0]]);
        let task = discount_tasks::create(&t.db, &input(BulkTarget::Users(target)), admin.id, TZ, now).await.unwrap();
        assert_eq!((task.state, task.total), (TaskState::Pending, 7), "duplicates count once");
        let done = discount_tasks::run_chunks(&t.db, &t.key, task.id, "w1", TZ, || now, RunLimits { chunk: 2, max_chunks: usize::MAX }).await.unwrap();
        assert_eq!((done.state, done.issued, done.failed), (TaskState::Done, 5, 2));
        let mut failures: Vec<(i64, String)> = done.failures.iter().map(|f| (f.user_id, f.code.clone())).collect();
        failures.sort();
        assert_eq!(failures, [(blocked.id, "USER_BLOCKED".into()), (999_999, "USER_NOT_FOUND".into())]);
        assert_eq!(per_user(&t.db).await, ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>());
        let one = discounts::Entity::find().one(&t.db).await.unwrap().unwrap();
        assert_eq!((one.kind, one.percent_bp, one.issued_by_admin_id, one.note.as_deref()), (DiscountKind::Manual, Some(1500), Some(admin.id), Some("Весенняя акция")));
        // Running a finished task again changes nothing.
        let again = discount_tasks::run(&t.db, &t.key, task.id, "w2", TZ, || now).await.unwrap();
        assert_eq!((again.state, again.issued), (TaskState::Done, 5));
        assert_eq!(discounts::Entity::find().count(&t.db).await.unwrap(), 5);
        assert_eq!(discount_tasks::progress(&t.db, 12345).await.unwrap_err().code(), "DISCOUNT_TASK_NOT_FOUND");
    }
}

storage_test! {
    async fn a_task_whose_runner_died_is_resumed_by_another_without_issuing_twice(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(fixtures::user(&t.db, 10 + i, now).await.id);
        }
        let task = discount_tasks::create(&t.db, &input(BulkTarget::Users(ids.clone())), admin.id, TZ, now).await.unwrap();
        let limits = |max_chunks| RunLimits { chunk: 3, max_chunks };
        // The first runner handles one chunk, then "dies" holding its claim.
        let first = discount_tasks::run_chunks(&t.db, &t.key, task.id, "dead", TZ, || now, limits(1)).await.unwrap();
        assert_eq!((first.state, first.issued), (TaskState::Running, 3));
        // While the claim lives nobody else runs the task.
        let refused = discount_tasks::run(&t.db, &t.key, task.id, "second", TZ, || now + Duration::seconds(10)).await.unwrap();
        assert_eq!(refused.issued, 3);
        assert_eq!(discounts::Entity::find().count(&t.db).await.unwrap(), 3);
        // After the claim expires another runner takes over from the last committed chunk.
        let later = now + discount_tasks::CLAIM + Duration::seconds(1);
        let done = discount_tasks::run_chunks(&t.db, &t.key, task.id, "second", TZ, move || later, limits(usize::MAX)).await.unwrap();
        assert_eq!((done.state, done.issued, done.failed), (TaskState::Done, 7, 0));
        // The dead runner waking up finds the task finished and does nothing.
        let zombie = discount_tasks::run_chunks(&t.db, &t.key, task.id, "dead", TZ, move || later, limits(usize::MAX)).await.unwrap();
        assert_eq!(zombie.issued, 7);
        assert_eq!(per_user(&t.db).await, ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>());
    }
}

storage_test! {
    async fn a_bulk_issue_to_a_segment_reaches_its_unblocked_users(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let en1 = fixtures::user_with(&t.db, 1, "en1", now, |u| u.language = Set("en".into())).await;
        fixtures::user(&t.db, 2, now).await;
        fixtures::user_with(&t.db, 3, "en-blocked", now, |u| { u.language = Set("en".into()); u.blocked = Set(true); }).await;
        let en2 = fixtures::user_with(&t.db, 4, "en2", now, |u| u.language = Set("en".into())).await;
        let segment = segments::create(&t.db, &SegmentInput { name: "English".into(), filter: SegmentFilter { languages: vec!["en".into()], ..Default::default() } }, Actor::admin(admin.id), now).await.unwrap();
        let task = discount_tasks::create(&t.db, &input(BulkTarget::Segment(segment.id)), admin.id, TZ, now).await.unwrap();
        assert_eq!(task.total, 2);
        let done = discount_tasks::run(&t.db, &t.key, task.id, "w", TZ, || now).await.unwrap();
        assert_eq!((done.state, done.issued, done.failed), (TaskState::Done, 2, 0));
        assert_eq!(per_user(&t.db).await, [(en1.id, 1), (en2.id, 1)]);
        let missing = discount_tasks::create(&t.db, &input(BulkTarget::Segment(777)), admin.id, TZ, now).await.unwrap_err();
        assert_eq!(missing.code(), "SEGMENT_NOT_FOUND");
        let empty = discount_tasks::create(&t.db, &input(BulkTarget::Users(vec![])), admin.id, TZ, now).await.unwrap_err();
        assert_eq!(empty.code(), "VALIDATION_FAILED");
        let bad_days = BulkIssueInput { validity_days: 0, ..input(BulkTarget::Users(vec![en1.id])) };
        assert_eq!(discount_tasks::create(&t.db, &bad_days, admin.id, TZ, now).await.unwrap_err().code(), "VALIDATION_FAILED");
        let audits = dvorik::entity::audit_log::Entity::find()
            .filter(dvorik::entity::audit_log::Column::Action.eq("discount_task.create"))
            .count(&t.db).await.unwrap();
        assert_eq!(audits, 1);
    }
}

storage_test! {
    /// Each runner's clock is later than the previous one's claim, so each may take the task over from the
    /// others mid-run: only the chunk whose progress update still finds its own claim and position commits.
    async fn runners_taking_a_task_over_from_each_other_issue_each_discount_once(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(fixtures::user(&t.db, 10 + i, now).await.id);
        }
        let task = discount_tasks::create(&t.db, &input(BulkTarget::Users(ids.clone())), admin.id, TZ, now).await.unwrap();
        let runners: Vec<_> = (0..4)
            .map(|i| {
                let (db, key) = (t.db.clone(), t.key.clone());
                let clock = now + (discount_tasks::CLAIM + Duration::seconds(1)) * i;
                tokio::spawn(async move {
                    discount_tasks::run_chunks(&db, &key, task.id, &format!("w{i}"), TZ, move || clock, RunLimits { chunk: 3, max_chunks: usize::MAX }).await
                })
            })
            .collect();
        for runner in runners {
            runner.await.unwrap().unwrap();
        }
        let done = discount_tasks::progress(&t.db, task.id).await.unwrap();
        assert_eq!((done.state, done.issued), (TaskState::Done, 20));
        assert_eq!(per_user(&t.db).await, ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>());
    }
}
