//! Discount templates, issued discounts and the usage log (redemptions).

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Discount templates per kind: value, validity, text.
        NewTable::new(
            "discount_templates",
            [
                pk(),
                string("kind", 16),
                string("name", 255),
                string("value_kind", 16),
                int_null("percent_bp"),
                big_null("amount_minor"),
                int("validity_days"),
                flag("active", false),
                text_null("text"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .ix("ix_discount_templates_kind_active", &["kind", "active"])
        .create(manager)
        .await?;
        // Issued discount codes.
        NewTable::new(
            "discounts",
            [
                pk(),
                big("user_id"),
                big_null("template_id"),
                string("kind", 16),
                string("code_hash", 64),
                string("code_nonce", 32),
                string("value_kind", 16),
                int_null("percent_bp"),
                big_null("amount_minor"),
                string("state", 16),
                int_null("uniq_period"),
                ts("issued_at"),
                ts("expires_at"),
                ts_null("redeemed_at"),
                ts_null("revoked_at"),
                ts_null("reminded_at"),
                big_null("issued_by_admin_id"),
                string_null("note", 255),
            ],
        )
        .fk("user_id", "users", ForeignKeyAction::Restrict)
        .fk(
            "template_id",
            "discount_templates",
            ForeignKeyAction::SetNull,
        )
        .fk("issued_by_admin_id", "admins", ForeignKeyAction::Restrict)
        .ux("ux_discounts_code_hash", &["code_hash"])
        .ux(
            "ux_discounts_user_kind_period",
            &["user_id", "kind", "uniq_period"],
        )
        .ix("ix_discounts_user_state", &["user_id", "state"])
        .ix("ix_discounts_state_expires_at", &["state", "expires_at"])
        .ix("ix_discounts_kind_issued_at", &["kind", "issued_at"])
        .create(manager)
        .await?;
        // The usage log: one row per redeemed code (never deleted by cascade).
        NewTable::new(
            "redemptions",
            [
                pk(),
                big("discount_id"),
                big("cashier_id"),
                big("store_id"),
                ts("redeemed_at"),
                big_null("amount_minor"),
            ],
        )
        .fk("discount_id", "discounts", ForeignKeyAction::Restrict)
        .fk("cashier_id", "cashiers", ForeignKeyAction::Restrict)
        .fk("store_id", "stores", ForeignKeyAction::Restrict)
        .ux("ux_redemptions_discount", &["discount_id"])
        .ix(
            "ix_redemptions_cashier_redeemed_at",
            &["cashier_id", "redeemed_at"],
        )
        .ix(
            "ix_redemptions_store_redeemed_at",
            &["store_id", "redeemed_at"],
        )
        .ix("ix_redemptions_redeemed_at", &["redeemed_at"])
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["redemptions", "discounts", "discount_templates"]).await
    }
}
