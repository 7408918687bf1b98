//! `users` — Customers of the client bot, one row per Telegram user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub telegram_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub first_name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub last_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub username: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub language: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub source: Option<String>,
    #[sea_orm(unique, column_type = "String(StringLen::N(16))")]
    pub referral_code: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub phone: Option<String>,
    pub birthday_day: Option<i16>,
    pub birthday_month: Option<i16>,
    pub birthday_year: Option<i16>,
    pub birthday_set_at: Option<DateTimeUtc>,
    pub subscribed: bool,
    pub subscribed_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub blocked: bool,
    pub unreachable: bool,
    pub unreachable_at: Option<DateTimeUtc>,
    pub last_activity_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::discounts::Entity> for Entity {
    fn to() -> RelationDef {
        super::discounts::Relation::User.def().rev()
    }
}

impl Related<super::broadcast_deliveries::Entity> for Entity {
    fn to() -> RelationDef {
        super::broadcast_deliveries::Relation::User.def().rev()
    }
}

impl Related<super::deals::Entity> for Entity {
    fn to() -> RelationDef {
        super::deals::Relation::CounterpartyUser.def().rev()
    }
}

impl Related<super::code_challenges::Entity> for Entity {
    fn to() -> RelationDef {
        super::code_challenges::Relation::User.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
