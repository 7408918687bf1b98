//! The delivery engine every instance runs: a materializer turning the audience of each running
//! broadcast into delivery rows chunk by chunk, and `workers` senders that each take one admission from
//! the global [`Pacer`], claim one due row, send it through the [`BroadcastSender`] and record the
//! answer before taking the next. So at most `workers` messages per instance are in flight at any moment,
//! which bounds what a crash (even `kill -9`) can send twice. Unpaced (benchmarks), a worker claims
//! `unpaced_batch` rows, sends them at once and records their answers in one statement.
//!
//! Telegram's answers: 429 pauses every instance's sending until `retry_after` (the row goes back to
//! pending, the try not counted); "blocked", "deactivated", "chat not found" skip the row and mark the
//! user unreachable; anything else retries with exponential backoff up to `max_attempts`, then fails the
//! row with the reason. The engine never panics on a failing database or store: it logs, waits and
//! tries again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use super::deliveries::{self, Materialized};
use super::pacer::{Admission, MAX_PER_MINUTE, Pacer};
use super::plan::Plan;
use super::sender::{BroadcastSender, MediaSource};
use crate::clock::Clock;
use crate::entity::broadcasts;
use crate::error::Result;
use crate::http::Metrics;
use crate::kv::Kv;

/// How the engine of one instance behaves.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The pace of a broadcast without its own rate (messages per minute, all instances together).
    pub default_rate_per_minute: u32,
    /// Concurrent sends in this instance (each waits for the pacer, so more workers do not send faster
    /// than the rate, they only hide Telegram's latency). A crash may send at most this many twice;
    /// one worker already keeps up with 30 messages per second.
    pub workers: usize,
    /// How long a claimed row stays this instance's before another may take it back.
    pub claim_ttl: Duration,
    /// How often an idle engine looks for running broadcasts.
    pub idle_poll: Duration,
    /// Tries before a row fails (429 answers do not count).
    pub max_attempts: i32,
    /// Audience rows created per materialization step.
    pub chunk: u64,
    /// `false` sends as fast as Telegram answers, bypassing the pacer: for benchmarks only.
    pub pacing: bool,
    /// Unpaced only: rows a worker claims and sends at once (their answers are recorded in one
    /// statement), so a crash may send up to `workers × unpaced_batch` twice.
    pub unpaced_batch: usize,
}

impl EngineConfig {
    /// The engine a deployment configured.
    pub fn from_config(config: &crate::config::BroadcastConfig) -> Self {
        Self {
            default_rate_per_minute: config.rate_per_minute,
            workers: config.workers,
            claim_ttl: Duration::from_secs(config.claim_ttl_secs),
            ..Self::default()
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            default_rate_per_minute: 25,
            workers: 1,
            claim_ttl: Duration::from_secs(30),
            idle_poll: Duration::from_secs(1),
            max_attempts: 5,
            chunk: 1000,
            pacing: true,
            unpaced_batch: 32,
        }
    }
}

/// The engine's handles.
#[derive(Clone)]
pub struct Engine {
    pub db: DatabaseConnection,
    pub kv: Kv,
    pub timezone: chrono_tz::Tz,
    pub clock: Clock,
    pub sender: Arc<dyn BroadcastSender>,
    pub config: EngineConfig,
    pub metrics: Metrics,
    /// The shared 429 pause (and the window of broadcasts without their own).
    pub(super) pacer: Pacer,
    core: crate::app::Core,
    pacers: Arc<Mutex<HashMap<i64, Pacer>>>,
    /// Identifies this instance's claims (`claimed_by`).
    holder: String,
    pub(super) plans: Arc<Mutex<HashMap<i64, Arc<Plan>>>>,
}

/// What one look at a broadcast did.
enum Step {
    Sent,
    /// The pacer asks to wait this long.
    Wait(Duration),
    /// Nothing to send now.
    Idle,
}

/// A running engine; dropping it does not stop it, [`EngineHandle::stop`] does.
pub struct EngineHandle {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl EngineHandle {
    /// Stops taking new rows and waits for the messages in flight to be recorded.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Engine {
    pub fn new(
        core: &crate::app::Core,
        clock: Clock,
        sender: Arc<dyn BroadcastSender>,
        config: EngineConfig,
        metrics: Metrics,
    ) -> Self {
        let pacer = Pacer::for_core(core, clock.clone());
        Self {
            db: core.db.clone(),
            kv: core.kv.clone(),
            timezone: core.timezone,
            clock,
            sender,
            config,
            metrics,
            pacer,
            core: core.clone(),
            pacers: Arc::default(),
            holder: format!("i-{:016x}", uuid::Uuid::new_v4().as_u64_pair().0),
            plans: Arc::default(),
        }
    }

    /// Starts the materializer and the workers.
    pub fn start(self) -> EngineHandle {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let engine = Arc::new(self);
        tasks.spawn(engine.clone().materializer(stopped.clone()));
        for worker in 0..engine.config.workers.max(1) {
            tasks.spawn(engine.clone().worker(worker, stopped.clone()));
        }
        tracing::info!(
            workers = engine.config.workers,
            default_rate_per_minute = engine.config.default_rate_per_minute,
            pacing = engine.config.pacing,
            "broadcast engine started"
        );
        EngineHandle { stop, tasks }
    }

    /// The pace of `b` in messages per minute.
    pub fn rate_of(&self, b: &broadcasts::Model) -> u32 {
        b.rate_per_minute
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(self.config.default_rate_per_minute)
            .clamp(1, MAX_PER_MINUTE)
    }

    async fn materializer(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let busy = match self.materialize_once().await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "broadcast materializer: will retry");
                    false
                }
            };
            if !busy {
                let _ = tokio::time::timeout(self.config.idle_poll, stopped.changed()).await;
            }
        }
    }

    /// One chunk for every running broadcast still short of rows; whether any work was done. Also takes
    /// back rows whose claims expired and completes finished broadcasts.
    pub async fn materialize_once(&self) -> Result<bool> {
        let now = self.clock.now();
        let reclaimed = deliveries::reclaim_expired(&self.db, now).await?;
        if reclaimed > 0 {
            tracing::info!(
                reclaimed,
                "broadcast rows of an expired claim are pending again"
            );
        }
        let mut busy = false;
        for b in deliveries::running(&self.db).await? {
            if b.materialized {
                if deliveries::finish_if_done(&self.db, &b, now).await? {
                    tracing::info!(broadcast_id = b.id, "broadcast completed");
                }
                continue;
            }
            let audience = deliveries::audience(&self.db, &b, self.timezone).await?;
            match deliveries::materialize_chunk(&self.db, &b, audience, self.config.chunk, now)
                .await?
            {
                Materialized::Chunk(_) => busy = true,
                Materialized::Done(_) | Materialized::Lost => {}
            }
        }
        Ok(busy)
    }

    async fn worker(self: Arc<Self>, worker: usize, mut stopped: watch::Receiver<bool>) {
        let mut turn = worker;
        while !*stopped.borrow() {
            let wait = match self.work_once(&mut turn).await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(error = %e, code = e.code(), "broadcast worker: will retry");
                    self.config.idle_poll
                }
            };
            if !wait.is_zero() {
                let _ = tokio::time::timeout(wait, stopped.changed()).await;
            }
        }
    }

    /// Sends at most one message (or, unpaced, a small batch) of the first running broadcast, in round
    /// robin order from `turn`, that the pacer admits now; how long to wait before asking again (zero
    /// after a send). A broadcast whose window is full never holds up another one.
    pub async fn work_once(&self, turn: &mut usize) -> Result<Duration> {
        let running = deliveries::running(&self.db).await?;
        let mut wait = self.config.idle_poll;
        *turn = turn.wrapping_add(1);
        for k in 0..running.len() {
            let b = &running[(*turn + k) % running.len()];
            match self.try_broadcast(b).await? {
                Step::Sent => return Ok(Duration::ZERO),
                Step::Wait(after) => wait = wait.min(after),
                Step::Idle => {}
            }
        }
        Ok(wait)
    }

    async fn try_broadcast(&self, b: &broadcasts::Model) -> Result<Step> {
        let plan = self.plan(b).await?;
        let upload_lock = format!("broadcast:{}:upload", b.id);
        let uploading = matches!(
            plan.media_source(),
            Some(MediaSource::Upload(_) | MediaSource::Url(_))
        );
        if uploading
            && !self
                .kv
                .set_nx(&upload_lock, &self.holder, Duration::from_secs(120))
                .await?
        {
            // Another worker is sending the first message, whose answer brings the file_id.
            return Ok(Step::Idle);
        }
        let result = self.claim_and_send(b, &plan, uploading).await;
        if uploading {
            let _ = self.kv.delete(&upload_lock).await;
        }
        result
    }

    async fn claim_and_send(&self, b: &broadcasts::Model, plan: &Plan, one: bool) -> Result<Step> {
        let batch = if self.config.pacing || one {
            match self.pacer_of(b.id).await.admit(self.rate_of(b)).await {
                Admission::Send => 1,
                Admission::Wait { after, .. } => return Ok(Step::Wait(after)),
            }
        } else {
            if let Some(wait) = self.pacer_pause().await {
                return Ok(Step::Wait(wait));
            }
            self.config.unpaced_batch.max(1) as u64
        };
        let claimed = deliveries::claim(
            &self.db,
            b.id,
            batch,
            &self.holder,
            self.clock.now(),
            self.config.claim_ttl,
        )
        .await?;
        if claimed.is_empty() {
            return Ok(Step::Idle);
        }
        self.deliver_claim(b, plan, &claimed).await?;
        Ok(Step::Sent)
    }

    /// The pacer of broadcast `id`: its own sliding window, shared by every instance.
    async fn pacer_of(&self, id: i64) -> Pacer {
        self.pacers
            .lock()
            .await
            .entry(id)
            .or_insert_with(|| {
                Pacer::for_core_scoped(&self.core, self.clock.clone(), &format!("broadcast:{id}"))
            })
            .clone()
    }

    async fn pacer_pause(&self) -> Option<Duration> {
        let until = self.pacer.paused_until_ms().await.ok().flatten()?;
        let now = self.clock.now_ms();
        (until > now).then(|| Duration::from_millis(until - now))
    }

    async fn plan(&self, b: &broadcasts::Model) -> Result<Arc<Plan>> {
        let mut plans = self.plans.lock().await;
        if let Some(plan) = plans.get(&b.id)
            && plan.is_current(b)
        {
            return Ok(plan.clone());
        }
        let settings = crate::services::settings::get(&self.db).await?;
        let plan = Arc::new(Plan::new(b, settings.default_language)?);
        plans.insert(b.id, plan.clone());
        Ok(plan)
    }
}
