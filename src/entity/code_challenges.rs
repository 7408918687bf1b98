//! `code_challenges` — One-time signing codes: an HMAC bound to (user, document hash).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "code_challenges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub document_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub doc_hash: String,
    #[serde(skip)]
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub code_hash: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub state: ChallengeState,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
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
        belongs_to = "super::documents::Entity",
        from = "Column::DocumentId",
        to = "super::documents::Column::Id",
        on_delete = "Restrict"
    )]
    Document,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ChallengeState {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "used")]
    Used,
    #[sea_orm(string_value = "locked")]
    Locked,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "voided")]
    Voided,
}
