//! Issuing discounts under the database's uniqueness rules; listing, expiring and revoking them.

mod common;

use chrono::Duration;
use common::fixtures;
use dvorik::Error;
use dvorik::entity::discounts;
use dvorik::services::discounts::{DiscountState, ManualDiscount};
use dvorik::services::templates::{self, DiscountKind};
use dvorik::services::{self, discounts as service};
use sea_orm::{EntityTrait, PaginatorTrait};

storage_test! {
    async fn the_welcome_discount_is_issued_once_per_user_ever(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let err = service::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap_err();
        assert_eq!(err.code(), "NO_ACTIVE_TEMPLATE");

        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let issued = service::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap();
        assert_eq!(issued.discount.kind, DiscountKind::Subscription);
        assert_eq!(issued.discount.expires_at, now + Duration::days(30));
        assert_eq!(service::code_of(&t.key, &issued.discount), issued.code, "the owner sees the same code later");

        // Even after the first is redeemed, and with a new template, there is no second welcome discount.
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("20"), 10, now).await;
        let again = service::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap_err();
        assert!(matches!(again, Error::DiscountAlreadyIssued));
        assert_eq!(discounts::Entity::find().count(&t.db).await.unwrap(), 1);
    }
}

storage_test! {
    async fn fifty_concurrent_welcome_issues_for_one_user_give_exactly_one_discount(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (db, key) = (t.db.clone(), t.key.clone());
                tokio::spawn(async move { service::issue_welcome(&db, &key, user.id, now).await })
            })
            .collect();
        let mut issued = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => issued += 1,
                Err(Error::DiscountAlreadyIssued) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(issued, 1);
        assert_eq!(discounts::Entity::find().count(&t.db).await.unwrap(), 1);
    }
}

storage_test! {
    async fn a_birthday_discount_is_issued_once_per_user_per_year(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        fixtures::template(&t.db, DiscountKind::Birthday, fixtures::percent("15"), 14, now).await;
        service::issue_birthday(&t.db, &t.key, user.id, 2026, now).await.unwrap();
        let twice = service::issue_birthday(&t.db, &t.key, user.id, 2026, now).await.unwrap_err();
        assert!(matches!(twice, Error::DiscountAlreadyIssued));
        service::issue_birthday(&t.db, &t.key, user.id, 2027, now).await.unwrap();
        assert_eq!(discounts::Entity::find().count(&t.db).await.unwrap(), 2);
    }
}

storage_test! {
    async fn manual_discounts_are_unlimited_and_listed_soonest_expiry_first(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let admin = fixtures::owner(&t.db, 2, now).await;
        let manual = |days| ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: days, admin_id: admin.id, note: Some("за отзыв".into()) };
        let long = service::issue_manual(&t.db, &t.key, &manual(30), now).await.unwrap();
        let short = service::issue_manual(&t.db, &t.key, &manual(3), now).await.unwrap();
        let revoked = service::issue_manual(&t.db, &t.key, &manual(10), now).await.unwrap();
        service::revoke(&t.db, revoked.discount.id, admin.id, now).await.unwrap();
        assert_eq!(long.discount.note.as_deref(), Some("за отзыв"));

        let active: Vec<i64> = service::list_active(&t.db, user.id, now).await.unwrap().iter().map(|d| d.id).collect();
        assert_eq!(active, [short.discount.id, long.discount.id]);
        let history: Vec<i64> = service::history(&t.db, user.id, 10).await.unwrap().iter().map(|d| d.id).collect();
        assert_eq!(history, [revoked.discount.id, short.discount.id, long.discount.id]);

        let err = service::revoke(&t.db, revoked.discount.id, admin.id, now).await.unwrap_err();
        assert_eq!(err.code(), "DISCOUNT_REVOKED");
        let bad = ManualDiscount { validity_days: 0, ..manual(1) };
        assert_eq!(service::issue_manual(&t.db, &t.key, &bad, now).await.unwrap_err().code(), "VALIDATION_FAILED");
        let nobody = ManualDiscount { user_id: 999_999, ..manual(1) };
        assert_eq!(service::issue_manual(&t.db, &t.key, &nobody, now).await.unwrap_err().code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn expiry_marks_only_overdue_active_discounts(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let admin = fixtures::owner(&t.db, 2, now).await;
        let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: 1, admin_id: admin.id, note: None };
        let old = service::issue_manual(&t.db, &t.key, &manual, now - Duration::days(2)).await.unwrap();
        let fresh = service::issue_manual(&t.db, &t.key, &manual, now).await.unwrap();
        assert_eq!(service::expire_due(&t.db, now).await.unwrap(), 1);
        assert_eq!(service::expire_due(&t.db, now).await.unwrap(), 0, "expiring is idempotent");
        assert_eq!(service::get(&t.db, old.discount.id).await.unwrap().state, DiscountState::Expired);
        assert_eq!(service::get(&t.db, fresh.discount.id).await.unwrap().state, DiscountState::Active);
    }
}

storage_test! {
    async fn activating_a_welcome_template_switches_the_previous_one_off(t) {
        let now = t.now();
        let first = fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let second = fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("15"), 30, now).await;
        let manual_a = fixtures::template(&t.db, DiscountKind::Manual, fixtures::percent("5"), 30, now).await;
        let manual_b = fixtures::template(&t.db, DiscountKind::Manual, fixtures::percent("7"), 30, now).await;
        assert!(!templates::get(&t.db, first.id).await.unwrap().active);
        assert_eq!(templates::active_for(&t.db, DiscountKind::Subscription).await.unwrap().map(|t| t.id), Some(second.id));
        assert!(templates::get(&t.db, manual_a.id).await.unwrap().active, "manual templates may all be active");
        assert!(templates::get(&t.db, manual_b.id).await.unwrap().active);

        let bad = templates::TemplateInput {
            kind: DiscountKind::Birthday,
            name: "  ".into(),
            value: fixtures::percent("150"),
            validity_days: 0,
            active: true,
            text: None,
        };
        assert_eq!(templates::create(&t.db, &bad, services::audit::Actor::system(), now).await.unwrap_err().code(), "VALIDATION_FAILED");
        assert_eq!(templates::list(&t.db, Some(DiscountKind::Birthday)).await.unwrap().len(), 0);
    }
}
