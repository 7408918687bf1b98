//! Discounts: issuing by kind under the database's uniqueness rules, listing, expiring, revoking.
//!
//! One welcome discount per user and one birthday discount per user per year are the unique key
//! `(user_id, kind, uniq_period)`: concurrent issues race on the key and exactly one wins.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::templates::{self, DiscountKind};
use crate::domain::DiscountValue;
use crate::domain::code::{DiscountCode, new_nonce};
use crate::domain::value::StoredValue;
use crate::entity::discount_templates;
pub use crate::entity::discounts::DiscountState;
use crate::entity::discounts::{self, Entity as Discounts};
use crate::error::{Error, Result, is_unique_violation};
use crate::secret::ServerKey;

/// A discount just issued, with its code (shown once to whoever issues it, and again to its owner).
#[derive(Debug, Clone)]
pub struct Issued {
    pub discount: discounts::Model,
    pub code: DiscountCode,
}

/// Everything an issue needs; the helpers below fill it for each kind.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub user_id: i64,
    pub kind: DiscountKind,
    pub value: StoredValue,
    pub validity_days: i32,
    pub template_id: Option<i64>,
    /// `Some(0)` for the one welcome discount, `Some(year)` for a birthday, `None` for manual ones.
    pub uniq_period: Option<i32>,
    pub issued_by_admin_id: Option<i64>,
    pub note: Option<String>,
}

/// Issues one discount. `DISCOUNT_ALREADY_ISSUED` when the user already has this kind for this period.
pub async fn issue(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    request: &IssueRequest,
    now: DateTime<Utc>,
) -> Result<Issued> {
    // A fresh nonce on the (astronomically rare) collision of two codes; the unique key on code_hash decides.
    for _ in 0..5 {
        let nonce = new_nonce();
        let code = DiscountCode::derive(key, &nonce);
        let mut discount = discounts::Model {
            id: 0,
            user_id: request.user_id,
            template_id: request.template_id,
            kind: request.kind,
            code_hash: code.hash(key),
            code_nonce: nonce,
            value_kind: request.value.kind,
            percent_bp: request.value.percent_bp,
            amount_minor: request.value.amount_minor,
            state: DiscountState::Active,
            uniq_period: request.uniq_period,
            issued_at: now,
            expires_at: now + Duration::days(request.validity_days.into()),
            redeemed_at: None,
            revoked_at: None,
            reminded_at: None,
            issued_by_admin_id: request.issued_by_admin_id,
            note: request.note.clone(),
        };
        let mut row: discounts::ActiveModel = discount.clone().into();
        row.id = NotSet;
        // The issued row is what was written: no read-back (sea-orm's `insert` selects it again on MySQL).
        match Discounts::insert(row).exec(db).await {
            Ok(inserted) => {
                discount.id = inserted.last_insert_id;
                return Ok(Issued { discount, code });
            }
            Err(e) if is_unique_violation(&e, "code_hash") => continue,
            Err(e) if is_unique_violation(&e, "") => return Err(Error::DiscountAlreadyIssued),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
                return Err(Error::UserNotFound);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "could not find a free discount code".into(),
    ))
}

fn request_from_template(
    user_id: i64,
    template: &discount_templates::Model,
    uniq_period: Option<i32>,
) -> Result<IssueRequest> {
    Ok(IssueRequest {
        user_id,
        kind: template.kind,
        value: templates::value_of(template)?.to_stored()?,
        validity_days: template.validity_days,
        template_id: Some(template.id),
        uniq_period,
        issued_by_admin_id: None,
        note: None,
    })
}

/// The welcome discount from the active subscription template: once per user, ever.
pub async fn issue_welcome(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let template = templates::active_for(db, DiscountKind::Subscription)
        .await?
        .ok_or(Error::NoActiveTemplate("subscription"))?;
    issue_welcome_from(db, key, user_id, &template, now).await
}

/// The welcome discount from `template` (the active subscription template, as a caller read it
/// shortly before): once per user, ever.
pub async fn issue_welcome_from(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    user_id: i64,
    template: &discount_templates::Model,
    now: DateTime<Utc>,
) -> Result<Issued> {
    if template.kind != DiscountKind::Subscription || !template.active {
        return Err(Error::NoActiveTemplate("subscription"));
    }
    issue(
        db,
        key,
        &request_from_template(user_id, template, Some(0))?,
        now,
    )
    .await
}

/// The birthday discount of `year` from the active birthday template: once per user per year.
pub async fn issue_birthday(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    user_id: i64,
    year: i32,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let template = templates::active_for(db, DiscountKind::Birthday)
        .await?
        .ok_or(Error::NoActiveTemplate("birthday"))?;
    issue(
        db,
        key,
        &request_from_template(user_id, &template, Some(year))?,
        now,
    )
    .await
}

/// A manual discount an admin gives to one user.
#[derive(Debug, Clone)]
pub struct ManualDiscount {
    pub user_id: i64,
    pub value: DiscountValue,
    /// 1 to 3650 days.
    pub validity_days: i32,
    pub admin_id: i64,
    pub note: Option<String>,
}

/// Issues a manual discount; any number of them may exist per user.
pub async fn issue_manual(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    manual: &ManualDiscount,
    now: DateTime<Utc>,
) -> Result<Issued> {
    if !(1..=3650).contains(&manual.validity_days) {
        return Err(Error::invalid("validity_days", "out_of_range"));
    }
    let note = manual
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| super::clean_text(n, "note", 255))
        .transpose()?;
    let request = IssueRequest {
        user_id: manual.user_id,
        kind: DiscountKind::Manual,
        value: manual.value.to_stored()?,
        validity_days: manual.validity_days,
        template_id: None,
        uniq_period: None,
        issued_by_admin_id: Some(manual.admin_id),
        note,
    };
    issue(db, key, &request, now).await
}

/// The code of a stored discount, derived again from its nonce.
pub fn code_of(key: &ServerKey, discount: &discounts::Model) -> DiscountCode {
    DiscountCode::derive(key, &discount.code_nonce)
}

/// The value of a stored discount.
pub fn value_of(discount: &discounts::Model) -> Result<DiscountValue> {
    DiscountValue::from_stored(
        discount.value_kind,
        discount.percent_bp,
        discount.amount_minor,
    )
}

/// The state as the customer and cashier should see it: an active code past its expiry is expired even
/// before the expiry job has marked it.
pub fn effective_state(discount: &discounts::Model, now: DateTime<Utc>) -> DiscountState {
    match discount.state {
        DiscountState::Active if discount.expires_at <= now => DiscountState::Expired,
        state => state,
    }
}

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    code: &DiscountCode,
) -> Result<Option<discounts::Model>> {
    Ok(Discounts::find()
        .filter(discounts::Column::CodeHash.eq(code.hash(key)))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<discounts::Model> {
    Discounts::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DiscountNotFound)
}

/// The user's usable discounts, soonest expiry first.
pub async fn list_active(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<discounts::Model>> {
    Ok(Discounts::find()
        .filter(discounts::Column::UserId.eq(user_id))
        .filter(discounts::Column::State.eq(DiscountState::Active))
        .filter(discounts::Column::ExpiresAt.gt(now))
        .order_by_asc(discounts::Column::ExpiresAt)
        .all(db)
        .await?)
}

/// The user's last `limit` discounts in any state, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
) -> Result<Vec<discounts::Model>> {
    Ok(Discounts::find()
        .filter(discounts::Column::UserId.eq(user_id))
        .order_by_desc(discounts::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Marks every active discount past its expiry as expired; how many.
pub async fn expire_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let result = Discounts::update_many()
        .col_expr(
            discounts::Column::State,
            Expr::value(DiscountState::Expired),
        )
        .filter(discounts::Column::State.eq(DiscountState::Active))
        .filter(discounts::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Revokes an active discount. A discount in any other state cannot be revoked and says why.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: i64,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<discounts::Model> {
    let result = Discounts::update_many()
        .col_expr(
            discounts::Column::State,
            Expr::value(DiscountState::Revoked),
        )
        .col_expr(discounts::Column::RevokedAt, Expr::value(now))
        .filter(discounts::Column::Id.eq(id))
        .filter(discounts::Column::State.eq(DiscountState::Active))
        .exec(db)
        .await?;
    let discount = get(db, id).await?;
    if result.rows_affected == 0 {
        return Err(refusal(&discount, now));
    }
    let entry = super::audit::Entry::new(
        super::audit::Actor::admin(admin_id),
        "discount.revoke",
        "discount",
        id,
    )
    .change(
        Some(&serde_json::json!({ "state": "active" })),
        Some(&serde_json::json!({ "state": "revoked" })),
    );
    super::audit::record(db, entry, now).await?;
    Ok(discount)
}

/// Why a discount that is not usable refuses: redeemed, revoked or expired.
pub fn refusal(discount: &discounts::Model, now: DateTime<Utc>) -> Error {
    match effective_state(discount, now) {
        DiscountState::Redeemed => Error::DiscountAlreadyRedeemed,
        DiscountState::Revoked => Error::DiscountRevoked,
        DiscountState::Expired => Error::DiscountExpired,
        DiscountState::Active => Error::Internal("an active discount was refused".into()),
    }
}
