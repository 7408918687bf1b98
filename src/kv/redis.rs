//! The Redis [`KeyValue`]. Multi-step operations are Lua scripts, so each is atomic on the server and
//! holds across instances. The connection manager reconnects by itself after Redis comes back.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{KeyValue, Lease, WindowDecision};
use crate::error::{Error, Result};

/// Sliding window over a sorted set of hit times: drop hits older than the window, admit if below limit.
/// Members carry a per-key sequence so two hits in the same millisecond both count.
const WINDOW: &str = r#"
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  local seq = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[1], now, now .. ':' .. seq)
  redis.call('PEXPIRE', KEYS[1], window)
  redis.call('PEXPIRE', KEYS[2], window)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, tonumber(oldest[2]) + window - now}
"#;

const ACQUIRE: &str = r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
"#;

const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#;

const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

pub struct RedisKv {
    conn: ConnectionManager,
    prefix: String,
}

fn unavailable(err: redis::RedisError) -> Error {
    Error::KvUnavailable(err.to_string())
}

fn millis(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

impl RedisKv {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let conn = client.get_connection_manager().await.map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn conn(&self) -> ConnectionManager {
        // Cheap: a handle onto one multiplexed connection.
        self.conn.clone()
    }
}

#[async_trait]
impl KeyValue for RedisKv {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.conn().get(self.key(key)).await.map_err(unavailable)
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        cmd.query_async::<()>(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let reply: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(reply.is_some())
    }

    async fn take(&self, key: &str) -> Result<Option<String>> {
        redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let removed: u64 = self.conn().del(self.key(key)).await.map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn window_hit(
        &self,
        key: &str,
        window: Duration,
        limit: u64,
        now_ms: u64,
    ) -> Result<WindowDecision> {
        let (allowed, count, retry_ms): (u64, u64, i64) = Script::new(WINDOW)
            .key(self.key(&format!("win:{key}")))
            .key(self.key(&format!("win-seq:{key}")))
            .arg(now_ms)
            .arg(millis(window))
            .arg(limit)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        let retry_after = Duration::from_millis(retry_ms.max(0) as u64);
        Ok(WindowDecision {
            allowed: allowed == 1,
            count,
            retry_after,
        })
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        let fencing: u64 = Script::new(ACQUIRE)
            .key(self.key(&format!("lease:{name}")))
            .key(self.key(&format!("lease-fencing:{name}")))
            .arg(holder)
            .arg(millis(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok((fencing > 0).then_some(Lease { fencing }))
    }

    async fn renew_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let renewed: u64 = Script::new(RENEW)
            .key(self.key(&format!("lease:{name}")))
            .arg(holder)
            .arg(millis(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(renewed == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        let released: u64 = Script::new(RELEASE)
            .key(self.key(&format!("lease:{name}")))
            .arg(holder)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(released == 1)
    }

    async fn ping(&self) -> Result<()> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn())
            .await
            .map_err(unavailable)
            .map(drop)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
