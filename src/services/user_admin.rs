//! What an admin does to one customer: block or unblock them, correct their birthday (customers set it
//! once; only an admin changes it), give them a manual discount. Every change is audited.
//!
//! A blocked user gets nothing: the bots answer them with `USER_BLOCKED` ([`ensure_not_blocked`]),
//! audiences of broadcasts and bulk discounts leave them out, and a manual discount is refused.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::audit::{self, Actor, Entry};
use super::discounts::{self, Issued, ManualDiscount};
use crate::domain::Birthday;
use crate::entity::users::{self, Entity as Users};
use crate::error::{Error, Result};
use crate::secret::ServerKey;

/// `USER_BLOCKED` for a blocked user; the bots call it before serving anyone.
pub fn ensure_not_blocked(user: &users::Model) -> Result<()> {
    if user.blocked {
        return Err(Error::UserBlocked);
    }
    Ok(())
}

/// Blocks (`blocked = true`) or unblocks a user. Idempotent: asking for the state the user is already in
/// changes nothing and writes no audit row. The change is a conditional update, so two admins racing
/// produce one change and one audit row.
pub async fn set_blocked(
    db: &impl ConnectionTrait,
    user_id: i64,
    blocked: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<users::Model> {
    let result = Users::update_many()
        .col_expr(users::Column::Blocked, Expr::value(blocked))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::Blocked.eq(!blocked))
        .exec(db)
        .await?;
    let user = super::users::get(db, user_id).await?;
    if result.rows_affected == 1 {
        let (action, before, after) = match blocked {
            true => ("user.block", false, true),
            false => ("user.unblock", true, false),
        };
        let entry = Entry::new(actor, action, "user", user_id).change(
            Some(&serde_json::json!({ "blocked": before })),
            Some(&serde_json::json!({ "blocked": after })),
        );
        audit::record(db, entry, now).await?;
    }
    Ok(user)
}

/// The birthday as the audit log shows it.
#[derive(Debug, Serialize)]
struct BirthdaySnapshot {
    day: Option<i16>,
    month: Option<i16>,
    year: Option<i16>,
}

/// Sets, changes or (with `None`) clears a user's birthday on an admin's word. The time it was first
/// set is kept, so a correction does not move the "set at least N days before" rule.
pub async fn correct_birthday(
    db: &impl ConnectionTrait,
    user_id: i64,
    birthday: Option<Birthday>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<users::Model> {
    if let Some(birthday) = &birthday {
        birthday.validate(now.date_naive())?;
    }
    let before = super::users::get(db, user_id).await?;
    let part = |f: fn(&Birthday) -> Option<i16>| birthday.as_ref().and_then(f);
    let day = part(|b| Some(b.day as i16));
    let month = part(|b| Some(b.month as i16));
    let year = part(|b| b.year.map(|y| y as i16));
    let set_at = match (&birthday, before.birthday_set_at) {
        (None, _) => None,
        (Some(_), Some(first)) => Some(first),
        (Some(_), None) => Some(now),
    };
    Users::update_many()
        .col_expr(users::Column::BirthdayDay, Expr::value(day))
        .col_expr(users::Column::BirthdayMonth, Expr::value(month))
        .col_expr(users::Column::BirthdayYear, Expr::value(year))
        .col_expr(users::Column::BirthdaySetAt, Expr::value(set_at))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    let after = super::users::get(db, user_id).await?;
    let snapshot = |u: &users::Model| BirthdaySnapshot {
        day: u.birthday_day,
        month: u.birthday_month,
        year: u.birthday_year,
    };
    let entry = Entry::new(actor, "user.birthday_correct", "user", user_id)
        .change(Some(&snapshot(&before)), Some(&snapshot(&after)));
    audit::record(db, entry, now).await?;
    Ok(after)
}

/// Gives one user a manual discount; `USER_BLOCKED` for a blocked user. Audited with the discount (never
/// its code).
pub async fn issue_discount(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    manual: &ManualDiscount,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let user = super::users::get(db, manual.user_id).await?;
    ensure_not_blocked(&user)?;
    let issued = discounts::issue_manual(db, key, manual, now).await?;
    let entry = Entry::new(
        Actor::admin(manual.admin_id),
        "discount.issue",
        "discount",
        issued.discount.id,
    )
    .change(None::<&()>, Some(&issued.discount));
    audit::record(db, entry, now).await?;
    Ok(issued)
}
