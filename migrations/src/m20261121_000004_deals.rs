//! Deals, documents, signature evidence, one-time code challenges and the blacklist.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Deals offered to a counterparty (a customer, or a phone not yet linked).
        NewTable::new(
            "deals",
            [
                pk(),
                string("title", 255),
                string("kind", 32),
                big_null("counterparty_user_id"),
                string_null("counterparty_phone", 32),
                big("amount_minor"),
                string("currency", 3),
                text("terms"),
                string("state", 16),
                big_null("created_by_admin_id"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("sent_at"),
                ts_null("signed_at"),
            ],
        )
        .fk("counterparty_user_id", "users", ForeignKeyAction::Restrict)
        .ix("ix_deals_counterparty_user_id", &["counterparty_user_id"])
        .ix("ix_deals_counterparty_phone", &["counterparty_phone"])
        .ix("ix_deals_state", &["state"])
        .create(manager)
        .await?;
        // Versioned documents of a deal: the text the signer sees and its SHA-256.
        NewTable::new(
            "documents",
            [
                pk(),
                big("deal_id"),
                int("version"),
                string("title", 255),
                text("body"),
                string("sha256", 64),
                string_null("file_path", 512),
                ts("created_at"),
                ts_null("voided_at"),
            ],
        )
        .fk("deal_id", "deals", ForeignKeyAction::Restrict)
        .ux("ux_documents_deal_version", &["deal_id", "version"])
        .create(manager)
        .await?;
        // Append-only signing evidence, a hash chain per deal.
        NewTable::new(
            "signature_events",
            [
                pk(),
                big("deal_id"),
                int("seq"),
                big_null("document_id"),
                string("kind", 32),
                string_null("actor", 64),
                text("payload"),
                ts("created_at"),
                string("prev_hash", 64),
                string("row_hash", 64),
            ],
        )
        .fk("deal_id", "deals", ForeignKeyAction::Restrict)
        .fk("document_id", "documents", ForeignKeyAction::Restrict)
        .ux("ux_signature_events_deal_seq", &["deal_id", "seq"])
        .create(manager)
        .await?;
        // One-time signing codes: an HMAC bound to (user, document hash).
        NewTable::new(
            "code_challenges",
            [
                pk(),
                big("user_id"),
                big("document_id"),
                string("doc_hash", 64),
                string("code_hash", 64),
                int_default("attempts", 0),
                int("max_attempts"),
                string("state", 16),
                ts("expires_at"),
                ts("created_at"),
                ts_null("used_at"),
            ],
        )
        .fk("user_id", "users", ForeignKeyAction::Restrict)
        .fk("document_id", "documents", ForeignKeyAction::Restrict)
        .ix("ix_code_challenges_user_state", &["user_id", "state"])
        .ix("ix_code_challenges_expires_at", &["expires_at"])
        .create(manager)
        .await?;
        // Blocked users and phones (anti-fraud).
        NewTable::new(
            "blacklist",
            [
                pk(),
                string("kind", 16),
                string("value", 64),
                string_null("reason", 255),
                big_null("created_by_admin_id"),
                ts("created_at"),
            ],
        )
        .ux("ux_blacklist_kind_value", &["kind", "value"])
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "blacklist",
                "code_challenges",
                "signature_events",
                "documents",
                "deals",
            ],
        )
        .await
    }
}
