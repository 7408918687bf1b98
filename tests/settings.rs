//! Run-time settings: typed defaults, validated changes, each change audited.

mod common;

use dvorik::entity::audit_log;
use dvorik::services::audit::Actor;
use dvorik::services::settings::{self, ShopSettings};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

storage_test! {
    async fn settings_start_at_their_defaults_and_a_valid_change_is_kept_and_audited(t) {
        let now = t.now();
        assert_eq!(settings::get(&t.db).await.unwrap(), ShopSettings::default());
        let changed = settings::set(&t.db, "broadcast_rate_per_minute", json!(60), Actor::admin(1), now).await.unwrap();
        assert_eq!(changed.broadcast_rate_per_minute, 60);
        settings::set(&t.db, "broadcast_rate_per_minute", json!(30), Actor::admin(1), now).await.unwrap();
        settings::set(&t.db, "shop_hours", json!("10:00–21:00"), Actor::admin(1), now).await.unwrap();
        let read = settings::get(&t.db).await.unwrap();
        assert_eq!((read.broadcast_rate_per_minute, read.shop_hours.as_str()), (30, "10:00–21:00"));
        assert_eq!(audit_log::Entity::find().count(&t.db).await.unwrap(), 3);
    }
}

storage_test! {
    async fn unknown_keys_wrong_types_and_out_of_range_values_change_nothing(t) {
        let now = t.now();
        let cases = [
            ("no_such_setting", json!(1), "SETTING_UNKNOWN"),
            ("broadcast_rate_per_minute", json!("fast"), "VALIDATION_FAILED"),
            ("broadcast_rate_per_minute", json!(0), "VALIDATION_FAILED"),
            ("broadcast_rate_per_minute", json!(5000), "VALIDATION_FAILED"),
            ("default_language", json!("de"), "VALIDATION_FAILED"),
            ("channel", json!("no-at-sign"), "VALIDATION_FAILED"),
        ];
        for (key, value, code) in cases {
            let err = settings::set(&t.db, key, value.clone(), Actor::admin(1), now).await.unwrap_err();
            assert_eq!(err.code(), code, "{key} = {value}");
        }
        assert_eq!(settings::get(&t.db).await.unwrap(), ShopSettings::default());
        assert_eq!(audit_log::Entity::find().count(&t.db).await.unwrap(), 0);
    }
}
