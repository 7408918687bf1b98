//! `blacklist` — Blocked users and phones (anti-fraud).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "blacklist")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: BlacklistKind,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub value: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub reason: Option<String>,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

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
pub enum BlacklistKind {
    #[sea_orm(string_value = "user")]
    User,
    #[sea_orm(string_value = "phone")]
    Phone,
}
