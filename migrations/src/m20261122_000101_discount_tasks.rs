//! Background tasks that issue a manual discount to a list of users or to a segment, with progress.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per bulk issue: what to give, to whom, and how far it got. `last_user_id` moves in
        // the same transaction as the discounts of a chunk, so a retried chunk never issues twice.
        NewTable::new(
            "discount_tasks",
            [
                pk(),
                string("state", 16),
                text("target"),
                string("value_kind", 16),
                int_null("percent_bp"),
                big_null("amount_minor"),
                int("validity_days"),
                string_null("note", 255),
                big_null("created_by_admin_id"),
                big_default("total", 0),
                big_default("issued", 0),
                big_default("failed", 0),
                big_default("last_user_id", 0),
                text("failures"),
                string_null("error", 512),
                string_null("claimed_by", 64),
                ts_null("claimed_until"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("finished_at"),
            ],
        )
        .fk("created_by_admin_id", "admins", ForeignKeyAction::Restrict)
        .ix("ix_discount_tasks_state", &["state"])
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["discount_tasks"]).await
    }
}
