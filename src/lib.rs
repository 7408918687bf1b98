//! # dvorik core
//!
//! The service core of dvorik, a Telegram-bot-first loyalty and deal assistant. It owns the domain, the
//! storage and the rules; the two bots, the admin API and the scheduled jobs are thin adapters that parse
//! input, call one function of this crate and render the result.
//!
//! ## Layout
//! - [`config`]: typed settings read once from the environment in `main` and passed down.
//! - [`secret`]: [`secret::Secret`], a value that never prints, and the server key used to hash codes.
//! - [`error`]: the one error enum, [`error::Error`], with a stable machine-readable `code()` per variant.
//! - [`db`]: connecting to SQLite (the embedded default) or MySQL/MariaDB and applying migrations.
//! - [`kv`]: the fast shared state (rate-limit windows, job leases, short-lived values) behind one trait,
//!   served by Redis or, without Redis, by an in-process map.
//! - [`entity`]: sea-orm entities, one per table of `migrations/`.
//! - [`domain`]: pure types and rules with no storage (discount values, code alphabet, birthdays).
//! - [`services`]: the use cases over storage; every function takes `&impl ConnectionTrait` (or
//!   `TransactionTrait` where it needs its own transaction) so it runs on the pool or inside a transaction.
//! - [`http`]: the HTTP surface: `/health`, `/health/ready`, `/metrics` and the admin REST API.
//! - [`clock`]: the current time as the database stores it (UTC, microseconds).
//! - [`broadcast`]: broadcast delivery; the global [`broadcast::Pacer`] shared by all instances.
//! - [`jobs`]: the scheduled jobs (birthdays, expiry, cleanup), their leases and the [`jobs::Notifier`] port.
//! - [`app`]: [`app::Core`], the handles (database, key-value store, keys, settings) an adapter needs.

pub mod app;
pub mod broadcast;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod entity;
pub mod error;
pub mod http;
pub mod jobs;
pub mod kv;
pub mod secret;
pub mod services;

pub use error::{Error, Result};

/// mimalloc for every binary built on the core (the service with both bots, the tests and benchmarks
/// alike). A list page allocates a few hundred small strings and buffers and frees them all at once; with
/// glibc's malloc that was about a fifth of the process's CPU on `GET /users?limit=50`, and about a third
/// of the bots' in the throughput benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
