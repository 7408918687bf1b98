//! Test-sending a broadcast to the admin who asks, before it goes to anyone else: the same message a
//! customer of the admin's language would get, sent at once (outside the broadcast budget, like any
//! transactional message) and recorded nowhere but the audit log.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::super::audit::{self, Actor, Entry};
use crate::broadcast::deliveries;
use crate::broadcast::plan::Plan;
use crate::broadcast::sender::{BroadcastSender, SendFailure};
use crate::error::{Error, Result};

/// Sends broadcast `id` to the Telegram chat `telegram_id`; the Telegram message id.
pub async fn test_send(
    db: &impl ConnectionTrait,
    sender: Option<&Arc<dyn BroadcastSender>>,
    id: i64,
    telegram_id: i64,
    language: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<i64> {
    let Some(sender) = sender else {
        return Err(Error::BotsUnavailable);
    };
    let row = super::row(db, id).await?;
    let settings = crate::services::settings::get(db).await?;
    let plan = Plan::new(&row, settings.default_language)?;
    let sent = sender
        .send(&plan.message_for(telegram_id, language))
        .await
        .map_err(|failure| {
            Error::BroadcastTestSendFailed(match failure {
                SendFailure::RetryAfter(after) => format!("rate limited for {} s", after.as_secs()),
                SendFailure::Unreachable(reason) | SendFailure::Other(reason) => reason,
            })
        })?;
    if let Some(file_id) = &sent.file_id
        && plan.wants_file_id()
    {
        deliveries::keep_file_id(db, id, file_id).await?;
    }
    let entry = Entry::new(actor, "broadcast.test_send", "broadcast", id).change(
        None::<&()>,
        Some(&serde_json::json!({ "telegram_id": telegram_id })),
    );
    audit::record(db, entry, now).await?;
    Ok(sent.message_id)
}
