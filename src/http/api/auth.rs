//! `/auth`: exchange a one-time login token for a session, refresh it, log out, and who am I.
//!
//! The sign-in routes are public (`security(())`) and rate limited per IP more strictly than the rest.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admins::AdminView;
use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, Auth};
use super::state::ApiState;
use crate::error::Error;
use crate::services::auth::ACCESS_TTL;
use crate::services::sessions::{self, Session};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(exchange_token))
        .routes(routes!(refresh_session))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// A one-time login token from the staff bot's `/token` or `dvorik admin token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenExchange {
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

/// A refresh token from a previous sign-in or refresh.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    #[schema(min_length = 1, max_length = 128)]
    pub refresh_token: String,
}

/// A session: send `access_token` as `Authorization: Bearer …`; before it expires, trade `refresh_token`
/// at `/auth/refresh` for a new pair (each refresh token works once).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub admin: AdminView,
}

/// A token as sent: 1 to 128 characters, else `VALIDATION_FAILED` on `field`.
fn token_field<'a>(value: &'a str, field: &str) -> Result<&'a str, Error> {
    if value.is_empty() || value.chars().count() > 128 {
        return Err(Error::invalid(field, "out_of_range"));
    }
    Ok(value)
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access.token.expose().clone(),
            token_type: "Bearer".into(),
            expires_in: ACCESS_TTL.num_seconds(),
            expires_at: s.access.expires_at,
            refresh_token: s.refresh_token.expose().clone(),
            refresh_expires_at: s.refresh_expires_at,
            admin: s.admin.into(),
        }
    }
}

#[utoipa::path(post, path = "/auth/token", tag = "auth", security(()), request_body = TokenExchange,
    responses((status = 200, description = "A new session", body = SessionView)))]
async fn exchange_token(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<TokenExchange>,
) -> ApiResult<Json<SessionView>> {
    let core = &state.core;
    let session = sessions::login(
        &core.db,
        &core.key,
        &state.config.tokens,
        token_field(&body.token, "token")?,
        crate::clock::now(),
    )
    .await?;
    Ok(Json(session.into()))
}

#[utoipa::path(post, path = "/auth/refresh", tag = "auth", security(()), request_body = RefreshBody,
    responses((status = 200, description = "The session, with a new token pair", body = SessionView)))]
async fn refresh_session(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<SessionView>> {
    let core = &state.core;
    let session = sessions::refresh(
        &core.db,
        &core.key,
        &state.config.tokens,
        token_field(&body.refresh_token, "refresh_token")?,
        crate::clock::now(),
    )
    .await?;
    Ok(Json(session.into()))
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(()), request_body = RefreshBody,
    responses((status = 204, description = "The session is over (also for an unknown token)")))]
async fn logout(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<StatusCode> {
    let core = &state.core;
    sessions::logout(
        &core.db,
        &core.key,
        token_field(&body.refresh_token, "refresh_token")?,
        crate::clock::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, description = "The signed-in admin", body = AdminView)))]
async fn me(auth: Auth<AnyRole>) -> Json<AdminView> {
    Json(auth.admin.into())
}
