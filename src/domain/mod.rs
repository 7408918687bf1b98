//! Pure types and rules with no storage: what a discount code looks like, what a discount is worth,
//! which dates are birthdays, which languages exist. Everything here is unit-tested without a database.

pub mod birthday;
pub mod code;
pub mod language;
pub mod local_days;
pub mod value;

pub use birthday::Birthday;
pub use code::DiscountCode;
pub use language::Language;
pub use value::DiscountValue;
