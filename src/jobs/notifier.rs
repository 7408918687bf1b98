//! The port through which jobs tell customers something. The client bot implements it; tests record.

use async_trait::async_trait;

use crate::domain::Language;
use crate::domain::code::DiscountCode;
use crate::entity::discounts;
use crate::error::Result;

/// Messages the scheduled jobs send to customers.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// A birthday discount was just issued to the customer `telegram_id`.
    async fn birthday_discount(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        discount: &discounts::Model,
    ) -> Result<()>;

    /// The customer's discount expires in a few days (sent once per discount).
    async fn expiry_reminder(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        discount: &discounts::Model,
    ) -> Result<()>;
}

/// A notifier that only logs, for a server running without the client bot.
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn birthday_discount(
        &self,
        telegram_id: i64,
        _language: Language,
        _code: &DiscountCode,
        discount: &discounts::Model,
    ) -> Result<()> {
        tracing::info!(
            telegram_id,
            discount_id = discount.id,
            "birthday discount (no bot to announce it)"
        );
        Ok(())
    }

    async fn expiry_reminder(
        &self,
        telegram_id: i64,
        _language: Language,
        _code: &DiscountCode,
        discount: &discounts::Model,
    ) -> Result<()> {
        tracing::info!(
            telegram_id,
            discount_id = discount.id,
            "expiry reminder (no bot to send it)"
        );
        Ok(())
    }
}
