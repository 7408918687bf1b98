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

/// A value of `identified_by` as text (`—` when absent).
fn field(value: Option<&serde_json::Value>, name: &str) -> String {
    match value.and_then(|v| v.get(name)) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "—".into(),
        Some(other) => other.to_string(),
    }
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// The lines of the record's PDF, in Russian (the texts are in `locales/ru.ftl`).
pub fn pdf_lines(record: &SigningRecord) -> Vec<String> {
    use super::pdf::wrap;
    use super::texts::ru;
    let amount = super::documents::rub(record.amount_minor);
    let deal_id = record.deal_id.to_string();
    let mut text = vec![ru(
        "signing-record-deal",
        &[
            ("deal_id", &deal_id),
            ("title", &record.title),
            ("amount", &amount),
            ("state", &record.state),
        ],
    )];
    text.push(match &record.document {
        Some(d) => ru(
            "signing-record-document",
            &[("version", &d.version.to_string()), ("hash", &d.sha256)],
        ),
        None => ru("signing-record-no-document", &[]),
    });
    text.push(match record.signed_at {
        Some(at) => {
            let who = record.identified_by.as_ref();
            ru(
                "signing-record-signed",
                &[
                    ("at", &utc(at)),
                    ("signer", record.signer.as_deref().unwrap_or("—")),
                    ("telegram_id", &field(who, "telegram_id")),
                    ("phone", &field(who, "phone")),
                ],
            )
        }
        None => ru("signing-record-unsigned", &[]),
    });
    let v = &record.verification;
    text.push(match &v.first_break {
        None => ru(
            "signing-record-chain-ok",
            &[("events", &v.events.to_string())],
        ),
        Some(b) => ru(
            "signing-record-chain-broken",
            &[("seq", &b.seq.to_string())],
        ),
    });
    text.push(String::new());
    text.push(ru("signing-record-events", &[]));
    for e in &record.events {
        text.push(ru(
            "signing-record-event",
            &[
                ("seq", &e.seq.to_string()),
                ("at", &utc(e.created_at)),
                ("kind", &e.kind),
                ("actor", e.actor.as_deref().unwrap_or("—")),
                ("hash", &e.row_hash),
            ],
        ));
    }
    if let Some(d) = &record.document {
        text.push(String::new());
        text.push(ru("signing-record-text", &[]));
        text.push(d.body.clone());
    }
    text.iter().flat_map(|t| wrap(t)).collect()
}

/// The record of `deal_id` as PDF (DejaVu Sans embedded, like the documents).
pub async fn export_pdf(db: &impl ConnectionTrait, deal_id: i64) -> Result<Vec<u8>> {
    let record = export(db, deal_id).await?;
    let title = super::texts::ru("signing-record-title", &[("title", &record.title)]);
    super::pdf::render_lines(&title, pdf_lines(&record))
}
