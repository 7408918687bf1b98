//! The one error shape of the admin API: every 4xx and 5xx answers
//! `{"error":{"code":"…","message":"…","details":{…}}}`.
//!
//! `code` is the stable [`crate::Error::code`]; [`status_of_code`] maps each code to its HTTP status (the
//! table is printed in README's "Error codes", and a test checks both agree). `details` carries the field
//! errors of `VALIDATION_FAILED`, the wait of `RATE_LIMITED` and, on every error, the request id. A server
//! error (5xx) never shows its cause: it is logged with the request id and the answer only names the id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::error::Error;
use crate::services::audit::current_request_id;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self(Error::Database(err))
    }
}

/// The HTTP status of every error code; `None` for a code that is not one of [`Error::CODES`].
pub fn status_of_code(code: &str) -> Option<StatusCode> {
    use StatusCode as S;
    Some(match code {
        "MALFORMED_JSON" => S::BAD_REQUEST,
        "AUTH_REQUIRED"
        | "TOKEN_MALFORMED"
        | "TOKEN_ALGORITHM_INVALID"
        | "TOKEN_SIGNATURE_INVALID"
        | "TOKEN_EXPIRED"
        | "TOKEN_AUDIENCE_INVALID"
        | "TOKEN_ISSUER_INVALID"
        | "TOKEN_TYPE_INVALID"
        | "LOGIN_TOKEN_INVALID"
        | "REFRESH_TOKEN_INVALID"
        | "REFRESH_TOKEN_REUSED" => S::UNAUTHORIZED,
        "FORBIDDEN" | "ADMIN_INACTIVE" => S::FORBIDDEN,
        "ROUTE_NOT_FOUND" | "USER_NOT_FOUND" | "STORE_NOT_FOUND" | "CASHIER_NOT_FOUND"
        | "ADMIN_NOT_FOUND" | "TEMPLATE_NOT_FOUND" | "DISCOUNT_NOT_FOUND" => S::NOT_FOUND,
        "DEAL_NOT_FOUND" | "DOCUMENT_NOT_FOUND" | "BLACKLIST_ENTRY_NOT_FOUND" => S::NOT_FOUND,
        "DEAL_NOT_DRAFT"
        | "DEAL_STATE_CONFLICT"
        | "BLACKLIST_ENTRY_EXISTS"
        | "SIGNING_CODE_USED"
        | "SIGNING_CODE_LOCKED"
        | "SIGNING_CODE_EXPIRED"
        | "SIGNING_DOCUMENT_OUTDATED" => S::CONFLICT,
        "SIGNING_CODE_INVALID" | "CONTACT_NOT_OWN" => S::UNPROCESSABLE_ENTITY,
        "SIGNING_NOT_COUNTERPARTY" | "BLACKLISTED" => S::FORBIDDEN,
        "SIGNING_TOO_MANY_CODES" => S::TOO_MANY_REQUESTS,
        "SIGNING_VELOCITY_EXCEEDED" => S::TOO_MANY_REQUESTS,
        "REDEMPTION_VELOCITY_EXCEEDED" => S::TOO_MANY_REQUESTS,
        "CODE_DELIVERY_FAILED" => S::SERVICE_UNAVAILABLE,
        "BROADCAST_NOT_FOUND" => S::NOT_FOUND,
        "BROADCAST_NOT_DRAFT" | "BROADCAST_STATE_CONFLICT" => S::CONFLICT,
        "BROADCAST_TEST_SEND_FAILED" => S::UNPROCESSABLE_ENTITY,
        "BOTS_UNAVAILABLE" => S::SERVICE_UNAVAILABLE,
        "SEGMENT_NOT_FOUND" | "MESSAGE_TEMPLATE_NOT_FOUND" | "DISCOUNT_TASK_NOT_FOUND" => {
            S::NOT_FOUND
        }
        "USER_BLOCKED" | "MESSAGE_TEMPLATE_NAME_TAKEN" => S::CONFLICT,
        "METHOD_NOT_ALLOWED" => S::METHOD_NOT_ALLOWED,
        "STORE_NAME_TAKEN"
        | "CASHIER_ALREADY_REGISTERED"
        | "CASHIER_NOT_APPROVED"
        | "CASHIER_NOT_PENDING"
        | "ADMIN_ALREADY_EXISTS"
        | "ADMIN_LAST_OWNER"
        | "NO_ACTIVE_TEMPLATE"
        | "DISCOUNT_ALREADY_REDEEMED"
        | "DISCOUNT_EXPIRED"
        | "DISCOUNT_REVOKED"
        | "DISCOUNT_ALREADY_ISSUED"
        | "BIRTHDAY_ALREADY_SET"
        | "IDEMPOTENCY_KEY_IN_PROGRESS" => S::CONFLICT,
        "PAYLOAD_TOO_LARGE" => S::PAYLOAD_TOO_LARGE,
        "UNSUPPORTED_MEDIA_TYPE" => S::UNSUPPORTED_MEDIA_TYPE,
        "VALIDATION_FAILED"
        | "DISCOUNT_CODE_MALFORMED"
        | "SETTING_UNKNOWN"
        | "IDEMPOTENCY_KEY_REUSED" => S::UNPROCESSABLE_ENTITY,
        "RATE_LIMITED" => S::TOO_MANY_REQUESTS,
        "DATABASE_ERROR" | "INTERNAL" => S::INTERNAL_SERVER_ERROR,
        "KV_UNAVAILABLE" | "NOT_READY" => S::SERVICE_UNAVAILABLE,
        _ => return None,
    })
}

/// The status of `err` (500 for a code missing from the table, which a test forbids).
pub fn status_of(err: &Error) -> StatusCode {
    status_of_code(err.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        let status = status_of(&err);
        let request_id = current_request_id();
        let mut details = Map::new();
        let message = if status.is_server_error() || err.is_internal() {
            // The cause may name hosts, tables or queries: it goes to the log only.
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), code = err.code(), error = %err, "request failed");
            "internal error; quote the request id when reporting it".to_string()
        } else {
            match &err {
                Error::Validation(fields) => {
                    details.insert("fields".into(), json!(fields));
                }
                Error::RateLimited { retry_after_secs } => {
                    details.insert("retry_after_secs".into(), json!(retry_after_secs));
                }
                Error::MalformedJson(reason) => {
                    details.insert("reason".into(), json!(reason));
                }
                Error::NoActiveTemplate(kind) => {
                    details.insert("kind".into(), json!(kind));
                }
                Error::SettingUnknown(key) => {
                    details.insert("key".into(), json!(key));
                }
                _ => {}
            }
            err.to_string()
        };
        if let Some(id) = request_id {
            details.insert("request_id".into(), Value::String(id));
        }
        let body =
            json!({ "error": { "code": err.code(), "message": message, "details": details } });
        let mut response = (status, axum::Json(body)).into_response();
        if let Error::RateLimited { retry_after_secs } = err {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// The error body, as documented in the OpenAPI.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

/// One error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    /// The stable code (see README's "Error codes").
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    /// A human-readable explanation, in English; never parse it.
    pub message: String,
    /// Machine-readable specifics: `fields` for `VALIDATION_FAILED` (each `{field, reason}`),
    /// `retry_after_secs` for `RATE_LIMITED`, `request_id` on every error.
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
}

/// The `code` schema: a string enum of every code.
fn error_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(Error::CODES.iter().copied()))
        .description(Some("A stable error code"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_only_internal_ones_are_5xx() {
        for code in Error::CODES {
            let status = status_of_code(code).unwrap_or_else(|| panic!("{code} has no status"));
            let internal = matches!(
                *code,
                "DATABASE_ERROR"
                    | "INTERNAL"
                    | "KV_UNAVAILABLE"
                    | "NOT_READY"
                    | "CODE_DELIVERY_FAILED"
                    | "BOTS_UNAVAILABLE"
            );
            assert_eq!(status.is_server_error(), internal, "{code}");
        }
        assert_eq!(status_of_code("NO_SUCH_CODE"), None);
    }

    #[tokio::test]
    async fn a_server_error_hides_its_cause_and_names_the_request() {
        let response = crate::services::audit::in_request("req-1".into(), async {
            ApiError(Error::Internal(
                "connection to db-7.internal refused".into(),
            ))
            .into_response()
        })
        .await;
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("db-7"), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"]["code"], "INTERNAL");
        assert_eq!(body["error"]["details"]["request_id"], "req-1");
    }

    #[tokio::test]
    async fn rate_limited_says_when_to_retry() {
        let response = ApiError(Error::RateLimited {
            retry_after_secs: 7,
        })
        .into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
