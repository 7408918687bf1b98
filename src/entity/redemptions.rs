//! `redemptions` — The usage log: one row per redeemed code (never deleted by cascade).

use sea_orm::entity::prelude::*;

use super::discount_templates::DiscountKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub discount_id: i64,
    pub cashier_id: i64,
    pub store_id: i64,
    pub redeemed_at: DateTimeUtc,
    pub amount_minor: Option<i64>,
    /// The kind of the discount redeemed, copied at redemption so daily figures per kind read only
    /// this append-only table (`ix_redemptions_redeemed_at_kind`).
    pub kind: Option<DiscountKind>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::discounts::Entity",
        from = "Column::DiscountId",
        to = "super::discounts::Column::Id",
        on_delete = "Restrict"
    )]
    Discount,
    #[sea_orm(
        belongs_to = "super::cashiers::Entity",
        from = "Column::CashierId",
        to = "super::cashiers::Column::Id",
        on_delete = "Restrict"
    )]
    Cashier,
    #[sea_orm(
        belongs_to = "super::stores::Entity",
        from = "Column::StoreId",
        to = "super::stores::Column::Id",
        on_delete = "Restrict"
    )]
    Store,
}

impl Related<super::discounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Discount.def()
    }
}

impl Related<super::cashiers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cashier.def()
    }
}

impl Related<super::stores::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Store.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
