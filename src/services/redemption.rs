//! Checking and redeeming a code at the till.
//!
//! Redemption is one transaction: a conditional `UPDATE … WHERE state = 'active' AND expires_at > now`
//! checked by rows affected, then the usage-log row. Two cashiers redeeming the same code at once both
//! run the update; the database lets exactly one of them change the row, and the unique key on
//! `redemptions.discount_id` would refuse a second log row even if that ever failed.
//!
//! Anti-fraud: a cashier redeeming more than the setting `redemptions_per_cashier_per_minute` in the
//! last minute is refused (`REDEMPTION_VELOCITY_EXCEEDED`). The count and the setting come with the
//! first read (scalar subqueries), so the check adds no round trip. It is a soft limit: concurrent
//! redemptions by one cashier may pass it by the number in flight.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};

use super::{cashiers, discounts, users};
use crate::domain::{DiscountCode, DiscountValue};
use crate::entity::cashiers::CashierState;
use crate::entity::discounts::{DiscountState, Entity as Discounts};
use crate::entity::{discounts as discount, redemptions};
use crate::error::{Error, Result, is_unique_violation};
use crate::secret::ServerKey;

/// What the cashier sees before pressing Redeem.
#[derive(Debug, Clone)]
pub struct CodeCheck {
    pub discount: discount::Model,
    pub customer_first_name: String,
    pub value: DiscountValue,
    /// The state as of `now` (an active code past its expiry shows as expired).
    pub state: DiscountState,
}

/// A completed redemption.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub discount: discount::Model,
    pub redemption: redemptions::Model,
    pub value: DiscountValue,
}

/// Parses a code as typed or scanned; `DISCOUNT_CODE_MALFORMED` without touching the database.
pub fn parse_code(input: &str) -> Result<DiscountCode> {
    DiscountCode::parse(input).ok_or(Error::DiscountCodeMalformed)
}

/// Looks a code up for the cashier: who owns it, what it is worth, whether it can still be used.
pub async fn check(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    input: &str,
    now: DateTime<Utc>,
) -> Result<CodeCheck> {
    let code = parse_code(input)?;
    let discount = discounts::find_by_code(db, key, &code)
        .await?
        .ok_or(Error::DiscountNotFound)?;
    let customer = users::get(db, discount.user_id).await?;
    Ok(CodeCheck {
        value: discounts::value_of(&discount)?,
        state: discounts::effective_state(&discount, now),
        customer_first_name: customer.first_name,
        discount,
    })
}

/// Redeems `input` by the approved cashier `cashier_id`, once. `amount_minor` is the receipt total in
/// kopecks, if the cashier gave it. Every refusal leaves the database unchanged.
///
/// Five round trips: one read of the discount with the cashier's state and store, then `BEGIN`, the
/// conditional `UPDATE`, the usage-log `INSERT`, `COMMIT`. Nothing is read back after the insert.
pub async fn redeem<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: &ServerKey,
    input: &str,
    cashier_id: i64,
    amount_minor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Redeemed> {
    let code = parse_code(input)?;
    if amount_minor.is_some_and(|a| a <= 0) {
        return Err(Error::invalid("amount", "invalid_amount"));
    }
    let Some(found) = discount_with_cashier(db, &code.hash(key), cashier_id, now).await? else {
        // No such code; but a cashier who may not redeem hears that first, as when the code exists.
        cashiers::require_approved(db, cashier_id).await?;
        return Err(Error::DiscountNotFound);
    };
    let store_id = match (found.cashier_state, found.cashier_store_id) {
        (Some(CashierState::Approved), Some(store_id)) => store_id,
        (Some(_), _) => return Err(Error::CashierNotApproved),
        (None, _) => return Err(Error::CashierNotFound),
    };
    if found.per_minute_limit > 0 && found.redeemed_last_minute >= found.per_minute_limit {
        return Err(Error::RedemptionVelocityExceeded);
    }
    let discount = found.discount;
    // The transaction holds only the two writes, so the row lock is held as briefly as possible.
    let txn = db.begin().await?;
    let updated = Discounts::update_many()
        .col_expr(
            discount::Column::State,
            Expr::value(DiscountState::Redeemed),
        )
        .col_expr(discount::Column::RedeemedAt, Expr::value(now))
        .filter(discount::Column::Id.eq(discount.id))
        .filter(discount::Column::State.eq(DiscountState::Active))
        .filter(discount::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        // Someone else won, or the code was not usable. Read its state afresh, outside the transaction:
        // inside it, InnoDB's repeatable read could still show the snapshot from before the winner.
        let current = discounts::get(db, discount.id).await?;
        return Err(discounts::refusal(&current, now));
    }
    let log = redemptions::ActiveModel {
        discount_id: Set(discount.id),
        cashier_id: Set(cashier_id),
        store_id: Set(store_id),
        redeemed_at: Set(now),
        amount_minor: Set(amount_minor),
        kind: Set(Some(discount.kind)),
        ..Default::default()
    };
    // `Entity::insert(..).exec` returns the new id without reading the row back.
    let inserted = redemptions::Entity::insert(log)
        .exec(&txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "discount") {
                Error::DiscountAlreadyRedeemed
            } else {
                e.into()
            }
        })?;
    txn.commit().await?;
    let redemption = redemptions::Model {
        id: inserted.last_insert_id,
        discount_id: discount.id,
        cashier_id,
        store_id,
        redeemed_at: now,
        amount_minor,
        kind: Some(discount.kind),
    };
    let discount = discount::Model {
        state: DiscountState::Redeemed,
        redeemed_at: Some(now),
        ..discount
    };
    Ok(Redeemed {
        value: discounts::value_of(&discount)?,
        discount,
        redemption,
    })
}

/// The shop setting that limits redemptions per cashier per minute.
const VELOCITY_SETTING: &str = "redemptions_per_cashier_per_minute";

/// A discount and the state and store of one cashier, read together.
struct DiscountWithCashier {
    discount: discount::Model,
    cashier_state: Option<CashierState>,
    cashier_store_id: Option<i64>,
    /// Redemptions by the cashier in the minute before `now` (the usage log's cashier index).
    redeemed_last_minute: i64,
    /// The shop setting `redemptions_per_cashier_per_minute` (0: no limit).
    per_minute_limit: i64,
}

/// The discount with `code_hash` and, in the same statement, the state and store of `cashier_id`
/// (scalar subqueries; `None` where there is no such cashier), the cashier's redemptions in the last
/// minute and the velocity limit: the anti-fraud check costs no extra round trip.
async fn discount_with_cashier(
    db: &impl ConnectionTrait,
    code_hash: &str,
    cashier_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DiscountWithCashier>> {
    let since = now - chrono::Duration::minutes(1);
    let query = Discounts::find()
        .filter(discount::Column::CodeHash.eq(code_hash))
        .column_as(
            Expr::cust_with_values("(SELECT state FROM cashiers WHERE id = ?)", [cashier_id]),
            "cashier_state",
        )
        .column_as(
            Expr::cust_with_values("(SELECT store_id FROM cashiers WHERE id = ?)", [cashier_id]),
            "cashier_store_id",
        )
        .column_as(
            Expr::cust_with_values(
                // Bounded by the largest allowed limit, so a busy cashier costs at most that many
                // entries of `ix_redemptions_cashier_redeemed_at`.
                "(SELECT COUNT(*) FROM (SELECT 1 FROM redemptions WHERE cashier_id = ? \
                 AND redeemed_at > ? LIMIT 1000) AS recent)",
                [
                    sea_orm::Value::from(cashier_id),
                    sea_orm::Value::from(since),
                ],
            ),
            "redeemed_last_minute",
        )
        .column_as(
            Expr::cust(format!(
                "(SELECT value FROM settings WHERE `key` = '{VELOCITY_SETTING}')"
            )),
            "per_minute_limit",
        )
        .into_query();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let cashier_state: Option<String> = row.try_get("", "cashier_state")?;
    let limit: Option<String> = row.try_get("", "per_minute_limit")?;
    // The setting is stored as JSON (a number); absent or unreadable, the default holds.
    let per_minute_limit = limit
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            i64::from(super::settings::ShopSettings::default().redemptions_per_cashier_per_minute)
        });
    Ok(Some(DiscountWithCashier {
        discount: discount::Model::from_query_result(&row, "")?,
        cashier_state: cashier_state
            .map(|s| CashierState::try_from_value(&s))
            .transpose()?,
        cashier_store_id: row.try_get("", "cashier_store_id")?,
        redeemed_last_minute: row.try_get("", "redeemed_last_minute")?,
        per_minute_limit,
    }))
}

/// The usage-log row of a discount, if it was redeemed.
pub async fn of_discount(
    db: &impl ConnectionTrait,
    discount_id: i64,
) -> Result<Option<redemptions::Model>> {
    Ok(redemptions::Entity::find()
        .filter(redemptions::Column::DiscountId.eq(discount_id))
        .one(db)
        .await?)
}
