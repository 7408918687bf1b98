//! Segments, message templates, broadcasts and their deliveries.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Saved audience filters (JSON).
        NewTable::new(
            "segments",
            [
                pk(),
                string("name", 255),
                text("filter"),
                big_null("created_by_admin_id"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .create(manager)
        .await?;
        // Reusable message content (JSON: variants per language, media, buttons).
        NewTable::new(
            "message_templates",
            [
                pk(),
                string("name", 255),
                text("content"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .ux("ux_message_templates_name", &["name"])
        .create(manager)
        .await?;
        // Broadcasts to a segment or to all subscribers.
        NewTable::new(
            "broadcasts",
            [
                pk(),
                string("name", 255),
                big_null("segment_id"),
                text("content"),
                string_null("media_kind", 16),
                string_null("media_path", 512),
                string_null("media_file_id", 255),
                string("state", 16),
                ts_null("scheduled_at"),
                ts_null("started_at"),
                ts_null("finished_at"),
                int_null("rate_per_minute"),
                big_default("materialized_up_to", 0),
                flag("materialized", false),
                big_null("created_by_admin_id"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .fk("segment_id", "segments", ForeignKeyAction::SetNull)
        .ix(
            "ix_broadcasts_state_scheduled_at",
            &["state", "scheduled_at"],
        )
        .create(manager)
        .await?;
        // One row per (broadcast, user), claimed and sent by the workers.
        NewTable::new(
            "broadcast_deliveries",
            [
                pk(),
                big("broadcast_id"),
                big("user_id"),
                string("state", 16),
                int_default("attempts", 0),
                ts_null("next_attempt_at"),
                ts_null("claimed_until"),
                string_null("claimed_by", 64),
                big_null("telegram_message_id"),
                string_null("error", 512),
                ts_null("sent_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .fk("broadcast_id", "broadcasts", ForeignKeyAction::Cascade)
        .fk("user_id", "users", ForeignKeyAction::Restrict)
        .ux("ux_deliveries_broadcast_user", &["broadcast_id", "user_id"])
        .ix(
            "ix_deliveries_broadcast_state_id",
            &["broadcast_id", "state", "id"],
        )
        .ix("ix_deliveries_user_id", &["user_id"])
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "broadcast_deliveries",
                "broadcasts",
                "message_templates",
                "segments",
            ],
        )
        .await
    }
}
