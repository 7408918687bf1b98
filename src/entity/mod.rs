//! sea-orm entities, one module per table; the schema itself lives in the `migration` crate.
//! Times are `DATETIME(6)` holding UTC, money is minor units (`*_minor`), percentages are basis
//! points (`*_bp`). String-valued states are enums, defined next to their table
//! and re-exported here.

pub mod admins;
pub mod audit_log;
pub mod blacklist;
pub mod broadcast_deliveries;
pub mod broadcasts;
pub mod cashiers;
pub mod code_challenges;
pub mod code_request_slots;
pub mod deals;
pub mod discount_tasks;
pub mod discount_templates;
pub mod discounts;
pub mod documents;
pub mod idempotency_keys;
pub mod job_leases;
pub mod kpi_days;
pub mod login_tokens;
pub mod message_templates;
pub mod processed_updates;
pub mod rate_window_hits;
pub mod rate_windows;
pub mod redemptions;
pub mod refresh_tokens;
pub mod segments;
pub mod settings;
pub mod signature_events;
pub mod stores;
pub mod users;

pub use admins::AdminRole;
pub use audit_log::ActorKind;
pub use blacklist::BlacklistKind;
pub use broadcast_deliveries::DeliveryState;
pub use broadcasts::BroadcastState;
pub use cashiers::CashierState;
pub use code_challenges::ChallengeState;
pub use deals::DealState;
pub use discount_tasks::TaskState;
pub use discount_templates::DiscountKind;
pub use discount_templates::ValueKind;
pub use discounts::DiscountState;
pub use signature_events::EvidenceKind;

/// `Entity` of every table under its table name: `Users`, `Discounts`, …
pub mod prelude {
    pub use super::admins::Entity as Admins;
    pub use super::audit_log::Entity as AuditLog;
    pub use super::blacklist::Entity as Blacklist;
    pub use super::broadcast_deliveries::Entity as BroadcastDeliveries;
    pub use super::broadcasts::Entity as Broadcasts;
    pub use super::cashiers::Entity as Cashiers;
    pub use super::code_challenges::Entity as CodeChallenges;
    pub use super::deals::Entity as Deals;
    pub use super::discount_tasks::Entity as DiscountTasks;
    pub use super::discount_templates::Entity as DiscountTemplates;
    pub use super::discounts::Entity as Discounts;
    pub use super::documents::Entity as Documents;
    pub use super::idempotency_keys::Entity as IdempotencyKeys;
    pub use super::job_leases::Entity as JobLeases;
    pub use super::login_tokens::Entity as LoginTokens;
    pub use super::message_templates::Entity as MessageTemplates;
    pub use super::processed_updates::Entity as ProcessedUpdates;
    pub use super::redemptions::Entity as Redemptions;
    pub use super::refresh_tokens::Entity as RefreshTokens;
    pub use super::segments::Entity as Segments;
    pub use super::settings::Entity as Settings;
    pub use super::signature_events::Entity as SignatureEvents;
    pub use super::stores::Entity as Stores;
    pub use super::users::Entity as Users;
}
