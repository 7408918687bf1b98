//! `/discount-templates`: what welcome, birthday and manual discounts are worth. Everyone reads; owners
//! and marketers create, change, activate and deactivate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::domain::DiscountValue;
use crate::entity::discount_templates::{DiscountKind, Model, ValueKind};
use crate::error::Result;
use crate::services::templates::{self, TemplateFilter, TemplateInput};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template))
        .routes(routes!(activate_template))
        .routes(routes!(deactivate_template))
}

/// What a discount is worth: `percent` (0.01–100) or `fixed` roubles (0.01–1,000,000), at most two
/// decimals, as a decimal string.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueBody {
    pub kind: ValueKind,
    #[schema(value_type = String, example = "10.5", pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub value: Decimal,
}

impl From<ValueBody> for DiscountValue {
    fn from(v: ValueBody) -> Self {
        match v.kind {
            ValueKind::Percent => DiscountValue::Percent(v.value),
            ValueKind::Fixed => DiscountValue::Fixed(v.value),
        }
    }
}

impl From<DiscountValue> for ValueBody {
    fn from(v: DiscountValue) -> Self {
        match v {
            DiscountValue::Percent(value) => Self {
                kind: ValueKind::Percent,
                value,
            },
            DiscountValue::Fixed(value) => Self {
                kind: ValueKind::Fixed,
                value,
            },
        }
    }
}

/// A discount template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub kind: DiscountKind,
    pub name: String,
    pub value: ValueBody,
    pub validity_days: i32,
    /// For `subscription` and `birthday`, at most one template is active.
    pub active: bool,
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TemplateView {
    fn of(t: Model) -> Result<Self> {
        Ok(Self {
            value: templates::value_of(&t)?.into(),
            id: t.id,
            kind: t.kind,
            name: t.name,
            validity_days: t.validity_days,
            active: t.active,
            text: t.text,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
    }
}

/// A template's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub kind: DiscountKind,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: String,
    pub value: ValueBody,
    /// Days a code stays valid, 1 to 3650.
    #[schema(minimum = 1, maximum = 3650)]
    pub validity_days: i32,
    /// Activating a welcome or birthday template deactivates the other ones of its kind.
    pub active: bool,
    #[schema(max_length = 4000)]
    pub text: Option<String>,
}

impl From<TemplateBody> for TemplateInput {
    fn from(b: TemplateBody) -> Self {
        Self {
            kind: b.kind,
            name: b.name,
            value: b.value.into(),
            validity_days: b.validity_days,
            active: b.active,
            text: b.text,
        }
    }
}

/// Filters of the template list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    pub kind: Option<DiscountKind>,
    pub active: Option<bool>,
}

#[utoipa::path(get, path = "/discount-templates", tag = "discount-templates", params(TemplateQuery, PageParams),
    responses((status = 200, description = "A page of templates", body = PageBody<TemplateView>)))]
async fn list_templates(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<TemplateQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<TemplateView>>> {
    let filter = TemplateFilter {
        kind: query.kind,
        active: query.active,
    };
    let page = templates::page(&core.db, &filter, &page.request(IdSort::Oldest)?).await?;
    let page = page.try_map(TemplateView::of)?;
    Ok(Json(PageBody::render(page, |t| t)))
}

#[utoipa::path(post, path = "/discount-templates", tag = "discount-templates", request_body = TemplateBody,
    responses((status = 201, description = "The new template", body = TemplateView)))]
async fn create_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    let template =
        templates::create(&core.db, &body.into(), auth.actor(), crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(TemplateView::of(template)?)))
}

#[utoipa::path(get, path = "/discount-templates/{id}", tag = "discount-templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = TemplateView)))]
async fn get_template(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(TemplateView::of(templates::get(&core.db, id).await?)?))
}

#[utoipa::path(put, path = "/discount-templates/{id}", tag = "discount-templates",
    params(("id" = i64, Path, description = "Template id")), request_body = TemplateBody,
    responses((status = 200, description = "The updated template", body = TemplateView)))]
async fn update_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<Json<TemplateView>> {
    let now = crate::clock::now();
    let template = templates::update(&core.db, id, &body.into(), auth.actor(), now).await?;
    Ok(Json(TemplateView::of(template)?))
}

#[utoipa::path(post, path = "/discount-templates/{id}/activate", tag = "discount-templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template, active", body = TemplateView)))]
async fn activate_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    let template =
        templates::set_active(&core.db, id, true, auth.actor(), crate::clock::now()).await?;
    Ok(Json(TemplateView::of(template)?))
}

#[utoipa::path(post, path = "/discount-templates/{id}/deactivate", tag = "discount-templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template, inactive", body = TemplateView)))]
async fn deactivate_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    let template =
        templates::set_active(&core.db, id, false, auth.actor(), crate::clock::now()).await?;
    Ok(Json(TemplateView::of(template)?))
}
