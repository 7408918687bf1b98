//! `discount_tasks` — Background tasks that issue a manual discount to a list of users or to a segment.

use sea_orm::entity::prelude::*;

use super::discount_templates::ValueKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "discount_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub state: TaskState,
    /// JSON: `{"user_ids":[…]}` or `{"segment_id":…,"filter":{…}}`.
    #[serde(skip)]
    #[sea_orm(column_type = "Text")]
    pub target: String,
    pub value_kind: ValueKind,
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
    pub validity_days: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub note: Option<String>,
    pub created_by_admin_id: Option<i64>,
    pub total: i64,
    pub issued: i64,
    pub failed: i64,
    pub last_user_id: i64,
    /// JSON array of `{"user_id","code"}`, the first failures only.
    #[serde(skip)]
    #[sea_orm(column_type = "Text")]
    pub failures: String,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub error: Option<String>,
    #[serde(skip)]
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub claimed_by: Option<String>,
    #[serde(skip)]
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::admins::Entity",
        from = "Column::CreatedByAdminId",
        to = "super::admins::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedByAdmin,
}

impl Related<super::admins::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedByAdmin.def()
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
pub enum TaskState {
    /// Created, not started yet (or waiting to be resumed).
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    Running,
    /// Every user was handled (some may have failed; see `failed`).
    #[sea_orm(string_value = "done")]
    Done,
    /// Stopped by an error that is not one user's (the reason is in `error`).
    #[sea_orm(string_value = "failed")]
    Failed,
}
