//! `/audit-log`: who changed what, newest first; owner only (rows hold before/after snapshots of admins
//! and settings, which only owners may see).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{ApiQuery, Auth, OwnerOnly};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::entity::audit_log::{ActorKind, Model};
use crate::services::audit::{self, AuditFilter};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    /// `entity.verb`, such as `store.create` or `cashier.approve`.
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// The entity (or value) before the change; `null` for a creation. Any JSON.
    pub before: Option<Value>,
    /// The entity (or value) after the change. Any JSON.
    pub after: Option<Value>,
    /// The API request that made the change.
    pub request_id: Option<String>,
}

impl From<Model> for AuditView {
    fn from(row: Model) -> Self {
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        Self {
            id: row.id,
            at: row.at,
            actor_kind: row.actor_kind,
            actor_id: row.actor_id,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: parse(row.before),
            after: parse(row.after),
            request_id: row.request_id,
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_kind: Option<ActorKind>,
    /// The acting admin's id.
    pub actor_id: Option<i64>,
    /// Such as `store.create`.
    pub action: Option<String>,
    /// Such as `store`, `cashier`, `admin`, `setting`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    /// From this instant (inclusive), RFC 3339 (`2026-11-21T00:00:00Z`).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive), RFC 3339.
    pub to: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/audit-log", tag = "audit", params(AuditQuery, PageParams),
    responses((status = 200, description = "A page of the audit log (newest first unless `sort=id`)", body = PageBody<AuditView>)))]
async fn list_audit(
    _: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<AuditQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<AuditView>>> {
    let filter = AuditFilter {
        actor_kind: query.actor_kind,
        actor_id: query.actor_id,
        action: query.action,
        entity: query.entity,
        entity_id: query.entity_id,
        request_id: query.request_id,
        from: query.from,
        to: query.to,
    };
    let page = audit::page(&core.db, &filter, &page.request(IdSort::Newest)?).await?;
    Ok(Json(PageBody::render(page, AuditView::from)))
}
