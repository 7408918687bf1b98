//! `/message-templates`: reusable message content (a text per language in Telegram's HTML subset, media,
//! URL buttons). Everyone reads; owners and marketers create, change and delete.

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
use crate::services::message_templates::{
    self, MessageContent, MessageTemplate, MessageTemplateInput,
};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_message_templates, create_message_template))
        .routes(routes!(
            get_message_template,
            update_message_template,
            delete_message_template
        ))
}

/// A message template.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageTemplateView {
    pub id: i64,
    pub name: String,
    pub content: MessageContent,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MessageTemplate> for MessageTemplateView {
    fn from(t: MessageTemplate) -> Self {
        Self {
            id: t.id,
            name: t.name,
            content: t.content,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A template's editable fields. The text must be Telegram HTML (`b strong i em u ins s strike del`,
/// `span class="tg-spoiler"`, `tg-spoiler`, `a href`, `code`, `pre`, `blockquote`); a refusal names the
/// field and the tag (`tag_not_allowed:script`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplateBody {
    /// Unique, 1 to 255 characters.
    pub name: String,
    pub content: MessageContent,
}

impl From<MessageTemplateBody> for MessageTemplateInput {
    fn from(b: MessageTemplateBody) -> Self {
        Self {
            name: b.name,
            content: b.content,
        }
    }
}

#[utoipa::path(get, path = "/message-templates", tag = "message-templates", params(PageParams),
    responses((status = 200, description = "A page of templates", body = PageBody<MessageTemplateView>)))]
async fn list_message_templates(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<MessageTemplateView>>> {
    let page = message_templates::list(&core.db, &page.request(IdSort::Oldest)?).await?;
    Ok(Json(PageBody::render(page, MessageTemplateView::from)))
}

#[utoipa::path(post, path = "/message-templates", tag = "message-templates", request_body = MessageTemplateBody,
    responses((status = 201, description = "The new template", body = MessageTemplateView)))]
async fn create_message_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<MessageTemplateBody>,
) -> ApiResult<(StatusCode, Json<MessageTemplateView>)> {
    let template =
        message_templates::create(&core.db, &body.into(), auth.actor(), crate::clock::now())
            .await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}

#[utoipa::path(get, path = "/message-templates/{id}", tag = "message-templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = MessageTemplateView)))]
async fn get_message_template(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MessageTemplateView>> {
    Ok(Json(message_templates::get(&core.db, id).await?.into()))
}

#[utoipa::path(put, path = "/message-templates/{id}", tag = "message-templates",
    params(("id" = i64, Path, description = "Template id")), request_body = MessageTemplateBody,
    responses((status = 200, description = "The updated template", body = MessageTemplateView)))]
async fn update_message_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MessageTemplateBody>,
) -> ApiResult<Json<MessageTemplateView>> {
    let template = message_templates::update(
        &core.db,
        id,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(template.into()))
}

#[utoipa::path(delete, path = "/message-templates/{id}", tag = "message-templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_message_template(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    message_templates::delete(&core.db, id, auth.actor(), crate::clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
