//! `/stores`: list and read for every admin; create, update, open and close for owners.
//!
//! This file is the worked example of a resource: a view, a request body and a query struct of its own,
//! handlers that check the role first, call one core function and render.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, OwnerOnly};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::entity::stores::Model;
use crate::services::stores::{self, StoreFilter, StoreInput};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_stores, create_store))
        .routes(routes!(get_store, update_store))
        .routes(routes!(open_store))
        .routes(routes!(close_store))
}

/// A store of the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreView {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub hours: Option<String>,
    /// A closed store takes no new cashiers.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for StoreView {
    fn from(s: Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            address: s.address,
            hours: s.hours,
            active: s.active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A store's editable fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreBody {
    /// Unique, 1 to 255 characters (trimmed).
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 512)]
    pub address: Option<String>,
    #[schema(max_length = 255)]
    pub hours: Option<String>,
}

impl From<StoreBody> for StoreInput {
    fn from(b: StoreBody) -> Self {
        Self {
            name: b.name,
            address: b.address,
            hours: b.hours,
        }
    }
}

/// Filters of the store list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StoreQuery {
    /// Only open (`true`) or closed (`false`) stores.
    pub active: Option<bool>,
    /// A part of the name.
    pub name: Option<String>,
}

#[utoipa::path(get, path = "/stores", tag = "stores", params(StoreQuery, PageParams),
    responses((status = 200, description = "A page of stores", body = PageBody<StoreView>)))]
async fn list_stores(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<StoreQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<StoreView>>> {
    let filter = StoreFilter {
        active: query.active,
        name: query.name,
    };
    let page = stores::page(&core.db, &filter, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, StoreView::from)))
}

#[utoipa::path(post, path = "/stores", tag = "stores", request_body = StoreBody,
    responses((status = 201, description = "The new store", body = StoreView)))]
async fn create_store(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<StoreBody>,
) -> ApiResult<(StatusCode, Json<StoreView>)> {
    let store = stores::create(&core.db, &body.into(), auth.actor(), crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(store.into())))
}

#[utoipa::path(get, path = "/stores/{id}", tag = "stores", params(("id" = i64, Path, description = "Store id")),
    responses((status = 200, description = "The store", body = StoreView)))]
async fn get_store(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StoreView>> {
    Ok(Json(stores::get(&core.db, id).await?.into()))
}

#[utoipa::path(put, path = "/stores/{id}", tag = "stores", params(("id" = i64, Path, description = "Store id")),
    request_body = StoreBody, responses((status = 200, description = "The updated store", body = StoreView)))]
async fn update_store(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StoreBody>,
) -> ApiResult<Json<StoreView>> {
    let store = stores::update(
        &core.db,
        id,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(store.into()))
}

#[utoipa::path(post, path = "/stores/{id}/open", tag = "stores", params(("id" = i64, Path, description = "Store id")),
    responses((status = 200, description = "The store, open", body = StoreView)))]
async fn open_store(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StoreView>> {
    let store = stores::set_active(&core.db, id, true, auth.actor(), crate::clock::now()).await?;
    Ok(Json(store.into()))
}

#[utoipa::path(post, path = "/stores/{id}/close", tag = "stores", params(("id" = i64, Path, description = "Store id")),
    responses((status = 200, description = "The store, closed", body = StoreView)))]
async fn close_store(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StoreView>> {
    let store = stores::set_active(&core.db, id, false, auth.actor(), crate::clock::now()).await?;
    Ok(Json(store.into()))
}
