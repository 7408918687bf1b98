//! Job leases: one instance runs each job at a time. A lease is held by a `holder` until it expires or is
//! released; its `fencing` value grows with every new acquisition, so work done under a stale lease can be
//! told apart. Two stores serve the same contract: the key-value store ([`crate::kv::KeyValue`]: Redis
//! `SET NX PX` + `INCR`, or in-process) and the database table `job_leases` (a conditional update, else
//! an insert racing on the primary key) for deployments without Redis.
//!
//! Leases only decide who runs; exactly-once effects come from unique keys (a birthday discount per user
//! per year), so a lost lease costs at most a repeated, harmless attempt.

use std::future::Future;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::clock::Clock;
use crate::entity::job_leases::{self, Entity as JobLeases};
use crate::error::{Result, is_unique_violation};
use crate::kv::{Kv, Lease};

/// Where leases live.
#[derive(Clone)]
pub enum LeaseStore {
    /// The key-value store (Redis across instances; in-process for one instance). Its TTLs are real time.
    Kv(Kv),
    /// The `job_leases` table; expiry is read from the [`Clock`].
    Db(DatabaseConnection, Clock),
}

impl LeaseStore {
    /// Takes the lease `name` for `holder` if nobody holds it (or the last holder's lease expired).
    pub async fn acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        match self {
            Self::Kv(kv) => kv.acquire_lease(name, holder, ttl).await,
            Self::Db(db, clock) => db_acquire(db, clock, name, holder, ttl).await,
        }
    }

    /// Extends the lease if `holder` still holds it.
    pub async fn renew(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        match self {
            Self::Kv(kv) => kv.renew_lease(name, holder, ttl).await,
            Self::Db(db, clock) => {
                let now = clock.now();
                let result = JobLeases::update_many()
                    .col_expr(
                        job_leases::Column::ExpiresAt,
                        Expr::value(now + ttl_of(ttl)),
                    )
                    .filter(job_leases::Column::Name.eq(name))
                    .filter(job_leases::Column::Holder.eq(holder))
                    .filter(job_leases::Column::ExpiresAt.gt(now))
                    .exec(db)
                    .await?;
                Ok(result.rows_affected == 1)
            }
        }
    }

    /// Gives the lease back if `holder` holds it.
    pub async fn release(&self, name: &str, holder: &str) -> Result<bool> {
        match self {
            Self::Kv(kv) => kv.release_lease(name, holder).await,
            Self::Db(db, clock) => {
                let now = clock.now();
                // The row stays (it carries the fencing counter); it just expires now.
                let result = JobLeases::update_many()
                    .col_expr(job_leases::Column::ExpiresAt, Expr::value(now))
                    .filter(job_leases::Column::Name.eq(name))
                    .filter(job_leases::Column::Holder.eq(holder))
                    .filter(job_leases::Column::ExpiresAt.gt(now))
                    .exec(db)
                    .await?;
                Ok(result.rows_affected == 1)
            }
        }
    }
}

fn ttl_of(ttl: Duration) -> chrono::Duration {
    chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1))
}

async fn db_acquire(
    db: &DatabaseConnection,
    clock: &Clock,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Lease>> {
    let now = clock.now();
    let expires_at = now + ttl_of(ttl);
    // Take over an expired lease: the condition on expires_at lets exactly one contender win.
    let taken = JobLeases::update_many()
        .col_expr(job_leases::Column::Holder, Expr::value(holder))
        .col_expr(
            job_leases::Column::Fencing,
            Expr::col(job_leases::Column::Fencing).add(1),
        )
        .col_expr(job_leases::Column::ExpiresAt, Expr::value(expires_at))
        .filter(job_leases::Column::Name.eq(name))
        .filter(job_leases::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        let row = JobLeases::find_by_id(name.to_string())
            .filter(job_leases::Column::Holder.eq(holder))
            .one(db)
            .await?;
        return Ok(row.map(|r| Lease {
            fencing: u64::try_from(r.fencing).unwrap_or(0),
        }));
    }
    // No row yet: the first insert wins the primary key.
    let row = job_leases::ActiveModel {
        name: Set(name.to_string()),
        holder: Set(holder.to_string()),
        fencing: Set(1),
        expires_at: Set(expires_at),
    };
    match row.insert(db).await {
        Ok(_) => Ok(Some(Lease { fencing: 1 })),
        Err(e) if is_unique_violation(&e, "") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A holder name unique to this call: the process id and a random suffix.
pub fn new_holder() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// Runs `work` only if the lease `job` can be taken: `Some(output)` when it ran here, `None` when another
/// holder has it. While `work` runs the lease is renewed every third of `ttl`; it is released afterwards.
pub async fn run_exclusive<F, Fut, T>(
    store: &LeaseStore,
    job: &str,
    ttl: Duration,
    work: F,
) -> Result<Option<T>>
where
    F: FnOnce(Lease) -> Fut,
    Fut: Future<Output = T>,
{
    let holder = new_holder();
    let Some(lease) = store.acquire(job, &holder, ttl).await? else {
        tracing::debug!(job, "lease held elsewhere; skipped");
        return Ok(None);
    };
    let work = work(lease);
    tokio::pin!(work);
    let mut renew = tokio::time::interval((ttl / 3).max(Duration::from_millis(10)));
    renew.tick().await;
    let output = loop {
        tokio::select! {
            output = &mut work => break output,
            _ = renew.tick() => {
                match store.renew(job, &holder, ttl).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job, "lease lost while running; unique keys keep the work exactly-once"),
                    Err(e) => tracing::warn!(job, error = %e, "lease renewal failed"),
                }
            }
        }
    };
    if let Err(e) = store.release(job, &holder).await {
        tracing::warn!(job, error = %e, "lease release failed; it expires by itself");
    }
    Ok(Some(output))
}
