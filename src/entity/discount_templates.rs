//! `discount_templates` — Discount templates per kind: value, validity, text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "discount_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: DiscountKind,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub value_kind: ValueKind,
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
    pub validity_days: i32,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub text: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::discounts::Entity> for Entity {
    fn to() -> RelationDef {
        super::discounts::Relation::Template.def().rev()
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
pub enum DiscountKind {
    #[sea_orm(string_value = "subscription")]
    Subscription,
    #[sea_orm(string_value = "birthday")]
    Birthday,
    #[sea_orm(string_value = "manual")]
    Manual,
}

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
pub enum ValueKind {
    #[sea_orm(string_value = "percent")]
    Percent,
    #[sea_orm(string_value = "fixed")]
    Fixed,
}
