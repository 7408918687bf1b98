//! One-time login tokens for the admin panel: 128 random bits, shown once (staff bot `/token` or
//! `dvorik admin token`), stored as a keyed hash, valid 5 minutes, single use. Exchanging one is a
//! conditional update on `used_at IS NULL AND expires_at > now`, so two exchanges of one token cannot
//! both succeed.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::admins;
use crate::entity::admins as admin;
use crate::entity::login_tokens::{self, Entity as LoginTokens};
use crate::error::{Error, Result};
use crate::secret::{Secret, ServerKey, random_bytes};

/// How long a login token is valid.
pub const VALIDITY: Duration = Duration::minutes(5);

fn hash(key: &ServerKey, token: &str) -> String {
    key.hash_hex(&[b"login-token", token.trim().as_bytes()])
}

/// Issues a token for an active admin; the plain token is returned once and never stored.
pub async fn issue(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<Secret<String>> {
    let admin = admins::get(db, admin_id).await?;
    if !admin.active {
        return Err(Error::AdminNotFound);
    }
    let token = hex::encode(random_bytes::<16>());
    let row = login_tokens::ActiveModel {
        admin_id: Set(admin.id),
        token_hash: Set(hash(key, &token)),
        expires_at: Set(now + VALIDITY),
        created_at: Set(now),
        ..Default::default()
    };
    row.insert(db).await?;
    Ok(Secret::new(token))
}

/// Exchanges a token for its admin, once. An unknown, used or expired token is `LOGIN_TOKEN_INVALID`
/// (one code for all three: the caller learns nothing about which tokens exist).
pub async fn consume(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<admin::Model> {
    let token_hash = hash(key, token);
    let used = LoginTokens::update_many()
        .col_expr(login_tokens::Column::UsedAt, Expr::value(now))
        .filter(login_tokens::Column::TokenHash.eq(token_hash.as_str()))
        .filter(login_tokens::Column::UsedAt.is_null())
        .filter(login_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(Error::LoginTokenInvalid);
    }
    let row = LoginTokens::find()
        .filter(login_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .ok_or(Error::LoginTokenInvalid)?;
    let admin = admins::get(db, row.admin_id).await?;
    if !admin.active {
        return Err(Error::LoginTokenInvalid);
    }
    Ok(admin)
}

/// Deletes tokens that expired before `now` (cleanup job); how many.
pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    Ok(LoginTokens::delete_many()
        .filter(login_tokens::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
