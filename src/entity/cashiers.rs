//! `cashiers` — Staff bot cashiers; approved by an admin, belong to one store.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "cashiers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub telegram_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub store_id: i64,
    pub state: CashierState,
    pub decided_by_admin_id: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::stores::Entity",
        from = "Column::StoreId",
        to = "super::stores::Column::Id",
        on_delete = "Restrict"
    )]
    Store,
    #[sea_orm(
        belongs_to = "super::admins::Entity",
        from = "Column::DecidedByAdminId",
        to = "super::admins::Column::Id",
        on_delete = "Restrict"
    )]
    DecidedByAdmin,
}

impl Related<super::stores::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Store.def()
    }
}

impl Related<super::admins::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DecidedByAdmin.def()
    }
}

impl Related<super::redemptions::Entity> for Entity {
    fn to() -> RelationDef {
        super::redemptions::Relation::Cashier.def().rev()
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
pub enum CashierState {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}
