//! Scheduled jobs: birthdays at 09:00 in the shop time zone, discount expiry with reminders, cleanup, and
//! starting scheduled broadcasts when their time comes (every minute),
//! registered with tokio-cron-scheduler (six-field cron strings, seconds first) and started by
//! `dvorik serve` through [`start`]. Every instance schedules them; each run takes a lease
//! ([`lease::run_exclusive`]) so one instance does the work, and unique keys keep the effects exactly-once
//! even if a lease is lost. Jobs read the time from a [`Clock`]; tests call the `run` functions directly
//! with a test clock.

pub mod birthdays;
pub mod cleanup;
pub mod expiry;
pub mod lease;
pub mod notifier;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_cron_scheduler::{Job, JobScheduler};

pub use lease::{LeaseStore, run_exclusive};
pub use notifier::{LogNotifier, Notifier};

use crate::app::Core;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::http::Metrics;

/// Birthdays: every hour from 09:00 to 23:00 local time. The 09:00 run does the work; the later ones only
/// catch up users missed while no instance was running (a repeat issues and announces nothing).
pub const BIRTHDAYS_CRON: &str = "0 0 9-23 * * *";
/// Expiry and reminders: every ten minutes.
pub const EXPIRY_CRON: &str = "0 */10 * * * *";
/// Cleanup: daily at 03:30 local time.
pub const CLEANUP_CRON: &str = "0 30 3 * * *";
/// Due broadcasts: every minute, on the minute.
pub const DUE_BROADCASTS_CRON: &str = "0 * * * * *";

/// How long a job's lease lasts without renewal (it is renewed while the job runs).
pub const LEASE_TTL: Duration = Duration::from_secs(300);

/// The lease store for a deployment: Redis when configured (shared by every instance), else the
/// database table (also shared; the in-process store would only exclude within one process).
pub fn lease_store(core: &Core, clock: &Clock) -> LeaseStore {
    if core.kv.kind() == "redis" {
        LeaseStore::Kv(core.kv.clone())
    } else {
        LeaseStore::Db(core.db.clone(), clock.clone())
    }
}

/// Everything a job run needs.
#[derive(Clone)]
pub struct JobContext {
    pub core: Core,
    pub clock: Clock,
    pub notifier: Arc<dyn Notifier>,
    pub leases: LeaseStore,
    pub metrics: Metrics,
}

/// The scheduled jobs by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobName {
    Birthdays,
    Expiry,
    Cleanup,
    DueBroadcasts,
}

impl JobName {
    pub const ALL: [JobName; 4] = [
        JobName::Birthdays,
        JobName::Expiry,
        JobName::Cleanup,
        JobName::DueBroadcasts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Birthdays => "birthdays",
            Self::Expiry => "expiry",
            Self::Cleanup => "cleanup",
            Self::DueBroadcasts => "due_broadcasts",
        }
    }

    pub fn cron(self) -> &'static str {
        match self {
            Self::Birthdays => BIRTHDAYS_CRON,
            Self::Expiry => EXPIRY_CRON,
            Self::Cleanup => CLEANUP_CRON,
            Self::DueBroadcasts => DUE_BROADCASTS_CRON,
        }
    }
}

/// Runs one job now under its lease: `Ok(false)` when another instance holds the lease. Records the run
/// in the metrics (`dvorik_job_duration_seconds`, `dvorik_job_runs_total`).
pub async fn run_job(ctx: &JobContext, job: JobName) -> Result<bool> {
    let started = Instant::now();
    let ran = run_exclusive(&ctx.leases, job.as_str(), LEASE_TTL, |_lease| async {
        let now = ctx.clock.now();
        let core = &ctx.core;
        match job {
            JobName::Birthdays => birthdays::run(
                &core.db,
                &core.key,
                ctx.notifier.as_ref(),
                core.timezone,
                now,
            )
            .await
            .map(|r| tracing::info!(job = job.as_str(), ?r, "done")),
            JobName::Expiry => expiry::run(&core.db, &core.key, ctx.notifier.as_ref(), now)
                .await
                .map(|r| tracing::info!(job = job.as_str(), ?r, "done")),
            JobName::Cleanup => cleanup::run(&core.db, now)
                .await
                .map(|r| tracing::info!(job = job.as_str(), ?r, "done")),
            JobName::DueBroadcasts => crate::services::broadcasts::start_due(&core.db, now)
                .await
                .map(|started| {
                    if !started.is_empty() {
                        tracing::info!(
                            job = job.as_str(),
                            ?started,
                            "scheduled broadcasts started"
                        );
                    }
                }),
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    match ran {
        Ok(None) => Ok(false),
        Ok(Some(Ok(()))) => {
            ctx.metrics.job_run(job.as_str(), "ok", seconds);
            Ok(true)
        }
        Ok(Some(Err(e))) | Err(e) => {
            ctx.metrics.job_run(job.as_str(), "error", seconds);
            tracing::warn!(job = job.as_str(), error = %e, code = e.code(), "job failed");
            Err(e)
        }
    }
}

/// The running scheduler and the id of each scheduled job.
pub struct Scheduled {
    pub scheduler: JobScheduler,
    pub jobs: Vec<(JobName, uuid::Uuid)>,
}

impl Scheduled {
    /// When `job` fires next (UTC).
    pub async fn next_run(
        &mut self,
        job: JobName,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let Some((_, id)) = self.jobs.iter().find(|(name, _)| *name == job) else {
            return Ok(None);
        };
        self.scheduler
            .next_tick_for_job(*id)
            .await
            .map_err(scheduler_error)
    }

    /// Stops the scheduler.
    pub async fn shutdown(mut self) -> Result<()> {
        self.scheduler.shutdown().await.map_err(scheduler_error)
    }
}

/// Schedules every job in the shop time zone and starts the scheduler; keep the returned handle while the
/// server runs. `dvorik serve` calls this unless `DVORIK_JOBS=off`.
pub async fn start(core: Core, notifier: Arc<dyn Notifier>, metrics: Metrics) -> Result<Scheduled> {
    let clock = Clock::system();
    let ctx = JobContext {
        leases: lease_store(&core, &clock),
        core,
        clock,
        notifier,
        metrics,
    };
    let scheduler = JobScheduler::new().await.map_err(scheduler_error)?;
    let mut jobs = Vec::new();
    for job in JobName::ALL {
        let ctx = ctx.clone();
        let cron = Job::new_async_tz(job.cron(), ctx.core.timezone, move |_id, _scheduler| {
            let ctx = ctx.clone();
            Box::pin(async move {
                let _ = run_job(&ctx, job).await;
            })
        })
        .map_err(scheduler_error)?;
        jobs.push((job, scheduler.add(cron).await.map_err(scheduler_error)?));
    }
    scheduler.start().await.map_err(scheduler_error)?;
    tracing::info!(timezone = %ctx.core.timezone, leases = match ctx.leases { LeaseStore::Kv(_) => "redis", LeaseStore::Db(..) => "database" }, "scheduled jobs started");
    Ok(Scheduled { scheduler, jobs })
}

fn scheduler_error(e: tokio_cron_scheduler::JobSchedulerError) -> Error {
    Error::Internal(format!("job scheduler: {e}"))
}
