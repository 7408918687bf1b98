//! `/users`: the customers. Everyone reads (search, filters, sort, one user with a summary); owners block,
//! unblock and correct birthdays; owners and marketers give a user a manual discount.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::discounts::{DiscountView, IssuedView};
use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers, OwnerOnly};
use super::fast_json::{self, SizedJson};
use super::page_cache::Lookup;
use super::pagination::PageBody;
use super::sorted;
use super::state::ApiState;
use super::templates::ValueBody;
use crate::app::Core;
use crate::domain::Birthday;
use crate::entity::users::Model;
use crate::services::discounts::ManualDiscount;
use crate::services::user_admin;
use crate::services::user_search::{self, DiscountCounts, UserFilter, UserListItem, UserSort};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user))
        .routes(routes!(block_user))
        .routes(routes!(unblock_user))
        .routes(routes!(correct_birthday))
        .routes(routes!(issue_discount))
}

/// A birthday: day and month, the year when the customer gave it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BirthdayBody {
    #[schema(minimum = 1, maximum = 31)]
    pub day: u32,
    #[schema(minimum = 1, maximum = 12)]
    pub month: u32,
    pub year: Option<i32>,
}

/// A customer of the client bot.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub telegram_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// `ru` or `en`.
    pub language: String,
    /// The first deep-link payload (`src_…`, `ref_…`).
    pub source: Option<String>,
    pub phone: Option<String>,
    pub birthday: Option<BirthdayBody>,
    pub subscribed: bool,
    /// Blocked by the shop: gets nothing from the bots, broadcasts or bulk discounts.
    pub blocked: bool,
    /// Telegram refused messages to them (blocked the bot, deactivated).
    pub unreachable: bool,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<Model> for UserView {
    fn from(u: Model) -> Self {
        let birthday = crate::services::users::birthday_of(&u).map(|b| BirthdayBody {
            day: b.day,
            month: b.month,
            year: b.year,
        });
        Self {
            id: u.id,
            telegram_id: u.telegram_id,
            first_name: u.first_name,
            last_name: u.last_name,
            username: u.username,
            language: u.language,
            source: u.source,
            phone: u.phone,
            birthday,
            subscribed: u.subscribed,
            blocked: u.blocked,
            unreachable: u.unreachable,
            last_activity_at: u.last_activity_at,
            created_at: u.created_at,
        }
    }
}

/// A user as the list shows them (phone and birthday are in `GET /users/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListView {
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
    #[serde(serialize_with = "fast_json::utc")]
    pub last_activity_at: DateTime<Utc>,
    #[serde(serialize_with = "fast_json::utc")]
    pub created_at: DateTime<Utc>,
}

impl From<UserListItem> for UserListView {
    fn from(u: UserListItem) -> Self {
        Self {
            id: u.id,
            telegram_id: u.telegram_id,
            first_name: u.first_name,
            last_name: u.last_name,
            username: u.username,
            language: u.language,
            source: u.source,
            subscribed: u.subscribed,
            blocked: u.blocked,
            unreachable: u.unreachable,
            last_activity_at: u.last_activity_at,
            created_at: u.created_at,
        }
    }
}

/// Discounts of a user by state (an active code past its expiry counts as expired).
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountCountsView {
    pub active: u64,
    pub redeemed: u64,
    pub expired: u64,
    pub revoked: u64,
}

impl From<DiscountCounts> for DiscountCountsView {
    fn from(c: DiscountCounts) -> Self {
        Self {
            active: c.active,
            redeemed: c.redeemed,
            expired: c.expired,
            revoked: c.revoked,
        }
    }
}

/// One user with a summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetailView {
    pub user: UserView,
    pub discounts: DiscountCountsView,
}

/// Filters of the user list; they combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// A part of the first or last name, username (`@name`) or phone, or an exact Telegram id or user id.
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub subscribed: Option<bool>,
    /// `ru` or `en`.
    pub language: Option<String>,
    /// An acquisition source, exactly.
    pub source: Option<String>,
    /// Registered on or after this date (shop time zone).
    pub registered_from: Option<NaiveDate>,
    /// Registered on or before this date (shop time zone).
    pub registered_to: Option<NaiveDate>,
    pub blocked: Option<bool>,
    pub has_birthday: Option<bool>,
}

/// The order of the user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum UserSortParam {
    #[serde(rename = "id")]
    Id,
    #[serde(rename = "-id")]
    IdDesc,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "last_activity")]
    LastActivity,
    #[serde(rename = "-last_activity")]
    LastActivityDesc,
}

/// Paging of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserPageParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (with the same `sort`).
    pub cursor: Option<String>,
    /// Also count every matching user (slow on large lists).
    pub include_total: Option<bool>,
    /// The order, `-` for descending; default `-id` (newest first).
    pub sort: Option<UserSortParam>,
}

#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery, UserPageParams),
    responses((status = 200, description = "A page of users", body = PageBody<UserListView>)))]
async fn list_users(
    _: Auth<AnyRole>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<UserQuery>,
    ApiQuery(page): ApiQuery<UserPageParams>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    use UserSortParam as P;
    // The query was parsed above, so a bad one is refused before the cache is read.
    let key = raw.unwrap_or_default();
    let rendering = match state.pages.lookup(&key) {
        Lookup::Hit(body) => return Ok(fast_json::response(body)),
        Lookup::Miss(rendering) => rendering,
    };
    let (sort, descending) = match page.sort.unwrap_or(P::IdDesc) {
        P::Id => (UserSort::Id, false),
        P::IdDesc => (UserSort::Id, true),
        P::CreatedAt => (UserSort::CreatedAt, false),
        P::CreatedAtDesc => (UserSort::CreatedAt, true),
        P::LastActivity => (UserSort::LastActivity, false),
        P::LastActivityDesc => (UserSort::LastActivity, true),
    };
    let direction = if descending {
        crate::services::paging::Direction::Desc
    } else {
        crate::services::paging::Direction::Asc
    };
    let request = sorted::request(
        page.limit,
        page.cursor.as_deref(),
        page.include_total,
        sort.column(),
        direction,
    )?;
    let filter = UserFilter {
        q: query.q,
        subscribed: query.subscribed,
        language: query.language,
        source: query.source,
        registered_from: query.registered_from,
        registered_to: query.registered_to,
        blocked: query.blocked,
        has_birthday: query.has_birthday,
    };
    let timezone = state.core.timezone;
    let page = user_search::list(&state.reads, &filter, sort, &request, timezone).await?;
    // About 330 bytes a user as JSON; a buffer that fits saves the copies of a growing one.
    let capacity = 256 + 400 * page.items.len();
    let body = SizedJson {
        value: PageBody::render(page, UserListView::from),
        capacity,
    }
    .to_bytes()?;
    state.pages.put(&key, rendering, body.clone());
    Ok(fast_json::response(body))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user with a summary", body = UserDetailView)))]
async fn get_user(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserDetailView>> {
    let summary = user_search::summary(&core.db, id, crate::clock::now()).await?;
    Ok(Json(UserDetailView {
        user: summary.user.into(),
        discounts: summary.discounts.into(),
    }))
}

#[utoipa::path(post, path = "/users/{id}/block", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user, blocked", body = UserView)))]
async fn block_user(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user =
        user_admin::set_blocked(&core.db, id, true, auth.actor(), crate::clock::now()).await?;
    Ok(Json(user.into()))
}

#[utoipa::path(post, path = "/users/{id}/unblock", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user, unblocked", body = UserView)))]
async fn unblock_user(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user =
        user_admin::set_blocked(&core.db, id, false, auth.actor(), crate::clock::now()).await?;
    Ok(Json(user.into()))
}

/// The corrected birthday; `null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BirthdayCorrectionBody {
    pub birthday: Option<BirthdayBody>,
}

#[utoipa::path(put, path = "/users/{id}/birthday", tag = "users", params(("id" = i64, Path, description = "User id")),
    request_body = BirthdayCorrectionBody,
    responses((status = 200, description = "The user with the corrected birthday", body = UserView)))]
async fn correct_birthday(
    auth: Auth<OwnerOnly>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<BirthdayCorrectionBody>,
) -> ApiResult<Json<UserView>> {
    let birthday = body.birthday.map(|b| Birthday {
        day: b.day,
        month: b.month,
        year: b.year,
    });
    let user =
        user_admin::correct_birthday(&core.db, id, birthday, auth.actor(), crate::clock::now())
            .await?;
    Ok(Json(user.into()))
}

/// A manual discount for one user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    pub value: ValueBody,
    /// 1 to 3650.
    #[schema(minimum = 1, maximum = 3650)]
    pub validity_days: i32,
    /// Why it was given (shown in the discount list), up to 255 characters.
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/users/{id}/discounts", tag = "users", params(("id" = i64, Path, description = "User id")),
    request_body = IssueBody,
    responses((status = 201, description = "The discount and its code (shown once here)", body = IssuedView)))]
async fn issue_discount(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IssueBody>,
) -> ApiResult<(StatusCode, Json<IssuedView>)> {
    let manual = ManualDiscount {
        user_id: id,
        value: body.value.into(),
        validity_days: body.validity_days,
        admin_id: auth.admin_id(),
        note: body.note,
    };
    let now = crate::clock::now();
    let issued = user_admin::issue_discount(&core.db, &core.key, &manual, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedView {
            code: issued.code.display(),
            discount: DiscountView::of(issued.discount, now)?,
        }),
    ))
}
