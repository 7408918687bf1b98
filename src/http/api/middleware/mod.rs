//! Middleware of the HTTP surface, outermost first: [`request_id`] (every request), then for `/api/v1`
//! [`rate_limit`] and [`idempotency`].

pub mod idempotency;
pub mod rate_limit;
pub mod request_id;
