//! The customer directory of the admin panel: search, filters, sorting and keyset pages over the users,
//! and one user with a summary of their discounts.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::sqlx;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, QueryTrait, RuntimeErr,
};
use serde::{Deserialize, Serialize};

use super::listing;
use super::paging::{Page, PageRequest};
use crate::domain::Language;
use crate::entity::discounts::{self, DiscountState, Entity as Discounts};
use crate::entity::users::{self, Entity as Users};
use crate::error::{Error, Result};

/// Filters of the user list; every one is optional and they combine with AND.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserFilter {
    /// A substring of the first or last name, username or phone, or an exact Telegram id or user id.
    pub q: Option<String>,
    pub subscribed: Option<bool>,
    /// `ru` or `en`.
    pub language: Option<String>,
    /// The acquisition source (`src_…`, `ref_…`), exact.
    pub source: Option<String>,
    /// Registered on or after this local date (shop time zone).
    pub registered_from: Option<NaiveDate>,
    /// Registered on or before this local date (shop time zone).
    pub registered_to: Option<NaiveDate>,
    pub blocked: Option<bool>,
    pub has_birthday: Option<bool>,
}

/// The order of the user list; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    #[default]
    Id,
    CreatedAt,
    LastActivity,
}

impl UserSort {
    /// The column name in sort names and cursors.
    pub fn column(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::CreatedAt => "created_at",
            Self::LastActivity => "last_activity",
        }
    }
}

/// One page of users matching `filter`, in `sort` order (the direction is the request's).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    sort: UserSort,
    page: &PageRequest,
    tz: chrono_tz::Tz,
) -> Result<Page<UserListItem>> {
    let page = listing::checked(page)?;
    let sort_name = listing::sort_name(sort.column(), page.direction);
    let condition = condition(filter, tz)?;
    let time = match sort {
        UserSort::Id => None,
        UserSort::CreatedAt => Some(users::Column::CreatedAt),
        UserSort::LastActivity => Some(users::Column::LastActivityAt),
    };
    let after = listing::after(&page, &sort_name, time, users::Column::Id)?;
    let total = if page.include_total {
        Some(Users::find().filter(condition.clone()).count(db).await?)
    } else {
        None
    };
    let mut query = Users::find()
        .select_only()
        .columns(LIST_COLUMNS)
        .filter(condition);
    if let Some(after) = after {
        query = query.filter(after);
    }
    let order = listing::order(page.direction);
    if let Some(col) = time {
        query = query.order_by(col, order.clone());
    }
    let statement = query
        .order_by(users::Column::Id, order)
        .limit(page.limit + 1)
        .build(db.get_database_backend());
    let rows = db
        .query_all_raw(statement)
        .await?
        .iter()
        .map(UserListItem::read)
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(listing::page_from_rows(
        rows,
        &page,
        &sort_name,
        total,
        |u| match sort {
            UserSort::Id => (u.id, None),
            UserSort::CreatedAt => (u.id, Some(u.created_at)),
            UserSort::LastActivity => (u.id, Some(u.last_activity_at)),
        },
    ))
}

/// A user as the list shows them: who, where they came from, their state. Phone and birthday are in
/// [`summary`]. Reading fewer columns by position keeps the list cheap: sea-orm reads a model column by
/// column *name*, which was the largest cost of a 50-row page in the process (measured on MariaDB: the
/// full model by name about 150 µs of CPU, these twelve columns by position about 30 µs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserListItem {
    pub id: i64,
    pub telegram_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: String,
    pub source: Option<String>,
    pub subscribed: bool,
    pub blocked: bool,
    pub unreachable: bool,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// The columns of [`UserListItem`], in the order [`UserListItem::from_sqlx`] reads them.
const LIST_COLUMNS: [users::Column; 12] = [
    users::Column::Id,
    users::Column::TelegramId,
    users::Column::FirstName,
    users::Column::LastName,
    users::Column::Username,
    users::Column::Language,
    users::Column::Source,
    users::Column::Subscribed,
    users::Column::Blocked,
    users::Column::Unreachable,
    users::Column::LastActivityAt,
    users::Column::CreatedAt,
];

impl UserListItem {
    /// A row selected with [`LIST_COLUMNS`], read by position with sqlx's getters (the same decoding
    /// sea-orm's do underneath: sea-orm's also format an error message for every NULL they meet, then
    /// drop it, which was a few per cent of the list's CPU).
    fn read(row: &QueryResult) -> Result<Self, DbErr> {
        let read = if let Some(row) = row.try_as_mysql_row() {
            Self::from_sqlx(row)
        } else if let Some(row) = row.try_as_sqlite_row() {
            Self::from_sqlx(row)
        } else {
            return Err(DbErr::Type("a user row of an unknown backend".into()));
        };
        read.map_err(|e| DbErr::Query(RuntimeErr::SqlxError(e.into())))
    }

    fn from_sqlx<'r, R>(row: &'r R) -> Result<Self, sqlx::Error>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(Self {
            id: row.try_get(0)?,
            telegram_id: row.try_get(1)?,
            first_name: row.try_get(2)?,
            last_name: row.try_get(3)?,
            username: row.try_get(4)?,
            language: row.try_get(5)?,
            source: row.try_get(6)?,
            subscribed: row.try_get(7)?,
            blocked: row.try_get(8)?,
            unreachable: row.try_get(9)?,
            last_activity_at: row.try_get(10)?,
            created_at: row.try_get(11)?,
        })
    }
}

/// The filter as a condition on `users`; `VALIDATION_FAILED` names a bad field.
pub fn condition(filter: &UserFilter, tz: chrono_tz::Tz) -> Result<Condition> {
    let mut all = Condition::all();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        all = all.add(search(q)?);
    }
    if let Some(subscribed) = filter.subscribed {
        all = all.add(users::Column::Subscribed.eq(subscribed));
    }
    if let Some(language) = &filter.language {
        let language = Language::from_code(language)
            .ok_or_else(|| Error::invalid("language", "unknown_language"))?;
        all = all.add(users::Column::Language.eq(language.code()));
    }
    if let Some(source) = &filter.source {
        all = all.add(users::Column::Source.eq(source.trim()));
    }
    let (from, to) = listing::day_bounds(
        tz,
        filter.registered_from,
        filter.registered_to,
        "registered_to",
    )?;
    if let Some(from) = from {
        all = all.add(users::Column::CreatedAt.gte(from));
    }
    if let Some(to) = to {
        all = all.add(users::Column::CreatedAt.lt(to));
    }
    if let Some(blocked) = filter.blocked {
        all = all.add(users::Column::Blocked.eq(blocked));
    }
    match filter.has_birthday {
        Some(true) => all = all.add(users::Column::BirthdayMonth.is_not_null()),
        Some(false) => all = all.add(users::Column::BirthdayMonth.is_null()),
        None => {}
    }
    Ok(all)
}

/// Free-text search: a substring of names, username or phone; a number also matches the Telegram id or
/// the user id exactly. LIKE wildcards typed by the admin are taken literally.
fn search(q: &str) -> Result<Condition> {
    if q.chars().count() > 100 {
        return Err(Error::invalid("q", "too_long"));
    }
    let escaped: String = q
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
    // `@name` finds the username `name`.
    let username = LikeExpr::new(format!("%{}%", escaped.trim_start_matches('@'))).escape('\\');
    let mut any = Condition::any()
        .add(Expr::col(users::Column::FirstName).like(pattern()))
        .add(Expr::col(users::Column::LastName).like(pattern()))
        .add(Expr::col(users::Column::Username).like(username))
        .add(Expr::col(users::Column::Phone).like(pattern()));
    if let Ok(number) = q.trim_start_matches('+').parse::<i64>() {
        any = any
            .add(users::Column::TelegramId.eq(number))
            .add(users::Column::Id.eq(number));
    }
    Ok(any)
}

/// Discounts of one user by state. An active code past its expiry counts as expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiscountCounts {
    pub active: u64,
    pub redeemed: u64,
    pub expired: u64,
    pub revoked: u64,
}

/// One user and what they have.
#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub user: users::Model,
    pub discounts: DiscountCounts,
}

/// The user with their discount counts (two indexed queries on `ix_discounts_user_state`).
pub async fn summary(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<UserSummary> {
    let user = super::users::get(db, user_id).await?;
    let by_state: Vec<(DiscountState, i64)> = Discounts::find()
        .select_only()
        .column(discounts::Column::State)
        .column_as(Expr::col(discounts::Column::Id).count(), "n")
        .filter(discounts::Column::UserId.eq(user_id))
        .group_by(discounts::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let stale_active = Discounts::find()
        .filter(discounts::Column::UserId.eq(user_id))
        .filter(discounts::Column::State.eq(DiscountState::Active))
        .filter(discounts::Column::ExpiresAt.lte(now))
        .count(db)
        .await?;
    let mut counts = DiscountCounts::default();
    for (state, n) in by_state {
        let n = u64::try_from(n).unwrap_or(0);
        match state {
            DiscountState::Active => counts.active += n,
            DiscountState::Redeemed => counts.redeemed += n,
            DiscountState::Expired => counts.expired += n,
            DiscountState::Revoked => counts.revoked += n,
        }
    }
    counts.active -= Ord::min(stale_active, counts.active);
    counts.expired += stale_active;
    Ok(UserSummary {
        user,
        discounts: counts,
    })
}
