//! Wall-clock time as the database keeps it: UTC with microseconds (`DATETIME(6)`), so a time written and
//! read back compares equal. Services take `now` as a parameter; adapters pass [`now`], tests any instant.

use chrono::{DateTime, SubsecRound, Utc};

/// The current instant, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// `at` truncated to microseconds.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}
