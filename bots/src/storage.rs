//! Dialogue state of each bot in the core's key-value store ([`dvorik::kv::Kv`]: Redis when configured,
//! in-process otherwise), under a per-bot prefix (`client:dlg:`, `staff:dlg:`), so the two bots never
//! overwrite each other's state for one chat. A stored state that no longer deserializes (an upgrade
//! changed the enum) is logged and read as absent: the dialogue starts over instead of failing.

use std::sync::Arc;
use std::time::Duration;

use dvorik::kv::Kv;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

/// An unfinished dialogue is forgotten after this long.
const TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct KvStorage {
    kv: Kv,
    prefix: &'static str,
}

impl KvStorage {
    pub fn new(kv: Kv, prefix: &'static str) -> Arc<Self> {
        Arc::new(Self { kv, prefix })
    }

    fn key(&self, chat_id: ChatId) -> String {
        format!("{}{}", self.prefix, chat_id.0)
    }
}

impl<D> Storage<D> for KvStorage
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = dvorik::Error;

    fn remove_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            self.kv.delete(&self.key(chat_id)).await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let text = serde_json::to_string(&dialogue)
                .map_err(|e| dvorik::Error::Internal(format!("dialogue state: {e}")))?;
            self.kv.set(&self.key(chat_id), &text, Some(TTL)).await
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let Some(text) = self.kv.get(&self.key(chat_id)).await? else {
                return Ok(None);
            };
            match serde_json::from_str(&text) {
                Ok(state) => Ok(Some(state)),
                Err(error) => {
                    tracing::warn!(
                        prefix = self.prefix,
                        chat = chat_id.0,
                        %error,
                        "stored dialogue state no longer fits: starting over"
                    );
                    Ok(None)
                }
            }
        })
    }
}
