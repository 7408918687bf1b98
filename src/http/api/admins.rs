//! `/admins`: the panel's admins, owner only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, OwnerOnly};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::entity::admins::{AdminRole, Model};
use crate::services::admins::{self, AdminChange, AdminFilter};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_admins, create_admin))
        .routes(routes!(get_admin, update_admin))
}

/// An admin of the panel, bound to a Telegram user.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminView {
    pub id: i64,
    pub telegram_id: i64,
    pub role: AdminRole,
    pub name: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for AdminView {
    fn from(a: Model) -> Self {
        Self {
            id: a.id,
            telegram_id: a.telegram_id,
            role: a.role,
            name: a.name,
            active: a.active,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A new admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdmin {
    /// The Telegram user id (positive).
    #[schema(minimum = 1)]
    pub telegram_id: i64,
    pub role: AdminRole,
    #[schema(max_length = 255)]
    pub name: Option<String>,
}

/// What to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPatch {
    pub role: Option<AdminRole>,
    /// `false` switches the admin off and ends their sessions.
    pub active: Option<bool>,
}

/// Filters of the admin list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminQuery {
    pub role: Option<AdminRole>,
    pub active: Option<bool>,
}

#[utoipa::path(get, path = "/admins", tag = "admins", params(AdminQuery, PageParams),
    responses((status = 200, description = "A page of admins", body = PageBody<AdminView>)))]
async fn list_admins(
    _: Auth<OwnerOnly>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<AdminQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<AdminView>>> {
    let filter = AdminFilter {
        role: query.role,
        active: query.active,
    };
    let page = admins::page(&state.core.db, &filter, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, AdminView::from)))
}

#[utoipa::path(post, path = "/admins", tag = "admins", request_body = NewAdmin,
    responses((status = 201, description = "The new admin", body = AdminView)))]
async fn create_admin(
    auth: Auth<OwnerOnly>,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewAdmin>,
) -> ApiResult<(StatusCode, Json<AdminView>)> {
    let now = crate::clock::now();
    let admin = admins::add(
        &state.core.db,
        body.telegram_id,
        body.role,
        body.name,
        auth.actor(),
        now,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(admin.into())))
}

#[utoipa::path(get, path = "/admins/{id}", tag = "admins", params(("id" = i64, Path, description = "Admin id")),
    responses((status = 200, description = "The admin", body = AdminView)))]
async fn get_admin(
    _: Auth<OwnerOnly>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AdminView>> {
    Ok(Json(admins::get(&state.core.db, id).await?.into()))
}

#[utoipa::path(patch, path = "/admins/{id}", tag = "admins", params(("id" = i64, Path, description = "Admin id")),
    request_body = AdminPatch, responses((status = 200, description = "The updated admin", body = AdminView)))]
async fn update_admin(
    auth: Auth<OwnerOnly>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AdminPatch>,
) -> ApiResult<Json<AdminView>> {
    let change = AdminChange {
        role: body.role,
        active: body.active,
    };
    let admin = admins::change(
        &state.core.db,
        id,
        change,
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    // This process sees the change at once; others within the cache's two seconds.
    state.admins.forget(id);
    Ok(Json(admin.into()))
}
