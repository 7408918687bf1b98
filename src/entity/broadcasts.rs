//! `broadcasts` — Broadcasts to a segment or to all subscribers.
//!
//! `materialized_up_to` is the keyset cursor: the last user id turned into a delivery row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "broadcasts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub segment_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub media_kind: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub media_path: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub media_file_id: Option<String>,
    pub state: BroadcastState,
    pub scheduled_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub rate_per_minute: Option<i32>,
    pub materialized_up_to: i64,
    pub materialized: bool,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::segments::Entity",
        from = "Column::SegmentId",
        to = "super::segments::Column::Id",
        on_delete = "SetNull"
    )]
    Segment,
}

impl Related<super::segments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Segment.def()
    }
}

impl Related<super::broadcast_deliveries::Entity> for Entity {
    fn to() -> RelationDef {
        super::broadcast_deliveries::Relation::Broadcast.def().rev()
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
pub enum BroadcastState {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
