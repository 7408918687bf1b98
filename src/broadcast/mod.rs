//! Broadcast delivery. For now the [`pacer`]: the global sending budget every instance shares.
//! The delivery engine (claiming delivery rows, sending, recording results) builds on it.

pub mod pacer;

pub use pacer::{Admission, Pacer};
