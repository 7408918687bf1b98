//! News subscription of a customer. The first subscription ever issues the welcome discount; the
//! unique key `(user_id, kind, uniq_period)` keeps it once per user even across unsubscribe/subscribe
//! and concurrent presses. The channel-membership rule is checked by the bot (it needs Telegram) before
//! it calls [`subscribe`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::discounts::{self, Issued};
use crate::entity::discount_templates;
use crate::entity::users::{self, Entity as Users};
use crate::error::{Error, Result};
use crate::secret::ServerKey;

/// What [`subscribe`] did.
#[derive(Debug, Clone)]
pub struct Subscribed {
    /// `false` when the user was subscribed already (nothing changed).
    pub changed: bool,
    /// The welcome discount issued by this call: only on the first subscription ever, and only while
    /// a subscription template is active.
    pub welcome: Option<Issued>,
}

/// Subscribes the user to news; issues the welcome discount the first time.
pub async fn subscribe(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Subscribed> {
    subscribe_offering(db, key, user_id, Welcome::Lookup, now).await
}

/// Which welcome template [`subscribe_offering`] issues from.
#[derive(Debug, Clone, Copy)]
pub enum Welcome<'a> {
    /// Read the active subscription template when a welcome discount is due.
    Lookup,
    /// The active subscription template as the caller read it shortly before (`None`: none is active).
    Known(Option<&'a discount_templates::Model>),
}

/// [`subscribe`] with the welcome template given by a caller that keeps it at hand (the client bot
/// reads it at most every few seconds): one statement less on a busy path.
pub async fn subscribe_offering(
    db: &impl ConnectionTrait,
    key: &ServerKey,
    user_id: i64,
    welcome: Welcome<'_>,
    now: DateTime<Utc>,
) -> Result<Subscribed> {
    let result = Users::update_many()
        .col_expr(users::Column::Subscribed, Expr::value(true))
        .col_expr(users::Column::SubscribedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::Subscribed.eq(false))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        super::users::get(db, user_id).await?;
        return Ok(Subscribed {
            changed: false,
            welcome: None,
        });
    }
    let issued = match welcome {
        Welcome::Lookup => discounts::issue_welcome(db, key, user_id, now).await,
        Welcome::Known(Some(template)) => {
            discounts::issue_welcome_from(db, key, user_id, template, now).await
        }
        Welcome::Known(None) => Err(Error::NoActiveTemplate("subscription")),
    };
    let welcome = match issued {
        Ok(issued) => Some(issued),
        // Issued before (an earlier subscription), or no welcome discount is offered right now.
        Err(Error::DiscountAlreadyIssued | Error::NoActiveTemplate(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(Subscribed {
        changed: true,
        welcome,
    })
}

/// Unsubscribes the user; whether anything changed.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = Users::update_many()
        .col_expr(users::Column::Subscribed, Expr::value(false))
        .col_expr(users::Column::UnsubscribedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::Subscribed.eq(true))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        super::users::get(db, user_id).await?;
        return Ok(false);
    }
    Ok(true)
}
