//! The signing-code request limit (at most 3 codes per user per 10 minutes) as claimable slots: one row
//! per (user, slot), and requesting a code is a conditional `UPDATE … WHERE claimed_at <= now - 10 min`
//! on one of them, checked by rows affected. Concurrent requests cannot both claim the same slot, so the
//! limit holds without locks or read-then-write.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        NewTable::new(
            "code_request_slots",
            [pk(), big("user_id"), int("slot"), ts("claimed_at")],
        )
        .fk("user_id", "users", ForeignKeyAction::Cascade)
        .ux("ux_code_request_slots_user_slot", &["user_id", "slot"])
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["code_request_slots"]).await
    }
}
