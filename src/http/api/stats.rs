//! `/stats`: the key figures per day over a date range of the shop's time zone (the last 30 days by
//! default), and the current totals. Every admin reads them.

use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiQuery, Auth};
use super::state::ApiState;
use crate::app::Core;
use crate::services::kpis::{self, Kpis};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_stats))
}

/// The range of local days (shop time zone), at most 366 days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The first day; default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// The last day; default today.
    pub to: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/stats", tag = "stats", params(StatsQuery),
    responses((status = 200, description = "The figures per day and the current totals", body = Kpis)))]
async fn get_stats(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> ApiResult<Json<Kpis>> {
    let now = crate::clock::now();
    let to = query
        .to
        .unwrap_or_else(|| now.with_timezone(&core.timezone).date_naive());
    let from = query.from.unwrap_or(to - Duration::days(29));
    let report = kpis::report(&core.db, &core.kv, core.timezone, from, to, now).await?;
    Ok(Json(report))
}
