//! The expiry job: marks discounts past their expiry as expired and reminds customers
//! `ShopSettings.expiry_reminder_days` days before a code expires, once per discount: the conditional
//! update of `discounts.reminded_at` picks one winner, and only the winner sends.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Notifier;
use crate::domain::Language;
use crate::entity::discounts::{self, DiscountState, Entity as Discounts};
use crate::entity::users::Entity as Users;
use crate::error::Result;
use crate::secret::ServerKey;
use crate::services::{discounts as discount_service, settings};

/// Discounts read per query.
pub const CHUNK: u64 = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryRun {
    /// Discounts marked expired.
    pub expired: u64,
    /// Reminders sent.
    pub reminded: u64,
    /// Reminders claimed but not delivered (blocked or unreachable customer, or a send error).
    pub not_sent: u64,
}

pub async fn run(
    db: &DatabaseConnection,
    key: &ServerKey,
    notifier: &dyn Notifier,
    now: DateTime<Utc>,
) -> Result<ExpiryRun> {
    let mut report = ExpiryRun {
        expired: discount_service::expire_due(db, now).await?,
        ..Default::default()
    };
    let shop = settings::get(db).await?;
    if shop.expiry_reminder_days == 0 {
        return Ok(report);
    }
    let horizon = now + Duration::days(shop.expiry_reminder_days.into());
    let mut after = 0;
    loop {
        let chunk = Discounts::find()
            .filter(discounts::Column::State.eq(DiscountState::Active))
            .filter(discounts::Column::ExpiresAt.gt(now))
            .filter(discounts::Column::ExpiresAt.lte(horizon))
            .filter(discounts::Column::RemindedAt.is_null())
            .filter(discounts::Column::Id.gt(after))
            .order_by_asc(discounts::Column::Id)
            .limit(CHUNK)
            .all(db)
            .await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        for discount in &chunk {
            // Claim the reminder: exactly one run sets reminded_at.
            let claimed = Discounts::update_many()
                .col_expr(discounts::Column::RemindedAt, Expr::value(now))
                .filter(discounts::Column::Id.eq(discount.id))
                .filter(discounts::Column::RemindedAt.is_null())
                .exec(db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let Some(user) = Users::find_by_id(discount.user_id).one(db).await? else {
                continue;
            };
            if user.blocked || user.unreachable {
                report.not_sent += 1;
                continue;
            }
            let language = Language::from_code(&user.language).unwrap_or(shop.default_language);
            let code = discount_service::code_of(key, discount);
            match notifier
                .expiry_reminder(user.telegram_id, language, &code, discount)
                .await
            {
                Ok(()) => report.reminded += 1,
                Err(e) => {
                    tracing::warn!(discount_id = discount.id, error = %e, "expiry reminder failed");
                    report.not_sent += 1;
                }
            }
        }
        if (chunk.len() as u64) < CHUNK {
            break;
        }
    }
    Ok(report)
}
