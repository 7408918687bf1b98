//! A segment's filter: what an admin picks (JSON), validated field by field, compiled to one condition on
//! `users` with EXISTS subqueries for the discount conditions. Every criterion maps to an index of
//! `migrations/`: subscribed + unreachable + id (`ix_users_subscribed_unreachable_id`, the broadcast
//! audience scan), language, source, created_at, birthday month, last_activity_at, and
//! `ix_discounts_user_state` for the subqueries.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::entity::discounts::{self, DiscountState};
use crate::entity::users;
use crate::error::{Error, FieldError, Result};
use crate::services::listing;

/// Who of the matching users a use of the segment may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone who matches except blocked users (bulk discounts).
    NotBlocked,
    /// Subscribed, not blocked, reachable (broadcasts): never someone who unsubscribed, blocked the bot
    /// or was blocked by the shop, whatever the filter says.
    Broadcast,
}

/// The criteria of a segment; absent ones do not filter. They combine with AND; list values with OR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<bool>,
    /// Any of these languages (`ru`, `en`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Any of these acquisition sources (`src_…`, `ref_…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Registered on or after this local date (shop time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_from: Option<NaiveDate>,
    /// Registered on or before this local date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_to: Option<NaiveDate>,
    /// Birthday in any of these months (1–12).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birthday_months: Vec<u8>,
    /// Has (or, with `false`, has no) usable discount right now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_active_discount: Option<bool>,
    /// Redeemed a discount within the last N days (1–3650).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_within_days: Option<u32>,
    /// Last wrote to a bot on or after this local date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_after: Option<NaiveDate>,
    /// Last wrote to a bot before this local date (inactive since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_before: Option<NaiveDate>,
}

const MAX_LIST: usize = 50;

impl SegmentFilter {
    /// Every problem at once, each naming its field (`languages[1]`, `birthday_months[0]`, …).
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut bad = |field: String, reason: &str| {
            errors.push(FieldError {
                field,
                reason: reason.into(),
            })
        };
        for (name, len) in [
            ("languages", self.languages.len()),
            ("sources", self.sources.len()),
            ("birthday_months", self.birthday_months.len()),
        ] {
            if len > MAX_LIST {
                bad(name.into(), "too_many");
            }
        }
        for (i, code) in self.languages.iter().enumerate() {
            if Language::ALL.iter().all(|l| l.code() != code) {
                bad(format!("languages[{i}]"), "unknown_language");
            }
        }
        for (i, source) in self.sources.iter().enumerate() {
            if crate::services::users::source_from_payload(source).as_deref() != Some(source) {
                bad(format!("sources[{i}]"), "invalid_source");
            }
        }
        for (i, month) in self.birthday_months.iter().enumerate() {
            if !(1..=12).contains(month) {
                bad(format!("birthday_months[{i}]"), "out_of_range");
            }
        }
        if let (Some(from), Some(to)) = (self.registered_from, self.registered_to)
            && from > to
        {
            bad("registered_to".into(), "before_start");
        }
        if let (Some(after), Some(before)) = (self.last_activity_after, self.last_activity_before)
            && after >= before
        {
            bad("last_activity_before".into(), "before_start");
        }
        if let Some(days) = self.redeemed_within_days
            && !(1..=3650).contains(&days)
        {
            bad("redeemed_within_days".into(), "out_of_range");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// The filter and the audience rules as one condition on `users`. Dates are local days of `tz`;
    /// "active discount" and "within N days" are measured from `now`.
    pub fn condition(
        &self,
        audience: Audience,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Condition> {
        self.validate()?;
        let mut all = Condition::all().add(users::Column::Blocked.eq(false));
        if audience == Audience::Broadcast {
            all = all
                .add(users::Column::Subscribed.eq(true))
                .add(users::Column::Unreachable.eq(false));
        }
        if let Some(subscribed) = self.subscribed {
            all = all.add(users::Column::Subscribed.eq(subscribed));
        }
        if !self.languages.is_empty() {
            all = all.add(users::Column::Language.is_in(self.languages.clone()));
        }
        if !self.sources.is_empty() {
            all = all.add(users::Column::Source.is_in(self.sources.clone()));
        }
        let (from, to) = listing::day_bounds(
            tz,
            self.registered_from,
            self.registered_to,
            "registered_to",
        )?;
        if let Some(from) = from {
            all = all.add(users::Column::CreatedAt.gte(from));
        }
        if let Some(to) = to {
            all = all.add(users::Column::CreatedAt.lt(to));
        }
        if !self.birthday_months.is_empty() {
            let months: Vec<i16> = self.birthday_months.iter().map(|m| i16::from(*m)).collect();
            all = all.add(users::Column::BirthdayMonth.is_in(months));
        }
        if let Some(after) = self.last_activity_after {
            all = all.add(users::Column::LastActivityAt.gte(listing::start_of_day(tz, after)));
        }
        if let Some(before) = self.last_activity_before {
            all = all.add(users::Column::LastActivityAt.lt(listing::start_of_day(tz, before)));
        }
        if let Some(has) = self.has_active_discount {
            let usable = discount_exists(
                Condition::all()
                    .add(discounts::Column::State.eq(DiscountState::Active))
                    .add(discounts::Column::ExpiresAt.gt(now)),
            );
            all = all.add(if has { usable } else { usable.not() });
        }
        if let Some(days) = self.redeemed_within_days {
            all = all.add(discount_exists(
                Condition::all()
                    .add(discounts::Column::State.eq(DiscountState::Redeemed))
                    .add(discounts::Column::RedeemedAt.gte(now - Duration::days(days.into()))),
            ));
        }
        Ok(all)
    }
}

/// `EXISTS (SELECT 1 FROM discounts WHERE discounts.user_id = users.id AND <cond>)`: a lookup on
/// `ix_discounts_user_state` per candidate user. The redemption time is `discounts.redeemed_at`, written
/// in the same transaction as the usage-log row.
fn discount_exists(cond: Condition) -> sea_orm::sea_query::SimpleExpr {
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(discounts::Entity)
        .and_where(
            Expr::col((discounts::Entity, discounts::Column::UserId))
                .equals((users::Entity, users::Column::Id)),
        )
        .cond_where(cond);
    Expr::exists(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let filter: SegmentFilter = serde_json::from_value(serde_json::json!({
            "languages": ["ru", "de"],
            "sources": ["src_ok", "no spaces"],
            "birthday_months": [12, 13],
            "registered_from": "2026-02-01",
            "registered_to": "2026-01-01",
            "redeemed_within_days": 0
        }))
        .unwrap();
        let Err(Error::Validation(errors)) = filter.validate() else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "languages[1]",
                "sources[1]",
                "birthday_months[1]",
                "registered_to",
                "redeemed_within_days"
            ]
        );
    }

    #[test]
    fn unknown_criteria_are_refused_when_parsing() {
        let parsed = serde_json::from_value::<SegmentFilter>(serde_json::json!({ "age": 30 }));
        assert!(parsed.is_err());
        assert_eq!(
            serde_json::to_value(SegmentFilter::default()).unwrap(),
            serde_json::json!({})
        );
    }
}
