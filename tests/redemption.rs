//! Redemption at the till: exactly once, with its usage-log row; every refusal has its own code and
//! leaves the database as it was.

mod common;

use chrono::Duration;
use common::fixtures;
use dvorik::Error;
use dvorik::entity::{discounts, redemptions};
use dvorik::services::discounts::{DiscountState, ManualDiscount};
use dvorik::services::templates::DiscountKind;
use dvorik::services::{self, redemption};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

/// Every discount and usage-log row, to compare before and after a refused redemption.
async fn snapshot(t: &common::TestDb) -> (Vec<discounts::Model>, Vec<redemptions::Model>) {
    let discounts = discounts::Entity::find()
        .order_by_asc(discounts::Column::Id)
        .all(&t.db)
        .await
        .unwrap();
    let log = redemptions::Entity::find()
        .order_by_asc(redemptions::Column::Id)
        .all(&t.db)
        .await
        .unwrap();
    (discounts, log)
}

storage_test! {
    async fn a_cashier_redeems_a_welcome_code_once_and_the_usage_log_keeps_it(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let cashier = fixtures::approved_cashier(&t.db, 200, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let issued = services::discounts::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap();

        let check = redemption::check(&t.db, &t.key, &issued.code.display(), now).await.unwrap();
        assert_eq!(check.customer_first_name, "Анна");
        assert_eq!(check.state, DiscountState::Active);
        assert_eq!(check.value.display(), "10%");

        let typed = issued.code.expose().to_lowercase();
        let done = redemption::redeem(&t.db, &t.key, &typed, cashier.id, Some(12_345), now).await.unwrap();
        assert_eq!(done.discount.state, DiscountState::Redeemed);
        assert_eq!(done.redemption.store_id, cashier.store_id);
        assert_eq!(done.redemption.amount_minor, Some(12345));

        let again = redemption::redeem(&t.db, &t.key, issued.code.expose(), cashier.id, None, now).await.unwrap_err();
        assert_eq!(again.code(), "DISCOUNT_ALREADY_REDEEMED");
        assert_eq!(redemptions::Entity::find().count(&t.db).await.unwrap(), 1);
        let stored = services::discounts::get(&t.db, issued.discount.id).await.unwrap();
        assert_eq!(stored.state, DiscountState::Redeemed);
        assert_eq!(stored.redeemed_at, Some(now));
    }
}

storage_test! {
    async fn malformed_unknown_redeemed_expired_and_revoked_codes_each_get_their_own_error_and_change_nothing(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let cashier = fixtures::approved_cashier(&t.db, 2, now).await;
        let admin = fixtures::owner(&t.db, 3, now).await;
        let manual = |days| ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: days, admin_id: admin.id, note: None };
        let redeemed = services::discounts::issue_manual(&t.db, &t.key, &manual(10), now).await.unwrap();
        redemption::redeem(&t.db, &t.key, redeemed.code.expose(), cashier.id, None, now).await.unwrap();
        let expired = services::discounts::issue_manual(&t.db, &t.key, &manual(1), now - Duration::days(2)).await.unwrap();
        let revoked = services::discounts::issue_manual(&t.db, &t.key, &manual(10), now).await.unwrap();
        services::discounts::revoke(&t.db, revoked.discount.id, admin.id, now).await.unwrap();
        let unknown = dvorik::domain::DiscountCode::derive(&dvorik::secret::ServerKey::random(), "elsewhere");

        let before = snapshot(&t).await;
        let cases = [
            ("0OIL1-ABCDE", "DISCOUNT_CODE_MALFORMED"),
            ("not a code at all", "DISCOUNT_CODE_MALFORMED"),
            (unknown.expose(), "DISCOUNT_NOT_FOUND"),
            (redeemed.code.expose(), "DISCOUNT_ALREADY_REDEEMED"),
            (expired.code.expose(), "DISCOUNT_EXPIRED"),
            (revoked.code.expose(), "DISCOUNT_REVOKED"),
        ];
        for (input, code) in cases {
            let err = redemption::redeem(&t.db, &t.key, input, cashier.id, None, now).await.unwrap_err();
            assert_eq!(err.code(), code, "redeeming {input:?}");
        }
        assert_eq!(snapshot(&t).await, before, "a refused redemption changed the database");

        let check = redemption::check(&t.db, &t.key, expired.code.expose(), now).await.unwrap();
        assert_eq!(check.state, DiscountState::Expired, "the cashier sees an overdue code as expired");
    }
}

storage_test! {
    async fn only_an_approved_cashier_can_redeem(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let issued = services::discounts::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap();
        let store = fixtures::store(&t.db, "Центр", now).await;
        let owner = fixtures::owner(&t.db, 9, now).await;
        let pending = services::cashiers::register(&t.db, 5, "Пётр", store.id, now).await.unwrap();

        let err = redemption::redeem(&t.db, &t.key, issued.code.expose(), pending.id, None, now).await.unwrap_err();
        assert!(matches!(err, Error::CashierNotApproved));
        services::cashiers::approve(&t.db, pending.id, owner.id, now).await.unwrap();
        services::cashiers::revoke(&t.db, pending.id, owner.id, now).await.unwrap();
        let err = redemption::redeem(&t.db, &t.key, issued.code.expose(), pending.id, None, now).await.unwrap_err();
        assert!(matches!(err, Error::CashierNotApproved));
        assert_eq!(services::discounts::get(&t.db, issued.discount.id).await.unwrap().state, DiscountState::Active);
    }
}

storage_test! {
    async fn a_receipt_amount_must_be_positive(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let cashier = fixtures::approved_cashier(&t.db, 2, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let issued = services::discounts::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap();
        let err = redemption::redeem(&t.db, &t.key, issued.code.expose(), cashier.id, Some(0), now).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
        assert_eq!(services::discounts::get(&t.db, issued.discount.id).await.unwrap().state, DiscountState::Active);
    }
}

storage_test! {
    /// 50 tasks redeem the same code at once, round after round: exactly one wins each round and exactly
    /// one usage-log row exists. (SQLite runs fewer rounds: its single connection serializes anyway.)
    async fn fifty_concurrent_redemptions_of_one_code_succeed_exactly_once(t) {
        let now = t.now();
        let rounds = if t.backend == common::Backend::MariaDb { 200 } else { 20 };
        // One cashier redeems 200 codes within the same instant: the velocity limit is off here.
        services::settings::set(&t.db, "redemptions_per_cashier_per_minute", serde_json::json!(0), dvorik::services::audit::Actor::system(), now).await.unwrap();
        let cashier = fixtures::approved_cashier(&t.db, 7, now).await;
        let admin = fixtures::owner(&t.db, 8, now).await;
        let user = fixtures::user(&t.db, 9, now).await;
        for round in 0..rounds {
            let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: 5, admin_id: admin.id, note: None };
            let issued = services::discounts::issue_manual(&t.db, &t.key, &manual, now).await.unwrap();
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let (db, key, code) = (t.db.clone(), t.key.clone(), issued.code.expose().to_string());
                    tokio::spawn(async move { redemption::redeem(&db, &key, &code, cashier.id, None, now).await })
                })
                .collect();
            let mut wins = 0;
            for task in tasks {
                match task.await.unwrap() {
                    Ok(_) => wins += 1,
                    Err(Error::DiscountAlreadyRedeemed) => {}
                    Err(other) => panic!("round {round}: unexpected {other:?}"),
                }
            }
            assert_eq!(wins, 1, "round {round}");
            let rows = redemption::of_discount(&t.db, issued.discount.id).await.unwrap();
            assert!(rows.is_some(), "round {round}: no usage-log row");
        }
        assert_eq!(redemptions::Entity::find().count(&t.db).await.unwrap(), rounds);
    }
}
