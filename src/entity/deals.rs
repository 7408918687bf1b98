//! `deals` — Deals offered to a counterparty (a customer, or a phone not yet linked).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub title: String,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub kind: String,
    pub counterparty_user_id: Option<i64>,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub counterparty_phone: Option<String>,
    pub amount_minor: i64,
    #[sea_orm(column_type = "String(StringLen::N(3))")]
    pub currency: String,
    #[sea_orm(column_type = "Text")]
    pub terms: String,
    pub state: DealState,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub signed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CounterpartyUserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    CounterpartyUser,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CounterpartyUser.def()
    }
}

impl Related<super::documents::Entity> for Entity {
    fn to() -> RelationDef {
        super::documents::Relation::Deal.def().rev()
    }
}

impl Related<super::signature_events::Entity> for Entity {
    fn to() -> RelationDef {
        super::signature_events::Relation::Deal.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum DealState {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "viewed")]
    Viewed,
    #[sea_orm(string_value = "signed")]
    Signed,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "closed")]
    Closed,
}
