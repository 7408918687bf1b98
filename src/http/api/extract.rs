//! Extractors of the admin API. Each one refuses in the API's error shape, never with axum's plain-text
//! rejections:
//!
//! - [`Auth<P>`]: the bearer access token, checked, and the admin's *current* role checked against the
//!   route's policy `P` ([`OwnerOnly`], [`Marketers`], [`AnyRole`]). Every protected route takes one, so
//!   the role rule is written once; `tests/api_roles.rs` holds the role × route table.
//! - [`ApiJson<T>`]: a JSON body: wrong content type → 415, unreadable → 400 `MALFORMED_JSON`, too large →
//!   413, well-formed but wrong shape → 422 `VALIDATION_FAILED` naming the field.
//! - [`ApiQuery<T>`], [`ApiPath<T>`]: query string and path parameters → 422 `VALIDATION_FAILED`.
//! - [`RequestId`]: the id of this request (also in the `x-request-id` response header).

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::state::ApiState;
use crate::entity::admins::{self, AdminRole};
use crate::error::{Error, FieldError};
use crate::services::audit::Actor;
use crate::services::auth;

/// Who may call a route.
pub trait Policy: Send + Sync + 'static {
    /// The roles allowed.
    const ROLES: &'static [AdminRole];
}

/// Owners only (admins, settings, stores, audit log).
pub struct OwnerOnly;
/// Owners and marketers (discounts, templates, segments, broadcasts, cashiers, deals).
pub struct Marketers;
/// Any active admin, read-only ones included (reading).
pub struct AnyRole;

impl Policy for OwnerOnly {
    const ROLES: &'static [AdminRole] = &[AdminRole::Owner];
}
impl Policy for Marketers {
    const ROLES: &'static [AdminRole] = &[AdminRole::Owner, AdminRole::Marketing];
}
impl Policy for AnyRole {
    const ROLES: &'static [AdminRole] =
        &[AdminRole::Owner, AdminRole::Marketing, AdminRole::Readonly];
}

/// The authenticated admin, allowed by policy `P`.
pub struct Auth<P: Policy = AnyRole> {
    pub admin: admins::Model,
    pub claims: auth::Claims,
    policy: PhantomData<P>,
}

impl<P: Policy> Auth<P> {
    /// The admin as the actor of audit rows.
    pub fn actor(&self) -> Actor {
        Actor::admin(self.admin.id)
    }

    pub fn admin_id(&self) -> i64 {
        self.admin.id
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<P: Policy> FromRequestParts<ApiState> for Auth<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(Error::AuthRequired)?;
        let claims = auth::verify_access(&state.config.tokens, token, crate::clock::now())?;
        let admin = match state.admins.get(&state.reads, claims.admin_id()?).await {
            Err(Error::AdminNotFound) => return Err(Error::AdminInactive.into()),
            other => other?,
        };
        if !admin.active {
            return Err(Error::AdminInactive.into());
        }
        if !P::ROLES.contains(&admin.role) {
            return Err(Error::Forbidden.into());
        }
        Ok(Self {
            admin,
            claims,
            policy: PhantomData,
        })
    }
}

/// The id of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .ok_or_else(|| Error::Internal("the request id layer is missing".into()).into())
    }
}

/// A JSON request body of type `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Error::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::MalformedJson("the body could not be read".into())
            }
        })?;
        from_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body: syntax errors are `MALFORMED_JSON`, shape errors `VALIDATION_FAILED` on the field.
///
/// A number with a zero fraction (`3.0`) counts as the integer it equals, as JSON Schema says.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::MalformedJson(e.to_string()))?;
    integral_floats_to_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        shape_error(&path, &err.into_inner().to_string()).into()
    })
}

fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^53 a float is exact, so the integer is the number that was sent.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// A query string of type `T`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                shape_error(&path, &err.into_inner().to_string()).into()
            })
    }
}

/// Path parameters of type `T`.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::DeserializeError { key, .. } => key.clone(),
                    _ => "path".to_string(),
                };
                Err(Error::invalid(&field, "invalid").into())
            }
            Err(_) => Err(Error::Internal("path parameters are missing".into()).into()),
        }
    }
}

/// A `VALIDATION_FAILED` for a deserialization error at `path`, with a stable reason.
fn shape_error(path: &str, message: &str) -> Error {
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_string);
    let (field, reason) = if message.starts_with("missing field") {
        let name = quoted(message).unwrap_or_default();
        let field = if path == "." || path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        (field, "required")
    } else if message.starts_with("unknown field") {
        // The path already ends with the unknown field's name.
        (path.to_string(), "unknown_field")
    } else if message.starts_with("invalid type") {
        (path.to_string(), "invalid_type")
    } else if message.starts_with("unknown variant") || message.starts_with("invalid value") {
        (path.to_string(), "invalid_value")
    } else if message.starts_with("duplicate field") {
        (
            quoted(message).unwrap_or_else(|| path.to_string()),
            "duplicate",
        )
    } else {
        (path.to_string(), "invalid")
    };
    let field = if field.is_empty() || field == "." {
        "body".to_string()
    } else {
        field
    };
    Error::Validation(vec![FieldError {
        field,
        reason: reason.to_string(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Inner {
        days: u32,
    }

    fn field(bytes: &[u8]) -> (String, String) {
        match from_json::<Body>(bytes).unwrap_err().0 {
            Error::Validation(f) => (f[0].field.clone(), f[0].reason.clone()),
            other => (other.code().to_string(), String::new()),
        }
    }

    #[test]
    fn body_errors_name_the_field_and_syntax_errors_are_malformed() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(field(b"{}"), pair("name", "required"));
        assert_eq!(field(br#"{"name":1}"#), pair("name", "invalid_type"));
        assert_eq!(
            field(br#"{"name":"a","inner":{"days":-1}}"#),
            pair("inner.days", "invalid_value")
        );
        assert_eq!(field(br#"{"name":"a","x":1}"#), pair("x", "unknown_field"));
        assert_eq!(field(br#"{"name":"#), pair("MALFORMED_JSON", ""));
        assert_eq!(
            field(br#"{"name":"a"} trailing"#),
            pair("MALFORMED_JSON", "")
        );
        assert_eq!(field(b""), pair("MALFORMED_JSON", ""));
        assert_eq!(
            field(br#"{"name":"a","inner":{"days":2.5}}"#),
            pair("inner.days", "invalid_type")
        );
        assert!(
            from_json::<Body>(br#"{"name":"a","inner":{"days":2.0}}"#).is_ok(),
            "2.0 is the integer 2"
        );
    }
}
