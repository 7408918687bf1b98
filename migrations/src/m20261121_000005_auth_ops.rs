//! Admin panel tokens, idempotency keys and job leases.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One-time admin panel login tokens (stored hashed, single use).
        NewTable::new(
            "login_tokens",
            [
                pk(),
                big("admin_id"),
                string("token_hash", 64),
                ts("expires_at"),
                ts_null("used_at"),
                ts("created_at"),
            ],
        )
        .fk("admin_id", "admins", ForeignKeyAction::Cascade)
        .ux("ux_login_tokens_token_hash", &["token_hash"])
        .ix("ix_login_tokens_expires_at", &["expires_at"])
        .create(manager)
        .await?;
        // Rotating refresh tokens (stored hashed); reuse revokes the whole family.
        NewTable::new(
            "refresh_tokens",
            [
                pk(),
                big("admin_id"),
                string("family_id", 36),
                string("token_hash", 64),
                big_null("parent_id"),
                ts("expires_at"),
                ts_null("used_at"),
                ts_null("revoked_at"),
                ts("created_at"),
            ],
        )
        .fk("admin_id", "admins", ForeignKeyAction::Cascade)
        .ux("ux_refresh_tokens_token_hash", &["token_hash"])
        .ix("ix_refresh_tokens_family_id", &["family_id"])
        .ix("ix_refresh_tokens_expires_at", &["expires_at"])
        .create(manager)
        .await?;
        // Stored responses for requests carrying an Idempotency-Key.
        NewTable::new(
            "idempotency_keys",
            [
                pk(),
                string("scope", 64),
                string("idem_key", 255),
                string("request_hash", 64),
                int_null("response_status"),
                text_null("response_body"),
                ts("created_at"),
            ],
        )
        .ux("ux_idempotency_keys_scope_key", &["scope", "idem_key"])
        .ix("ix_idempotency_keys_created_at", &["created_at"])
        .create(manager)
        .await?;
        // Leases that let one instance run a job; `fencing` grows per new lease.
        NewTable::new(
            "job_leases",
            [
                key("name", 64),
                string("holder", 64),
                big("fencing"),
                ts("expires_at"),
            ],
        )
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "job_leases",
                "idempotency_keys",
                "refresh_tokens",
                "login_tokens",
            ],
        )
        .await
    }
}
