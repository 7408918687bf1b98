//! One claimed row through the [`BroadcastSender`]: whether it is sent at all (a recipient who blocked
//! the bot, unsubscribed or cannot be reached since the audience was taken is skipped), what Telegram's
//! answer means for the row ([`Outcome`]), and recording it. A claim of several rows (unpaced sending)
//! goes out at once and its sent rows are recorded in one statement.

use super::deliveries::{self, Claimed, Outcome};
use super::engine::Engine;
use super::plan::Plan;
use super::sender::SendFailure;
use crate::entity::broadcasts;
use crate::error::Result;

impl Engine {
    /// Sends and records every row of one claim. The rows go out concurrently; every answer is recorded
    /// before an error is returned, so one failing record does not leave the others to be sent again.
    pub(super) async fn deliver_claim(
        &self,
        b: &broadcasts::Model,
        plan: &Plan,
        claimed: &[Claimed],
    ) -> Result<()> {
        if let [row] = claimed {
            return self.deliver(b, plan, row).await;
        }
        let answers =
            futures_util::future::join_all(claimed.iter().map(|row| self.answer(b, plan, row)))
                .await;
        let now = self.clock.now();
        let mut sent = Vec::new();
        let mut first_error = None;
        for (row, answer) in claimed.iter().zip(answers) {
            match answer {
                Ok((Outcome::Sent { message_id }, result)) => {
                    sent.push((row, message_id));
                    self.metrics.message_sent("broadcast", result);
                }
                Ok((outcome, result)) => {
                    if let Err(e) = self.record(row, &outcome).await {
                        first_error.get_or_insert(e);
                    }
                    self.metrics.message_sent("broadcast", result);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let recorded = deliveries::record_sent(&self.db, &sent, now).await?;
        if recorded < sent.len() as u64 {
            tracing::warn!(
                broadcast_id = b.id,
                lost = sent.len() as u64 - recorded,
                "claims expired before the answers were recorded"
            );
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sends and records one claimed row.
    pub(super) async fn deliver(
        &self,
        b: &broadcasts::Model,
        plan: &Plan,
        row: &Claimed,
    ) -> Result<()> {
        let (outcome, result) = self.answer(b, plan, row).await?;
        self.record(row, &outcome).await?;
        self.metrics.message_sent("broadcast", result);
        Ok(())
    }

    async fn record(&self, row: &Claimed, outcome: &Outcome) -> Result<()> {
        if !deliveries::record(&self.db, row, outcome, self.clock.now()).await? {
            tracing::warn!(
                delivery_id = row.id,
                "the claim expired before the answer was recorded"
            );
        }
        Ok(())
    }

    /// What becomes of `row`: skipped without sending, or sent and classified by Telegram's answer; with
    /// the metric's result label. A 429 also pauses every instance's sending until `retry_after`.
    async fn answer(
        &self,
        b: &broadcasts::Model,
        plan: &Plan,
        row: &Claimed,
    ) -> Result<(Outcome, &'static str)> {
        let skip = if row.blocked {
            Some("blocked")
        } else if !row.subscribed {
            Some("unsubscribed")
        } else if row.unreachable {
            Some("unreachable")
        } else {
            None
        };
        if let Some(reason) = skip {
            let outcome = Outcome::Skipped {
                reason: reason.into(),
                unreachable: false,
            };
            return Ok((outcome, "skipped"));
        }
        let message = plan.message_for(row.telegram_id, &row.language);
        let answer = self.sender.send(&message).await;
        let now = self.clock.now();
        Ok(match answer {
            Ok(sent) => {
                if let Some(file_id) = &sent.file_id
                    && plan.wants_file_id()
                    && deliveries::keep_file_id(&self.db, b.id, file_id).await?
                {
                    self.plans.lock().await.remove(&b.id);
                }
                (
                    Outcome::Sent {
                        message_id: sent.message_id,
                    },
                    "sent",
                )
            }
            Err(SendFailure::RetryAfter(wait)) => {
                if let Err(e) = self.pacer.pause_for(wait).await {
                    tracing::warn!(error = %e, "cannot share the 429 pause; waiting here");
                    self.clock.sleep(wait).await;
                }
                let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                (
                    Outcome::Retry {
                        reason: Some("rate_limited".into()),
                        at,
                        count_attempt: false,
                    },
                    "rate_limited",
                )
            }
            Err(SendFailure::Unreachable(reason)) => (
                Outcome::Skipped {
                    reason,
                    unreachable: true,
                },
                "unreachable",
            ),
            Err(SendFailure::Other(reason)) => {
                if row.attempts + 1 >= self.config.max_attempts {
                    (Outcome::Failed { reason }, "failed")
                } else {
                    // 2, 4, 8, … seconds.
                    let backoff =
                        chrono::Duration::seconds(2_i64.pow(row.attempts.clamp(0, 10) as u32 + 1));
                    (
                        Outcome::Retry {
                            reason: Some(reason),
                            at: now + backoff,
                            count_attempt: true,
                        },
                        "retry",
                    )
                }
            }
        })
    }
}
