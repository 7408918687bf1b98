//! Anti-fraud limits: the signing-code request limit holds under concurrent requests; velocity limits
//! from the shop settings (code attempts per user per hour, redemptions per cashier per minute) refuse
//! with their own codes and change nothing.

mod common;

use std::sync::{Arc, Mutex};

use chrono::Duration;
use common::fixtures;
use dvorik::Result;
use dvorik::entity::{code_challenges, deals as deal_entity, users};
use dvorik::secret::Secret;
use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput, DealState};
use dvorik::services::discounts::DiscountState;
use dvorik::services::signing::{self, CodeSender, Recipient};
use dvorik::services::templates::DiscountKind;
use dvorik::services::{self, redemption, settings};
use sea_orm::{EntityTrait, PaginatorTrait};

#[derive(Default, Clone)]
struct Outbox(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl CodeSender for Outbox {
    fn channel(&self) -> &'static str {
        "test"
    }
    async fn send(&self, _to: &Recipient, text: &Secret<String>) -> Result<()> {
        self.0.lock().unwrap().push(text.expose().clone());
        Ok(())
    }
}

impl Outbox {
    fn last_code(&self) -> Secret<String> {
        let text = self.0.lock().unwrap().last().unwrap().clone();
        Secret::new(text.rsplit(": ").next().unwrap()[..6].to_string())
    }
}

async fn sent_deal(t: &common::TestDb, telegram_id: i64) -> (users::Model, deal_entity::Model) {
    let now = t.now();
    let user = fixtures::user(&t.db, telegram_id, now).await;
    let input = DealInput {
        title: "Поставка сыра".into(),
        kind: "sale".into(),
        counterparty_user_id: Some(user.id),
        amount: "2500".parse().unwrap(),
        ..Default::default()
    };
    let deal = deals::create(&t.db, &input, Actor::admin(1), now)
        .await
        .unwrap();
    let deal = deals::send(&t.db, deal.id, Actor::admin(1), now)
        .await
        .unwrap();
    (user, deal)
}

storage_test! {
    async fn concurrent_code_requests_never_get_more_than_three_codes_in_ten_minutes(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (db, key, outbox) = (t.db.clone(), t.key.clone(), outbox.clone());
                tokio::spawn(async move {
                    signing::request_code(&db, &key, &outbox, user.id, deal.id, now).await
                })
            })
            .collect();
        let mut issued = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => issued += 1,
                Err(e) => assert_eq!(e.code(), "SIGNING_TOO_MANY_CODES", "{e}"),
            }
        }
        assert_eq!(issued, 3);
        assert_eq!(outbox.0.lock().unwrap().len(), 3);
        assert_eq!(code_challenges::Entity::find().count(&t.db).await.unwrap(), 3);
        // The window slides: ten minutes after the first codes, the slots are free again.
        let later = now + Duration::minutes(10);
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, later).await.unwrap();
    }
}

storage_test! {
    async fn code_attempts_beyond_the_hourly_setting_are_refused_even_with_the_right_code(t) {
        let now = t.now();
        settings::set(&t.db, "code_attempts_per_hour", serde_json::json!(3), Actor::system(), now).await.unwrap();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let code = outbox.last_code();
        let wrong = Secret::new(format!("{:06}", (code.expose().parse::<u32>().unwrap() + 1) % 1_000_000));
        for _ in 0..3 {
            let err = signing::sign(&t.db, &t.key, user.id, deal.id, &wrong, now).await.unwrap_err();
            assert_eq!(err.code(), "SIGNING_CODE_INVALID");
        }
        let err = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_VELOCITY_EXCEEDED");
        assert_eq!(deals::get(&t.db, deal.id).await.unwrap().state, DealState::Sent);

        let next_hour = now + Duration::minutes(61);
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, next_hour).await.unwrap();
        let signed = signing::sign(&t.db, &t.key, user.id, deal.id, &outbox.last_code(), next_hour).await.unwrap();
        assert_eq!(signed.state, DealState::Signed);
    }
}

storage_test! {
    async fn a_cashier_redeeming_faster_than_the_setting_allows_is_refused_and_nothing_changes(t) {
        let now = t.now();
        settings::set(&t.db, "redemptions_per_cashier_per_minute", serde_json::json!(2), Actor::system(), now).await.unwrap();
        let cashier = fixtures::approved_cashier(&t.db, 200, now).await;
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let mut codes = Vec::new();
        for telegram_id in [101, 102, 103] {
            let user = fixtures::user(&t.db, telegram_id, now).await;
            codes.push(services::discounts::issue_welcome(&t.db, &t.key, user.id, now).await.unwrap());
        }
        for issued in &codes[..2] {
            redemption::redeem(&t.db, &t.key, issued.code.expose(), cashier.id, None, now).await.unwrap();
        }
        let third = &codes[2];
        let soon = now + Duration::seconds(30);
        let err = redemption::redeem(&t.db, &t.key, third.code.expose(), cashier.id, None, soon).await.unwrap_err();
        assert_eq!(err.code(), "REDEMPTION_VELOCITY_EXCEEDED");
        let stored = services::discounts::get(&t.db, third.discount.id).await.unwrap();
        assert_eq!(stored.state, DiscountState::Active);
        assert_eq!(dvorik::entity::redemptions::Entity::find().count(&t.db).await.unwrap(), 2);

        let next_minute = now + Duration::seconds(61);
        let done = redemption::redeem(&t.db, &t.key, third.code.expose(), cashier.id, None, next_minute).await.unwrap();
        assert_eq!(done.discount.state, DiscountState::Redeemed);
    }
}
