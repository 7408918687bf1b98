//! `discounts` — Issued discount codes.
//!
//! The code is derived from `code_nonce` with a server key and never stored in clear.
//! `ux_discounts_user_kind_period` carries one welcome discount per user and one birthday discount
//! per user per year (`uniq_period` is NULL for manual discounts, so those never collide).

use sea_orm::entity::prelude::*;

use super::discount_templates::DiscountKind;
use super::discount_templates::ValueKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "discounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub template_id: Option<i64>,
    pub kind: DiscountKind,
    #[serde(skip)]
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub code_hash: String,
    #[serde(skip)]
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub code_nonce: String,
    pub value_kind: ValueKind,
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
    pub state: DiscountState,
    pub uniq_period: Option<i32>,
    pub issued_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub redeemed_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub issued_by_admin_id: Option<i64>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::discount_templates::Entity",
        from = "Column::TemplateId",
        to = "super::discount_templates::Column::Id",
        on_delete = "SetNull"
    )]
    Template,
    #[sea_orm(
        belongs_to = "super::admins::Entity",
        from = "Column::IssuedByAdminId",
        to = "super::admins::Column::Id",
        on_delete = "Restrict"
    )]
    IssuedByAdmin,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::discount_templates::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Template.def()
    }
}

impl Related<super::admins::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::IssuedByAdmin.def()
    }
}

impl Related<super::redemptions::Entity> for Entity {
    fn to() -> RelationDef {
        super::redemptions::Relation::Discount.def().rev()
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
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum DiscountState {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "redeemed")]
    Redeemed,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}
