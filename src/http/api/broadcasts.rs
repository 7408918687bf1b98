//! `/broadcasts`: messages to a segment or to every subscriber, sent by the delivery engine at the
//! global pace. Everyone reads a broadcast, its progress and its failures; owners and marketers create,
//! edit drafts, attach a photo or video, test-send to themselves, schedule (an instant, or a wall-clock
//! time in the shop's time zone), start, pause, resume and cancel.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::entity::broadcasts::BroadcastState;
use crate::error::Error;
use crate::services::broadcasts::{
    self, Broadcast, BroadcastInput, Failure, Progress, StartAt, Transition,
};
use crate::services::message_templates::MessageContent;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_broadcasts, create_broadcast))
        .routes(routes!(get_broadcast, update_broadcast))
        .routes(routes!(attach_media))
        .routes(routes!(schedule_broadcast))
        .routes(routes!(start_broadcast))
        .routes(routes!(pause_broadcast))
        .routes(routes!(resume_broadcast))
        .routes(routes!(cancel_broadcast))
        .routes(routes!(test_send_broadcast))
        .routes(routes!(broadcast_progress))
        .routes(routes!(broadcast_failures))
}

/// A broadcast.
#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastView {
    pub id: i64,
    pub name: String,
    /// The audience; `null` is every subscriber.
    pub segment_id: Option<i64>,
    pub content: MessageContent,
    /// `photo` or `video` when a file was attached.
    pub media_kind: Option<String>,
    /// Whether Telegram has the attached file already (later recipients get it by `file_id`).
    pub media_uploaded: bool,
    /// `draft`, `scheduled`, `running`, `paused`, `completed` or `cancelled`.
    #[schema(value_type = String)]
    pub state: BroadcastState,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Messages per minute; `null` is the deployment's rate.
    pub rate_per_minute: Option<u32>,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Broadcast> for BroadcastView {
    fn from(b: Broadcast) -> Self {
        Self {
            id: b.id,
            name: b.name,
            segment_id: b.segment_id,
            content: b.content,
            media_kind: b.media_kind,
            media_uploaded: b.media_uploaded,
            state: b.state,
            scheduled_at: b.scheduled_at,
            started_at: b.started_at,
            finished_at: b.finished_at,
            rate_per_minute: b.rate_per_minute,
            created_by_admin_id: b.created_by_admin_id,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// A broadcast's editable fields: `content`, or a `message_template_id` to copy it from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastBody {
    /// 1 to 255 characters.
    pub name: String,
    /// A saved segment; absent: every subscriber.
    pub segment_id: Option<i64>,
    pub message_template_id: Option<i64>,
    pub content: Option<MessageContent>,
    /// 1 to 1800 messages per minute; absent: the deployment's rate (25 by default).
    #[schema(minimum = 1, maximum = 1800)]
    pub rate_per_minute: Option<u32>,
}

impl From<BroadcastBody> for BroadcastInput {
    fn from(b: BroadcastBody) -> Self {
        Self {
            name: b.name,
            segment_id: b.segment_id,
            message_template_id: b.message_template_id,
            content: b.content,
            rate_per_minute: b.rate_per_minute,
        }
    }
}

/// When to start: `send_at` (an instant with its offset) or `send_at_local` (a wall-clock time in the
/// shop's time zone, `2026-12-05T10:00:00`); exactly one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub send_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, example = "2026-12-05T10:00:00")]
    pub send_at_local: Option<NaiveDateTime>,
}

/// The list's filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BroadcastFilter {
    /// Only broadcasts in this state.
    #[param(value_type = Option<String>)]
    pub state: Option<BroadcastState>,
}

/// The answer of a test send.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestSent {
    /// The admin's Telegram chat the message went to.
    pub telegram_id: i64,
    pub message_id: i64,
}

const ID: &str = "Broadcast id";

#[utoipa::path(get, path = "/broadcasts", tag = "broadcasts", params(BroadcastFilter, PageParams),
    responses((status = 200, description = "A page of broadcasts", body = PageBody<BroadcastView>)))]
async fn list_broadcasts(
    _: Auth<AnyRole>,
    State(state): State<ApiState>,
    ApiQuery(filter): ApiQuery<BroadcastFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<BroadcastView>>> {
    let page = page.request(IdSort::Newest)?;
    let page = broadcasts::list(&state.core.db, filter.state, &page).await?;
    Ok(Json(PageBody::render(page, BroadcastView::from)))
}

#[utoipa::path(post, path = "/broadcasts", tag = "broadcasts", request_body = BroadcastBody,
    responses((status = 201, description = "The new draft", body = BroadcastView)))]
async fn create_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<BroadcastBody>,
) -> ApiResult<(StatusCode, Json<BroadcastView>)> {
    let b = broadcasts::create(
        &state.core.db,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

#[utoipa::path(get, path = "/broadcasts/{id}", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The broadcast", body = BroadcastView)))]
async fn get_broadcast(
    _: Auth<AnyRole>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BroadcastView>> {
    Ok(Json(broadcasts::get(&state.core.db, id).await?.into()))
}

#[utoipa::path(put, path = "/broadcasts/{id}", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    request_body = BroadcastBody, responses((status = 200, description = "The changed draft", body = BroadcastView)))]
async fn update_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<BroadcastBody>,
) -> ApiResult<Json<BroadcastView>> {
    let b = broadcasts::update(
        &state.core.db,
        id,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(b.into()))
}

#[utoipa::path(put, path = "/broadcasts/{id}/media", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    request_body(content = Vec<u8>, description = "The file itself: `image/jpeg` or `image/png` (up to 10 MB), `video/mp4` (up to 50 MB)",
        content_type = "application/octet-stream"),
    responses((status = 200, description = "The draft with its media", body = BroadcastView)))]
async fn attach_media(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<BroadcastView>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if broadcasts::media_kind_of(&content_type).is_none() {
        return Err(Error::invalid("media", "unsupported_type").into());
    }
    let bytes = to_bytes(body, broadcasts::MAX_VIDEO_BYTES)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    let b = broadcasts::attach_media(
        &state.core.db,
        &state.config.media_dir,
        id,
        &content_type,
        &bytes,
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(b.into()))
}

#[utoipa::path(post, path = "/broadcasts/{id}/schedule", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    request_body = ScheduleBody, responses((status = 200, description = "Scheduled", body = BroadcastView)))]
async fn schedule_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> ApiResult<Json<BroadcastView>> {
    let at = match (body.send_at, body.send_at_local) {
        (Some(at), None) => StartAt::Instant(at),
        (None, Some(local)) => StartAt::Local(local),
        _ => return Err(Error::invalid("send_at", "send_at_or_send_at_local").into()),
    }
    .resolve(state.core.timezone)?;
    step(&state, &auth, id, Transition::Schedule(at)).await
}

async fn step(
    state: &ApiState,
    auth: &Auth<Marketers>,
    id: i64,
    transition: Transition,
) -> ApiResult<Json<BroadcastView>> {
    let b = broadcasts::transition(
        &state.core.db,
        id,
        transition,
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(b.into()))
}

#[utoipa::path(post, path = "/broadcasts/{id}/start", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Sending now", body = BroadcastView)))]
async fn start_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BroadcastView>> {
    step(&state, &auth, id, Transition::Start).await
}

#[utoipa::path(post, path = "/broadcasts/{id}/pause", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Paused", body = BroadcastView)))]
async fn pause_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BroadcastView>> {
    step(&state, &auth, id, Transition::Pause).await
}

#[utoipa::path(post, path = "/broadcasts/{id}/resume", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Sending again", body = BroadcastView)))]
async fn resume_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BroadcastView>> {
    step(&state, &auth, id, Transition::Resume).await
}

#[utoipa::path(post, path = "/broadcasts/{id}/cancel", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Cancelled: nothing more is sent", body = BroadcastView)))]
async fn cancel_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BroadcastView>> {
    step(&state, &auth, id, Transition::Cancel).await
}

#[utoipa::path(post, path = "/broadcasts/{id}/test", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Sent to the signed-in admin's own Telegram chat", body = TestSent)))]
async fn test_send_broadcast(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TestSent>> {
    let telegram_id = auth.admin.telegram_id;
    let message_id = broadcasts::test_send(
        &state.core.db,
        state.sender.as_ref(),
        id,
        telegram_id,
        "",
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(TestSent {
        telegram_id,
        message_id,
    }))
}

#[utoipa::path(get, path = "/broadcasts/{id}/progress", tag = "broadcasts", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Sent, failed, skipped, pending, the rate of the last minute and an ETA", body = Progress)))]
async fn broadcast_progress(
    _: Auth<AnyRole>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Progress>> {
    let b = broadcasts::get(&state.core.db, id).await?;
    let rate = b
        .rate_per_minute
        .unwrap_or(state.config.broadcast_rate_per_minute);
    let p = broadcasts::progress::progress(&state.core.db, id, crate::clock::now(), rate).await?;
    Ok(Json(p))
}

#[utoipa::path(get, path = "/broadcasts/{id}/failures", tag = "broadcasts",
    params(("id" = i64, Path, description = ID), PageParams),
    responses((status = 200, description = "Failed and skipped deliveries with their reasons", body = PageBody<Failure>)))]
async fn broadcast_failures(
    _: Auth<AnyRole>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<Failure>>> {
    let page =
        broadcasts::progress::failures(&state.core.db, id, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, |f| f)))
}
