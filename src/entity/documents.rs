//! `documents` — Versioned documents of a deal: the text the signer sees and its SHA-256.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deal_id: i64,
    pub version: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub sha256: String,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub file_path: Option<String>,
    pub created_at: DateTimeUtc,
    pub voided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::deals::Entity",
        from = "Column::DealId",
        to = "super::deals::Column::Id",
        on_delete = "Restrict"
    )]
    Deal,
}

impl Related<super::deals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Deal.def()
    }
}

impl Related<super::signature_events::Entity> for Entity {
    fn to() -> RelationDef {
        super::signature_events::Relation::Document.def().rev()
    }
}

impl Related<super::code_challenges::Entity> for Entity {
    fn to() -> RelationDef {
        super::code_challenges::Relation::Document.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
