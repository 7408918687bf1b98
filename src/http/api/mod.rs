//! The admin REST API under `/api/v1`, its OpenAPI document at `/api/openapi.json` and the interactive
//! docs at `/api/docs` (Swagger UI, its files embedded in the binary: nothing is fetched from a CDN).
//!
//! ## Adding a resource
//! 1. A file `src/http/api/<resource>.rs` with `pub fn routes() -> OpenApiRouter<ApiState>` registering
//!    handlers with `.routes(routes!(…))` (one `routes!` per path), each handler annotated with
//!    `#[utoipa::path(…)]` (a path relative to `/api/v1`, a `tag`, `params`, the success `responses`;
//!    errors, security and `Idempotency-Key` are added for every operation by [`openapi::finish`]).
//! 2. Each handler takes an [`extract::Auth<P>`] *first* (the policy is the role rule of the route), then
//!    `State`, [`extract::ApiPath`] / [`extract::ApiQuery`], and [`extract::ApiJson`] last; it calls one
//!    core function and renders a view struct (never an entity; request bodies are their own structs).
//!    Lists take [`pagination::PageParams`] and answer [`pagination::PageBody`].
//! 3. Merge the routes in [`v1`], and add each route to the role table in `tests/api_roles.rs`.

pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod state;

mod admins;
mod audit;
mod auth;
mod blacklist;
mod broadcasts;
mod cashiers;
mod deals;
mod discounts;
mod fast_json;
mod message_templates;
pub mod page_cache;
mod redemptions;
mod segments;
mod settings;
mod sorted;
mod stats;
mod stores;
mod templates;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, ApiResult};
pub use state::{ApiConfig, ApiState};

use crate::error::Error;

/// Every route of `/api/v1`, relative to it.
pub fn v1() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(admins::routes())
        .merge(settings::routes())
        .merge(stores::routes())
        .merge(cashiers::routes())
        .merge(templates::routes())
        .merge(audit::routes())
        .merge(deals::routes())
        .merge(blacklist::routes())
        .merge(users::routes())
        .merge(discounts::routes())
        .merge(redemptions::routes())
        .merge(segments::routes())
        .merge(message_templates::routes())
        .merge(broadcasts::routes())
        .merge(stats::routes())
}

/// The served API, with the rate limit, body limit and idempotency layers, plus the document and docs.
pub fn router(state: ApiState) -> (Router, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", v1())
        .split_for_parts();
    openapi::finish(&mut doc);
    // The last layer added runs first: rate limit, then the body limit, then idempotency, then the
    // page cache's forgetting (innermost, so a replayed idempotent answer changes nothing to forget).
    let routes = routes
        .layer(from_fn_with_state(
            state.clone(),
            page_cache::forget_after_writes,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::idempotency::idempotency,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::rate_limit::rate_limit,
        ))
        .with_state(state);
    let docs: Router = SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", doc.clone())
        .into();
    (routes.merge(docs), doc)
}

/// The answer for a path no route serves.
pub async fn not_found() -> ApiError {
    Error::RouteNotFound.into()
}

/// The answer for a route that exists but not for this method.
pub async fn method_not_allowed() -> ApiError {
    Error::MethodNotAllowed.into()
}
