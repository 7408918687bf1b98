//! # dvorik bots
//!
//! The Telegram adapters of dvorik: the **client bot** (customers) and the **staff bot** (cashiers and
//! admins), built with teloxide. Each parses an update, calls the core ([`dvorik`]) and renders the
//! answer from `locales/`. The `dvorik` binary (`main.rs`) starts them; tests and benchmarks start
//! them the same way through [`run::start`].
//!
//! - [`client`], [`staff`]: the two handler trees, their commands and dialogue states.
//! - [`broadcast_sender`]: the client bot as the broadcast engine's sender (HTML, media, URL buttons).
//! - [`common`]: the bot type, error reporting (a core error becomes a translated message), the
//!   at-most-once filter over `processed_updates`.
//! - [`i18n`]: the message catalogue and [`i18n::tr`].
//! - [`storage`]: dialogue state in the core's key-value store, per-bot prefix.
//! - [`notify`]: messages nobody just asked for: signing codes, "a document awaits you", the jobs'.
//! - [`qr`]: QR pictures of codes, and reading them from photos.
//! - [`update_log`]: the `processed_updates` record, written in batches.
//! - [`run`]: building the bots, `setMyCommands`, long polling or webhooks; [`webhook`] the routes.
//! - [`sim_chat`]: the interactive terminal chat of `dvorik sim`.
//!
//! The memory allocator is the core's mimalloc (`dvorik`'s `lib.rs`): an update's work is mostly small
//! short-lived allocations (JSON, HTTP buffers, SQL strings) made and freed on different tokio threads,
//! where glibc's malloc spent about a third of the bots' CPU in the throughput benchmark.

pub mod broadcast_sender;
pub mod client;
pub mod common;
pub mod i18n;
pub mod notify;
pub mod qr;
pub mod run;
pub mod sim_chat;
pub mod staff;
pub mod storage;
pub mod update_log;
pub mod webhook;
