//! Bulk manual discounts: one discount to each user of a list or of a segment, as a background task with
//! progress (total / issued / failed and the first failures with their reasons).
//!
//! The audience is read in chunks of 1000 by keyset (`id > last_user_id`). Each chunk is one transaction:
//! its discounts and the task's progress (`last_user_id`, counters, failures) commit together, and the
//! progress update is conditional on `last_user_id` still being where this runner read it. So a chunk
//! whose commit did not happen (crash, lost connection) is redone from the same place and issues nothing
//! twice, and a second runner of the same task (an expired claim) finds the position moved and rolls its
//! chunk back. Within a chunk each user is independent: a refusal for one (not found, blocked) is
//! recorded and the others go on.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor, Entry};
use super::discounts::{self, ManualDiscount};
use super::segments::{self, Audience, Recipients, SegmentFilter};
use crate::domain::DiscountValue;
use crate::entity::discount_tasks::{self, Entity as Tasks, TaskState};
use crate::entity::users;
use crate::error::{Error, Result};
use crate::secret::ServerKey;

/// Users per chunk (and per transaction).
pub const CHUNK: usize = 1000;
/// The most user ids one task takes in a list.
pub const MAX_LIST: usize = 100_000;
/// Failures kept with their reason (the counter counts them all).
pub const MAX_FAILURES_KEPT: usize = 1000;
/// How long a runner's claim lasts without progress before another may take the task over.
pub const CLAIM: Duration = Duration::seconds(60);

/// To whom a bulk issue goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkTarget {
    /// These users (deduplicated; unknown or blocked ones fail with their reason).
    Users(Vec<i64>),
    /// The users of a saved segment at the time the task is created (blocked users are left out).
    Segment(i64),
}

/// What an admin asks for.
#[derive(Debug, Clone)]
pub struct BulkIssueInput {
    pub target: BulkTarget,
    pub value: DiscountValue,
    pub validity_days: i32,
    pub note: Option<String>,
}

/// The audience as stored in the task: the filter is a copy, so editing the segment later does not
/// change a task that already started.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segment_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filter: Option<SegmentFilter>,
}

/// One user the task could not give a discount to, and why (an error code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failure {
    pub user_id: i64,
    pub code: String,
}

/// Where a task stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub id: i64,
    pub state: TaskState,
    /// Users to handle, as counted when the task was created.
    pub total: i64,
    pub issued: i64,
    pub failed: i64,
    /// The first failures with their reasons.
    pub failures: Vec<Failure>,
    /// Why the task stopped, when it did.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<discount_tasks::Model> for Progress {
    type Error = Error;

    fn try_from(task: discount_tasks::Model) -> Result<Self> {
        Ok(Self {
            id: task.id,
            state: task.state,
            total: task.total,
            issued: task.issued,
            failed: task.failed,
            failures: failures_of(&task)?,
            error: task.error,
            created_at: task.created_at,
            updated_at: task.updated_at,
            finished_at: task.finished_at,
        })
    }
}

fn failures_of(task: &discount_tasks::Model) -> Result<Vec<Failure>> {
    serde_json::from_str(&task.failures).map_err(|e| {
        Error::Internal(format!(
            "discount task {} failures unreadable: {e}",
            task.id
        ))
    })
}

/// Checks the request and records the task (state `pending`); [`run`] does the work.
pub async fn create(
    db: &impl ConnectionTrait,
    input: &BulkIssueInput,
    admin_id: i64,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Progress> {
    let stored = input.value.to_stored()?;
    if !(1..=3650).contains(&input.validity_days) {
        return Err(Error::invalid("validity_days", "out_of_range"));
    }
    let note = input
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| super::clean_text(n, "note", 255))
        .transpose()?;
    let (target, total) = match &input.target {
        BulkTarget::Users(ids) => {
            if ids.is_empty() {
                return Err(Error::invalid("user_ids", "required"));
            }
            if ids.len() > MAX_LIST {
                return Err(Error::invalid("user_ids", "too_many"));
            }
            if ids.iter().any(|id| *id <= 0) {
                return Err(Error::invalid("user_ids", "out_of_range"));
            }
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            let total = ids.len() as i64;
            let target = StoredTarget {
                user_ids: Some(ids),
                segment_id: None,
                filter: None,
            };
            (target, total)
        }
        BulkTarget::Segment(id) => {
            let segment = segments::get(db, *id).await?;
            let count = segments::count(db, &segment.filter, tz, now).await?;
            let target = StoredTarget {
                user_ids: None,
                segment_id: Some(segment.id),
                filter: Some(segment.filter),
            };
            (target, count.matching as i64)
        }
    };
    let target_json = serde_json::to_string(&target)
        .map_err(|e| Error::Internal(format!("cannot store a task target: {e}")))?;
    let task = discount_tasks::ActiveModel {
        state: Set(TaskState::Pending),
        target: Set(target_json),
        value_kind: Set(stored.kind),
        percent_bp: Set(stored.percent_bp),
        amount_minor: Set(stored.amount_minor),
        validity_days: Set(input.validity_days),
        note: Set(note),
        created_by_admin_id: Set(Some(admin_id)),
        total: Set(total),
        issued: Set(0),
        failed: Set(0),
        last_user_id: Set(0),
        failures: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let entry = Entry::new(
        Actor::admin(admin_id),
        "discount_task.create",
        "discount_task",
        task.id,
    )
    .change(
        None::<&()>,
        Some(&serde_json::json!({ "task": &task, "target": &target })),
    );
    audit::record(db, entry, now).await?;
    Progress::try_from(task)
}

pub async fn progress(db: &impl ConnectionTrait, id: i64) -> Result<Progress> {
    Tasks::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DiscountTaskNotFound)?
        .try_into()
}

/// Runs the task `id` to its end as `worker` (any id unique to this runner), reading the time from
/// `clock`. Returns the progress when it ends, or at once when another runner holds the task or it has
/// already ended. An error that is not one user's (the database is gone) stops the run and leaves the
/// task to be resumed from its last committed chunk.
pub async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: &ServerKey,
    id: i64,
    worker: &str,
    tz: chrono_tz::Tz,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<Progress> {
    run_chunks(db, key, id, worker, tz, clock, RunLimits::default()).await
}

/// How a run reads its audience.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Users per chunk (and per transaction).
    pub chunk: usize,
    /// Chunks before the run stops with the task still claimed (as a crash would leave it).
    pub max_chunks: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            chunk: CHUNK,
            max_chunks: usize::MAX,
        }
    }
}

/// [`run`] within `limits`.
pub async fn run_chunks<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: &ServerKey,
    id: i64,
    worker: &str,
    tz: chrono_tz::Tz,
    clock: impl Fn() -> DateTime<Utc>,
    limits: RunLimits,
) -> Result<Progress> {
    if !claim(db, id, worker, clock()).await? {
        return progress(db, id).await;
    }
    let task = Tasks::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DiscountTaskNotFound)?;
    let target: StoredTarget = serde_json::from_str(&task.target)
        .map_err(|e| Error::Internal(format!("discount task {id} target unreadable: {e}")))?;
    let value = DiscountValue::from_stored(task.value_kind, task.percent_bp, task.amount_minor)?;
    let mut failures = failures_of(&task)?;
    let mut last = task.last_user_id;
    let created = task.created_at;
    for _ in 0..limits.max_chunks {
        let now = clock();
        let chunk = next_chunk(db, &target, last, tz, created, limits.chunk.max(1)).await?;
        let Some(new_last) = chunk.iter().map(|(id, _)| *id).max() else {
            finish(db, id, worker, TaskState::Done, None, now).await?;
            return progress(db, id).await;
        };
        let txn = db.begin().await?;
        let (mut issued, mut failed) = (0i64, 0i64);
        for (user_id, refusal) in &chunk {
            let outcome = match refusal {
                Some(err) => Err(err.clone()),
                None => {
                    let manual = ManualDiscount {
                        user_id: *user_id,
                        value,
                        validity_days: task.validity_days,
                        admin_id: task.created_by_admin_id.unwrap_or_default(),
                        note: task.note.clone(),
                    };
                    match discounts::issue_manual(&txn, key, &manual, now).await {
                        Ok(_) => Ok(()),
                        Err(e) if e.is_internal() => return Err(e),
                        Err(e) => Err(e.code().to_string()),
                    }
                }
            };
            match outcome {
                Ok(()) => issued += 1,
                Err(code) => {
                    failed += 1;
                    if failures.len() < MAX_FAILURES_KEPT {
                        failures.push(Failure {
                            user_id: *user_id,
                            code,
                        });
                    }
                }
            }
        }
        let failures_json = serde_json::to_string(&failures)
            .map_err(|e| Error::Internal(format!("cannot store failures: {e}")))?;
        let moved = Tasks::update_many()
            .col_expr(
                discount_tasks::Column::Issued,
                Expr::col(discount_tasks::Column::Issued).add(issued),
            )
            .col_expr(
                discount_tasks::Column::Failed,
                Expr::col(discount_tasks::Column::Failed).add(failed),
            )
            .col_expr(discount_tasks::Column::LastUserId, Expr::value(new_last))
            .col_expr(discount_tasks::Column::Failures, Expr::value(failures_json))
            .col_expr(
                discount_tasks::Column::ClaimedUntil,
                Expr::value(now + CLAIM),
            )
            .col_expr(discount_tasks::Column::UpdatedAt, Expr::value(now))
            .filter(discount_tasks::Column::Id.eq(id))
            .filter(discount_tasks::Column::LastUserId.eq(last))
            .filter(discount_tasks::Column::ClaimedBy.eq(worker))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            // Another runner took the task over: its chunks count, this one does not.
            txn.rollback().await?;
            return progress(db, id).await;
        }
        txn.commit().await?;
        last = new_last;
    }
    progress(db, id).await
}

/// Takes the task for `worker` if it is not finished and nobody else holds a live claim.
async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = Tasks::update_many()
        .col_expr(
            discount_tasks::Column::State,
            Expr::value(TaskState::Running),
        )
        .col_expr(discount_tasks::Column::ClaimedBy, Expr::value(worker))
        .col_expr(
            discount_tasks::Column::ClaimedUntil,
            Expr::value(now + CLAIM),
        )
        .col_expr(discount_tasks::Column::UpdatedAt, Expr::value(now))
        .filter(discount_tasks::Column::Id.eq(id))
        .filter(discount_tasks::Column::State.is_in([TaskState::Pending, TaskState::Running]))
        .filter(
            Condition::any()
                .add(discount_tasks::Column::ClaimedUntil.is_null())
                .add(discount_tasks::Column::ClaimedUntil.lt(now))
                .add(discount_tasks::Column::ClaimedBy.eq(worker)),
        )
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        // Unknown id → 404; otherwise it is finished or someone else runs it.
        progress(db, id).await?;
        return Ok(false);
    }
    Ok(true)
}

async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    state: TaskState,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    Tasks::update_many()
        .col_expr(discount_tasks::Column::State, Expr::value(state))
        .col_expr(discount_tasks::Column::Error, Expr::value(error))
        .col_expr(
            discount_tasks::Column::ClaimedBy,
            Expr::value(None::<String>),
        )
        .col_expr(
            discount_tasks::Column::ClaimedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(discount_tasks::Column::FinishedAt, Expr::value(now))
        .col_expr(discount_tasks::Column::UpdatedAt, Expr::value(now))
        .filter(discount_tasks::Column::Id.eq(id))
        .filter(discount_tasks::Column::ClaimedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// The next users after `last`, each with the reason it cannot get a discount (if any).
async fn next_chunk(
    db: &impl ConnectionTrait,
    target: &StoredTarget,
    last: i64,
    tz: chrono_tz::Tz,
    created: DateTime<Utc>,
    size: usize,
) -> Result<Vec<(i64, Option<String>)>> {
    if let Some(ids) = &target.user_ids {
        let start = ids.partition_point(|id| *id <= last);
        let wanted = &ids[start..(start + size).min(ids.len())];
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<(i64, bool)> = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Blocked])
            .filter(users::Column::Id.is_in(wanted.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let found: std::collections::HashMap<i64, bool> = found.into_iter().collect();
        return Ok(wanted
            .iter()
            .map(|id| {
                let refusal = match found.get(id) {
                    None => Some(Error::UserNotFound.code().to_string()),
                    Some(true) => Some(Error::UserBlocked.code().to_string()),
                    Some(false) => None,
                };
                (*id, refusal)
            })
            .collect());
    }
    let filter = target.filter.clone().unwrap_or_default();
    // The segment's conditions are evaluated as of the task's creation, so a resumed task reads the
    // same audience.
    let mut reader = Recipients::new(&filter, Audience::NotBlocked, tz, created)?
        .resume_after(last)
        .chunk_size(size as u64);
    Ok(reader
        .next_chunk(db)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.id, None))
        .collect())
}

/// Runs the task in the background (a tokio task), retrying after errors that are not one user's with a
/// growing pause; a task still unfinished after that is picked up by [`resume_unfinished`].
pub fn spawn(core: &crate::app::Core, id: i64) -> tokio::task::JoinHandle<()> {
    let core = core.clone();
    tokio::spawn(async move {
        let worker = format!("task-runner-{}", uuid::Uuid::new_v4().simple());
        for attempt in 0..5u32 {
            match run(
                &core.db,
                &core.key,
                id,
                &worker,
                core.timezone,
                crate::clock::now,
            )
            .await
            {
                Ok(p) => {
                    tracing::info!(task = id, issued = p.issued, failed = p.failed, state = ?p.state, "discount task ended");
                    return;
                }
                Err(e) => {
                    tracing::warn!(task = id, attempt, error = %e, "discount task interrupted");
                    tokio::time::sleep(StdDuration::from_secs(1 << attempt)).await;
                }
            }
        }
    })
}

/// Starts a runner for every unfinished task nobody holds (after a restart); how many.
pub async fn resume_unfinished(core: &crate::app::Core) -> Result<usize> {
    let now = crate::clock::now();
    let ids: Vec<i64> = Tasks::find()
        .select_only()
        .column(discount_tasks::Column::Id)
        .filter(discount_tasks::Column::State.is_in([TaskState::Pending, TaskState::Running]))
        .filter(
            Condition::any()
                .add(discount_tasks::Column::ClaimedUntil.is_null())
                .add(discount_tasks::Column::ClaimedUntil.lt(now)),
        )
        .into_tuple()
        .all(&core.db)
        .await?;
    for id in &ids {
        spawn(core, *id);
    }
    Ok(ids.len())
}
