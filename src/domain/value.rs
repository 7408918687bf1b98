//! What a discount is worth: a percentage or a fixed amount of roubles, exact (`rust_decimal`). Storage
//! keeps basis points and kopecks as integers, because SQLite has no exact decimal type.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::entity::discount_templates::ValueKind;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DiscountValue {
    /// Percent off, 0.01 to 100 (two decimals at most).
    Percent(Decimal),
    /// Roubles off, 0.01 to 1,000,000 (kopecks at most).
    Fixed(Decimal),
}

/// The columns a value is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredValue {
    pub kind: ValueKind,
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
}

impl DiscountValue {
    /// Checks the bounds; `field` names the input in the error.
    pub fn validate(self, field: &str) -> Result<Self> {
        let (amount, max) = match self {
            Self::Percent(p) => (p, Decimal::from(100)),
            Self::Fixed(r) => (r, Decimal::from(1_000_000)),
        };
        if amount <= Decimal::ZERO || amount > max {
            return Err(Error::invalid(field, "out_of_range"));
        }
        if amount.normalize().scale() > 2 {
            return Err(Error::invalid(field, "too_many_decimals"));
        }
        Ok(self)
    }

    pub fn to_stored(self) -> Result<StoredValue> {
        let hundredths = |d: Decimal| {
            (d * Decimal::from(100))
                .trunc()
                .try_into()
                .map_err(|_| Error::invalid("value", "out_of_range"))
        };
        Ok(match self.validate("value")? {
            Self::Percent(p) => StoredValue {
                kind: ValueKind::Percent,
                percent_bp: Some(
                    i32::try_from(hundredths(p)?)
                        .map_err(|_| Error::invalid("value", "out_of_range"))?,
                ),
                amount_minor: None,
            },
            Self::Fixed(r) => StoredValue {
                kind: ValueKind::Fixed,
                percent_bp: None,
                amount_minor: Some(hundredths(r)?),
            },
        })
    }

    /// The value from its columns; a row that breaks the rules is an internal error, not a user's.
    pub fn from_stored(
        kind: ValueKind,
        percent_bp: Option<i32>,
        amount_minor: Option<i64>,
    ) -> Result<Self> {
        match (kind, percent_bp, amount_minor) {
            (ValueKind::Percent, Some(bp), _) => Ok(Self::Percent(Decimal::new(bp.into(), 2))),
            (ValueKind::Fixed, _, Some(minor)) => Ok(Self::Fixed(Decimal::new(minor, 2))),
            _ => Err(Error::Internal(format!(
                "discount value {kind:?} without its amount"
            ))),
        }
    }

    /// Short text for people: `10%`, `12.5%`, `300 ₽`, `99.90 ₽`.
    pub fn display(self) -> String {
        match self {
            Self::Percent(p) => format!("{}%", p.normalize()),
            Self::Fixed(r) if r.fract().is_zero() => format!("{} ₽", r.trunc()),
            Self::Fixed(r) => format!("{r:.2} ₽"),
        }
    }
}

/// Roubles (two decimals at most, positive) as kopecks.
pub fn rubles_to_minor(amount: Decimal, field: &str) -> Result<i64> {
    if amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
        return Err(Error::invalid(field, "invalid_amount"));
    }
    (amount * Decimal::from(100))
        .trunc()
        .try_into()
        .map_err(|_| Error::invalid(field, "out_of_range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn values_round_trip_through_storage_exactly() {
        for value in [
            DiscountValue::Percent(d("10")),
            DiscountValue::Percent(d("12.5")),
            DiscountValue::Fixed(d("0.10")),
            DiscountValue::Fixed(d("99999.99")),
        ] {
            let s = value.to_stored().unwrap();
            let back = DiscountValue::from_stored(s.kind, s.percent_bp, s.amount_minor).unwrap();
            assert_eq!(back, value);
        }
        assert_eq!(
            DiscountValue::Percent(d("12.5"))
                .to_stored()
                .unwrap()
                .percent_bp,
            Some(1250)
        );
        assert_eq!(
            DiscountValue::Fixed(d("0.10"))
                .to_stored()
                .unwrap()
                .amount_minor,
            Some(10)
        );
    }

    #[test]
    fn out_of_range_or_too_precise_values_are_refused() {
        for bad in [
            DiscountValue::Percent(d("0")),
            DiscountValue::Percent(d("100.01")),
            DiscountValue::Percent(d("-5")),
            DiscountValue::Fixed(d("0.001")),
            DiscountValue::Fixed(d("1000000.01")),
        ] {
            assert!(
                matches!(bad.to_stored(), Err(Error::Validation(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn values_display_for_people() {
        assert_eq!(DiscountValue::Percent(d("10.00")).display(), "10%");
        assert_eq!(DiscountValue::Percent(d("12.5")).display(), "12.5%");
        assert_eq!(DiscountValue::Fixed(d("300")).display(), "300 ₽");
        assert_eq!(DiscountValue::Fixed(d("99.9")).display(), "99.90 ₽");
    }

    #[test]
    fn rubles_become_kopecks() {
        assert_eq!(rubles_to_minor(d("1234.56"), "amount").unwrap(), 123456);
        assert!(rubles_to_minor(d("1.234"), "amount").is_err());
        assert!(rubles_to_minor(d("0"), "amount").is_err());
    }
}
