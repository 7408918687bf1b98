//! The at-most-once record of a bot's updates, written in batches: every update a dispatcher takes
//! is recorded in `processed_updates` before it is handled (see [`crate::common::once_per_update`]).
//! Recording each alone costs a statement and a durable commit per update; here the updates that
//! arrive while earlier records are being written wait and go together in one multi-row INSERT
//! (`dvorik::services::updates::first_time_many`), as a database's group commit does. An update
//! waits at most for the writes already in flight, and never for more updates to come.

use std::sync::Arc;

use dvorik::app::Core;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most updates recorded by one statement (a getUpdates answer holds at most 100).
const BATCH: usize = 100;
/// Record writes in flight at once: while they run, the next updates gather into the next batch.
const IN_FLIGHT: usize = 4;

type Ask = (i64, oneshot::Sender<dvorik::Result<bool>>);

/// Where a bot's dispatcher records its updates. Cheap to clone; the writer task ends when the last
/// clone is dropped.
#[derive(Clone)]
pub struct UpdateLog {
    asks: mpsc::UnboundedSender<Ask>,
}

impl UpdateLog {
    /// Starts the writer for `bot` (its name in `processed_updates`).
    pub fn start(core: Core, bot: &'static str) -> Self {
        let (asks, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(core, bot, rx));
        Self { asks }
    }

    /// Records `update_id`; `false` when it was recorded before (skip the update).
    pub async fn first_time(&self, update_id: i64) -> dvorik::Result<bool> {
        let (tx, rx) = oneshot::channel();
        let stopped = || dvorik::Error::Internal("the update log stopped".into());
        self.asks.send((update_id, tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

async fn write_batches(core: Core, bot: &'static str, mut rx: mpsc::UnboundedReceiver<Ask>) {
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        // Wait for a free writer first: what arrives meanwhile joins this batch.
        let Ok(permit) = gate.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < BATCH
            && let Ok(next) = rx.try_recv()
        {
            batch.push(next);
        }
        let db = core.db.clone();
        tokio::spawn(async move {
            let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
            let now = dvorik::clock::now();
            match dvorik::services::updates::first_time_many(&db, bot, &ids, now).await {
                Ok(answers) => {
                    for ((_, tx), first) in batch.into_iter().zip(answers) {
                        let _ = tx.send(Ok(first));
                    }
                }
                Err(err) => {
                    let text = err.to_string();
                    for (_, tx) in batch {
                        let copy = sea_orm::DbErr::Custom(text.clone());
                        let _ = tx.send(Err(dvorik::Error::Database(copy)));
                    }
                }
            }
            drop(permit);
        });
    }
}
