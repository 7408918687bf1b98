//! Totals over all users (how many, subscribed, reachable, blocked, by source). Counting them reads every
//! row (about half a second on a million users), so they are computed in one scan and shared through the
//! key-value store for [`FRESH`]; after that the stale value is served while one instance refreshes it in
//! the background, and past [`MAX_STALE`] a caller recomputes before answering. The snapshot says when
//! it was taken (`as_of`).

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::entity::users::{self, Entity as Users};
use crate::error::Result;
use crate::kv::Kv;

/// A snapshot younger than this is served as is.
pub const FRESH: Duration = Duration::seconds(60);
/// A snapshot older than this is recomputed before answering.
pub const MAX_STALE: Duration = Duration::minutes(10);

const KEY: &str = "kpis:snapshot";
const REFRESH_LOCK: &str = "kpis:snapshot:refresh";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceCount {
    /// `None` for users who came without a deep link.
    pub source: Option<String>,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub as_of: DateTime<Utc>,
    pub users_total: i64,
    pub subscribed: i64,
    /// Subscribed, not blocked and reachable: who a broadcast to everyone reaches.
    pub reachable_subscribers: i64,
    pub blocked: i64,
    pub unreachable: i64,
    /// Every user by acquisition source, largest first.
    pub by_source: Vec<SourceCount>,
}

/// The snapshot as of at most [`FRESH`] ago (or up to [`MAX_STALE`] while a refresh runs).
pub async fn get(db: &DatabaseConnection, kv: &Kv, now: DateTime<Utc>) -> Result<Snapshot> {
    let cached = match kv.get(KEY).await {
        Ok(Some(text)) => serde_json::from_str::<Snapshot>(&text).ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "kpi snapshot cache unavailable");
            None
        }
    };
    if let Some(snapshot) = cached {
        let age = now - snapshot.as_of;
        if age < FRESH && age >= Duration::zero() {
            return Ok(snapshot);
        }
        if age < MAX_STALE && age >= Duration::zero() {
            if kv
                .set_nx(REFRESH_LOCK, "1", StdDuration::from_secs(30))
                .await
                .unwrap_or(false)
            {
                let (db, kv) = (db.clone(), kv.clone());
                tokio::spawn(async move {
                    if let Err(e) = refresh(&db, &kv, crate::clock::now()).await {
                        tracing::warn!(error = %e, "kpi snapshot refresh failed");
                    }
                    let _ = kv.delete(REFRESH_LOCK).await;
                });
            }
            return Ok(snapshot);
        }
    }
    refresh(db, kv, now).await
}

/// Computes the snapshot now and shares it.
pub async fn refresh(db: &DatabaseConnection, kv: &Kv, now: DateTime<Utc>) -> Result<Snapshot> {
    let snapshot = compute(db, now).await?;
    if let Ok(text) = serde_json::to_string(&snapshot)
        && let Err(e) = kv
            .set(KEY, &text, Some(StdDuration::from_secs(86_400)))
            .await
    {
        tracing::warn!(error = %e, "kpi snapshot not cached");
    }
    Ok(snapshot)
}

/// One scan: counts grouped by source and the three flags, summed up here.
async fn compute(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Snapshot> {
    let groups: Vec<(Option<String>, bool, bool, bool, i64)> = Users::find()
        .select_only()
        .columns([
            users::Column::Source,
            users::Column::Subscribed,
            users::Column::Blocked,
            users::Column::Unreachable,
        ])
        .column_as(Expr::col(users::Column::Id).count(), "n")
        .group_by(users::Column::Source)
        .group_by(users::Column::Subscribed)
        .group_by(users::Column::Blocked)
        .group_by(users::Column::Unreachable)
        .into_tuple()
        .all(db)
        .await?;
    let mut snapshot = Snapshot {
        as_of: now,
        users_total: 0,
        subscribed: 0,
        reachable_subscribers: 0,
        blocked: 0,
        unreachable: 0,
        by_source: Vec::new(),
    };
    let mut by_source: std::collections::BTreeMap<Option<String>, i64> = Default::default();
    for (source, subscribed, blocked, unreachable, n) in groups {
        snapshot.users_total += n;
        snapshot.subscribed += if subscribed { n } else { 0 };
        snapshot.reachable_subscribers += if subscribed && !blocked && !unreachable {
            n
        } else {
            0
        };
        snapshot.blocked += if blocked { n } else { 0 };
        snapshot.unreachable += if unreachable { n } else { 0 };
        *by_source.entry(source).or_default() += n;
    }
    snapshot.by_source = by_source
        .into_iter()
        .map(|(source, users)| SourceCount { source, users })
        .collect();
    snapshot
        .by_source
        .sort_by(|a, b| b.users.cmp(&a.users).then(a.source.cmp(&b.source)));
    Ok(snapshot)
}
