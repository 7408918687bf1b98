//! Customers: registration from a Telegram profile (the first deep-link payload is kept as the acquisition
//! source), language, birthday (set once).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, NotSet, QueryFilter};

use crate::domain::{Birthday, Language};
use crate::entity::users::{self, Entity as Users};
use crate::error::{Error, Result, is_unique_violation};

/// Who wrote to a bot, as Telegram describes them.
#[derive(Debug, Clone)]
pub struct TelegramProfile {
    pub telegram_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

/// The outcome of [`register`].
#[derive(Debug, Clone)]
pub struct Registration {
    pub user: users::Model,
    /// Whether this call created the user.
    pub created: bool,
}

/// The acquisition source carried by a `/start` payload: `src_<name>` or `ref_<code>` of 1–64 characters
/// from `A–Z a–z 0–9 _ -` (Telegram's deep-link alphabet). Anything else carries no source.
pub fn source_from_payload(payload: &str) -> Option<String> {
    let payload = payload.trim();
    let allowed = payload.len() <= 64
        && payload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let tagged = ["src_", "ref_"]
        .iter()
        .any(|p| payload.len() > p.len() && payload.starts_with(p));
    (allowed && tagged).then(|| payload.to_string())
}

/// Registers the user or refreshes their names; keeps the first payload's source. Safe under
/// concurrent `/start`s of one user: the unique Telegram id decides, the loser updates.
///
/// Two statements either way (a lookup, then an insert or an update): the returned user is built from
/// what was written rather than read back, as `/start` is the busiest path of the client bot.
pub async fn register(
    db: &impl ConnectionTrait,
    profile: &TelegramProfile,
    payload: Option<&str>,
    default_language: Language,
    now: DateTime<Utc>,
) -> Result<Registration> {
    let source = payload.and_then(source_from_payload);
    let found = find_by_telegram_id(db, profile.telegram_id).await?;
    if found.is_none() {
        let language = profile
            .language_code
            .as_deref()
            .and_then(Language::from_code)
            .unwrap_or(default_language);
        let mut user = users::Model {
            id: 0,
            telegram_id: profile.telegram_id,
            first_name: truncate(&profile.first_name, 255),
            last_name: profile.last_name.as_deref().map(|n| truncate(n, 255)),
            username: profile.username.as_deref().map(|n| truncate(n, 64)),
            language: language.code().to_string(),
            source: source.clone(),
            referral_code: None,
            phone: None,
            birthday_day: None,
            birthday_month: None,
            birthday_year: None,
            birthday_set_at: None,
            subscribed: false,
            subscribed_at: None,
            unsubscribed_at: None,
            blocked: false,
            unreachable: false,
            unreachable_at: None,
            last_activity_at: now,
            created_at: now,
            updated_at: now,
        };
        let mut row: users::ActiveModel = user.clone().into();
        row.id = NotSet;
        match Users::insert(row).exec(db).await {
            Ok(inserted) => {
                user.id = inserted.last_insert_id;
                return Ok(Registration {
                    user,
                    created: true,
                });
            }
            Err(e) if is_unique_violation(&e, "telegram_id") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let first_name = truncate(&profile.first_name, 255);
    let last_name = profile.last_name.as_deref().map(|n| truncate(n, 255));
    let username = profile.username.as_deref().map(|n| truncate(n, 64));
    let mut update = Users::update_many()
        .col_expr(users::Column::FirstName, Expr::value(first_name.clone()))
        .col_expr(users::Column::LastName, Expr::value(last_name.clone()))
        .col_expr(users::Column::Username, Expr::value(username.clone()))
        .col_expr(users::Column::LastActivityAt, Expr::value(now))
        // Whoever writes again after being unreachable is reachable again.
        .col_expr(users::Column::Unreachable, Expr::value(false))
        .col_expr(users::Column::UpdatedAt, Expr::value(now));
    if let Some(source) = &source {
        // First touch wins: only a user without a source gets one.
        update = update.col_expr(
            users::Column::Source,
            Expr::col(users::Column::Source).if_null(source.clone()),
        );
    }
    let result = update
        .filter(users::Column::TelegramId.eq(profile.telegram_id))
        .exec(db)
        .await?;
    // `found` is absent only when a concurrent `/start` inserted the user in between: read it.
    let Some(mut user) = found else {
        let user = find_by_telegram_id(db, profile.telegram_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        return Ok(Registration {
            user,
            created: false,
        });
    };
    if result.rows_affected == 0 {
        return Err(Error::UserNotFound);
    }
    user.first_name = first_name;
    user.last_name = last_name;
    user.username = username;
    user.last_activity_at = now;
    user.unreachable = false;
    user.updated_at = now;
    if user.source.is_none() && source.is_some() {
        // A source given late moves the customer between sources of their registration day: a stored
        // figure of that day is stale now (the update above has committed when `db` is the pool).
        super::kpis::rollup::forget_covering(db, user.created_at).await?;
        user.source = source;
    }
    Ok(Registration {
        user,
        created: false,
    })
}

pub async fn find_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: i64,
) -> Result<Option<users::Model>> {
    Ok(Users::find()
        .filter(users::Column::TelegramId.eq(telegram_id))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<users::Model> {
    Users::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::UserNotFound)
}

/// Switches the user's language.
pub async fn set_language(
    db: &impl ConnectionTrait,
    user_id: i64,
    language: Language,
    now: DateTime<Utc>,
) -> Result<()> {
    let result = Users::update_many()
        .col_expr(users::Column::Language, Expr::value(language.code()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::UserNotFound);
    }
    Ok(())
}

/// Sets the birthday once; a second attempt is `BIRTHDAY_ALREADY_SET` (only an admin changes it).
pub async fn set_birthday(
    db: &impl ConnectionTrait,
    user_id: i64,
    birthday: Birthday,
    now: DateTime<Utc>,
) -> Result<()> {
    birthday.validate(now.date_naive())?;
    let result = Users::update_many()
        .col_expr(users::Column::BirthdayDay, Expr::value(birthday.day as i16))
        .col_expr(
            users::Column::BirthdayMonth,
            Expr::value(birthday.month as i16),
        )
        .col_expr(
            users::Column::BirthdayYear,
            Expr::value(birthday.year.map(|y| y as i16)),
        )
        .col_expr(users::Column::BirthdaySetAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::BirthdayMonth.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        return Ok(());
    }
    get(db, user_id).await?;
    Err(Error::BirthdayAlreadySet)
}

/// The user's birthday, if set.
pub fn birthday_of(user: &users::Model) -> Option<Birthday> {
    match (user.birthday_day, user.birthday_month) {
        (Some(day), Some(month)) => Some(Birthday {
            day: day as u32,
            month: month as u32,
            year: user.birthday_year.map(i32::from),
        }),
        _ => None,
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::source_from_payload;

    #[test]
    fn only_tagged_deep_link_payloads_carry_a_source() {
        assert_eq!(
            source_from_payload("src_instagram").as_deref(),
            Some("src_instagram")
        );
        assert_eq!(source_from_payload("ref_AB12").as_deref(), Some("ref_AB12"));
        for bad in [
            "",
            "src_",
            "instagram",
            "src_inst agram",
            "src_<script>",
            &format!("src_{}", "x".repeat(61)),
        ] {
            assert_eq!(source_from_payload(bad), None, "{bad:?}");
        }
    }
}
