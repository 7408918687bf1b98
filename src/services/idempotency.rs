//! Idempotency keys: a client that retries a create or send with the same `Idempotency-Key` gets the first
//! answer again instead of a second effect. The first request claims `(scope, key)` by inserting a row;
//! the unique key decides between concurrent duplicates, so exactly one of them runs. The winner stores
//! its response; later requests replay it for [`RETENTION`]. The same key with another request (a
//! different hash) is refused, so a client bug cannot silently get someone else's answer.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::idempotency_keys::{self, Entity as Keys};
use crate::error::{Error, Result, is_unique_violation};
use crate::secret::constant_time_eq;

/// How long a stored response is replayed.
pub const RETENTION: Duration = Duration::hours(24);
/// The longest key accepted (the column's width).
pub const MAX_KEY_LEN: usize = 255;

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key: run it, then [`complete`] (or [`release`] on a server error).
    Started,
    /// The same request already ran: answer with its stored response.
    Replay { status: u16, body: String },
}

/// Claims `key` in `scope` for a request whose canonical form hashes to `request_hash`.
///
/// `IDEMPOTENCY_KEY_REUSED` when the key was used for another request, `IDEMPOTENCY_KEY_IN_PROGRESS`
/// while the first request with it is still running.
pub async fn claim(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid("Idempotency-Key", "invalid"));
    }
    // A key older than the retention is free again: drop the stale row, then claim as usual.
    Keys::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .filter(idempotency_keys::Column::CreatedAt.lte(now - RETENTION))
        .exec(db)
        .await?;
    let row = idempotency_keys::ActiveModel {
        scope: Set(scope.to_string()),
        idem_key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(_) => return Ok(Claim::Started),
        Err(e) if is_unique_violation(&e, "idem") || is_unique_violation(&e, "scope") => {}
        Err(e) => return Err(e.into()),
    }
    let existing = find(db, scope, key).await?.ok_or_else(|| {
        Error::Internal("an idempotency key vanished right after a conflict".into())
    })?;
    if !constant_time_eq(existing.request_hash.as_bytes(), request_hash.as_bytes()) {
        return Err(Error::IdempotencyKeyReused);
    }
    match (existing.response_status, existing.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        }),
        _ => Err(Error::IdempotencyKeyInProgress),
    }
}

/// Stores the response of the request that claimed the key.
pub async fn complete(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    Keys::update_many()
        .col_expr(
            idempotency_keys::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_keys::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .filter(idempotency_keys::Column::ResponseStatus.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Frees a claimed key whose request failed on the server's side, so a retry runs again.
pub async fn release(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<()> {
    Keys::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .filter(idempotency_keys::Column::ResponseStatus.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes keys past the retention (cleanup job); how many.
pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    Ok(Keys::delete_many()
        .filter(idempotency_keys::Column::CreatedAt.lte(now - RETENTION))
        .exec(db)
        .await?
        .rows_affected)
}

async fn find(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
) -> Result<Option<idempotency_keys::Model>> {
    Ok(Keys::find()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .one(db)
        .await?)
}
