//! Indexes for the daily KPIs of the admin panel: each per-day count is a range scan of one covering
//! index over the requested dates, never a scan of the whole table.
//!
//! Redemptions per kind are counted from the usage log, which now records the discount's kind: the log
//! is append-only, so its indexes grow at their right end and cost the till no random page reads (an
//! index on `discounts.redeemed_at` would rewrite an entry at a random place on every redemption).

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str, &[&str])] = &[
    // New users per day, by source, and how many of them are subscribed.
    (
        "ix_users_created_source_subscribed",
        "users",
        &["created_at", "source", "subscribed"],
    ),
    // Discounts redeemed per day and kind.
    (
        "ix_redemptions_redeemed_at_kind",
        "redemptions",
        &["redeemed_at", "kind"],
    ),
    // Broadcast deliveries that reached a final state per day.
    (
        "ix_deliveries_state_updated_at",
        "broadcast_deliveries",
        &["state", "updated_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("redemptions")
                    .add_column(string_null("kind", 16))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE redemptions SET kind = \
                 (SELECT discounts.kind FROM discounts WHERE discounts.id = redemptions.discount_id)",
            )
            .await?;
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(*table);
            for col in *cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(*name).table(*table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("redemptions")
                    .drop_column("kind")
                    .to_owned(),
            )
            .await
    }
}
