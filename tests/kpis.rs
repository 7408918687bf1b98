//! Daily KPIs in the shop's time zone: new and total users, by source, discounts issued and redeemed per
//! kind, conversion, broadcast deliveries; days are local, including the day of a clock change.

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::fixtures;
use dvorik::entity::broadcast_deliveries::{self, DeliveryState};
use dvorik::entity::broadcasts::{self, BroadcastState};
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::kpi_snapshot::SourceCount;
use dvorik::services::kpis::{self, KindCounts};
use dvorik::services::templates::DiscountKind;
use dvorik::services::{discounts, redemption};
use sea_orm::{ActiveModelTrait, Set};

const VLADIVOSTOK: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// `h:mm` local time in `tz` on 2026-`m`-`d`, as UTC.
fn at(tz: chrono_tz::Tz, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    tz.from_local_datetime(&date(m, d).and_hms_opt(h, min, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn kinds(subscription: i64, birthday: i64, manual: i64) -> KindCounts {
    KindCounts {
        subscription,
        birthday,
        manual,
        total: subscription + birthday + manual,
    }
}

storage_test! {
    async fn each_figure_lands_on_its_local_day(t) {
        let tz = VLADIVOSTOK;
        let kv = common::test_kv(false).await;
        let owner = fixtures::owner(&t.db, 99, at(tz, 2, 1, 12, 0)).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, at(tz, 2, 1, 12, 0)).await;
        let cashier = fixtures::approved_cashier(&t.db, 500, at(tz, 2, 1, 12, 0)).await;
        fixtures::user_with(&t.db, 1, "before", at(tz, 2, 28, 12, 0), |_| {}).await;
        let u2 = fixtures::user_with(&t.db, 2, "first minute", at(tz, 3, 1, 0, 30), |u| {
            u.source = Set(Some("src_vk".into()));
            u.subscribed = Set(true);
        }).await;
        let u3 = fixtures::user_with(&t.db, 3, "last minute", at(tz, 3, 1, 23, 59), |_| {}).await;
        let u4 = fixtures::user_with(&t.db, 4, "third", at(tz, 3, 3, 10, 0), |u| u.source = Set(Some("src_vk".into()))).await;
        fixtures::user_with(&t.db, 5, "after", at(tz, 3, 5, 10, 0), |_| {}).await;

        let welcome = discounts::issue_welcome(&t.db, &t.key, u2.id, at(tz, 3, 1, 10, 0)).await.unwrap();
        let manual = |user_id| ManualDiscount { user_id, value: fixtures::percent("5"), validity_days: 10, admin_id: owner.id, note: None };
        discounts::issue_manual(&t.db, &t.key, &manual(u3.id), at(tz, 3, 2, 23, 30)).await.unwrap();
        discounts::issue_manual(&t.db, &t.key, &manual(u4.id), at(tz, 3, 3, 1, 0)).await.unwrap();
        redemption::redeem(&t.db, &t.key, welcome.code.expose(), cashier.id, None, at(tz, 3, 3, 12, 0)).await.unwrap();

        let now = t.now();
        let broadcast = broadcasts::ActiveModel {
            name: Set("b".into()), content: Set("{}".into()), state: Set(BroadcastState::Draft),
            materialized_up_to: Set(0), materialized: Set(false), created_at: Set(now), updated_at: Set(now),
            ..Default::default()
        }.insert(&t.db).await.unwrap();
        for (user, state, when) in [
            (u2.id, DeliveryState::Sent, at(tz, 3, 2, 9, 0)),
            (u3.id, DeliveryState::Failed, at(tz, 3, 2, 9, 1)),
            (u4.id, DeliveryState::Skipped, at(tz, 3, 3, 9, 0)),
            (1, DeliveryState::Pending, at(tz, 3, 3, 9, 0)),
        ] {
            broadcast_deliveries::ActiveModel {
                broadcast_id: Set(broadcast.id), user_id: Set(user), state: Set(state), attempts: Set(1),
                created_at: Set(when), updated_at: Set(when), ..Default::default()
            }.insert(&t.db).await.unwrap();
        }

        let report = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), now).await.unwrap();
        let per_day: Vec<(String, i64, i64, i64)> = report.days.iter()
            .map(|d| (d.date.to_string(), d.users_new, d.users_new_subscribed, d.users_total)).collect();
        assert_eq!(per_day, [
            ("2026-03-01".into(), 2, 1, 3),
            ("2026-03-02".into(), 0, 0, 3),
            ("2026-03-03".into(), 1, 0, 4),
        ]);
        assert_eq!(report.users_new, 3);
        assert_eq!(report.users_new_by_source, [
            SourceCount { source: Some("src_vk".into()), users: 2 },
            SourceCount { source: None, users: 1 },
        ]);
        let issued: Vec<KindCounts> = report.days.iter().map(|d| d.discounts_issued).collect();
        assert_eq!(issued, [kinds(1, 0, 0), kinds(0, 0, 1), kinds(0, 0, 1)]);
        let redeemed: Vec<KindCounts> = report.days.iter().map(|d| d.discounts_redeemed).collect();
        assert_eq!(redeemed, [kinds(0, 0, 0), kinds(0, 0, 0), kinds(1, 0, 0)]);
        assert_eq!(report.conversion.subscription, Some(1.0));
        assert_eq!(report.conversion.manual, Some(0.0));
        assert_eq!(report.conversion.birthday, None);
        assert_eq!(report.conversion.total, Some(1.0 / 3.0));
        let deliveries: Vec<(i64, i64, i64)> = report.days.iter().map(|d| (d.deliveries.sent, d.deliveries.failed, d.deliveries.skipped)).collect();
        assert_eq!(deliveries, [(0, 0, 0), (1, 1, 0), (0, 0, 1)]);
        assert_eq!(report.current.users_total, 5);
        assert_eq!(report.current.subscribed, 1);
        assert_eq!(report.timezone, "Asia/Vladivostok");

        // Someone registers after the snapshot was taken: the shared snapshot stays as it was while fresh,
        // the days' totals stay exact, and an old snapshot is recomputed.
        fixtures::user_with(&t.db, 6, "newcomer", now + Duration::seconds(1), |_| {}).await;
        let again = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), now + Duration::seconds(2)).await.unwrap();
        assert_eq!(again.current.as_of, report.current.as_of, "the snapshot is shared while fresh");
        assert_eq!(again.current.users_total, 5);
        let totals: Vec<i64> = again.days.iter().map(|d| d.users_total).collect();
        assert_eq!(totals, [3, 3, 4]);
        let later = now + dvorik::services::kpi_snapshot::MAX_STALE + Duration::seconds(1);
        let fresh = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), later).await.unwrap();
        assert_eq!((fresh.current.users_total, fresh.current.as_of), (6, later));
        assert_eq!(fresh.days.iter().map(|d| d.users_total).collect::<Vec<_>>(), [3, 3, 4]);

        let err = kpis::report(&t.db, &kv, tz, date(3, 3), date(3, 1), now).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
        let err = kpis::report(&t.db, &kv, tz, date(1, 1), NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(), now).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
    }
}

storage_test! {
    async fn the_day_of_a_clock_change_keeps_its_own_users(t) {
        // Berlin moves to summer time at 02:00 on 29 March 2026: that day has 23 hours.
        let tz = chrono_tz::Europe::Berlin;
        let kv = common::test_kv(false).await;
        fixtures::user_with(&t.db, 1, "a", at(tz, 3, 28, 23, 30), |_| {}).await;
        fixtures::user_with(&t.db, 2, "b", at(tz, 3, 29, 0, 30), |_| {}).await;
        fixtures::user_with(&t.db, 3, "c", at(tz, 3, 29, 23, 30), |_| {}).await;
        fixtures::user_with(&t.db, 4, "d", at(tz, 3, 30, 0, 30), |_| {}).await;
        let report = kpis::report(&t.db, &kv, tz, date(3, 28), date(3, 30), t.now()).await.unwrap();
        let new: Vec<i64> = report.days.iter().map(|d| d.users_new).collect();
        assert_eq!(new, [1, 2, 1]);
    }
}

/// The sources of a report's new users, as (source, users) pairs, largest first.
fn sources(report: &kpis::Kpis) -> Vec<(Option<String>, i64)> {
    report
        .users_new_by_source
        .iter()
        .map(|s| (s.source.clone(), s.users))
        .collect()
}

storage_test! {
    async fn a_closed_day_is_stored_once_and_read_back_while_open_days_are_counted(t) {
        use dvorik::entity::kpi_days;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let tz = VLADIVOSTOK;
        let kv = common::test_kv(false).await;
        let now = at(tz, 3, 3, 12, 0);
        fixtures::user_with(&t.db, 1, "closed", at(tz, 3, 1, 10, 0), |_| {}).await;
        fixtures::user_with(&t.db, 2, "yesterday, early", at(tz, 3, 2, 0, 10), |_| {}).await;
        fixtures::user_with(&t.db, 3, "today", at(tz, 3, 3, 9, 0), |_| {}).await;

        let report = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), now).await.unwrap();
        let new: Vec<i64> = report.days.iter().map(|d| d.users_new).collect();
        assert_eq!(new, [1, 1, 1]);
        let stored: Vec<String> = kpi_days::Entity::find()
            .filter(kpi_days::Column::Timezone.eq(tz.name()))
            .all(&t.db).await.unwrap().into_iter().map(|d| d.day).collect();
        assert_eq!(stored, ["2026-03-01", "2026-03-02"], "today is open, so it is not stored");

        // A stored day is what later reports read: a figure written into it shows, while today's
        // figures keep coming from the rows.
        let fake = r#"{"users_by_source":[{"source":"src_stored","users":7}],
            "issued":{"subscription":0,"birthday":0,"manual":0,"total":0},
            "redeemed":{"subscription":0,"birthday":0,"manual":0,"total":0},
            "deliveries":{"sent":0,"failed":0,"skipped":0}}"#;
        kpi_days::Entity::update_many()
            .col_expr(kpi_days::Column::Figures, sea_orm::sea_query::Expr::value(fake))
            .filter(kpi_days::Column::Day.eq("2026-03-01"))
            .exec(&t.db).await.unwrap();
        fixtures::user_with(&t.db, 4, "today too", at(tz, 3, 3, 11, 0), |_| {}).await;
        let again = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), now).await.unwrap();
        let new: Vec<i64> = again.days.iter().map(|d| d.users_new).collect();
        assert_eq!(new, [7, 1, 2]);
        assert_eq!(sources(&again), [(Some("src_stored".into()), 7), (None, 3)]);

        // A figure that no longer reads is computed again from the rows.
        kpi_days::Entity::update_many()
            .col_expr(kpi_days::Column::Figures, sea_orm::sea_query::Expr::value("{\"old\":1}"))
            .filter(kpi_days::Column::Day.eq("2026-03-01"))
            .exec(&t.db).await.unwrap();
        let fixed = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 3), now).await.unwrap();
        assert_eq!(fixed.days.iter().map(|d| d.users_new).collect::<Vec<_>>(), [1, 1, 2]);
    }
}

storage_test! {
    async fn a_source_given_late_moves_the_customer_on_a_stored_day(t) {
        let tz = VLADIVOSTOK;
        let kv = common::test_kv(false).await;
        let now = at(tz, 3, 5, 12, 0);
        fixtures::user_with(&t.db, 1, "no source yet", at(tz, 3, 1, 10, 0), |_| {}).await;
        fixtures::user_with(&t.db, 2, "vk", at(tz, 3, 1, 11, 0), |u| u.source = Set(Some("src_vk".into()))).await;
        let report = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 2), now).await.unwrap();
        assert_eq!(sources(&report), [(None, 1), (Some("src_vk".into()), 1)]);

        // The first customer opens a deep link days later: the first touch with a source counts.
        dvorik::services::users::register(&t.db, &fixtures::profile(1, "no source yet"), Some("src_vk"), Default::default(), now)
            .await.unwrap();
        let after = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 2), now).await.unwrap();
        assert_eq!(sources(&after), [(Some("src_vk".into()), 2)]);
        assert_eq!(after.days[0].users_new, 2);
    }
}

storage_test! {
    async fn how_many_of_a_stored_days_users_are_subscribed_stays_live(t) {
        let tz = VLADIVOSTOK;
        let kv = common::test_kv(false).await;
        let now = at(tz, 3, 5, 12, 0);
        let a = fixtures::user_with(&t.db, 1, "a", at(tz, 3, 1, 10, 0), |u| u.subscribed = Set(true)).await;
        fixtures::user_with(&t.db, 2, "b", at(tz, 3, 1, 11, 0), |u| u.subscribed = Set(true)).await;
        fixtures::user_with(&t.db, 3, "c", at(tz, 3, 2, 11, 0), |_| {}).await;
        let report = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 2), now).await.unwrap();
        let subscribed: Vec<i64> = report.days.iter().map(|d| d.users_new_subscribed).collect();
        assert_eq!(subscribed, [2, 0]);

        assert!(dvorik::services::subscriptions::unsubscribe(&t.db, a.id, now).await.unwrap());
        let after = kpis::report(&t.db, &kv, tz, date(3, 1), date(3, 2), now).await.unwrap();
        let subscribed: Vec<i64> = after.days.iter().map(|d| d.users_new_subscribed).collect();
        assert_eq!(subscribed, [1, 0]);
    }
}
