//! `kpi_days` — The stored figures of one closed local day of one time zone (see `services::kpis::rollup`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_days")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The IANA name of the time zone the day belongs to.
    pub timezone: String,
    /// The local date, `YYYY-MM-DD`.
    pub day: String,
    /// The day's UTC bounds, `[starts_at, ends_at)`.
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// The figures as JSON; `None` only inside the transaction that computes them.
    pub figures: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
