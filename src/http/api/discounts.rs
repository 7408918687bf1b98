//! `/discounts`: issued discounts. Everyone reads; owners and marketers revoke, and issue a manual
//! discount to a list of users or to a segment as a background task (`/discounts/bulk`) whose progress is
//! read at `/discounts/bulk/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use super::templates::ValueBody;
use crate::app::Core;
use crate::entity::discount_templates::DiscountKind;
use crate::entity::discounts::{DiscountState, Model};
use crate::error::{Error, Result};
use crate::services::discount_list::{self, DiscountFilter};
use crate::services::discount_tasks::{self, BulkIssueInput, BulkTarget, Progress};
use crate::services::discounts;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_discounts))
        .routes(routes!(get_discount))
        .routes(routes!(revoke_discount))
        .routes(routes!(bulk_issue))
        .routes(routes!(bulk_progress))
}

/// An issued discount (its code is shown only when it is issued).
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountView {
    pub id: i64,
    pub user_id: i64,
    pub kind: DiscountKind,
    pub value: ValueBody,
    /// As of now: an active code past its expiry shows as `expired`.
    pub state: DiscountState,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub template_id: Option<i64>,
    pub issued_by_admin_id: Option<i64>,
    pub note: Option<String>,
}

impl DiscountView {
    pub fn of(d: Model, now: DateTime<Utc>) -> Result<Self> {
        Ok(Self {
            value: discounts::value_of(&d)?.into(),
            state: discounts::effective_state(&d, now),
            id: d.id,
            user_id: d.user_id,
            kind: d.kind,
            issued_at: d.issued_at,
            expires_at: d.expires_at,
            redeemed_at: d.redeemed_at,
            revoked_at: d.revoked_at,
            template_id: d.template_id,
            issued_by_admin_id: d.issued_by_admin_id,
            note: d.note,
        })
    }
}

/// A discount just issued, with its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedView {
    pub discount: DiscountView,
    /// The code as printed (`ABCDE-FGHJK`), shown once here (the customer sees it in the client bot).
    pub code: String,
}

/// Filters of the discount list; they combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscountQuery {
    pub user_id: Option<i64>,
    pub kind: Option<DiscountKind>,
    /// `active` means usable now; `expired` includes active codes past their expiry.
    pub state: Option<DiscountState>,
    /// Issued on or after this date (shop time zone).
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this date (shop time zone).
    pub issued_to: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/discounts", tag = "discounts", params(DiscountQuery, PageParams),
    responses((status = 200, description = "A page of discounts (newest first by default)", body = PageBody<DiscountView>)))]
async fn list_discounts(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<DiscountQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<DiscountView>>> {
    let filter = DiscountFilter {
        user_id: query.user_id,
        kind: query.kind,
        state: query.state,
        issued_from: query.issued_from,
        issued_to: query.issued_to,
    };
    let now = crate::clock::now();
    let request = page.request(IdSort::Newest)?;
    let page = discount_list::list(&core.db, &filter, &request, core.timezone, now).await?;
    let page = page.try_map(|d| DiscountView::of(d, now))?;
    Ok(Json(PageBody::render(page, |d| d)))
}

#[utoipa::path(get, path = "/discounts/{id}", tag = "discounts", params(("id" = i64, Path, description = "Discount id")),
    responses((status = 200, description = "The discount", body = DiscountView)))]
async fn get_discount(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DiscountView>> {
    let discount = discounts::get(&core.db, id).await?;
    Ok(Json(DiscountView::of(discount, crate::clock::now())?))
}

#[utoipa::path(post, path = "/discounts/{id}/revoke", tag = "discounts", params(("id" = i64, Path, description = "Discount id")),
    responses((status = 200, description = "The discount, revoked", body = DiscountView)))]
async fn revoke_discount(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DiscountView>> {
    let now = crate::clock::now();
    let discount = discounts::revoke(&core.db, id, auth.admin_id(), now).await?;
    Ok(Json(DiscountView::of(discount, now)?))
}

/// One manual discount to each user of a list or of a segment. Give `user_ids` or `segment_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkIssueBody {
    /// Up to 100,000 user ids (duplicates count once; unknown or blocked users fail with their reason).
    pub user_ids: Option<Vec<i64>>,
    /// A saved segment: its users when the task starts, blocked users left out.
    pub segment_id: Option<i64>,
    pub value: ValueBody,
    #[schema(minimum = 1, maximum = 3650)]
    pub validity_days: i32,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/discounts/bulk", tag = "discounts", request_body = BulkIssueBody,
    responses((status = 202, description = "The task, started in the background", body = Progress)))]
async fn bulk_issue(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<BulkIssueBody>,
) -> ApiResult<(StatusCode, Json<Progress>)> {
    let target = match (body.user_ids, body.segment_id) {
        (Some(ids), None) => BulkTarget::Users(ids),
        (None, Some(id)) => BulkTarget::Segment(id),
        _ => return Err(Error::invalid("user_ids", "user_ids_or_segment_id").into()),
    };
    let input = BulkIssueInput {
        target,
        value: body.value.into(),
        validity_days: body.validity_days,
        note: body.note,
    };
    let task = discount_tasks::create(
        &core.db,
        &input,
        auth.admin_id(),
        core.timezone,
        crate::clock::now(),
    )
    .await?;
    discount_tasks::spawn(&core, task.id);
    Ok((StatusCode::ACCEPTED, Json(task)))
}

#[utoipa::path(get, path = "/discounts/bulk/{id}", tag = "discounts", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Where the task stands", body = Progress)))]
async fn bulk_progress(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Progress>> {
    Ok(Json(discount_tasks::progress(&core.db, id).await?))
}
