//! Use cases over storage. Each function is one thing an adapter asks for; it validates its input,
//! enforces the rules (uniqueness by unique keys, state changes by conditional updates checked by rows
//! affected) and returns a [`crate::Error`] with a stable code when it refuses.

pub mod admins;
pub mod audit;
pub mod auth;
pub mod birthdays;
pub mod blacklist;
pub mod broadcasts;
pub mod cashiers;
pub mod code_limits;
pub mod deal_notices;
pub mod deals;
pub mod discount_list;
pub mod discount_tasks;
pub mod discounts;
pub mod documents;
pub mod evidence;
pub mod idempotency;
pub mod kpi_snapshot;
pub mod kpis;
pub mod listing;
pub mod login_tokens;
pub mod message_templates;
pub mod paging;
pub mod pdf;
pub mod redemption;
pub mod redemption_log;
pub mod segments;
pub mod sessions;
pub mod settings;
pub mod signing;
pub mod signing_inbox;
pub mod signing_record;
pub mod sms;
pub mod stats;
pub mod stores;
pub mod subscriptions;
pub mod templates;
pub mod texts;
pub mod updates;
pub mod user_admin;
pub mod user_search;
pub mod users;

/// Trims `text` and checks its length in characters, for names typed by people.
pub(crate) fn clean_text(text: &str, field: &str, max_chars: usize) -> crate::Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(crate::Error::invalid(field, "required"));
    }
    if text.chars().count() > max_chars {
        return Err(crate::Error::invalid(field, "too_long"));
    }
    Ok(text.to_string())
}
