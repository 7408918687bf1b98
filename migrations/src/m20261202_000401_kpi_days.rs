//! The admin panel's daily figures of closed days, stored once (`services::kpis::rollup`), and an index
//! for the one figure that stays live: how many of a day's new users are subscribed now.
//!
//! A closed day's new users by source, discounts issued and redeemed, and final deliveries do not change
//! after the day (their timestamps are written once, nothing is deleted), so a report over 30 days reads
//! 30 small rows instead of re-grouping every row of the range. `starts_at`/`ends_at` are the day's UTC
//! bounds: a user whose source is set late finds the stored days covering their registration by them.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        NewTable::new(
            "kpi_days",
            [
                pk(),
                string("timezone", 64),
                string("day", 10),
                ts("starts_at"),
                ts("ends_at"),
                text_null("figures"),
                ts("created_at"),
            ],
        )
        .ux("ux_kpi_days_timezone_day", &["timezone", "day"])
        .ix("ix_kpi_days_starts_at", &["starts_at"])
        .create(manager)
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_subscribed_created_at")
                    .table("users")
                    .col("subscribed")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_users_subscribed_created_at")
                    .table("users")
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, &["kpi_days"]).await
    }
}
