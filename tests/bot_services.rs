//! Core services behind the bots: subscription with the one-time welcome discount, the at-most-once
//! record of Telegram updates, and the day's figures in the shop's time zone.

mod common;

use chrono::Duration;
use common::fixtures;
use dvorik::services::templates::DiscountKind;
use dvorik::services::{redemption, stats, subscriptions, updates};
use sea_orm::{EntityTrait, PaginatorTrait};

storage_test! {
    async fn the_first_subscription_brings_the_welcome_discount_and_later_ones_do_not(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let none = subscriptions::subscribe(&t.db, &t.key, user.id, now).await.unwrap();
        assert!(none.changed && none.welcome.is_none(), "no template, no discount, still subscribed");
        assert!(subscriptions::unsubscribe(&t.db, user.id, now).await.unwrap());
        assert!(!subscriptions::unsubscribe(&t.db, user.id, now).await.unwrap());

        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let first = subscriptions::subscribe(&t.db, &t.key, user.id, now).await.unwrap();
        assert!(first.welcome.is_some());
        let again = subscriptions::subscribe(&t.db, &t.key, user.id, now).await.unwrap();
        assert!(!again.changed && again.welcome.is_none());
        subscriptions::unsubscribe(&t.db, user.id, now).await.unwrap();
        let back = subscriptions::subscribe(&t.db, &t.key, user.id, now).await.unwrap();
        assert!(back.changed && back.welcome.is_none(), "the welcome discount is once per user, ever");
        let err = subscriptions::subscribe(&t.db, &t.key, 999_999, now).await.unwrap_err();
        assert_eq!(err.code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn an_update_is_recorded_once_per_bot(t) {
        let now = t.now();
        assert!(updates::first_time(&t.db, "client", 10, now).await.unwrap());
        assert!(!updates::first_time(&t.db, "client", 10, now).await.unwrap());
        assert!(updates::first_time(&t.db, "staff", 10, now).await.unwrap(), "bots count apart");
        assert!(updates::first_time(&t.db, "client", 11, now).await.unwrap());
        assert_eq!(updates::last_id(&t.db, "client").await.unwrap(), Some(11));
        assert_eq!(updates::last_id(&t.db, "nobody").await.unwrap(), None);
        assert_eq!(updates::delete_older_than(&t.db, now + Duration::seconds(1)).await.unwrap(), 3);
        assert!(updates::first_time(&t.db, "client", 10, now).await.unwrap());
    }
}

storage_test! {
    async fn updates_recorded_together_are_each_recorded_once(t) {
        let now = t.now();
        assert_eq!(updates::first_time_many(&t.db, "client", &[1, 2, 3], now).await.unwrap(), [true; 3]);
        // A batch holding one recorded update: only the new ones are let through.
        assert_eq!(
            updates::first_time_many(&t.db, "client", &[3, 4, 5], now).await.unwrap(),
            [false, true, true],
        );
        assert_eq!(updates::first_time_many(&t.db, "client", &[6, 6], now).await.unwrap(), [true, false]);
        assert_eq!(updates::first_time_many(&t.db, "staff", &[1, 2], now).await.unwrap(), [true, true]);
        assert!(!updates::first_time(&t.db, "client", 4, now).await.unwrap());
        assert_eq!(updates::first_time_many(&t.db, "client", &[], now).await.unwrap(), Vec::<bool>::new());
        assert_eq!(dvorik::entity::processed_updates::Entity::find().count(&t.db).await.unwrap(), 8);
    }
}

storage_test! {
    async fn a_welcome_template_known_to_the_caller_issues_the_discount_as_stored(t) {
        use subscriptions::Welcome;
        let now = t.now();
        let anna = fixtures::user(&t.db, 1, now).await;
        let boris = fixtures::user(&t.db, 2, now).await;
        let none = subscriptions::subscribe_offering(&t.db, &t.key, anna.id, Welcome::Known(None), now).await.unwrap();
        assert!(none.changed && none.welcome.is_none(), "no template known: subscribed, no discount");

        let template = fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let mut inactive = template.clone();
        inactive.active = false;
        let off = subscriptions::subscribe_offering(&t.db, &t.key, boris.id, Welcome::Known(Some(&inactive)), now).await.unwrap();
        assert!(off.changed && off.welcome.is_none(), "an inactive template issues nothing");
        subscriptions::unsubscribe(&t.db, boris.id, now).await.unwrap();

        let done = subscriptions::subscribe_offering(&t.db, &t.key, boris.id, Welcome::Known(Some(&template)), now).await.unwrap();
        let issued = done.welcome.expect("the welcome discount");
        assert_eq!(issued.discount, dvorik::services::discounts::get(&t.db, issued.discount.id).await.unwrap());
        assert_eq!(issued.discount.template_id, Some(template.id));
        let found = dvorik::services::discounts::find_by_code(&t.db, &t.key, &issued.code).await.unwrap();
        assert_eq!(found.map(|d| d.id), Some(issued.discount.id), "the shown code is the stored one");
    }
}

storage_test! {
    async fn the_days_figures_count_today_in_the_shops_time_zone(t) {
        let now = t.now();
        let tz = chrono_tz::Asia::Vladivostok;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let cashier = fixtures::approved_cashier(&t.db, 500, now).await;
        let anna = fixtures::user(&t.db, 1, now).await;
        let _boris = fixtures::user(&t.db, 2, now).await;
        let welcome = subscriptions::subscribe(&t.db, &t.key, anna.id, now).await.unwrap().welcome.unwrap();
        redemption::redeem(&t.db, &t.key, welcome.code.expose(), cashier.id, Some(150_000), now).await.unwrap();

        let today = stats::day_summary(&t.db, tz, now).await.unwrap();
        assert_eq!(today.date, now.with_timezone(&tz).date_naive());
        assert_eq!((today.users_total, today.users_new), (2, 2));
        assert_eq!((today.subscribed_total, today.subscribed_new), (1, 1));
        assert_eq!((today.discounts_issued, today.welcome_issued, today.birthday_issued), (1, 1, 0));
        assert_eq!((today.redeemed, today.receipts_minor), (1, 150_000));

        let tomorrow = stats::day_summary(&t.db, tz, now + Duration::days(1)).await.unwrap();
        assert_eq!((tomorrow.users_total, tomorrow.users_new, tomorrow.redeemed, tomorrow.receipts_minor), (2, 0, 0, 0));
    }
}
