//! What every API handler can reach: the core, the API's own settings, the metrics, and a short-lived
//! cache of the admins behind the access tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRef;
use sea_orm::ConnectionTrait;

use crate::app::Core;
use crate::broadcast::BroadcastSender;
use crate::config::Config;
use crate::entity::admins;
use crate::error::Result;
use crate::http::metrics::Metrics;
use crate::secret::ServerKey;
use crate::services::auth::TokenKeys;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the admin API, from the deployment's [`Config`].
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub tokens: TokenKeys,
    /// Requests per minute from one IP address; 0 switches the limit off.
    pub rate_per_ip: u32,
    /// Requests per minute with one access token; 0 switches the limit off.
    pub rate_per_token: u32,
    /// Sign-in attempts (token exchange, refresh) per minute from one IP address; 0: off.
    pub login_rate_per_ip: u32,
    pub max_body_bytes: usize,
    /// Where attached broadcast media are kept (`<data dir>/media`).
    pub media_dir: std::path::PathBuf,
    /// The pace of a broadcast without its own rate (for progress and ETA).
    pub broadcast_rate_per_minute: u32,
    /// Where a sent deal is announced (the client bot subscribes when it runs in this process).
    pub deal_notices: crate::services::deal_notices::DealNotices,
    /// How long a rendered page of the user list is served again ([`super::page_cache`]); zero: never.
    pub list_cache_ttl: Duration,
}

impl ApiConfig {
    /// The API settings of a deployment; the signing key is `DVORIK_JWT_SECRET` or derived from `key`.
    pub fn from_config(config: &Config, key: &ServerKey) -> Result<Self> {
        let tokens = match &config.jwt_secret {
            Some(secret) => TokenKeys::from_secret(secret)?,
            None => TokenKeys::derived(key),
        };
        Ok(Self {
            tokens,
            rate_per_ip: config.api_rate_per_ip,
            rate_per_token: config.api_rate_per_token,
            login_rate_per_ip: config.api_login_rate_per_ip,
            max_body_bytes: MAX_BODY_BYTES,
            media_dir: config.data_dir.join("media"),
            broadcast_rate_per_minute: config.broadcasts.rate_per_minute,
            deal_notices: Default::default(),
            list_cache_ttl: Duration::from_millis(config.api_list_cache_ms),
        })
    }

    /// The defaults of an unconfigured deployment.
    pub fn defaults(key: &ServerKey) -> Self {
        let config = Config::from_lookup(|_| None).expect("the defaults are valid");
        Self::from_config(&config, key).expect("a derived key is valid")
    }
}

/// The state of the API router.
#[derive(Clone)]
pub struct ApiState {
    pub core: Core,
    pub config: Arc<ApiConfig>,
    pub metrics: Metrics,
    pub admins: Arc<AdminCache>,
    /// Rendered pages of the user list, for [`ApiConfig::list_cache_ttl`].
    pub pages: Arc<super::page_cache::PageCache>,
    /// Reads of the hot routes (the user list, the admin behind a token), on connections kept between
    /// statements: one round trip a statement instead of two ([`crate::db::Held`]).
    pub reads: crate::db::Held,
    /// How test messages of broadcasts reach Telegram: the client bot, when the bots run.
    pub sender: Option<Arc<dyn BroadcastSender>>,
}

impl ApiState {
    pub fn new(core: Core, config: ApiConfig, metrics: Metrics) -> Self {
        Self {
            reads: crate::db::Held::new(core.db.clone()),
            pages: Arc::new(super::page_cache::PageCache::new(config.list_cache_ttl)),
            core,
            config: Arc::new(config),
            metrics,
            admins: Arc::default(),
            sender: None,
        }
    }

    /// With `sender` for test messages.
    pub fn with_sender(mut self, sender: Option<Arc<dyn BroadcastSender>>) -> Self {
        self.sender = sender;
        self
    }
}

impl FromRef<ApiState> for Core {
    fn from_ref(state: &ApiState) -> Self {
        state.core.clone()
    }
}

/// Admins by id for a couple of seconds, so authenticating a request rarely costs a query. A role change
/// or switch-off made through this process is seen at once ([`AdminCache::forget`]); one made elsewhere
/// within [`AdminCache::TTL`].
#[derive(Default)]
pub struct AdminCache {
    entries: Mutex<HashMap<i64, (Instant, admins::Model)>>,
}

impl AdminCache {
    pub const TTL: Duration = Duration::from_secs(2);

    /// The admin `id`, from the cache or the database.
    pub async fn get(&self, db: &impl ConnectionTrait, id: i64) -> Result<admins::Model> {
        if let Some((at, admin)) = self.lock().get(&id)
            && at.elapsed() < Self::TTL
        {
            return Ok(admin.clone());
        }
        let admin = crate::services::admins::get(db, id).await?;
        self.lock().insert(id, (Instant::now(), admin.clone()));
        Ok(admin)
    }

    /// Drops the cached admin `id` (after changing them).
    pub fn forget(&self, id: i64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, admins::Model)>> {
        // A panic while holding the lock leaves a map that is still consistent: keep using it.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
