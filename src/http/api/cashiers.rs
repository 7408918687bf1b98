//! `/cashiers`: staff-bot cashiers; everyone reads, owners and marketers decide.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::entity::cashiers::{CashierState, Model};
use crate::services::cashiers::{self, CashierFilter};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_cashiers))
        .routes(routes!(get_cashier))
        .routes(routes!(approve_cashier))
        .routes(routes!(reject_cashier))
        .routes(routes!(revoke_cashier))
}

/// A cashier of the staff bot.
#[derive(Debug, Serialize, ToSchema)]
pub struct CashierView {
    pub id: i64,
    pub telegram_id: i64,
    pub name: String,
    pub store_id: i64,
    pub state: CashierState,
    pub decided_by_admin_id: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for CashierView {
    fn from(c: Model) -> Self {
        Self {
            id: c.id,
            telegram_id: c.telegram_id,
            name: c.name,
            store_id: c.store_id,
            state: c.state,
            decided_by_admin_id: c.decided_by_admin_id,
            decided_at: c.decided_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Filters of the cashier list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CashierQuery {
    pub state: Option<CashierState>,
    pub store_id: Option<i64>,
}

#[utoipa::path(get, path = "/cashiers", tag = "cashiers", params(CashierQuery, PageParams),
    responses((status = 200, description = "A page of cashiers", body = PageBody<CashierView>)))]
async fn list_cashiers(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<CashierQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<CashierView>>> {
    let filter = CashierFilter {
        state: query.state,
        store_id: query.store_id,
    };
    let page = cashiers::page(&core.db, &filter, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, CashierView::from)))
}

#[utoipa::path(get, path = "/cashiers/{id}", tag = "cashiers", params(("id" = i64, Path, description = "Cashier id")),
    responses((status = 200, description = "The cashier", body = CashierView)))]
async fn get_cashier(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CashierView>> {
    Ok(Json(cashiers::get(&core.db, id).await?.into()))
}

#[utoipa::path(post, path = "/cashiers/{id}/approve", tag = "cashiers", params(("id" = i64, Path, description = "Cashier id")),
    responses((status = 200, description = "The cashier, approved (409 CASHIER_NOT_PENDING unless pending)", body = CashierView)))]
async fn approve_cashier(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CashierView>> {
    let cashier = cashiers::approve(&core.db, id, auth.admin_id(), crate::clock::now()).await?;
    Ok(Json(cashier.into()))
}

#[utoipa::path(post, path = "/cashiers/{id}/reject", tag = "cashiers", params(("id" = i64, Path, description = "Cashier id")),
    responses((status = 200, description = "The cashier, rejected (409 CASHIER_NOT_PENDING unless pending)", body = CashierView)))]
async fn reject_cashier(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CashierView>> {
    let cashier = cashiers::reject(&core.db, id, auth.admin_id(), crate::clock::now()).await?;
    Ok(Json(cashier.into()))
}

#[utoipa::path(post, path = "/cashiers/{id}/revoke", tag = "cashiers", params(("id" = i64, Path, description = "Cashier id")),
    responses((status = 200, description = "The cashier, revoked (409 CASHIER_NOT_APPROVED unless approved)", body = CashierView)))]
async fn revoke_cashier(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CashierView>> {
    let cashier = cashiers::revoke(&core.db, id, auth.admin_id(), crate::clock::now()).await?;
    Ok(Json(cashier.into()))
}
