//! `/redemptions`: the usage log, filtered by store, cashier, kind and date, newest first; and its CSV
//! export, streamed chunk by chunk (a million rows never sit in memory at once).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiQuery, Auth};
use super::pagination::PageBody;
use super::sorted;
use super::state::ApiState;
use super::templates::ValueBody;
use crate::app::Core;
use crate::domain::DiscountValue;
use crate::entity::discount_templates::DiscountKind;
use crate::error::Result;
use crate::services::redemption_log::{self, CsvExport, RedemptionFilter, RedemptionRow};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_redemptions))
        .routes(routes!(export_redemptions))
}

/// One redemption with its discount, store and cashier.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionView {
    pub id: i64,
    pub redeemed_at: DateTime<Utc>,
    /// The receipt total in roubles, if the cashier gave it.
    #[schema(value_type = Option<String>, example = "1234.50")]
    pub receipt_amount: Option<Decimal>,
    pub discount_id: i64,
    pub kind: DiscountKind,
    pub value: ValueBody,
    pub user_id: i64,
    pub store_id: i64,
    pub store_name: Option<String>,
    pub cashier_id: i64,
    pub cashier_name: Option<String>,
}

impl RedemptionView {
    fn of(row: RedemptionRow) -> Result<Self> {
        let value =
            DiscountValue::from_stored(row.value_kind, row.percent_bp, row.value_amount_minor)?;
        Ok(Self {
            id: row.id,
            redeemed_at: row.redeemed_at,
            receipt_amount: row.amount_minor.map(|m| Decimal::new(m, 2)),
            discount_id: row.discount_id,
            kind: row.kind,
            value: value.into(),
            user_id: row.user_id,
            store_id: row.store_id,
            store_name: row.store_name,
            cashier_id: row.cashier_id,
            cashier_name: row.cashier_name,
        })
    }
}

/// Filters of the usage log; they combine with AND.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedemptionQuery {
    pub store_id: Option<i64>,
    pub cashier_id: Option<i64>,
    pub kind: Option<DiscountKind>,
    /// Redeemed on or after this date (shop time zone).
    pub from: Option<NaiveDate>,
    /// Redeemed on or before this date (shop time zone).
    pub to: Option<NaiveDate>,
}

impl From<RedemptionQuery> for RedemptionFilter {
    fn from(q: RedemptionQuery) -> Self {
        Self {
            store_id: q.store_id,
            cashier_id: q.cashier_id,
            kind: q.kind,
            from: q.from,
            to: q.to,
        }
    }
}

/// The order of the usage log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum RedemptionSort {
    #[serde(rename = "redeemed_at")]
    Oldest,
    #[serde(rename = "-redeemed_at")]
    Newest,
}

/// Paging of the usage log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedemptionPageParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (with the same `sort`).
    pub cursor: Option<String>,
    /// Also count every matching row.
    pub include_total: Option<bool>,
    /// Default `-redeemed_at` (newest first).
    pub sort: Option<RedemptionSort>,
}

#[utoipa::path(get, path = "/redemptions", tag = "redemptions", params(RedemptionQuery, RedemptionPageParams),
    responses((status = 200, description = "A page of the usage log", body = PageBody<RedemptionView>)))]
async fn list_redemptions(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<RedemptionQuery>,
    ApiQuery(page): ApiQuery<RedemptionPageParams>,
) -> ApiResult<Json<PageBody<RedemptionView>>> {
    let direction = match page.sort.unwrap_or(RedemptionSort::Newest) {
        RedemptionSort::Oldest => crate::services::paging::Direction::Asc,
        RedemptionSort::Newest => crate::services::paging::Direction::Desc,
    };
    let request = sorted::request(
        page.limit,
        page.cursor.as_deref(),
        page.include_total,
        "redeemed_at",
        direction,
    )?;
    let page = redemption_log::list(&core.db, &query.into(), &request, core.timezone).await?;
    let page = page.try_map(RedemptionView::of)?;
    Ok(Json(PageBody::render(page, |r| r)))
}

#[utoipa::path(get, path = "/redemptions/export.csv", tag = "redemptions", params(RedemptionQuery),
    responses((status = 200, description = "The filtered usage log as CSV (UTF-8 with a byte order mark, \
CRLF lines, newest first; money in roubles with two decimals)", content_type = "text/csv", body = String)))]
async fn export_redemptions(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<RedemptionQuery>,
) -> ApiResult<Response> {
    let mut export = CsvExport::new(query.into(), core.timezone)?;
    // The first chunk is read before answering, so a failure is still a proper error response.
    let first = export.next_chunk(&core.db).await?.unwrap_or_default();
    let first = format!("\u{feff}{first}");
    let db = core.db.clone();
    let rest = futures_util::stream::unfold(Some(export), move |state| {
        let db = db.clone();
        async move {
            let mut export = state?;
            match export.next_chunk(&db).await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(export))),
                Ok(None) => None,
                Err(e) => {
                    // Headers are gone: the only way left to say "incomplete" is to cut the stream.
                    tracing::error!(error = %e, "the CSV export stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }),
        rest,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"redemptions.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
