//! The birthday job: at 09:00 in the shop time zone, issue and announce birthday discounts, exactly once
//! per user per year. The unique key `(user, birthday, year)` makes it exactly-once even when two
//! instances run it at once; only the instance whose issue succeeded announces.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::Notifier;
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::secret::ServerKey;
use crate::services::{birthdays, discounts, settings};

/// The local hour at which birthday discounts are issued.
pub const HOUR: u32 = 9;
/// Users read per query.
pub const CHUNK: u64 = 500;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BirthdayRun {
    /// Discounts issued and announced here.
    pub issued: u64,
    /// Users who already had this year's discount (issued by another run).
    pub already: u64,
    /// Issued but the announcement failed (the customer still sees the code in the bot).
    pub announce_failed: u64,
    /// Users whose issue failed for another reason.
    pub failed: u64,
}

/// Issues and announces today's birthday discounts if it is 09:00 or later in `tz` at `now`; before 09:00
/// local time it does nothing. Safe to run any number of times a day.
pub async fn run(
    db: &sea_orm::DatabaseConnection,
    key: &ServerKey,
    notifier: &dyn Notifier,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<BirthdayRun> {
    run_chunked(db, key, notifier, tz, now, CHUNK).await
}

/// [`run`] reading `chunk` users per query.
pub async fn run_chunked(
    db: &sea_orm::DatabaseConnection,
    key: &ServerKey,
    notifier: &dyn Notifier,
    tz: Tz,
    now: DateTime<Utc>,
    chunk_size: u64,
) -> Result<BirthdayRun> {
    let local = now.with_timezone(&tz);
    let mut report = BirthdayRun::default();
    if local.time() < NaiveTime::from_hms_opt(HOUR, 0, 0).expect("valid time") {
        return Ok(report);
    }
    let today = local.date_naive();
    let shop = settings::get(db).await?;
    // The birthday must have been set at least N days before the date (its local midnight).
    let midnight = tz
        .from_local_datetime(&today.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    let set_before = midnight - Duration::days(shop.birthday_min_days_before.into());
    let mut after = 0;
    loop {
        let chunk = birthdays::due_chunk(db, today, set_before, after, chunk_size).await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        for user in &chunk {
            match discounts::issue_birthday(db, key, user.id, today.year(), now).await {
                Ok(issued) => {
                    let language =
                        Language::from_code(&user.language).unwrap_or(shop.default_language);
                    match notifier
                        .birthday_discount(
                            user.telegram_id,
                            language,
                            &issued.code,
                            &issued.discount,
                        )
                        .await
                    {
                        Ok(()) => report.issued += 1,
                        Err(e) => {
                            tracing::warn!(user_id = user.id, error = %e, "birthday announcement failed");
                            report.announce_failed += 1;
                        }
                    }
                }
                Err(Error::DiscountAlreadyIssued) => report.already += 1,
                Err(e @ Error::NoActiveTemplate(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(user_id = user.id, error = %e, "birthday discount not issued");
                    report.failed += 1;
                }
            }
        }
        if (chunk.len() as u64) < chunk_size {
            break;
        }
    }
    Ok(report)
}
