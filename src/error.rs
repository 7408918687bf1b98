//! The one error type of the core. Every variant has a stable machine-readable [`Error::code`] (the API
//! puts it in `{"error":{"code":…}}`) and a locale key (the bots translate it). Codes never change once
//! released; new failures get new variants.

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid field of an input, for `VALIDATION_FAILED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// A stable reason code such as `out_of_range`, `required`, `invalid_date`.
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("user not found")]
    UserNotFound,
    #[error("store not found")]
    StoreNotFound,
    #[error("a store with this name exists")]
    StoreNameTaken,
    #[error("cashier not found")]
    CashierNotFound,
    #[error("this Telegram user is already registered as a cashier")]
    CashierAlreadyRegistered,
    #[error("the cashier is not approved")]
    CashierNotApproved,
    #[error("the cashier is not waiting for a decision")]
    CashierNotPending,
    #[error("admin not found")]
    AdminNotFound,
    #[error("this Telegram user is already an admin")]
    AdminAlreadyExists,
    #[error("the login token is unknown, used or expired")]
    LoginTokenInvalid,
    #[error("discount template not found")]
    TemplateNotFound,
    #[error("no active template for discounts of kind {0}")]
    NoActiveTemplate(&'static str),
    #[error("discount not found")]
    DiscountNotFound,
    #[error("this is not a discount code")]
    DiscountCodeMalformed,
    #[error("the discount was already redeemed")]
    DiscountAlreadyRedeemed,
    #[error("the discount has expired")]
    DiscountExpired,
    #[error("the discount was revoked")]
    DiscountRevoked,
    #[error("this discount was already issued to the user")]
    DiscountAlreadyIssued,
    #[error("the birthday is already set")]
    BirthdayAlreadySet,
    #[error("the user is blocked")]
    UserBlocked,
    #[error("segment not found")]
    SegmentNotFound,
    #[error("message template not found")]
    MessageTemplateNotFound,
    #[error("a message template with this name exists")]
    MessageTemplateNameTaken,
    #[error("discount task not found")]
    DiscountTaskNotFound,
    #[error("unknown setting {0}")]
    SettingUnknown(String),
    // Broadcasts.
    #[error("broadcast not found")]
    BroadcastNotFound,
    #[error("only a draft broadcast can be edited")]
    BroadcastNotDraft,
    #[error("the broadcast is not in a state that allows this")]
    BroadcastStateConflict,
    #[error("Telegram did not take the test message: {0}")]
    BroadcastTestSendFailed(String),
    #[error("the bots are switched off, so nothing can be sent")]
    BotsUnavailable,
    // Deals and signing.
    #[error("deal not found")]
    DealNotFound,
    #[error("only a draft deal can be edited")]
    DealNotDraft,
    #[error("the deal is not in a state that allows this")]
    DealStateConflict,
    #[error("document not found")]
    DocumentNotFound,
    #[error("the signing code is wrong")]
    SigningCodeInvalid,
    #[error("the signing code has expired")]
    SigningCodeExpired,
    #[error("too many wrong attempts; the code is locked")]
    SigningCodeLocked,
    #[error("the signing code was already used")]
    SigningCodeUsed,
    #[error("the document changed since the code was sent")]
    SigningDocumentOutdated,
    #[error("too many codes requested; wait a few minutes")]
    SigningTooManyCodes,
    #[error("this user is not the deal's counterparty")]
    SigningNotCounterparty,
    #[error("the shared contact is not the sender's own")]
    ContactNotOwn,
    #[error("the user or phone is blacklisted")]
    Blacklisted,
    #[error("blacklist entry not found")]
    BlacklistEntryNotFound,
    #[error("this user or phone is already blacklisted")]
    BlacklistEntryExists,
    #[error("the code could not be delivered")]
    CodeDeliveryFailed,
    #[error("too many signing-code attempts this hour")]
    SigningVelocityExceeded,
    #[error("too many redemptions by this cashier this minute")]
    RedemptionVelocityExceeded,
    // The admin API: authentication, roles and the HTTP protocol.
    #[error("authentication is required")]
    AuthRequired,
    #[error("the access token is malformed")]
    TokenMalformed,
    #[error("the access token uses an algorithm other than HS256")]
    TokenAlgorithmInvalid,
    #[error("the access token's signature is invalid")]
    TokenSignatureInvalid,
    #[error("the access token has expired")]
    TokenExpired,
    #[error("the access token is meant for another audience")]
    TokenAudienceInvalid,
    #[error("the access token comes from another issuer")]
    TokenIssuerInvalid,
    #[error("the token is not an access token")]
    TokenTypeInvalid,
    #[error("the refresh token is unknown, revoked or expired")]
    RefreshTokenInvalid,
    #[error("the refresh token was already used; the session is revoked")]
    RefreshTokenReused,
    #[error("the admin is switched off")]
    AdminInactive,
    #[error("the admin's role does not allow this")]
    Forbidden,
    #[error("at least one active owner must remain")]
    AdminLastOwner,
    #[error("no such route")]
    RouteNotFound,
    #[error("the route does not accept this method")]
    MethodNotAllowed,
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the body is too large")]
    PayloadTooLarge,
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the idempotency key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still being processed")]
    IdempotencyKeyInProgress,
    #[error("a dependency (database or key-value store) is unavailable")]
    NotReady,
    #[error("the shared state store is unavailable: {0}")]
    KvUnavailable(String),
    #[error("database error: {0}")]
    Database(#[source] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Every code, in declaration order (the locale test checks each has a message in every language).
    pub const CODES: &'static [&'static str] = &[
        "VALIDATION_FAILED",
        "USER_NOT_FOUND",
        "STORE_NOT_FOUND",
        "STORE_NAME_TAKEN",
        "CASHIER_NOT_FOUND",
        "CASHIER_ALREADY_REGISTERED",
        "CASHIER_NOT_APPROVED",
        "CASHIER_NOT_PENDING",
        "ADMIN_NOT_FOUND",
        "ADMIN_ALREADY_EXISTS",
        "LOGIN_TOKEN_INVALID",
        "TEMPLATE_NOT_FOUND",
        "NO_ACTIVE_TEMPLATE",
        "DISCOUNT_NOT_FOUND",
        "DISCOUNT_CODE_MALFORMED",
        "DISCOUNT_ALREADY_REDEEMED",
        "DISCOUNT_EXPIRED",
        "DISCOUNT_REVOKED",
        "DISCOUNT_ALREADY_ISSUED",
        "BIRTHDAY_ALREADY_SET",
        "USER_BLOCKED",
        "SEGMENT_NOT_FOUND",
        "MESSAGE_TEMPLATE_NOT_FOUND",
        "MESSAGE_TEMPLATE_NAME_TAKEN",
        "DISCOUNT_TASK_NOT_FOUND",
        "SETTING_UNKNOWN",
        "BROADCAST_NOT_FOUND",
        "BROADCAST_NOT_DRAFT",
        "BROADCAST_STATE_CONFLICT",
        "BROADCAST_TEST_SEND_FAILED",
        "BOTS_UNAVAILABLE",
        "DEAL_NOT_FOUND",
        "DEAL_NOT_DRAFT",
        "DEAL_STATE_CONFLICT",
        "DOCUMENT_NOT_FOUND",
        "SIGNING_CODE_INVALID",
        "SIGNING_CODE_EXPIRED",
        "SIGNING_CODE_LOCKED",
        "SIGNING_CODE_USED",
        "SIGNING_DOCUMENT_OUTDATED",
        "SIGNING_TOO_MANY_CODES",
        "SIGNING_NOT_COUNTERPARTY",
        "CONTACT_NOT_OWN",
        "BLACKLISTED",
        "BLACKLIST_ENTRY_NOT_FOUND",
        "BLACKLIST_ENTRY_EXISTS",
        "CODE_DELIVERY_FAILED",
        "SIGNING_VELOCITY_EXCEEDED",
        "REDEMPTION_VELOCITY_EXCEEDED",
        "AUTH_REQUIRED",
        "TOKEN_MALFORMED",
        "TOKEN_ALGORITHM_INVALID",
        "TOKEN_SIGNATURE_INVALID",
        "TOKEN_EXPIRED",
        "TOKEN_AUDIENCE_INVALID",
        "TOKEN_ISSUER_INVALID",
        "TOKEN_TYPE_INVALID",
        "REFRESH_TOKEN_INVALID",
        "REFRESH_TOKEN_REUSED",
        "ADMIN_INACTIVE",
        "FORBIDDEN",
        "ADMIN_LAST_OWNER",
        "ROUTE_NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "MALFORMED_JSON",
        "UNSUPPORTED_MEDIA_TYPE",
        "PAYLOAD_TOO_LARGE",
        "RATE_LIMITED",
        "IDEMPOTENCY_KEY_REUSED",
        "IDEMPOTENCY_KEY_IN_PROGRESS",
        "NOT_READY",
        "KV_UNAVAILABLE",
        "DATABASE_ERROR",
        "INTERNAL",
    ];

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "VALIDATION_FAILED",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::StoreNotFound => "STORE_NOT_FOUND",
            Self::StoreNameTaken => "STORE_NAME_TAKEN",
            Self::CashierNotFound => "CASHIER_NOT_FOUND",
            Self::CashierAlreadyRegistered => "CASHIER_ALREADY_REGISTERED",
            Self::CashierNotApproved => "CASHIER_NOT_APPROVED",
            Self::CashierNotPending => "CASHIER_NOT_PENDING",
            Self::AdminNotFound => "ADMIN_NOT_FOUND",
            Self::AdminAlreadyExists => "ADMIN_ALREADY_EXISTS",
            Self::LoginTokenInvalid => "LOGIN_TOKEN_INVALID",
            Self::TemplateNotFound => "TEMPLATE_NOT_FOUND",
            Self::NoActiveTemplate(_) => "NO_ACTIVE_TEMPLATE",
            Self::DiscountNotFound => "DISCOUNT_NOT_FOUND",
            Self::DiscountCodeMalformed => "DISCOUNT_CODE_MALFORMED",
            Self::DiscountAlreadyRedeemed => "DISCOUNT_ALREADY_REDEEMED",
            Self::DiscountExpired => "DISCOUNT_EXPIRED",
            Self::DiscountRevoked => "DISCOUNT_REVOKED",
            Self::DiscountAlreadyIssued => "DISCOUNT_ALREADY_ISSUED",
            Self::BirthdayAlreadySet => "BIRTHDAY_ALREADY_SET",
            Self::UserBlocked => "USER_BLOCKED",
            Self::SegmentNotFound => "SEGMENT_NOT_FOUND",
            Self::MessageTemplateNotFound => "MESSAGE_TEMPLATE_NOT_FOUND",
            Self::MessageTemplateNameTaken => "MESSAGE_TEMPLATE_NAME_TAKEN",
            Self::DiscountTaskNotFound => "DISCOUNT_TASK_NOT_FOUND",
            Self::SettingUnknown(_) => "SETTING_UNKNOWN",
            Self::BroadcastNotFound => "BROADCAST_NOT_FOUND",
            Self::BroadcastNotDraft => "BROADCAST_NOT_DRAFT",
            Self::BroadcastStateConflict => "BROADCAST_STATE_CONFLICT",
            Self::BroadcastTestSendFailed(_) => "BROADCAST_TEST_SEND_FAILED",
            Self::BotsUnavailable => "BOTS_UNAVAILABLE",
            Self::DealNotFound => "DEAL_NOT_FOUND",
            Self::DealNotDraft => "DEAL_NOT_DRAFT",
            Self::DealStateConflict => "DEAL_STATE_CONFLICT",
            Self::DocumentNotFound => "DOCUMENT_NOT_FOUND",
            Self::SigningCodeInvalid => "SIGNING_CODE_INVALID",
            Self::SigningCodeExpired => "SIGNING_CODE_EXPIRED",
            Self::SigningCodeLocked => "SIGNING_CODE_LOCKED",
            Self::SigningCodeUsed => "SIGNING_CODE_USED",
            Self::SigningDocumentOutdated => "SIGNING_DOCUMENT_OUTDATED",
            Self::SigningTooManyCodes => "SIGNING_TOO_MANY_CODES",
            Self::SigningNotCounterparty => "SIGNING_NOT_COUNTERPARTY",
            Self::ContactNotOwn => "CONTACT_NOT_OWN",
            Self::Blacklisted => "BLACKLISTED",
            Self::BlacklistEntryNotFound => "BLACKLIST_ENTRY_NOT_FOUND",
            Self::BlacklistEntryExists => "BLACKLIST_ENTRY_EXISTS",
            Self::CodeDeliveryFailed => "CODE_DELIVERY_FAILED",
            Self::SigningVelocityExceeded => "SIGNING_VELOCITY_EXCEEDED",
            Self::RedemptionVelocityExceeded => "REDEMPTION_VELOCITY_EXCEEDED",
            Self::AuthRequired => "AUTH_REQUIRED",
            Self::TokenMalformed => "TOKEN_MALFORMED",
            Self::TokenAlgorithmInvalid => "TOKEN_ALGORITHM_INVALID",
            Self::TokenSignatureInvalid => "TOKEN_SIGNATURE_INVALID",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenAudienceInvalid => "TOKEN_AUDIENCE_INVALID",
            Self::TokenIssuerInvalid => "TOKEN_ISSUER_INVALID",
            Self::TokenTypeInvalid => "TOKEN_TYPE_INVALID",
            Self::RefreshTokenInvalid => "REFRESH_TOKEN_INVALID",
            Self::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            Self::AdminInactive => "ADMIN_INACTIVE",
            Self::Forbidden => "FORBIDDEN",
            Self::AdminLastOwner => "ADMIN_LAST_OWNER",
            Self::RouteNotFound => "ROUTE_NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::MalformedJson(_) => "MALFORMED_JSON",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::IdempotencyKeyInProgress => "IDEMPOTENCY_KEY_IN_PROGRESS",
            Self::NotReady => "NOT_READY",
            Self::KvUnavailable(_) => "KV_UNAVAILABLE",
            Self::Database(_) => "DATABASE_ERROR",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The key of this error's message in `locales/*.ftl`: `error-` and the code in kebab case.
    pub fn locale_key(&self) -> String {
        locale_key_of(self.code())
    }

    /// Whether the failure is the server's (the API answers 5xx and hides the details).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::NotReady
                | Self::KvUnavailable(_)
                | Self::Database(_)
                | Self::Internal(_)
                | Self::CodeDeliveryFailed
                | Self::BotsUnavailable
        )
    }

    /// A `VALIDATION_FAILED` error for one field.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }
}

/// The locale key for `code`.
pub fn locale_key_of(code: &str) -> String {
    format!("error-{}", code.to_ascii_lowercase().replace('_', "-"))
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Database(err)
    }
}

/// Whether `err` is a unique-key violation; `needle` narrows it to one key (its name on MySQL and
/// MariaDB, a column list on SQLite both contain the column name used as needle).
pub fn is_unique_violation(err: &DbErr, needle: &str) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_listed() {
        let mut seen = std::collections::HashSet::new();
        for code in Error::CODES {
            assert!(seen.insert(code), "{code} listed twice");
            assert!(
                code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{code}"
            );
        }
        let samples = [
            Error::invalid("x", "required"),
            Error::NoActiveTemplate("subscription"),
            Error::DiscountAlreadyRedeemed,
            Error::SettingUnknown("x".into()),
            Error::Internal("x".into()),
        ];
        for err in samples {
            assert!(
                Error::CODES.contains(&err.code()),
                "{} missing from CODES",
                err.code()
            );
        }
    }

    #[test]
    fn the_locale_key_derives_from_the_code() {
        assert_eq!(
            Error::DiscountAlreadyRedeemed.locale_key(),
            "error-discount-already-redeemed"
        );
    }
}
