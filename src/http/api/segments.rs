//! `/segments`: saved audience filters with a live count. Everyone reads and counts (also an unsaved
//! filter, `POST /segments/count`); owners and marketers create, change and delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::services::segments::{self, Segment, SegmentCount, SegmentFilter, SegmentInput};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_segments, create_segment))
        .routes(routes!(get_segment, update_segment, delete_segment))
        .routes(routes!(count_filter))
        .routes(routes!(count_segment))
}

/// A saved segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    pub filter: SegmentFilter,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Segment> for SegmentView {
    fn from(s: Segment) -> Self {
        Self {
            id: s.id,
            name: s.name,
            filter: s.filter,
            created_by_admin_id: s.created_by_admin_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A segment's editable fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// 1 to 255 characters.
    pub name: String,
    pub filter: SegmentFilter,
}

impl From<SegmentBody> for SegmentInput {
    fn from(b: SegmentBody) -> Self {
        Self {
            name: b.name,
            filter: b.filter,
        }
    }
}

/// A filter to count without saving it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountBody {
    pub filter: SegmentFilter,
}

#[utoipa::path(get, path = "/segments", tag = "segments", params(PageParams),
    responses((status = 200, description = "A page of segments", body = PageBody<SegmentView>)))]
async fn list_segments(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<SegmentView>>> {
    let page = segments::list(&core.db, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, SegmentView::from)))
}

#[utoipa::path(post, path = "/segments", tag = "segments", request_body = SegmentBody,
    responses((status = 201, description = "The new segment", body = SegmentView)))]
async fn create_segment(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<SegmentBody>,
) -> ApiResult<(StatusCode, Json<SegmentView>)> {
    let segment =
        segments::create(&core.db, &body.into(), auth.actor(), crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(segment.into())))
}

#[utoipa::path(get, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "Segment id")),
    responses((status = 200, description = "The segment", body = SegmentView)))]
async fn get_segment(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SegmentView>> {
    Ok(Json(segments::get(&core.db, id).await?.into()))
}

#[utoipa::path(put, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "Segment id")),
    request_body = SegmentBody, responses((status = 200, description = "The updated segment", body = SegmentView)))]
async fn update_segment(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SegmentBody>,
) -> ApiResult<Json<SegmentView>> {
    let segment = segments::update(
        &core.db,
        id,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(segment.into()))
}

#[utoipa::path(delete, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "Segment id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_segment(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    segments::delete(&core.db, id, auth.actor(), crate::clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/segments/count", tag = "segments", request_body = CountBody,
    responses((status = 200, description = "How many users the filter selects now", body = SegmentCount)))]
async fn count_filter(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<CountBody>,
) -> ApiResult<Json<SegmentCount>> {
    let count = segments::count(&core.db, &body.filter, core.timezone, crate::clock::now()).await?;
    Ok(Json(count))
}

#[utoipa::path(get, path = "/segments/{id}/count", tag = "segments", params(("id" = i64, Path, description = "Segment id")),
    responses((status = 200, description = "How many users the segment selects now", body = SegmentCount)))]
async fn count_segment(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SegmentCount>> {
    let count = segments::count_saved(&core.db, id, core.timezone, crate::clock::now()).await?;
    Ok(Json(count))
}
