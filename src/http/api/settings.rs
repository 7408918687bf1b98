//! `/settings`: the shop's run-time settings, owner only.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{ApiJson, Auth, OwnerOnly};
use super::state::ApiState;
use crate::app::Core;
use crate::domain::Language;
use crate::error::Error;
use crate::services::settings::{self, ShopSettings};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

/// The settings in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// The language of users whose Telegram language is not supported.
    pub default_language: Language,
    /// A birthday set fewer than this many days before the date earns no discount that year.
    pub birthday_min_days_before: u32,
    /// Customers are reminded this many days before a code expires.
    pub expiry_reminder_days: u32,
    /// Audit rows older than this are deleted.
    pub audit_retention_days: u32,
    /// Broadcast messages per minute across all instances.
    pub broadcast_rate_per_minute: u32,
    /// The shop's channel (`@name` or numeric id); subscribing requires membership when set.
    pub channel: Option<String>,
    pub shop_contacts: String,
    pub shop_addresses: String,
    pub shop_hours: String,
    /// Signing-code attempts per user per hour (0: no limit).
    pub code_attempts_per_hour: u32,
    /// Redemptions per cashier per minute (0: no limit).
    pub redemptions_per_cashier_per_minute: u32,
}

impl From<ShopSettings> for SettingsView {
    fn from(s: ShopSettings) -> Self {
        Self {
            default_language: s.default_language,
            birthday_min_days_before: s.birthday_min_days_before,
            expiry_reminder_days: s.expiry_reminder_days,
            audit_retention_days: s.audit_retention_days,
            broadcast_rate_per_minute: s.broadcast_rate_per_minute,
            channel: s.channel,
            shop_contacts: s.shop_contacts,
            shop_addresses: s.shop_addresses,
            shop_hours: s.shop_hours,
            code_attempts_per_hour: s.code_attempts_per_hour,
            redemptions_per_cashier_per_minute: s.redemptions_per_cashier_per_minute,
        }
    }
}

/// Settings to change; absent fields stay as they are. All changes apply together or not at all.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_language: Option<Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 365)]
    pub birthday_min_days_before: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 365)]
    pub expiry_reminder_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 36500)]
    pub audit_retention_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1800)]
    pub broadcast_rate_per_minute: Option<u32>,
    /// The channel's `@username` or its numeric id; an empty string clears it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^(|@[A-Za-z0-9_]{5,32}|-?[0-9]{1,18})$")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_contacts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_addresses: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_hours: Option<String>,
    /// Signing-code attempts per user per hour; 0 switches the limit off.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000)]
    pub code_attempts_per_hour: Option<u32>,
    /// Redemptions per cashier per minute; 0 switches the limit off.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000)]
    pub redemptions_per_cashier_per_minute: Option<u32>,
}

impl SettingsPatch {
    /// The present fields as setting key → value; an empty `channel` becomes `null` (no channel).
    fn changes(&self) -> Result<Map<String, Value>, Error> {
        let Value::Object(mut map) =
            serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))?
        else {
            return Err(Error::Internal("a patch serializes to an object".into()));
        };
        if map
            .get("channel")
            .and_then(Value::as_str)
            .is_some_and(|c| c.trim().is_empty())
        {
            map.insert("channel".into(), Value::Null);
        }
        Ok(map)
    }
}

#[utoipa::path(get, path = "/settings", tag = "settings",
    responses((status = 200, description = "The settings in force", body = SettingsView)))]
async fn get_settings(
    _: Auth<OwnerOnly>,
    State(core): State<Core>,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(settings::get(&core.db).await?.into()))
}

#[utoipa::path(patch, path = "/settings", tag = "settings", request_body = SettingsPatch,
    responses((status = 200, description = "The settings in force after the change", body = SettingsView)))]
async fn update_settings(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> ApiResult<Json<SettingsView>> {
    let changes = patch.changes()?;
    let updated = settings::update(&core.db, changes, auth.actor(), crate::clock::now()).await?;
    Ok(Json(updated.into()))
}
