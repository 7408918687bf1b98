//! `stores` — Shops of the chain; a cashier belongs to one.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub address: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub hours: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::cashiers::Entity> for Entity {
    fn to() -> RelationDef {
        super::cashiers::Relation::Store.def().rev()
    }
}

impl Related<super::redemptions::Entity> for Entity {
    fn to() -> RelationDef {
        super::redemptions::Relation::Store.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
