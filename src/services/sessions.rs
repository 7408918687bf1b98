//! Admin panel sessions: a one-time login token becomes an access token and a refresh token.
//!
//! A session is a *family* of refresh tokens. Each refresh token is 256 random bits, shown once, stored as a
//! keyed hash and used once: refreshing marks it used (a conditional update, so two concurrent refreshes of
//! one token cannot both win) and issues its successor in the same family. Presenting a token that was
//! already used means a copy of it exists somewhere else: the whole family is revoked and both holders must
//! sign in again. Logging out revokes the family too.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use super::audit::{self, Actor, Entry};
use super::auth::{self, AccessToken, TokenKeys};
use super::{admins, login_tokens};
use crate::entity::admins as admin;
use crate::entity::refresh_tokens::{self, Entity as RefreshTokens};
use crate::error::{Error, Result};
use crate::secret::{Secret, ServerKey, random_bytes};

/// How long a refresh token is valid (each refresh starts a new period).
pub const REFRESH_TTL: Duration = Duration::days(30);

/// What a login or a refresh hands back.
#[derive(Debug, Clone)]
pub struct Session {
    pub admin: admin::Model,
    pub access: AccessToken,
    pub refresh_token: Secret<String>,
    pub refresh_expires_at: DateTime<Utc>,
}

fn hash(key: &ServerKey, token: &str) -> String {
    key.hash_hex(&[b"refresh-token", token.trim().as_bytes()])
}

/// Exchanges a one-time login token for a new session.
pub async fn login<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: &ServerKey,
    keys: &TokenKeys,
    login_token: &str,
    now: DateTime<Utc>,
) -> Result<Session> {
    let txn = db.begin().await?;
    let admin = login_tokens::consume(&txn, key, login_token, now).await?;
    let family = uuid::Uuid::new_v4().to_string();
    let session = start(&txn, key, keys, admin, &family, None, now).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::admin(session.admin.id),
            "admin.login",
            "admin",
            session.admin.id,
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Rotates a refresh token: the old one is spent, the new session continues the family.
pub async fn refresh<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: &ServerKey,
    keys: &TokenKeys,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<Session> {
    let token_hash = hash(key, refresh_token);
    let row = RefreshTokens::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash.as_str()))
        .one(db)
        .await?
        .ok_or(Error::RefreshTokenInvalid)?;
    let txn = db.begin().await?;
    let spent = RefreshTokens::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        // Read afresh: a concurrent refresh may have spent it since the first read.
        let current = RefreshTokens::find_by_id(row.id)
            .one(db)
            .await?
            .ok_or(Error::RefreshTokenInvalid)?;
        if current.used_at.is_some() && current.revoked_at.is_none() {
            revoke_family(db, &current.family_id, now).await?;
            audit::record(
                db,
                Entry::new(
                    Actor::admin(current.admin_id),
                    "session.reuse_detected",
                    "admin",
                    current.admin_id,
                ),
                now,
            )
            .await?;
            return Err(Error::RefreshTokenReused);
        }
        return Err(Error::RefreshTokenInvalid);
    }
    let admin = admins::get(&txn, row.admin_id).await?;
    if !admin.active {
        txn.rollback().await?;
        revoke_family(db, &row.family_id, now).await?;
        return Err(Error::AdminInactive);
    }
    let session = start(&txn, key, keys, admin, &row.family_id, Some(row.id), now).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to. An unknown token ends nothing and is not an error:
/// logging out twice is harmless.
pub async fn logout(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = RefreshTokens::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash(key, refresh_token)))
        .one(db)
        .await?;
    let Some(row) = row else { return Ok(()) };
    if revoke_family(db, &row.family_id, now).await? > 0 {
        audit::record(
            db,
            Entry::new(
                Actor::admin(row.admin_id),
                "admin.logout",
                "admin",
                row.admin_id,
            ),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Revokes every live session of an admin (when they are switched off); how many tokens.
pub async fn revoke_admin(
    db: &impl ConnectionTrait,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(RefreshTokens::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::AdminId.eq(admin_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes refresh tokens that expired before `now` (cleanup job); how many.
pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    Ok(RefreshTokens::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

async fn revoke_family(db: &impl ConnectionTrait, family: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(RefreshTokens::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

async fn start(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    keys: &TokenKeys,
    admin: admin::Model,
    family: &str,
    parent_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Session> {
    let token = hex::encode(random_bytes::<32>());
    let refresh_expires_at = now + REFRESH_TTL;
    refresh_tokens::ActiveModel {
        admin_id: Set(admin.id),
        family_id: Set(family.to_string()),
        token_hash: Set(hash(key, &token)),
        parent_id: Set(parent_id),
        expires_at: Set(refresh_expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let access = auth::issue_access(keys, admin.id, admin.role, family, now)?;
    Ok(Session {
        admin,
        access,
        refresh_token: Secret::new(token),
        refresh_expires_at,
    })
}
