//! The signing record of a deal, for export: who signed, which document (version, title, SHA-256, text),
//! when, how they were identified, the whole evidence chain and its verification.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::evidence::{self, EvidenceKind, Verification};
use super::{deals, documents};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordDocument {
    pub id: i64,
    pub version: i32,
    pub title: String,
    pub sha256: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordEvent {
    pub seq: i32,
    pub kind: String,
    pub document_id: Option<i64>,
    pub actor: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: String,
    pub row_hash: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SigningRecord {
    pub deal_id: i64,
    pub title: String,
    pub state: String,
    pub amount_minor: i64,
    pub currency: String,
    pub counterparty_user_id: Option<i64>,
    pub counterparty_phone: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    /// Who signed and how they were identified (the `signed` event's actor and payload).
    pub signer: Option<String>,
    #[schema(value_type = Object)]
    pub identified_by: Option<serde_json::Value>,
    /// The document that was signed, or the current one while unsigned.
    pub document: Option<RecordDocument>,
    pub events: Vec<RecordEvent>,
    pub verification: Verification,
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.to_string()))
}

/// The record of `deal_id`.
pub async fn export(db: &impl ConnectionTrait, deal_id: i64) -> Result<SigningRecord> {
    let deal = deals::get(db, deal_id).await?;
    let rows = evidence::list(db, deal_id).await?;
    let verification = evidence::verify(db, deal_id).await?;
    let signed = rows.iter().find(|r| r.kind == EvidenceKind::Signed);
    let document_id = match signed.and_then(|s| s.document_id) {
        Some(id) => Some(id),
        None => documents::current(db, deal_id).await?.map(|d| d.id),
    };
    let document = match document_id {
        Some(id) => {
            let d = documents::get(db, id).await?;
            Some(RecordDocument {
                id: d.id,
                version: d.version,
                title: d.title,
                sha256: d.sha256,
                body: d.body,
                created_at: d.created_at,
            })
        }
        None => None,
    };
    let identified_by = signed.and_then(|s| json(&s.payload).get("identified_by").cloned());
    let events = rows
        .iter()
        .map(|r| {
            Ok(RecordEvent {
                seq: r.seq,
                kind: serde_json::to_value(r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .ok_or_else(|| Error::Internal("evidence kind".into()))?,
                document_id: r.document_id,
                actor: r.actor.clone(),
                payload: json(&r.payload),
                created_at: r.created_at,
                prev_hash: r.prev_hash.clone(),
                row_hash: r.row_hash.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SigningRecord {
        deal_id,
        title: deal.title,
        state: serde_json::to_value(deal.state)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        amount_minor: deal.amount_minor,
        currency: deal.currency,
        counterparty_user_id: deal.counterparty_user_id,
        counterparty_phone: deal.counterparty_phone,
        signed_at: deal.signed_at,
        signer: signed.and_then(|s| s.actor.clone()),
        identified_by,
        document,
        events,
        verification,
    })
}
