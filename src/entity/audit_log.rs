//! `audit_log` — Who changed what: one row per mutation, with before/after JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub action: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub before: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub after: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub request_id: Option<String>,
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
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "system")]
    System,
    #[sea_orm(string_value = "cashier")]
    Cashier,
    #[sea_orm(string_value = "customer")]
    Customer,
}
