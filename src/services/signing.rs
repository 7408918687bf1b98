//! Signing a deal's document with a one-time code (a simple electronic signature).
//!
//! A code is 6 digits, valid [`CODE_TTL_MINUTES`] minutes, at most [`MAX_ATTEMPTS`] attempts, single
//! use, stored as an HMAC with the server key bound to (user, document hash) and compared in constant
//! time; at most [`MAX_CODES_PER_WINDOW`] codes per user per 10 minutes. Delivery goes through the
//! [`CodeSender`] port (the client chat, implemented by the bots; an HTTP SMS gateway in
//! [`super::sms`]). Every step appends evidence to the deal's chain.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;

use super::deals::{self, DealState, normalize_phone};
use super::evidence::{self, EvidenceKind, NewEvent};
use super::{blacklist, code_limits, documents, settings, texts, users};
use crate::entity::code_challenges::{self, ChallengeState, Entity as Challenges};
use crate::entity::{deals as deal_entity, documents as document_entity, users as user_entity};
use crate::error::{Error, Result};
use crate::secret::{Secret, ServerKey, constant_time_eq};

pub const CODE_TTL_MINUTES: i64 = 10;
pub const MAX_ATTEMPTS: i32 = 5;
pub const MAX_CODES_PER_WINDOW: i32 = code_limits::MAX_CODES_PER_WINDOW;

/// Who a code goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub telegram_id: i64,
    pub phone: Option<String>,
}

/// The port that delivers the message carrying a code.
#[async_trait::async_trait]
pub trait CodeSender: Send + Sync {
    /// A short name written into evidence (`chat`, `sms`).
    fn channel(&self) -> &'static str;
    /// Delivers `text` (which contains the code) to `to`.
    async fn send(&self, to: &Recipient, text: &Secret<String>) -> Result<()>;
}

/// What the signer is told after a code was sent (never the code itself).
#[derive(Debug, Clone, Serialize)]
pub struct CodeIssued {
    pub challenge_id: i64,
    pub document_id: i64,
    pub version: i32,
    pub sha256: String,
    pub expires_at: DateTime<Utc>,
}

/// The Russian message carrying `code` for `doc`: title, version and the first 8 hex of the hash.
pub fn code_message(doc: &document_entity::Model, code: &str) -> String {
    texts::ru(
        "signing-code-message",
        &[
            ("title", &doc.title),
            ("version", &doc.version.to_string()),
            ("hash", doc.sha256.get(..8).unwrap_or(&doc.sha256)),
            ("code", code),
        ],
    )
}

fn code_hash(key: &ServerKey, user_id: i64, doc_hash: &str, code: &str) -> String {
    key.hash_hex(&[
        b"signing-code",
        &user_id.to_be_bytes(),
        doc_hash.as_bytes(),
        code.as_bytes(),
    ])
}

/// A uniformly random 6-digit code.
fn new_code() -> Secret<String> {
    loop {
        let n = u32::from_be_bytes(crate::secret::random_bytes::<4>());
        // Rejection sampling keeps every code equally likely.
        if n < u32::MAX - u32::MAX % 1_000_000 {
            return Secret::new(format!("{:06}", n % 1_000_000));
        }
    }
}

/// Whether `user` is the deal's counterparty: by id, or by the phone the deal names.
fn is_counterparty(deal: &deal_entity::Model, user: &user_entity::Model) -> bool {
    if deal.counterparty_user_id == Some(user.id) {
        return true;
    }
    match (&deal.counterparty_phone, user.phone.as_deref()) {
        (Some(wanted), Some(own)) => normalize_phone(own).as_deref() == Some(wanted.as_str()),
        _ => false,
    }
}

/// The user acting on `deal_id`: not blacklisted, the deal's counterparty, and (when `open`) the deal is
/// waiting for a signature.
async fn signer(
    db: &impl ConnectionTrait,
    user_id: i64,
    deal_id: i64,
    open: bool,
) -> Result<(user_entity::Model, deal_entity::Model)> {
    let user = users::get(db, user_id).await?;
    if blacklist::is_listed(db, Some(user.id), user.phone.as_deref()).await? {
        return Err(Error::Blacklisted);
    }
    let deal = deals::get(db, deal_id).await?;
    if !is_counterparty(&deal, &user) {
        return Err(Error::SigningNotCounterparty);
    }
    if open && !matches!(deal.state, DealState::Sent | DealState::Viewed) {
        return Err(Error::DealStateConflict);
    }
    Ok((user, deal))
}

/// A contact the user shared in the chat.
#[derive(Debug, Clone)]
pub struct SharedContact {
    pub phone: String,
    /// The Telegram id of the contact's owner, when Telegram knows it.
    pub telegram_id: Option<i64>,
}

/// The user shares their own phone for signing `deal_id`: it must be their own contact and not listed;
/// the phone is kept on the user and evidence `contact_shared` is appended.
pub async fn share_contact(
    db: &impl ConnectionTrait,
    user_id: i64,
    deal_id: i64,
    contact: &SharedContact,
    now: DateTime<Utc>,
) -> Result<user_entity::Model> {
    let user = users::get(db, user_id).await?;
    if contact.telegram_id != Some(user.telegram_id) {
        return Err(Error::ContactNotOwn);
    }
    let phone =
        normalize_phone(&contact.phone).ok_or_else(|| Error::invalid("phone", "invalid_phone"))?;
    if blacklist::is_listed(db, Some(user.id), Some(&phone)).await? {
        return Err(Error::Blacklisted);
    }
    let mut row: user_entity::ActiveModel = user.into();
    row.phone = Set(Some(phone.clone()));
    row.updated_at = Set(now);
    let user = row.update(db).await?;
    deals::get(db, deal_id).await?;
    evidence::append(
        db,
        deal_id,
        NewEvent::new(
            EvidenceKind::ContactShared,
            format!("customer:{user_id}"),
            serde_json::json!({"phone": phone, "telegram_id": user.telegram_id}),
        ),
        now,
    )
    .await?;
    Ok(user)
}

/// The counterparty opened the deal: `sent` → `viewed` (once) with evidence `viewed`.
pub async fn mark_viewed(
    db: &(impl ConnectionTrait + TransactionTrait),
    user_id: i64,
    deal_id: i64,
    now: DateTime<Utc>,
) -> Result<deal_entity::Model> {
    let (_, deal) = signer(db, user_id, deal_id, true).await?;
    if deal.state == DealState::Viewed {
        return Ok(deal);
    }
    let txn = db.begin().await?;
    deals::transition(
        &txn,
        deal_id,
        &[DealState::Sent],
        DealState::Viewed,
        None,
        now,
    )
    .await?;
    let doc = documents::current(&txn, deal_id).await?;
    let mut event = NewEvent::new(
        EvidenceKind::Viewed,
        format!("customer:{user_id}"),
        serde_json::json!({"document_sha256": doc.as_ref().map(|d| d.sha256.clone())}),
    );
    event.document_id = doc.map(|d| d.id);
    evidence::append(&txn, deal_id, event, now).await?;
    txn.commit().await?;
    deals::get(db, deal_id).await
}

/// Issues a code for the current document of `deal_id` to `user_id` and sends it through `sender`.
pub async fn request_code(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    sender: &dyn CodeSender,
    user_id: i64,
    deal_id: i64,
    now: DateTime<Utc>,
) -> Result<CodeIssued> {
    let (user, _) = signer(db, user_id, deal_id, true).await?;
    let doc = documents::current(db, deal_id)
        .await?
        .ok_or(Error::DocumentNotFound)?;
    // The request limit is claimed atomically: concurrent requests cannot exceed it.
    let claim = code_limits::claim(db, user_id, now).await?;
    let code = new_code();
    let expires_at = now + Duration::minutes(CODE_TTL_MINUTES);
    let challenge = code_challenges::ActiveModel {
        user_id: Set(user_id),
        document_id: Set(doc.id),
        doc_hash: Set(doc.sha256.clone()),
        code_hash: Set(code_hash(key, user_id, &doc.sha256, code.expose())),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        state: Set(ChallengeState::Active),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let recipient = Recipient {
        user_id,
        telegram_id: user.telegram_id,
        phone: user.phone.clone(),
    };
    let text = Secret::new(code_message(&doc, code.expose()));
    if let Err(e) = sender.send(&recipient, &text).await {
        // An undelivered code never existed for the user: it neither signs nor counts toward the limit.
        Challenges::delete_by_id(challenge.id).exec(db).await?;
        code_limits::release(db, claim).await?;
        return Err(e);
    }
    evidence::append(
        db,
        deal_id,
        NewEvent::new(
            EvidenceKind::CodeSent,
            "system",
            serde_json::json!({
                "challenge_id": challenge.id,
                "user_id": user_id,
                "channel": sender.channel(),
                "document_version": doc.version,
                "document_sha256": doc.sha256,
            }),
        )
        .document(doc.id),
        now,
    )
    .await?;
    Ok(CodeIssued {
        challenge_id: challenge.id,
        document_id: doc.id,
        version: doc.version,
        sha256: doc.sha256,
        expires_at,
    })
}

async fn set_state(db: &impl ConnectionTrait, id: i64, state: ChallengeState) -> Result<()> {
    Challenges::update_many()
        .col_expr(code_challenges::Column::State, Expr::value(state))
        .filter(code_challenges::Column::Id.eq(id))
        .filter(code_challenges::Column::State.eq(ChallengeState::Active))
        .exec(db)
        .await?;
    Ok(())
}

/// The refusal for a challenge in `state`, `None` while it is active.
fn refusal_of(state: ChallengeState) -> Option<Error> {
    match state {
        ChallengeState::Used => Some(Error::SigningCodeUsed),
        ChallengeState::Locked => Some(Error::SigningCodeLocked),
        ChallengeState::Voided => Some(Error::SigningDocumentOutdated),
        ChallengeState::Expired => Some(Error::SigningCodeExpired),
        ChallengeState::Active => None,
    }
}

/// The user's latest challenge for a document of `deal_id`.
async fn latest_challenge(
    db: &impl ConnectionTrait,
    user_id: i64,
    deal_id: i64,
) -> Result<Option<code_challenges::Model>> {
    let doc_ids: Vec<i64> = documents::list(db, deal_id)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    Ok(Challenges::find()
        .filter(code_challenges::Column::UserId.eq(user_id))
        .filter(code_challenges::Column::DocumentId.is_in(doc_ids))
        .order_by_desc(code_challenges::Column::Id)
        .one(db)
        .await?)
}

/// Signs `deal_id` with `code`: the code must be the user's latest, active, unexpired, for the current
/// document and match; the deal becomes `signed` and evidence `signed` is appended. A wrong code counts
/// an attempt (evidence `code_failed`); the fifth wrong one locks the code.
pub async fn sign(
    db: &(impl ConnectionTrait + TransactionTrait),
    key: &ServerKey,
    user_id: i64,
    deal_id: i64,
    code: &Secret<String>,
    now: DateTime<Utc>,
) -> Result<deal_entity::Model> {
    // The deal's state is checked by the transition below, so a reused code is named as such.
    let (user, _) = signer(db, user_id, deal_id, false).await?;
    let per_hour = settings::get(db).await?.code_attempts_per_hour;
    code_limits::check_attempts(db, user_id, per_hour, now).await?;
    let challenge = latest_challenge(db, user_id, deal_id)
        .await?
        .ok_or(Error::SigningCodeInvalid)?;
    if let Some(refusal) = refusal_of(challenge.state) {
        return Err(refusal);
    }
    if challenge.expires_at <= now {
        set_state(db, challenge.id, ChallengeState::Expired).await?;
        return Err(Error::SigningCodeExpired);
    }
    let doc = documents::get(db, challenge.document_id).await?;
    if doc.voided_at.is_some() || doc.sha256 != challenge.doc_hash {
        return Err(Error::SigningDocumentOutdated);
    }
    // Count the attempt first, conditionally, so parallel guesses cannot exceed the limit.
    let counted = Challenges::update_many()
        .col_expr(
            code_challenges::Column::Attempts,
            Expr::col(code_challenges::Column::Attempts).add(1),
        )
        .filter(code_challenges::Column::Id.eq(challenge.id))
        .filter(code_challenges::Column::State.eq(ChallengeState::Active))
        .filter(
            Expr::col(code_challenges::Column::Attempts)
                .lt(Expr::col(code_challenges::Column::MaxAttempts)),
        )
        .exec(db)
        .await?;
    if counted.rows_affected == 0 {
        // Someone used, voided or expired it meanwhile, or the attempts ran out: name which.
        let state = Challenges::find_by_id(challenge.id)
            .one(db)
            .await?
            .map_or(ChallengeState::Voided, |c| c.state);
        if let Some(refusal) = refusal_of(state) {
            return Err(refusal);
        }
        set_state(db, challenge.id, ChallengeState::Locked).await?;
        return Err(Error::SigningCodeLocked);
    }
    let typed = code.expose().trim();
    let expected = code_hash(key, user_id, &challenge.doc_hash, typed);
    if !constant_time_eq(expected.as_bytes(), challenge.code_hash.as_bytes()) {
        let attempts = challenge.attempts + 1;
        if attempts >= challenge.max_attempts {
            set_state(db, challenge.id, ChallengeState::Locked).await?;
        }
        evidence::append(
            db,
            deal_id,
            NewEvent::new(
                EvidenceKind::CodeFailed,
                format!("customer:{user_id}"),
                serde_json::json!({"challenge_id": challenge.id, "attempt": attempts}),
            )
            .document(doc.id),
            now,
        )
        .await?;
        return Err(Error::SigningCodeInvalid);
    }
    let txn = db.begin().await?;
    let used = Challenges::update_many()
        .col_expr(
            code_challenges::Column::State,
            Expr::value(ChallengeState::Used),
        )
        .col_expr(code_challenges::Column::UsedAt, Expr::value(now))
        .filter(code_challenges::Column::Id.eq(challenge.id))
        .filter(code_challenges::Column::State.eq(ChallengeState::Active))
        .exec(&txn)
        .await?;
    if used.rows_affected == 0 {
        return Err(Error::SigningCodeUsed);
    }
    deals::transition(
        &txn,
        deal_id,
        &[DealState::Sent, DealState::Viewed],
        DealState::Signed,
        Some(deal_entity::Column::SignedAt),
        now,
    )
    .await?;
    evidence::append(
        &txn,
        deal_id,
        NewEvent::new(
            EvidenceKind::Signed,
            format!("customer:{user_id}"),
            serde_json::json!({
                "challenge_id": challenge.id,
                "document_version": doc.version,
                "document_sha256": doc.sha256,
                "identified_by": {
                    "method": "one_time_code",
                    "telegram_id": user.telegram_id,
                    "phone": user.phone,
                },
            }),
        )
        .document(doc.id),
        now,
    )
    .await?;
    txn.commit().await?;
    deals::get(db, deal_id).await
}

/// The counterparty declines with a reason: the deal becomes `declined`, evidence `declined`.
pub async fn decline(
    db: &(impl ConnectionTrait + TransactionTrait),
    user_id: i64,
    deal_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<deal_entity::Model> {
    let reason = super::clean_text(reason, "reason", 1000)?;
    signer(db, user_id, deal_id, true).await?;
    let doc = documents::current(db, deal_id).await?;
    let txn = db.begin().await?;
    deals::transition(
        &txn,
        deal_id,
        &[DealState::Sent, DealState::Viewed],
        DealState::Declined,
        None,
        now,
    )
    .await?;
    let mut event = NewEvent::new(
        EvidenceKind::Declined,
        format!("customer:{user_id}"),
        serde_json::json!({"reason": reason}),
    );
    event.document_id = doc.map(|d| d.id);
    evidence::append(&txn, deal_id, event, now).await?;
    txn.commit().await?;
    deals::get(db, deal_id).await
}
