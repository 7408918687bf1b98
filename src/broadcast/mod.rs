//! Broadcast delivery: the global [`Pacer`] every instance shares, the delivery rows ([`deliveries`]:
//! materialized from the audience in chunks, claimed, recorded) and the [`engine`] that runs them
//! through a [`sender::BroadcastSender`] (the client bot).
//!
//! ## Layout
//! - [`pacer`]: at most N messages in every sliding minute across instances; the shared 429 pause.
//! - [`db_window`]: the pacer's window in the database when there is no Redis.
//! - [`deliveries`]: one row per (broadcast, user); claim, record, reclaim after a crash, complete.
//! - [`record`]: what Telegram answered, per row or for a claim's sent rows at once.
//! - [`plan`]: what one recipient gets (language variant, buttons, media by upload or `file_id`).
//! - [`sender`]: the port to Telegram and the classification of its answers.
//! - [`engine`]: the materializer and the workers of one instance.
//! - [`answer`]: one claimed row (or a whole unpaced claim) sent, classified and recorded.

pub mod answer;
pub mod db_window;
pub mod deliveries;
pub mod engine;
pub mod pacer;
pub mod plan;
pub mod record;
pub mod sender;

pub use engine::{Engine, EngineConfig, EngineHandle};
pub use pacer::{Admission, Pacer};
pub use sender::{BroadcastSender, Outgoing, SendFailure, Sent};
