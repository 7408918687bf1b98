//! Settings an owner changes at run time, typed, with defaults. Each stored row overrides one field of
//! [`ShopSettings::default`]; a row from a newer version with an unknown key is ignored on read.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::audit::{self, Actor, Entry};
use crate::domain::Language;
use crate::entity::settings::{self, Entity as Settings};
use crate::error::{Error, FieldError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopSettings {
    /// The language of users whose Telegram language is not supported.
    pub default_language: Language,
    /// A birthday set fewer than this many days before the date earns no discount that year.
    pub birthday_min_days_before: u32,
    /// Customers are reminded this many days before a code expires.
    pub expiry_reminder_days: u32,
    /// Audit rows older than this are deleted by the cleanup job.
    pub audit_retention_days: u32,
    /// Broadcast messages per minute across all instances (Telegram allows about 1800).
    pub broadcast_rate_per_minute: u32,
    /// The shop's channel (`@name` or numeric id); subscribing requires membership when set.
    pub channel: Option<String>,
    pub shop_contacts: String,
    pub shop_addresses: String,
    pub shop_hours: String,
    /// Anti-fraud: signing-code attempts per user per hour (0: no limit).
    pub code_attempts_per_hour: u32,
    /// Anti-fraud: redemptions per cashier per minute (0: no limit; at most 1000).
    pub redemptions_per_cashier_per_minute: u32,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            default_language: Language::Ru,
            birthday_min_days_before: 7,
            expiry_reminder_days: 3,
            audit_retention_days: 365,
            broadcast_rate_per_minute: 25,
            channel: None,
            shop_contacts: String::new(),
            shop_addresses: String::new(),
            shop_hours: String::new(),
            code_attempts_per_hour: 10,
            redemptions_per_cashier_per_minute: 30,
        }
    }
}

impl ShopSettings {
    /// The bounds of every field, as field errors.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut range = |field: &str, value: u32, min: u32, max: u32| {
            if !(min..=max).contains(&value) {
                errors.push(FieldError {
                    field: field.into(),
                    reason: "out_of_range".into(),
                });
            }
        };
        range(
            "birthday_min_days_before",
            self.birthday_min_days_before,
            0,
            365,
        );
        range("expiry_reminder_days", self.expiry_reminder_days, 0, 365);
        range("audit_retention_days", self.audit_retention_days, 1, 36500);
        range(
            "broadcast_rate_per_minute",
            self.broadcast_rate_per_minute,
            1,
            1800,
        );
        // 0 switches a velocity limit off.
        range(
            "code_attempts_per_hour",
            self.code_attempts_per_hour,
            0,
            1000,
        );
        range(
            "redemptions_per_cashier_per_minute",
            self.redemptions_per_cashier_per_minute,
            0,
            1000,
        );
        if let Some(channel) = &self.channel {
            // A public channel's @username (5 to 32 of A–Z a–z 0–9 _), or a numeric chat id.
            let username = channel.strip_prefix('@').is_some_and(|name| {
                (5..=32).contains(&name.len())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
            let numeric = {
                let digits = channel.strip_prefix('-').unwrap_or(channel);
                !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && channel.parse::<i64>().is_ok()
            };
            let ok = username || numeric;
            if !ok {
                errors.push(FieldError {
                    field: "channel".into(),
                    reason: "invalid_channel".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }

    fn defaults_object() -> Map<String, Value> {
        match serde_json::to_value(Self::default()) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("settings serialize to an object"),
        }
    }
}

/// The settings in force: the defaults with every stored override applied.
pub async fn get(db: &impl ConnectionTrait) -> Result<ShopSettings> {
    let mut object = ShopSettings::defaults_object();
    for row in Settings::find().all(db).await? {
        if object.contains_key(&row.key)
            && let Ok(value) = serde_json::from_str(&row.value)
        {
            object.insert(row.key, value);
        }
    }
    // A stored value that no longer fits its field falls back to the default rather than failing reads.
    serde_json::from_value(Value::Object(object.clone())).or_else(|_| {
        let defaults = ShopSettings::defaults_object();
        let fitting = object.into_iter().filter(|(k, v)| {
            let mut probe = defaults.clone();
            probe.insert(k.clone(), v.clone());
            serde_json::from_value::<ShopSettings>(Value::Object(probe)).is_ok()
        });
        serde_json::from_value(Value::Object(fitting.collect()))
            .map_err(|e| Error::Internal(e.to_string()))
    })
}

/// Changes one setting after checking it; `SETTING_UNKNOWN` or `VALIDATION_FAILED` change nothing.
pub async fn set(
    db: &impl ConnectionTrait,
    key: &str,
    value: Value,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<ShopSettings> {
    let current = get(db).await?;
    let Value::Object(mut object) =
        serde_json::to_value(&current).map_err(|e| Error::Internal(e.to_string()))?
    else {
        unreachable!("settings serialize to an object")
    };
    let Some(before) = object.insert(key.to_string(), value.clone()) else {
        return Err(Error::SettingUnknown(key.to_string()));
    };
    let updated: ShopSettings = serde_json::from_value(Value::Object(object))
        .map_err(|_| Error::invalid(key, "invalid_type"))?;
    updated.validate()?;
    let row = settings::ActiveModel {
        key: Set(key.to_string()),
        value: Set(value.to_string()),
        updated_at: Set(now),
        updated_by_admin_id: Set(actor.id),
    };
    Settings::insert(row)
        .on_conflict(
            OnConflict::column(settings::Column::Key)
                .update_columns([
                    settings::Column::Value,
                    settings::Column::UpdatedAt,
                    settings::Column::UpdatedByAdminId,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    audit::record(
        db,
        Entry::new(actor, "setting.update", "setting", key).change(Some(&before), Some(&value)),
        now,
    )
    .await?;
    Ok(updated)
}

/// Changes several settings at once, all or none: each key is checked as by [`set`], and a refusal of
/// any of them changes nothing. Every change is its own audit row.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    changes: Map<String, Value>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<ShopSettings> {
    let txn = db.begin().await?;
    let mut settings = get(&txn).await?;
    for (key, value) in changes {
        settings = set(&txn, &key, value, actor, now).await?;
    }
    txn.commit().await?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_owners_rules() {
        let s = ShopSettings::default();
        assert_eq!(s.broadcast_rate_per_minute, 25);
        assert_eq!(s.birthday_min_days_before, 7);
        assert_eq!(s.default_language, Language::Ru);
        s.validate().unwrap();
    }

    #[test]
    fn out_of_range_values_are_named() {
        let s = ShopSettings {
            broadcast_rate_per_minute: 0,
            channel: Some("shop".into()),
            ..Default::default()
        };
        let Err(Error::Validation(errors)) = s.validate() else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["broadcast_rate_per_minute", "channel"]);
    }
}
