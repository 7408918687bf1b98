//! The uniqueness rules are the database's, not only the code's: inserting a second row straight into the
//! table, past every service, is refused by a unique key on both backends.

mod common;

use common::fixtures;
use dvorik::entity::broadcast_deliveries::DeliveryState;
use dvorik::entity::broadcasts::BroadcastState;
use dvorik::entity::deals::DealState;
use dvorik::entity::signature_events::EvidenceKind;
use dvorik::entity::{
    broadcast_deliveries, broadcasts, deals, processed_updates, redemptions, signature_events,
};
use dvorik::error::is_unique_violation;
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::{self, redemption};
use sea_orm::{ActiveModelTrait, DbErr, Set};

fn assert_unique_violation<T: std::fmt::Debug>(result: Result<T, DbErr>, what: &str) {
    match result {
        Err(e) if is_unique_violation(&e, "") => {}
        other => panic!("{what}: expected a unique-key violation, got {other:?}"),
    }
}

storage_test! {
    async fn a_second_usage_log_row_for_one_code_is_refused(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let cashier = fixtures::approved_cashier(&t.db, 2, now).await;
        let admin = fixtures::owner(&t.db, 3, now).await;
        let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: 5, admin_id: admin.id, note: None };
        let issued = services::discounts::issue_manual(&t.db, &t.key, &manual, now).await.unwrap();
        let done = redemption::redeem(&t.db, &t.key, issued.code.expose(), cashier.id, None, now).await.unwrap();
        let second = redemptions::ActiveModel {
            discount_id: Set(done.redemption.discount_id),
            cashier_id: Set(cashier.id),
            store_id: Set(cashier.store_id),
            redeemed_at: Set(now),
            amount_minor: Set(None),
            ..Default::default()
        };
        assert_unique_violation(second.insert(&t.db).await, "second redemption");
    }
}

storage_test! {
    async fn one_delivery_per_broadcast_and_user(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let broadcast = broadcasts::ActiveModel {
            name: Set("Новинки".into()),
            content: Set("{}".into()),
            state: Set(BroadcastState::Draft),
            materialized_up_to: Set(0),
            materialized: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        let delivery = || broadcast_deliveries::ActiveModel {
            broadcast_id: Set(broadcast.id),
            user_id: Set(user.id),
            state: Set(DeliveryState::Pending),
            attempts: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        delivery().insert(&t.db).await.unwrap();
        assert_unique_violation(delivery().insert(&t.db).await, "second delivery");
    }
}

storage_test! {
    async fn one_processed_update_per_bot_and_update_id(t) {
        let now = t.now();
        let update = |bot: &str| processed_updates::ActiveModel {
            bot: Set(bot.into()),
            update_id: Set(777),
            processed_at: Set(now),
            ..Default::default()
        };
        update("client").insert(&t.db).await.unwrap();
        update("staff").insert(&t.db).await.unwrap();
        assert_unique_violation(update("client").insert(&t.db).await, "redelivered update");
    }
}

storage_test! {
    async fn evidence_rows_of_a_deal_cannot_share_a_sequence_number(t) {
        let now = t.now();
        let deal = deals::ActiveModel {
            title: Set("Договор".into()),
            kind: Set("sale".into()),
            counterparty_phone: Set(Some("+79990000000".into())),
            amount_minor: Set(100_000),
            currency: Set("RUB".into()),
            terms: Set("{}".into()),
            state: Set(DealState::Draft),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        let event = || signature_events::ActiveModel {
            deal_id: Set(deal.id),
            seq: Set(1),
            kind: Set(EvidenceKind::Sent),
            payload: Set("{}".into()),
            created_at: Set(now),
            prev_hash: Set("0".repeat(64)),
            row_hash: Set("1".repeat(64)),
            ..Default::default()
        };
        event().insert(&t.db).await.unwrap();
        assert_unique_violation(event().insert(&t.db).await, "second event with seq 1");
    }
}
