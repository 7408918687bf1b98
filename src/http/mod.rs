//! The HTTP surface: `/health`, `/health/ready`, `/metrics`, and the admin REST API ([`api`]) under
//! `/api/v1` with its OpenAPI document and docs. Every answer carries an `x-request-id`; every error,
//! including an unknown route or a wrong method, has the API's one error shape.

pub mod api;
mod health;
pub mod metrics;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;

use crate::app::Core;
pub use api::{ApiConfig, ApiState};
pub use metrics::Metrics;

/// The whole router with the default API settings (the signing key derived from the server key).
pub fn router(core: Core) -> Router {
    let config = ApiConfig::defaults(&core.key);
    router_with(core, config, Metrics::default())
}

/// The whole router, ready to serve (with `into_make_service_with_connect_info::<SocketAddr>()`, so the
/// rate limit sees client addresses).
pub fn router_with(core: Core, config: ApiConfig, metrics: Metrics) -> Router {
    router_with_sender(core, config, metrics, None)
}

/// [`router_with`], with the client bot's sender for broadcast test messages.
pub fn router_with_sender(
    core: Core,
    config: ApiConfig,
    metrics: Metrics,
    sender: Option<std::sync::Arc<dyn crate::broadcast::BroadcastSender>>,
) -> Router {
    let state = ApiState::new(core.clone(), config, metrics.clone()).with_sender(sender);
    let (api, _) = api::router(state);
    Router::new()
        .merge(health::routes().with_state(core))
        .route("/metrics", get(metrics::serve).with_state(metrics.clone()))
        .merge(api)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(from_fn_with_state(metrics, metrics::track))
        .layer(from_fn(api::middleware::request_id::request_id))
}
