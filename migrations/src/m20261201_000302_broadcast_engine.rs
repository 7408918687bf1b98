//! What the broadcast delivery engine needs beyond the tables of `000003`:
//!
//! - `ix_deliveries_broadcast_sent_at`: the current rate of a broadcast (messages sent in the last
//!   minute) is a range scan of this index, not of every sent row;
//! - `rate_windows` and `rate_window_hits`: the global pacer's sliding window and 429 pause in the
//!   database, for deployments without Redis. A `rate_windows` row per scope is the lock that serializes
//!   admissions (`SELECT … FOR UPDATE`); each admitted message is a hit row, deleted once it leaves the
//!   window.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_broadcast_sent_at")
                    .table("broadcast_deliveries")
                    .col("broadcast_id")
                    .col("sent_at")
                    .to_owned(),
            )
            .await?;
        NewTable::new(
            "rate_windows",
            [key("scope", 64), big_default("paused_until_ms", 0)],
        )
        .create(manager)
        .await?;
        NewTable::new(
            "rate_window_hits",
            [pk(), string("scope", 64), big("at_ms")],
        )
        .ix("ix_rate_window_hits_scope_at", &["scope", "at_ms"])
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["rate_window_hits", "rate_windows"]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_deliveries_broadcast_sent_at")
                    .table("broadcast_deliveries")
                    .to_owned(),
            )
            .await
    }
}
