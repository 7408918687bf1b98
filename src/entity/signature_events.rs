//! `signature_events` — Append-only signing evidence, a hash chain per deal.
//!
//! `row_hash = SHA256(prev_hash || canonical_json(row))`; the unique key
//! `ux_signature_events_deal_seq` (deal_id, seq) serializes appends per deal.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "signature_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deal_id: i64,
    pub seq: i32,
    pub document_id: Option<i64>,
    pub kind: EvidenceKind,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub actor: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub prev_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub row_hash: String,
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
    #[sea_orm(
        belongs_to = "super::documents::Entity",
        from = "Column::DocumentId",
        to = "super::documents::Column::Id",
        on_delete = "Restrict"
    )]
    Document,
}

impl Related<super::deals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Deal.def()
    }
}

impl Related<super::documents::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Document.def()
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "viewed")]
    Viewed,
    #[sea_orm(string_value = "contact_shared")]
    ContactShared,
    #[sea_orm(string_value = "code_sent")]
    CodeSent,
    #[sea_orm(string_value = "code_failed")]
    CodeFailed,
    #[sea_orm(string_value = "signed")]
    Signed,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
