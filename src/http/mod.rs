//! The HTTP surface: health and readiness now; the admin REST API grows under `/api/v1`.

mod health;

use axum::Router;

use crate::app::Core;

/// The whole router, ready to serve.
pub fn router(core: Core) -> Router {
    Router::new().merge(health::routes()).with_state(core)
}
