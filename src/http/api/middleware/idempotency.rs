//! `Idempotency-Key` on POST requests of a signed-in admin: the first response is stored and replayed to
//! every repeat of the same request within 24 hours (marked `idempotent-replayed: true`); the same key with
//! a different request is 422 `IDEMPOTENCY_KEY_REUSED`; a repeat while the first still runs is 409
//! `IDEMPOTENCY_KEY_IN_PROGRESS`. Keys are scoped per admin. Server errors are not stored (the key is
//! freed so a retry runs again), nor are 401, 403 and 429, which say nothing about the request itself.
//!
//! The rules live in [`crate::services::idempotency`]; this layer hashes the request and moves bytes.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::http::api::error::ApiError;
use crate::http::api::extract::bearer;
use crate::http::api::state::ApiState;
use crate::services::{auth, idempotency};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

pub async fn idempotency(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    // Sign-in routes answer with tokens, which must never be stored.
    if request.method() != Method::POST || request.uri().path().starts_with("/api/v1/auth/") {
        return next.run(request).await;
    }
    let Some(key) = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string))
    else {
        return next.run(request).await;
    };
    let Ok(key) = key else {
        return ApiError(Error::invalid("Idempotency-Key", "invalid")).into_response();
    };
    // Without a valid token there is no scope; the route refuses the request itself.
    let now = crate::clock::now();
    let claims = bearer(request.headers())
        .and_then(|token| auth::verify_access(&state.config.tokens, token, now).ok());
    let Some(claims) = claims else {
        return next.run(request).await;
    };
    let scope = format!("admin:{}", claims.sub);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, state.config.max_body_bytes).await else {
        return ApiError(Error::PayloadTooLarge).into_response();
    };
    let mut hasher = Sha256::new();
    for part in [
        parts.method.as_str().as_bytes(),
        parts.uri.path().as_bytes(),
        parts.uri.query().unwrap_or_default().as_bytes(),
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes())
            .unwrap_or_default(),
        &bytes,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let hash = hex::encode(hasher.finalize());
    let db = &state.core.db;
    match idempotency::claim(db, &scope, &key, &hash, now).await {
        Ok(idempotency::Claim::Started) => {}
        Ok(idempotency::Claim::Replay { status, body }) => return replay(status, body),
        Err(e) => return ApiError(e).into_response(),
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    let keep = !(status.is_server_error()
        || matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        ));
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release(&state, &scope, &key).await;
            return ApiError(Error::Internal(format!("reading a response: {e}"))).into_response();
        }
    };
    match (keep, std::str::from_utf8(&bytes)) {
        (true, Ok(text)) => {
            if let Err(e) = idempotency::complete(db, &scope, &key, status.as_u16(), text).await {
                tracing::error!(error = %e, "storing an idempotent response failed");
            }
        }
        _ => release(&state, &scope, &key).await,
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(state: &ApiState, scope: &str, key: &str) {
    if let Err(e) = idempotency::release(&state.core.db, scope, key).await {
        tracing::error!(error = %e, "freeing an idempotency key failed");
    }
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
