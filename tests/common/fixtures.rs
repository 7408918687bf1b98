//! Small builders for the rows most tests need.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use dvorik::domain::DiscountValue;
use dvorik::entity::{admins, cashiers, discount_templates, stores, users};
use dvorik::services::admins::AdminRole;
use dvorik::services::audit::Actor;
use dvorik::services::templates::{DiscountKind, TemplateInput};
use dvorik::services::users::TelegramProfile;
use dvorik::services::{self, stores::StoreInput};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;

pub fn profile(telegram_id: i64, first_name: &str) -> TelegramProfile {
    TelegramProfile {
        telegram_id,
        first_name: first_name.into(),
        last_name: None,
        username: Some(format!("user{telegram_id}")),
        language_code: Some("ru".into()),
    }
}

pub async fn user(db: &impl ConnectionTrait, telegram_id: i64, now: DateTime<Utc>) -> users::Model {
    services::users::register(
        db,
        &profile(telegram_id, "Анна"),
        None,
        Default::default(),
        now,
    )
    .await
    .unwrap()
    .user
}

pub async fn owner(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    now: DateTime<Utc>,
) -> admins::Model {
    services::admins::add(
        db,
        telegram_id,
        AdminRole::Owner,
        Some("Owner".into()),
        Actor::system(),
        now,
    )
    .await
    .unwrap()
}

pub async fn store(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> stores::Model {
    let input = StoreInput {
        name: name.into(),
        address: Some("Светланская, 1".into()),
        hours: None,
    };
    services::stores::create(db, &input, Actor::system(), now)
        .await
        .unwrap()
}

/// A store, an owner and an approved cashier working there.
pub async fn approved_cashier(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    now: DateTime<Utc>,
) -> cashiers::Model {
    let store = store(db, &format!("Store {telegram_id}"), now).await;
    let owner = owner(db, telegram_id + 1_000_000, now).await;
    let cashier = services::cashiers::register(db, telegram_id, "Ольга", store.id, now)
        .await
        .unwrap();
    services::cashiers::approve(db, cashier.id, owner.id, now)
        .await
        .unwrap()
}

pub fn percent(text: &str) -> DiscountValue {
    DiscountValue::Percent(Decimal::from_str(text).unwrap())
}

pub async fn template(
    db: &impl ConnectionTrait,
    kind: DiscountKind,
    value: DiscountValue,
    days: i32,
    now: DateTime<Utc>,
) -> discount_templates::Model {
    let input = TemplateInput {
        kind,
        name: format!("{kind:?}"),
        value,
        validity_days: days,
        active: true,
        text: None,
    };
    services::templates::create(db, &input, Actor::system(), now)
        .await
        .unwrap()
}

/// A registered user named `first_name`, then changed by `edit` straight in the table (flags and dates
/// that other flows would set: subscribed, blocked, source, created_at, …).
pub async fn user_with(
    db: &impl ConnectionTrait,
    telegram_id: i64,
    first_name: &str,
    now: DateTime<Utc>,
    edit: impl FnOnce(&mut users::ActiveModel),
) -> users::Model {
    use sea_orm::ActiveModelTrait;
    let user = services::users::register(
        db,
        &profile(telegram_id, first_name),
        None,
        Default::default(),
        now,
    )
    .await
    .unwrap()
    .user;
    let mut row: users::ActiveModel = user.into();
    edit(&mut row);
    row.update(db).await.unwrap()
}
