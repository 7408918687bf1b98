//! Signing evidence: an append-only hash chain of events per deal.
//!
//! Each row stores `row_hash = hex(SHA256(prev_hash || canonical_json(row)))`, where `prev_hash` is the
//! previous row's `row_hash` as 64 lowercase hex characters ([`GENESIS`] for the first row) and
//! `canonical_json(row)` is the JSON object with exactly these fields, keys sorted, no insignificant
//! whitespace (see [`canonical_json`]):
//!
//! | field         | value                                                        |
//! |---------------|--------------------------------------------------------------|
//! | `deal_id`     | integer                                                      |
//! | `seq`         | integer, 1 for the first row, no gaps                        |
//! | `kind`        | string (`sent`, `viewed`, `contact_shared`, `code_sent`, …)  |
//! | `document_id` | integer or null                                              |
//! | `actor`       | string or null                                               |
//! | `payload`     | the stored payload parsed as JSON                            |
//! | `created_at`  | RFC 3339 UTC with microseconds, `2026-11-21T10:00:00.000000Z`|
//! | `prev_hash`   | string                                                       |
//!
//! Appends are serialized per deal by the unique key (deal_id, seq): a writer that loses the race gets a
//! unique violation, re-reads the tail and retries. On MySQL/MariaDB the tail is read with `FOR UPDATE` so
//! a retry inside a transaction sees the latest committed row, not its snapshot; SQLite has one writer.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use crate::entity::signature_events::EvidenceKind;
use crate::entity::signature_events::{self, Entity as Events};
use crate::error::{Error, Result, is_unique_violation};

/// The `prev_hash` of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many times an append re-reads the tail after losing a race before it gives up.
const MAX_RETRIES: usize = 64;

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EvidenceKind,
    pub document_id: Option<i64>,
    /// Who caused it: `admin:<id>`, `user:<id>`, `system`.
    pub actor: Option<String>,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(kind: EvidenceKind, actor: impl Into<String>, payload: Value) -> Self {
        Self {
            kind,
            document_id: None,
            actor: Some(actor.into()),
            payload,
        }
    }

    pub fn document(mut self, document_id: i64) -> Self {
        self.document_id = Some(document_id);
        self
    }
}

/// Serializes `value` with object keys sorted (by their UTF-8 bytes) and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The RFC 3339 form of `at` that is hashed: UTC, microseconds, `Z`.
pub fn hashed_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash of a row as stored (its own `row_hash` is not part of it).
pub fn row_hash(row: &signature_events::Model) -> Result<String> {
    let payload: Value = serde_json::from_str(&row.payload)
        .map_err(|e| Error::Internal(format!("evidence payload is not JSON: {e}")))?;
    Ok(compute_hash(
        row.deal_id,
        row.seq,
        row.kind,
        row.document_id,
        row.actor.as_deref(),
        &payload,
        row.created_at,
        &row.prev_hash,
    ))
}

#[expect(clippy::too_many_arguments, reason = "exactly the hashed fields")]
fn compute_hash(
    deal_id: i64,
    seq: i32,
    kind: EvidenceKind,
    document_id: Option<i64>,
    actor: Option<&str>,
    payload: &Value,
    created_at: DateTime<Utc>,
    prev_hash: &str,
) -> String {
    let row = serde_json::json!({
        "deal_id": deal_id,
        "seq": seq,
        "kind": kind,
        "document_id": document_id,
        "actor": actor,
        "payload": payload,
        "created_at": hashed_time(created_at),
        "prev_hash": prev_hash,
    });
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json(&row).as_bytes());
    hex::encode(hasher.finalize())
}

/// The last row of a deal's chain.
async fn tail(db: &impl ConnectionTrait, deal_id: i64) -> Result<Option<signature_events::Model>> {
    let mut query = Events::find()
        .filter(signature_events::Column::DealId.eq(deal_id))
        .order_by_desc(signature_events::Column::Seq)
        .limit(1);
    if db.get_database_backend() == DbBackend::MySql {
        query = query.lock_exclusive();
    }
    Ok(query.one(db).await?)
}

/// Appends `event` to the chain of `deal_id`.
pub async fn append(
    db: &impl ConnectionTrait,
    deal_id: i64,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<signature_events::Model> {
    let now = crate::clock::truncate(now);
    // The stored payload is its canonical form, so what is hashed is exactly what is kept.
    let payload_text = canonical_json(&event.payload);
    for _ in 0..MAX_RETRIES {
        let (seq, prev_hash) = match tail(db, deal_id).await? {
            Some(last) => (last.seq + 1, last.row_hash),
            None => (1, GENESIS.to_string()),
        };
        let hash = compute_hash(
            deal_id,
            seq,
            event.kind,
            event.document_id,
            event.actor.as_deref(),
            &event.payload,
            now,
            &prev_hash,
        );
        let row = signature_events::ActiveModel {
            deal_id: Set(deal_id),
            seq: Set(seq),
            document_id: Set(event.document_id),
            kind: Set(event.kind),
            actor: Set(event.actor.clone()),
            payload: Set(payload_text.clone()),
            created_at: Set(now),
            prev_hash: Set(prev_hash),
            row_hash: Set(hash),
            ..Default::default()
        };
        match row.insert(db).await {
            Ok(model) => return Ok(model),
            Err(e) if is_unique_violation(&e, "seq") => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(format!(
        "evidence append for deal {deal_id} lost the race {MAX_RETRIES} times"
    )))
}

/// A deal's chain, oldest first.
pub async fn list(db: &impl ConnectionTrait, deal_id: i64) -> Result<Vec<signature_events::Model>> {
    Ok(Events::find()
        .filter(signature_events::Column::DealId.eq(deal_id))
        .order_by_asc(signature_events::Column::Seq)
        .all(db)
        .await?)
}

/// Why a row breaks the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The row's stored hash is not the hash of its fields.
    HashMismatch,
    /// The row's `prev_hash` is not the previous row's `row_hash`.
    PrevLinkBroken,
    /// The row's `seq` is not the previous one plus one (a row is missing).
    Gap,
}

/// The first row that breaks a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Break {
    pub deal_id: i64,
    pub seq: i32,
    pub reason: BreakReason,
}

/// The result of walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub deal_id: i64,
    pub events: usize,
    pub ok: bool,
    /// The first broken row, if any.
    pub first_break: Option<Break>,
}

/// Walks the chain of `deal_id` and names the first broken row.
pub async fn verify(db: &impl ConnectionTrait, deal_id: i64) -> Result<Verification> {
    let rows = list(db, deal_id).await?;
    let first_break = first_break(&rows)?;
    Ok(Verification {
        deal_id,
        events: rows.len(),
        ok: first_break.is_none(),
        first_break,
    })
}

/// The first broken row of `rows` (one deal's chain, ordered by `seq`).
pub fn first_break(rows: &[signature_events::Model]) -> Result<Option<Break>> {
    let mut prev_hash = GENESIS.to_string();
    for (expected_seq, row) in (1..).zip(rows) {
        let broken = |reason| {
            Ok(Some(Break {
                deal_id: row.deal_id,
                seq: row.seq,
                reason,
            }))
        };
        if row.seq != expected_seq {
            return broken(BreakReason::Gap);
        }
        if row.prev_hash != prev_hash {
            return broken(BreakReason::PrevLinkBroken);
        }
        // A payload that is no longer JSON is a tampered row, not a server failure.
        let recomputed = row_hash(row).unwrap_or_default();
        if !crate::secret::constant_time_eq(recomputed.as_bytes(), row.row_hash.as_bytes()) {
            return broken(BreakReason::HashMismatch);
        }
        prev_hash = row.row_hash.clone();
    }
    Ok(None)
}

/// Every deal that has evidence, for the verification command.
pub async fn deal_ids(db: &impl ConnectionTrait) -> Result<Vec<i64>> {
    let ids: Vec<i64> = Events::find()
        .select_only()
        .column(signature_events::Column::DealId)
        .distinct()
        .order_by_asc(signature_events::Column::DealId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

/// Verifies every deal's chain; the first broken one, if any.
pub async fn verify_all(db: &impl ConnectionTrait) -> Result<(usize, Option<Break>)> {
    let ids = deal_ids(db).await?;
    for id in &ids {
        if let Some(b) = verify(db, *id).await?.first_break {
            return Ok((ids.len(), Some(b)));
        }
    }
    Ok((ids.len(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() {
        let value = serde_json::json!({"b": 1, "a": {"z": [1, {"y": "я", "x": null}], "c": true}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":true,"z":[1,{"x":null,"y":"я"}]},"b":1}"#
        );
    }

    #[test]
    fn the_hashed_time_keeps_microseconds() {
        let at = DateTime::parse_from_rfc3339("2026-11-21T10:00:00.000120Z")
            .unwrap()
            .to_utc();
        assert_eq!(hashed_time(at), "2026-11-21T10:00:00.000120Z");
    }
}
