//! Deals offered to a counterparty: create and edit while a draft, send, cancel. The amount is RUB in
//! `rust_decimal` (positive, at most 2 decimals) stored as kopecks; the terms (payment plan, split rules)
//! are validated against it. Every state change is a conditional update checked by rows affected, and
//! appends its evidence event in the same transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor, ActorKind, Entry};
use super::clean_text;
use super::evidence::{self, EvidenceKind, NewEvent};
use super::paging::{self, Page, PageRequest};
pub use crate::entity::deals::DealState;
use crate::entity::deals::{self, Entity as Deals};
use crate::error::{Error, FieldError, Result};

/// What an admin types to create or edit a deal.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DealInput {
    pub title: String,
    /// A free word such as `sale`, `rent`, `service`.
    pub kind: String,
    /// The counterparty as a registered user, or…
    pub counterparty_user_id: Option<i64>,
    /// …as a phone number not yet linked to a user.
    pub counterparty_phone: Option<String>,
    /// RUB, positive, at most 2 decimals, as a string (`"1500.00"`).
    #[schema(value_type = String)]
    pub amount: Decimal,
    #[serde(default)]
    pub terms: Terms,
}

/// The terms of a deal.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Terms {
    /// Payment steps; when given, their amounts sum to the deal's amount.
    #[serde(default)]
    pub payment_plan: Vec<PaymentStep>,
    /// How the amount is split among parties; when given, the percentages sum to 100.
    #[serde(default)]
    pub splits: Vec<SplitRule>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PaymentStep {
    /// When the step is due (a date, `2026-12-01`).
    pub due: chrono::NaiveDate,
    #[schema(value_type = String)]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SplitRule {
    pub party: String,
    #[schema(value_type = String)]
    pub percent: Decimal,
}

/// Normalizes a Russian or international phone number to `+<digits>`: spaces, dashes, dots and brackets
/// are dropped; a leading `8` of an 11-digit number becomes `+7`; 10 to 15 digits are accepted.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    if !plus && digits.len() == 11 && digits.starts_with('8') {
        digits.replace_range(0..1, "7");
    } else if !plus && digits.len() == 10 && digits.starts_with('9') {
        digits.insert(0, '7');
    }
    (10..=15)
        .contains(&digits.len())
        .then(|| format!("+{digits}"))
}

/// Kopecks of a positive RUB amount with at most 2 decimals.
pub fn to_minor(amount: Decimal, field: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let mut fail = |reason: &str| {
        errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
        None
    };
    if amount <= Decimal::ZERO {
        return fail("not_positive");
    }
    if amount.normalize().scale() > 2 {
        return fail("too_many_decimals");
    }
    match (amount * Decimal::ONE_HUNDRED).trunc().try_into() {
        Ok(minor) => Some(minor),
        Err(_) => fail("out_of_range"),
    }
}

/// A deal's amount in RUB from kopecks, with 2 decimals.
pub fn from_minor(minor: i64) -> Decimal {
    Decimal::new(minor, 2)
}

struct Cleaned {
    title: String,
    kind: String,
    user_id: Option<i64>,
    phone: Option<String>,
    amount_minor: i64,
    terms: String,
}

fn validate(input: &DealInput) -> Result<Cleaned> {
    let mut errors = Vec::new();
    let mut push = |field: &str, reason: &str| {
        errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        })
    };
    let title = clean_text(&input.title, "title", 255);
    let kind = clean_text(&input.kind, "kind", 32);
    for (field, result) in [("title", &title), ("kind", &kind)] {
        if let Err(Error::Validation(e)) = result {
            push(field, &e[0].reason);
        }
    }
    let phone = input
        .counterparty_phone
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let phone = match (input.counterparty_user_id, phone) {
        (None, None) => {
            push("counterparty_user_id", "required");
            None
        }
        (Some(_), Some(_)) => {
            push("counterparty_phone", "ambiguous_counterparty");
            None
        }
        (_, Some(raw)) => {
            let normalized = normalize_phone(raw);
            if normalized.is_none() {
                push("counterparty_phone", "invalid_phone");
            }
            normalized
        }
        (Some(_), None) => None,
    };
    let amount_minor = to_minor(input.amount, "amount", &mut errors);
    if !input.terms.payment_plan.is_empty() {
        let mut sum = 0i64;
        for (i, step) in input.terms.payment_plan.iter().enumerate() {
            let field = format!("terms.payment_plan[{i}].amount");
            sum += to_minor(step.amount, &field, &mut errors).unwrap_or(0);
        }
        if amount_minor.is_some_and(|total| total != sum) {
            errors.push(FieldError {
                field: "terms.payment_plan".into(),
                reason: "sum_mismatch".into(),
            });
        }
    }
    if !input.terms.splits.is_empty() {
        let mut sum = Decimal::ZERO;
        for (i, rule) in input.terms.splits.iter().enumerate() {
            if rule.party.trim().is_empty() {
                errors.push(FieldError {
                    field: format!("terms.splits[{i}].party"),
                    reason: "required".into(),
                });
            }
            if rule.percent <= Decimal::ZERO || rule.percent > Decimal::ONE_HUNDRED {
                errors.push(FieldError {
                    field: format!("terms.splits[{i}].percent"),
                    reason: "out_of_range".into(),
                });
            }
            sum += rule.percent;
        }
        if sum != Decimal::ONE_HUNDRED {
            errors.push(FieldError {
                field: "terms.splits".into(),
                reason: "sum_not_100".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let terms = serde_json::to_string(&input.terms).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Cleaned {
        title: title?,
        kind: kind?,
        user_id: input.counterparty_user_id,
        phone,
        amount_minor: amount_minor.unwrap_or_default(),
        terms,
    })
}

/// The actor as it is written into evidence: `admin:7`, `customer:12`, `system`.
pub fn actor_label(actor: Actor) -> String {
    let kind = match actor.kind {
        ActorKind::Admin => "admin",
        ActorKind::System => "system",
        ActorKind::Cashier => "cashier",
        ActorKind::Customer => "customer",
    };
    match actor.id {
        Some(id) => format!("{kind}:{id}"),
        None => kind.to_string(),
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: &DealInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<deals::Model> {
    let c = validate(input)?;
    if let Some(id) = c.user_id {
        super::users::get(db, id).await?;
    }
    let row = deals::ActiveModel {
        title: Set(c.title),
        kind: Set(c.kind),
        counterparty_user_id: Set(c.user_id),
        counterparty_phone: Set(c.phone),
        amount_minor: Set(c.amount_minor),
        currency: Set("RUB".into()),
        terms: Set(c.terms),
        state: Set(DealState::Draft),
        created_by_admin_id: Set(actor.id.filter(|_| actor.kind == ActorKind::Admin)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let deal = row.insert(db).await?;
    audit::record(
        db,
        Entry::new(actor, "deal.create", "deal", deal.id).change(None::<&()>, Some(&deal)),
        now,
    )
    .await?;
    Ok(deal)
}

/// Edits a draft; a deal that was sent is refused with `DEAL_NOT_DRAFT`.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &DealInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<deals::Model> {
    let c = validate(input)?;
    let before = get(db, id).await?;
    if let Some(user_id) = c.user_id {
        super::users::get(db, user_id).await?;
    }
    let done = Deals::update_many()
        .col_expr(deals::Column::Title, Expr::value(c.title))
        .col_expr(deals::Column::Kind, Expr::value(c.kind))
        .col_expr(deals::Column::CounterpartyUserId, Expr::value(c.user_id))
        .col_expr(deals::Column::CounterpartyPhone, Expr::value(c.phone))
        .col_expr(deals::Column::AmountMinor, Expr::value(c.amount_minor))
        .col_expr(deals::Column::Terms, Expr::value(c.terms))
        .col_expr(deals::Column::UpdatedAt, Expr::value(now))
        .filter(deals::Column::Id.eq(id))
        .filter(deals::Column::State.eq(DealState::Draft))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(Error::DealNotDraft);
    }
    let after = get(db, id).await?;
    audit::record(
        db,
        Entry::new(actor, "deal.update", "deal", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<deals::Model> {
    Deals::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DealNotFound)
}

/// A page of deals, optionally in one state.
pub async fn page(
    db: &impl ConnectionTrait,
    state: Option<DealState>,
    request: &PageRequest,
) -> Result<Page<deals::Model>> {
    let mut query = Deals::find();
    if let Some(state) = state {
        query = query.filter(deals::Column::State.eq(state));
    }
    paging::fetch(db, query, deals::Column::Id, request, |d| d.id).await
}

/// Moves `id` from one of `from` to `to` by a conditional update; `DEAL_STATE_CONFLICT` when the deal
/// is in another state. `extra` sets a timestamp column of the transition.
pub(crate) async fn transition(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[DealState],
    to: DealState,
    stamp: Option<deals::Column>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = Deals::update_many()
        .col_expr(deals::Column::State, Expr::value(to))
        .col_expr(deals::Column::UpdatedAt, Expr::value(now));
    if let Some(column) = stamp {
        update = update.col_expr(column, Expr::value(now));
    }
    let done = update
        .filter(deals::Column::Id.eq(id))
        .filter(deals::Column::State.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        get(db, id).await?;
        return Err(Error::DealStateConflict);
    }
    Ok(())
}

/// Sends a draft to its counterparty: the current document (rendered now if there is none) is the one
/// to sign; evidence `sent`.
pub async fn send(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<deals::Model> {
    let txn = db.begin().await?;
    transition(
        &txn,
        id,
        &[DealState::Draft],
        DealState::Sent,
        Some(deals::Column::SentAt),
        now,
    )
    .await?;
    let document = match super::documents::current(&txn, id).await? {
        Some(doc) => doc,
        None => super::documents::render_in(&txn, id, now).await?,
    };
    evidence::append(
        &txn,
        id,
        NewEvent::new(
            EvidenceKind::Sent,
            actor_label(actor),
            serde_json::json!({"document_version": document.version, "document_sha256": document.sha256}),
        )
        .document(document.id),
        now,
    )
    .await?;
    audit::record(&txn, Entry::new(actor, "deal.send", "deal", id), now).await?;
    txn.commit().await?;
    get(db, id).await
}

/// Cancels a deal that is not yet signed or declined; evidence `cancelled` with the reason.
pub async fn cancel(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: i64,
    reason: Option<&str>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<deals::Model> {
    let txn = db.begin().await?;
    transition(
        &txn,
        id,
        &[DealState::Draft, DealState::Sent, DealState::Viewed],
        DealState::Cancelled,
        None,
        now,
    )
    .await?;
    evidence::append(
        &txn,
        id,
        NewEvent::new(
            EvidenceKind::Cancelled,
            actor_label(actor),
            serde_json::json!({"reason": reason}),
        ),
        now,
    )
    .await?;
    audit::record(&txn, Entry::new(actor, "deal.cancel", "deal", id), now).await?;
    txn.commit().await?;
    get(db, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        assert_eq!(
            normalize_phone("8 (914) 123-45-67").as_deref(),
            Some("+79141234567")
        );
        assert_eq!(
            normalize_phone("+7 914 123 45 67").as_deref(),
            Some("+79141234567")
        );
        assert_eq!(
            normalize_phone("9141234567").as_deref(),
            Some("+79141234567")
        );
        assert_eq!(normalize_phone("12345"), None);
        assert_eq!(normalize_phone("+7 914 abc"), None);
    }

    #[test]
    fn amounts_become_kopecks_and_bad_ones_are_named() {
        let mut errors = Vec::new();
        assert_eq!(
            to_minor("1500.5".parse().unwrap(), "amount", &mut errors),
            Some(150_050)
        );
        assert_eq!(to_minor("0".parse().unwrap(), "amount", &mut errors), None);
        assert_eq!(
            to_minor("1.005".parse().unwrap(), "amount", &mut errors),
            None
        );
        let reasons: Vec<_> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons, ["not_positive", "too_many_decimals"]);
    }
}
