//! The cleanup job: deletes what has served its purpose — expired login tokens and refresh tokens,
//! idempotency keys older than 24 hours, processed Telegram updates older than
//! [`PROCESSED_UPDATES_RETENTION_DAYS`], and audit rows older than `ShopSettings.audit_retention_days`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entity::{audit_log, processed_updates};
use crate::error::Result;
use crate::services::{idempotency, login_tokens, sessions, settings};

/// Processed update ids are kept this long (Telegram redelivers for at most a day).
pub const PROCESSED_UPDATES_RETENTION_DAYS: i64 = 7;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CleanupRun {
    pub login_tokens: u64,
    pub refresh_tokens: u64,
    pub idempotency_keys: u64,
    pub processed_updates: u64,
    pub audit_rows: u64,
}

pub async fn run(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<CleanupRun> {
    let shop = settings::get(db).await?;
    let processed_updates = processed_updates::Entity::delete_many()
        .filter(
            processed_updates::Column::ProcessedAt
                .lte(now - Duration::days(PROCESSED_UPDATES_RETENTION_DAYS)),
        )
        .exec(db)
        .await?
        .rows_affected;
    let audit_rows = audit_log::Entity::delete_many()
        .filter(audit_log::Column::At.lte(now - Duration::days(shop.audit_retention_days.into())))
        .exec(db)
        .await?
        .rows_affected;
    Ok(CleanupRun {
        login_tokens: login_tokens::delete_expired(db, now).await?,
        refresh_tokens: sessions::delete_expired(db, now).await?,
        idempotency_keys: idempotency::delete_expired(db, now).await?,
        processed_updates,
        audit_rows,
    })
}
