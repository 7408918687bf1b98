//! Rate limits of the admin API: per client IP address, per access token, and a stricter one on signing
//! in (token exchange and refresh) per IP. Each is a sliding 60-second window in the key-value store
//! (Redis across instances, in process otherwise). Over a limit the answer is 429 `RATE_LIMITED` with
//! `Retry-After`. When the store fails the request is let through (and logged): an outage of Redis should
//! not take the admin panel down with it.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::http::api::error::ApiError;
use crate::http::api::extract::bearer;
use crate::http::api::state::ApiState;

const WINDOW: Duration = Duration::from_secs(60);

/// Routes that sign in, limited by `login_rate_per_ip`.
const SIGN_IN: [&str; 2] = ["/api/v1/auth/token", "/api/v1/auth/refresh"];

pub async fn rate_limit(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let config = &state.config;
    // Each key is built only for a limit that is on: with every limit off a request costs nothing here.
    let mut checks = Vec::new();
    let ip = (config.rate_per_ip > 0 || config.login_rate_per_ip > 0).then(|| {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    });
    let ip = ip.as_deref().unwrap_or_default();
    if config.rate_per_ip > 0 {
        checks.push((format!("rl:ip:{ip}"), config.rate_per_ip));
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str());
    if config.login_rate_per_ip > 0 && route.is_some_and(|r| SIGN_IN.contains(&r)) {
        checks.push((format!("rl:login:{ip}"), config.login_rate_per_ip));
    }
    if config.rate_per_token > 0
        && let Some(token) = bearer(request.headers())
    {
        // The key names the token by a keyed hash, never the token itself.
        let id = state
            .core
            .key
            .hash_hex(&[b"rate-limit-token", token.as_bytes()]);
        checks.push((format!("rl:tok:{}", &id[..32]), config.rate_per_token));
    }
    if checks.is_empty() {
        return next.run(request).await;
    }
    let now_ms = u64::try_from(crate::clock::now().timestamp_millis()).unwrap_or_default();
    for (key, limit) in checks {
        match state
            .core
            .kv
            .window_hit(&key, WINDOW, u64::from(limit), now_ms)
            .await
        {
            Ok(decision) if !decision.allowed => {
                let retry_after_secs = decision.retry_after.as_secs_f64().ceil().max(1.0) as u64;
                return ApiError(Error::RateLimited { retry_after_secs }).into_response();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "rate limit unavailable; request let through"),
        }
    }
    next.run(request).await
}
