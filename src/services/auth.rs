//! Access tokens of the admin API: short-lived JWTs, HS256 only.
//!
//! A token says who (`sub`, the admin id), for which API (`aud`), from whom (`iss`), what kind of token it
//! is (`typ = "access"`, so no other token we might ever sign with the key passes as one), and until when
//! (`exp`). Every check has its own error code, so a client (and a test) can tell a forged token from an
//! expired one. The algorithm is read from the header *before* any verification and must be HS256:
//! `alg: none` and public-key algorithms are refused outright.
//!
//! Expiry is checked against the caller's `now` rather than the system clock, like every rule of the core.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::entity::admins::AdminRole;
use crate::error::{Error, Result};
use crate::secret::{MIN_KEY_LEN, Secret, ServerKey};

/// How long an access token is valid.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// The `iss` of every token dvorik signs.
pub const ISSUER: &str = "dvorik";
/// The `aud` of admin API access tokens.
pub const AUDIENCE: &str = "dvorik-admin-api";
/// The `typ` claim of an access token.
pub const ACCESS_TYPE: &str = "access";

/// The signing key of access tokens. Prints as `***`.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The checks of an access token, built once: every authenticated request runs them.
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    /// Keys from configured material: at least 256 bits.
    pub fn from_secret(secret: &Secret<String>) -> Result<Self> {
        let bytes = secret.expose().as_bytes();
        if bytes.len() < MIN_KEY_LEN {
            return Err(Error::Internal(format!(
                "the JWT secret must have at least {MIN_KEY_LEN} characters"
            )));
        }
        Ok(Self::from_bytes(bytes))
    }

    /// Keys derived from the server key, so the embedded default needs no configuration.
    pub fn derived(key: &ServerKey) -> Self {
        Self::from_bytes(&key.mac(&[b"jwt-signing-key"]))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked in `verify_access` against the caller's `now`, after the signature and the
        // other claims.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The admin id, as a string (RFC 7519).
    pub sub: String,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
    /// The session (refresh-token family) the token was issued in.
    pub sid: String,
    /// The role at issue time; informative only: every request reads the current role.
    pub role: AdminRole,
}

impl Claims {
    /// The admin id in `sub`.
    pub fn admin_id(&self) -> Result<i64> {
        self.sub.parse().map_err(|_| Error::TokenMalformed)
    }
}

/// An access token just issued.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret<String>,
    pub expires_at: DateTime<Utc>,
}

/// Signs an access token for `admin_id` in session `sid`, valid [`ACCESS_TTL`] from `now`.
pub fn issue_access(
    keys: &TokenKeys,
    admin_id: i64,
    role: AdminRole,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<AccessToken> {
    let expires_at = now + ACCESS_TTL;
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: admin_id.to_string(),
        typ: ACCESS_TYPE.into(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        sid: sid.into(),
        role,
    };
    Ok(AccessToken {
        token: Secret::new(sign(keys, &claims)?),
        expires_at,
    })
}

/// Signs any claims with the key (HS256, `typ: JWT` header). Tests use it to forge tokens with wrong claims.
pub fn sign(keys: &TokenKeys, claims: &impl Serialize) -> Result<String> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding)
        .map_err(|e| Error::Internal(format!("signing a token: {e}")))
}

/// Checks an access token completely and returns its claims.
pub fn verify_access(keys: &TokenKeys, token: &str, now: DateTime<Utc>) -> Result<Claims> {
    // The header's algorithm first, before jsonwebtoken parses it: `none` is not even a variant there.
    let header = token.split('.').next().unwrap_or_default();
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Error::TokenMalformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(Error::TokenAlgorithmInvalid);
    }
    let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                Error::TokenAlgorithmInvalid
            }
            ErrorKind::InvalidSignature => Error::TokenSignatureInvalid,
            ErrorKind::InvalidAudience => Error::TokenAudienceInvalid,
            ErrorKind::InvalidIssuer => Error::TokenIssuerInvalid,
            ErrorKind::ExpiredSignature => Error::TokenExpired,
            _ => Error::TokenMalformed,
        })?
        .claims;
    if claims.typ != ACCESS_TYPE {
        return Err(Error::TokenTypeInvalid);
    }
    if claims.exp <= now.timestamp() {
        return Err(Error::TokenExpired);
    }
    claims.admin_id()?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::derived(&ServerKey::random())
    }

    fn claims(now: DateTime<Utc>) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "7".into(),
            typ: ACCESS_TYPE.into(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
            sid: "s".into(),
            role: AdminRole::Owner,
        }
    }

    fn code(keys: &TokenKeys, token: &str, now: DateTime<Utc>) -> &'static str {
        verify_access(keys, token, now).unwrap_err().code()
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() {
        let (keys, now) = (keys(), Utc::now());
        let issued = issue_access(&keys, 7, AdminRole::Marketing, "fam", now).unwrap();
        let claims = verify_access(&keys, issued.token.expose(), now).unwrap();
        assert_eq!(
            (claims.admin_id().unwrap(), claims.role),
            (7, AdminRole::Marketing)
        );
        assert_eq!(claims.exp - claims.iat, 15 * 60);
        let late = now + ACCESS_TTL;
        assert_eq!(code(&keys, issued.token.expose(), late), "TOKEN_EXPIRED");
    }

    #[test]
    fn each_kind_of_bad_token_has_its_own_code() {
        let (keys, now) = (keys(), Utc::now());
        let forged = |c: &Claims| sign(&keys, c).unwrap();
        let wrong_aud = Claims {
            aud: "other".into(),
            ..claims(now)
        };
        assert_eq!(
            code(&keys, &forged(&wrong_aud), now),
            "TOKEN_AUDIENCE_INVALID"
        );
        let wrong_iss = Claims {
            iss: "evil".into(),
            ..claims(now)
        };
        assert_eq!(
            code(&keys, &forged(&wrong_iss), now),
            "TOKEN_ISSUER_INVALID"
        );
        let refresh = Claims {
            typ: "refresh".into(),
            ..claims(now)
        };
        assert_eq!(code(&keys, &forged(&refresh), now), "TOKEN_TYPE_INVALID");
        let other_key = sign(&self::keys(), &claims(now)).unwrap();
        assert_eq!(code(&keys, &other_key, now), "TOKEN_SIGNATURE_INVALID");
        assert_eq!(code(&keys, "not-a-token", now), "TOKEN_MALFORMED");
        // alg none: a header and claims with no signature.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(now)).unwrap())
        );
        assert_eq!(code(&keys, &none, now), "TOKEN_ALGORITHM_INVALID");
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(now),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert_eq!(code(&keys, &hs512, now), "TOKEN_ALGORITHM_INVALID");
    }

    #[test]
    fn keys_never_print_and_short_secrets_are_refused() {
        assert_eq!(format!("{:?}", keys()), "TokenKeys(***)");
        assert!(TokenKeys::from_secret(&Secret::new("short".into())).is_err());
        assert!(TokenKeys::from_secret(&Secret::new("x".repeat(32))).is_ok());
    }
}
