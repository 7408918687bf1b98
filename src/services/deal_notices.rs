//! The in-process outbox of "a document awaits you" notices: the API publishes the id of a deal it just
//! sent; the client bot, when it runs in the same process, subscribes and tells the counterparty.
//!
//! Nothing here is durable and nobody may be listening (bots switched off, another process): a lost
//! notice loses nothing, as the client bot's `/documents` lists every deal awaiting the user.

use tokio::sync::broadcast;

/// How many notices may wait for a slow subscriber before the oldest are dropped.
const CAPACITY: usize = 256;

/// A deal the API has just sent to its counterparty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealSent {
    pub deal_id: i64,
}

/// The sending side, cloned into the API; [`DealNotices::subscribe`] gives a receiver to the bot.
#[derive(Debug, Clone)]
pub struct DealNotices {
    tx: broadcast::Sender<DealSent>,
}

impl Default for DealNotices {
    fn default() -> Self {
        Self::new()
    }
}

impl DealNotices {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
        }
    }

    /// Publishes that `deal_id` was sent; with nobody subscribed the notice is dropped.
    pub fn publish(&self, deal_id: i64) {
        if self.tx.send(DealSent { deal_id }).is_err() {
            tracing::debug!(deal_id, "deal sent: no bot listening for notices");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DealSent> {
        self.tx.subscribe()
    }
}
