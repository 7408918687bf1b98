//! Customers, stores, cashiers, admins, settings, audit log and processed updates.

use sea_orm_migration::prelude::*;

use crate::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Customers of the client bot, one row per Telegram user.
        NewTable::new(
            "users",
            [
                pk(),
                big("telegram_id"),
                string("first_name", 255),
                string_null("last_name", 255),
                string_null("username", 64),
                string("language", 8),
                string_null("source", 64),
                string_null("referral_code", 16),
                string_null("phone", 32),
                small_null("birthday_day"),
                small_null("birthday_month"),
                small_null("birthday_year"),
                ts_null("birthday_set_at"),
                flag("subscribed", false),
                ts_null("subscribed_at"),
                ts_null("unsubscribed_at"),
                flag("blocked", false),
                flag("unreachable", false),
                ts_null("unreachable_at"),
                ts("last_activity_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .ux("ux_users_telegram_id", &["telegram_id"])
        .ux("ux_users_referral_code", &["referral_code"])
        .ix(
            "ix_users_subscribed_unreachable_id",
            &["subscribed", "unreachable", "id"],
        )
        .ix("ix_users_language", &["language"])
        .ix("ix_users_source", &["source"])
        .ix("ix_users_created_at", &["created_at"])
        .ix("ix_users_birthday", &["birthday_month", "birthday_day"])
        .ix("ix_users_last_activity_at", &["last_activity_at"])
        .ix("ix_users_phone", &["phone"])
        .create(manager)
        .await?;
        // Shops of the chain; a cashier belongs to one.
        NewTable::new(
            "stores",
            [
                pk(),
                string("name", 255),
                string_null("address", 512),
                string_null("hours", 255),
                flag("active", true),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .ux("ux_stores_name", &["name"])
        .create(manager)
        .await?;
        // Admin panel users, bound to a Telegram user id.
        NewTable::new(
            "admins",
            [
                pk(),
                big("telegram_id"),
                string("role", 16),
                string_null("name", 255),
                flag("active", true),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .ux("ux_admins_telegram_id", &["telegram_id"])
        .create(manager)
        .await?;
        // Staff bot cashiers; approved by an admin, belong to one store.
        NewTable::new(
            "cashiers",
            [
                pk(),
                big("telegram_id"),
                string("name", 255),
                big("store_id"),
                string("state", 16),
                big_null("decided_by_admin_id"),
                ts_null("decided_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
        )
        .fk("store_id", "stores", ForeignKeyAction::Restrict)
        .fk("decided_by_admin_id", "admins", ForeignKeyAction::Restrict)
        .ux("ux_cashiers_telegram_id", &["telegram_id"])
        .ix("ix_cashiers_state", &["state"])
        .ix("ix_cashiers_store_id", &["store_id"])
        .create(manager)
        .await?;
        // Runtime settings: one JSON value per key.
        NewTable::new(
            "settings",
            [
                key("key", 64),
                text("value"),
                ts("updated_at"),
                big_null("updated_by_admin_id"),
            ],
        )
        .create(manager)
        .await?;
        // Who changed what: one row per mutation, with before/after JSON.
        NewTable::new(
            "audit_log",
            [
                pk(),
                ts("at"),
                string("actor_kind", 16),
                big_null("actor_id"),
                string("action", 64),
                string("entity", 64),
                string_null("entity_id", 64),
                text_null("before"),
                text_null("after"),
                string_null("request_id", 64),
            ],
        )
        .ix("ix_audit_log_at", &["at"])
        .ix("ix_audit_log_entity", &["entity", "entity_id"])
        .ix("ix_audit_log_actor", &["actor_kind", "actor_id", "at"])
        .create(manager)
        .await?;
        // Telegram updates already handled, per bot (exactly-once handling).
        NewTable::new(
            "processed_updates",
            [
                pk(),
                string("bot", 16),
                big("update_id"),
                ts("processed_at"),
            ],
        )
        .ux("ux_processed_updates_bot_update", &["bot", "update_id"])
        .ix("ix_processed_updates_processed_at", &["processed_at"])
        .create(manager)
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "processed_updates",
                "audit_log",
                "settings",
                "cashiers",
                "admins",
                "stores",
                "users",
            ],
        )
        .await
    }
}
