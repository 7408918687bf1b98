//! What the client bot reads around signing: the deals awaiting a user's signature, the user a sent
//! deal is addressed to, the attempts left on the latest code, and the signature of a signed deal.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::deals::{DealState, normalize_phone};
use super::{documents, users};
use crate::entity::code_challenges::{self, ChallengeState, Entity as Challenges};
use crate::entity::signature_events::{self, EvidenceKind};
use crate::entity::{deals as deal_entity, documents as document_entity, users as user_entity};
use crate::error::{Error, Result};

/// A deal waiting for the user's signature, with the document version to sign.
#[derive(Debug, Clone)]
pub struct Awaiting {
    pub deal: deal_entity::Model,
    pub document: document_entity::Model,
}

fn open_states() -> [DealState; 2] {
    [DealState::Sent, DealState::Viewed]
}

/// Deals sent or viewed, addressed to `user_id` by id or by the user's phone, oldest first.
pub async fn awaiting(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Awaiting>> {
    let user = users::get(db, user_id).await?;
    let mut addressed =
        sea_orm::Condition::any().add(deal_entity::Column::CounterpartyUserId.eq(user.id));
    if let Some(phone) = user.phone.as_deref().and_then(normalize_phone) {
        addressed = addressed.add(deal_entity::Column::CounterpartyPhone.eq(phone));
    }
    let deals = deal_entity::Entity::find()
        .filter(deal_entity::Column::State.is_in(open_states()))
        .filter(addressed)
        .order_by_asc(deal_entity::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(deals.len());
    for deal in deals {
        if let Some(document) = documents::current(db, deal.id).await? {
            out.push(Awaiting { deal, document });
        }
    }
    Ok(out)
}

/// The registered user a deal is addressed to: by id, or by the phone when a user has shared it.
pub async fn counterparty(
    db: &impl ConnectionTrait,
    deal_id: i64,
) -> Result<Option<user_entity::Model>> {
    let deal = super::deals::get(db, deal_id).await?;
    if let Some(id) = deal.counterparty_user_id {
        return Ok(Some(users::get(db, id).await?));
    }
    let Some(phone) = deal.counterparty_phone else {
        return Ok(None);
    };
    Ok(user_entity::Entity::find()
        .filter(user_entity::Column::Phone.eq(phone))
        .order_by_asc(user_entity::Column::Id)
        .one(db)
        .await?)
}

/// Wrong attempts the user may still make on their latest active code for `deal_id`.
pub async fn attempts_left(db: &impl ConnectionTrait, user_id: i64, deal_id: i64) -> Result<i32> {
    let doc_ids: Vec<i64> = documents::list(db, deal_id)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let latest = Challenges::find()
        .filter(code_challenges::Column::UserId.eq(user_id))
        .filter(code_challenges::Column::DocumentId.is_in(doc_ids))
        .order_by_desc(code_challenges::Column::Id)
        .one(db)
        .await?;
    Ok(match latest {
        Some(c) if c.state == ChallengeState::Active => (c.max_attempts - c.attempts).max(0),
        _ => 0,
    })
}

/// The signature of a signed deal: the `signed` evidence row's id and the signed document's SHA-256.
#[derive(Debug, Clone)]
pub struct Signature {
    pub id: i64,
    pub sha256: String,
}

pub async fn signature(db: &impl ConnectionTrait, deal_id: i64) -> Result<Signature> {
    let event = signature_events::Entity::find()
        .filter(signature_events::Column::DealId.eq(deal_id))
        .filter(signature_events::Column::Kind.eq(EvidenceKind::Signed))
        .order_by_desc(signature_events::Column::Seq)
        .one(db)
        .await?
        .ok_or(Error::DealStateConflict)?;
    let doc = documents::get(db, event.document_id.ok_or(Error::DocumentNotFound)?).await?;
    Ok(Signature {
        id: event.id,
        sha256: doc.sha256,
    })
}

/// A document opened by its counterparty: its text, and its PDF.
#[derive(Debug, Clone)]
pub struct Opened {
    pub deal: deal_entity::Model,
    pub document: document_entity::Model,
    pub pdf: Vec<u8>,
}

/// The counterparty opens `deal_id`: marked viewed (evidence `viewed`, once) and the current document
/// with its PDF returned.
pub async fn open(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    user_id: i64,
    deal_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Opened> {
    let deal = super::signing::mark_viewed(db, user_id, deal_id, now).await?;
    let document = documents::current(db, deal_id)
        .await?
        .ok_or(Error::DocumentNotFound)?;
    let pdf = super::pdf::render(
        &document.title,
        &document.body,
        document.version,
        &document.sha256,
    )?;
    Ok(Opened {
        deal,
        document,
        pdf,
    })
}
