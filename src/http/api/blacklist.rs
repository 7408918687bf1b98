//! `/blacklist`: blocked users and phones (anti-fraud), for owners and marketing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::deals::name_of;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::entity::blacklist::Model;
use crate::error::Error;
use crate::services::blacklist::{self, BlacklistInput, BlacklistKind};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries, add_entry))
        .routes(routes!(get_entry, remove_entry))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlacklistView {
    pub id: i64,
    /// `user` or `phone`.
    pub kind: String,
    pub value: String,
    pub reason: Option<String>,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<Model> for BlacklistView {
    fn from(e: Model) -> Self {
        Self {
            id: e.id,
            kind: name_of(e.kind),
            value: e.value,
            reason: e.reason,
            created_by_admin_id: e.created_by_admin_id,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlacklistBody {
    /// `user` or `phone`.
    #[schema(example = "phone")]
    pub kind: String,
    /// A user id or a phone number.
    #[schema(min_length = 1, max_length = 64)]
    pub value: String,
    #[schema(max_length = 255)]
    pub reason: Option<String>,
}

fn kind_of(text: &str) -> Result<BlacklistKind, Error> {
    serde_json::from_value(serde_json::Value::String(text.into()))
        .map_err(|_| Error::invalid("kind", "unknown"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlacklistQuery {
    /// Only `user` or `phone` entries.
    pub kind: Option<String>,
}

#[utoipa::path(get, path = "/blacklist", tag = "blacklist", params(BlacklistQuery, PageParams),
    responses((status = 200, description = "A page of entries", body = PageBody<BlacklistView>)))]
async fn list_entries(
    _: Auth<Marketers>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<BlacklistQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<BlacklistView>>> {
    let kind = query
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(kind_of)
        .transpose()?;
    let page = blacklist::page(&core.db, kind, &page.request(IdSort::Newest)?).await?;
    Ok(Json(PageBody::render(page, BlacklistView::from)))
}

#[utoipa::path(post, path = "/blacklist", tag = "blacklist", request_body = BlacklistBody,
    responses((status = 201, description = "The new entry", body = BlacklistView)))]
async fn add_entry(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<BlacklistBody>,
) -> ApiResult<(StatusCode, Json<BlacklistView>)> {
    let input = BlacklistInput {
        kind: kind_of(&body.kind)?,
        value: body.value,
        reason: body.reason,
    };
    let entry = blacklist::add(&core.db, &input, auth.actor(), crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

#[utoipa::path(get, path = "/blacklist/{id}", tag = "blacklist", params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, description = "The entry", body = BlacklistView)))]
async fn get_entry(
    _: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BlacklistView>> {
    Ok(Json(blacklist::get(&core.db, id).await?.into()))
}

#[utoipa::path(delete, path = "/blacklist/{id}", tag = "blacklist", params(("id" = i64, Path, description = "Entry id")),
    responses((status = 204, description = "Removed")))]
async fn remove_entry(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    blacklist::remove(&core.db, id, auth.actor(), crate::clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
