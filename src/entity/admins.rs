//! `admins` — Admin panel users, bound to a Telegram user id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "admins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub telegram_id: i64,
    pub role: AdminRole,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::cashiers::Entity> for Entity {
    fn to() -> RelationDef {
        super::cashiers::Relation::DecidedByAdmin.def().rev()
    }
}

impl Related<super::discounts::Entity> for Entity {
    fn to() -> RelationDef {
        super::discounts::Relation::IssuedByAdmin.def().rev()
    }
}

impl Related<super::login_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        super::login_tokens::Relation::Admin.def().rev()
    }
}

impl Related<super::refresh_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        super::refresh_tokens::Relation::Admin.def().rev()
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
pub enum AdminRole {
    #[sea_orm(string_value = "owner")]
    Owner,
    #[sea_orm(string_value = "marketing")]
    Marketing,
    #[sea_orm(string_value = "readonly")]
    Readonly,
}
