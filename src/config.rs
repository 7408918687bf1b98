//! Typed settings of one deployment, read once from the environment (and `.env` if present) in `main`
//! and passed down. Settings that an owner changes at run time live in the database instead
//! ([`crate::services::settings`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono_tz::Tz;

use crate::secret::Secret;

/// Everything `dvorik` needs to start. Secrets are [`Secret`]s: printing a `Config` shows `***`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (the embedded default) or `mysql://…`.
    pub database_url: Secret<String>,
    /// `DVORIK_DB_MAX_CONNECTIONS`: the pool's size.
    pub db_max_connections: u32,
    /// `REDIS_URL`: shared fast state; `None` serves it in process (one instance only).
    pub redis_url: Option<Secret<String>>,
    /// `DVORIK_REDIS_PREFIX`: prefix of every key this deployment writes to Redis.
    pub redis_prefix: String,
    /// `DVORIK_HTTP_ADDR`: where the HTTP server listens.
    pub http_addr: SocketAddr,
    /// `DVORIK_DATA_DIR`: the SQLite file, the generated key, documents.
    pub data_dir: PathBuf,
    /// `DVORIK_SECRET_KEY`: the server key; `None` means "generate once into the data folder".
    pub secret_key: Option<Secret<String>>,
    /// `DVORIK_TIMEZONE`: the shop's time zone (birthdays, schedules, daily stats).
    pub timezone: Tz,
    /// `DVORIK_OWNER_TELEGRAM_ID`: the first owner, created at start when missing.
    pub owner_telegram_id: Option<i64>,
    /// `DVORIK_LOG`: the tracing filter.
    pub log: String,
    /// Telegram bots: API address, tokens, webhook mode, throttling.
    pub telegram: TelegramConfig,
    /// `DVORIK_BOTS`: whether `serve` runs the bots (`on` by default).
    pub bots_enabled: bool,
    /// `DVORIK_JWT_SECRET`: the admin API's token signing key (≥ 32 characters); `None` derives it
    /// from the server key.
    pub jwt_secret: Option<Secret<String>>,
    /// `DVORIK_API_RATE_PER_IP`: admin API requests per minute from one IP address (0: no limit).
    pub api_rate_per_ip: u32,
    /// `DVORIK_API_RATE_PER_TOKEN`: admin API requests per minute with one access token (0: no limit).
    pub api_rate_per_token: u32,
    /// `DVORIK_API_LOGIN_RATE_PER_IP`: sign-in attempts (token exchange, refresh) per minute from one IP.
    pub api_login_rate_per_ip: u32,
    /// `DVORIK_API_LIST_CACHE_MS`: how long a rendered page of the admin user list is served again
    /// (changes made through the API show at once, others within this; 0: not kept).
    pub api_list_cache_ms: u64,
    /// `DVORIK_SMS_URL` (+ `DVORIK_SMS_AUTHORIZATION`, `DVORIK_SMS_BODY_TEMPLATE`): the HTTP SMS gateway
    /// that delivers signing codes; `None` delivers them in the client chat.
    pub sms_gateway: Option<crate::services::sms::SmsGatewayConfig>,
    /// `DVORIK_JOBS`: `off` (or `false`, `0`) keeps this instance from running the scheduled jobs.
    pub jobs: bool,
    /// The broadcast delivery engine (`DVORIK_BROADCAST*`).
    pub broadcasts: BroadcastConfig,
}

/// How this instance sends broadcasts.
#[derive(Debug, Clone)]
pub struct BroadcastConfig {
    /// `DVORIK_BROADCASTS`: `off` keeps this instance from sending broadcasts (others still do).
    pub enabled: bool,
    /// `DVORIK_BROADCAST_RATE_PER_MINUTE`: the pace of a broadcast without its own rate, across every
    /// instance (1–1800; 25 by default, the owner's rule).
    pub rate_per_minute: u32,
    /// `DVORIK_BROADCAST_WORKERS`: messages this instance has in flight at once (1–64, default 1, which
    /// keeps up with 30 per second). A crash can send at most this many twice.
    pub workers: usize,
    /// `DVORIK_BROADCAST_CLAIM_TTL_SECS`: how long a claimed delivery stays an instance's before others
    /// may take it back after a crash (5–3600, default 30).
    pub claim_ttl_secs: u64,
}

/// How the bots reach Telegram.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// `TELEGRAM_API_URL`: the Bot API server (the real one by default, or a simulator).
    pub api_url: String,
    /// `DVORIK_CLIENT_BOT_TOKEN`: the customers' bot. With neither token set, `serve` runs both bots
    /// against the built-in simulator.
    pub client_token: Option<Secret<String>>,
    /// `DVORIK_STAFF_BOT_TOKEN`: the cashiers' and admins' bot.
    pub staff_token: Option<Secret<String>>,
    /// `DVORIK_WEBHOOK_URL`: public HTTPS base; set, the bots take updates by webhook at
    /// `<base>/telegram/<bot>` on the HTTP server instead of long polling.
    pub webhook_url: Option<String>,
    /// `DVORIK_WEBHOOK_SECRET`: 1–256 of `A-Z a-z 0-9 _ -`, checked in every webhook request's
    /// `X-Telegram-Bot-Api-Secret-Token` header (required with `DVORIK_WEBHOOK_URL`).
    pub webhook_secret: Option<Secret<String>>,
    /// `DVORIK_BOT_THROTTLE`: `on` (default) keeps Telegram's per-chat message limits on the bots'
    /// replies, client side (the bots' `run::transactional_limits`); `off` sends at once (local
    /// simulator).
    pub throttle: bool,
    /// `DVORIK_SIM_ADDR`: where the built-in simulator listens when no tokens are set.
    pub sim_addr: SocketAddr,
}

impl TelegramConfig {
    /// Whether no token is set, so the bots run against the built-in simulator.
    pub fn uses_simulator(&self) -> bool {
        self.client_token.is_none() && self.staff_token.is_none()
    }
}

/// Whether `secret` is a valid webhook secret token: 1–256 characters of `A-Z a-z 0-9 _ -`.
pub fn is_valid_webhook_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment, after loading `.env` from the working directory if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a variable name → its value), so tests need no process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let data_dir = PathBuf::from(get("DVORIK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let default_db = format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("dvorik.sqlite").display()
        );
        let database_url = get("DATABASE_URL").unwrap_or(default_db);
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("mysql://")) {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite: or mysql://",
            ));
        }
        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(invalid(
                "REDIS_URL",
                "must start with redis:// or rediss://",
            ));
        }
        let secret_key = get("DVORIK_SECRET_KEY");
        if let Some(key) = &secret_key
            && key.len() < crate::secret::MIN_KEY_LEN
        {
            return Err(invalid(
                "DVORIK_SECRET_KEY",
                "must have at least 32 characters",
            ));
        }
        let telegram = telegram_from(&get)?;
        let jwt_secret = get("DVORIK_JWT_SECRET");
        if let Some(secret) = &jwt_secret
            && secret.len() < crate::secret::MIN_KEY_LEN
        {
            return Err(invalid(
                "DVORIK_JWT_SECRET",
                "must have at least 32 characters (256 bits)",
            ));
        }
        let sms_gateway = match get("DVORIK_SMS_URL") {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err(invalid(
                    "DVORIK_SMS_URL",
                    "must be an http:// or https:// URL",
                ));
            }
            Some(url) => Some(crate::services::sms::SmsGatewayConfig {
                url,
                auth_header: get("DVORIK_SMS_AUTHORIZATION").map(Secret::new),
                body_template: get("DVORIK_SMS_BODY_TEMPLATE")
                    .unwrap_or_else(|| crate::services::sms::DEFAULT_BODY_TEMPLATE.into()),
            }),
            None => None,
        };
        Ok(Self {
            telegram,
            bots_enabled: switch(&get, "DVORIK_BOTS", true)?,
            database_url: Secret::new(database_url),
            db_max_connections: parse(&get, "DVORIK_DB_MAX_CONNECTIONS", 10)?,
            redis_url: redis_url.map(Secret::new),
            redis_prefix: get("DVORIK_REDIS_PREFIX").unwrap_or_else(|| "dvorik:".into()),
            http_addr: parse(
                &get,
                "DVORIK_HTTP_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            data_dir,
            secret_key: secret_key.map(Secret::new),
            timezone: parse(&get, "DVORIK_TIMEZONE", chrono_tz::Asia::Vladivostok)?,
            owner_telegram_id: get("DVORIK_OWNER_TELEGRAM_ID")
                .map(|v| {
                    v.parse().map_err(|_| {
                        invalid("DVORIK_OWNER_TELEGRAM_ID", "must be a Telegram user id")
                    })
                })
                .transpose()?,
            log: get("DVORIK_LOG").unwrap_or_else(|| "info".into()),
            jwt_secret: jwt_secret.map(Secret::new),
            api_rate_per_ip: parse(&get, "DVORIK_API_RATE_PER_IP", 600)?,
            api_rate_per_token: parse(&get, "DVORIK_API_RATE_PER_TOKEN", 300)?,
            api_login_rate_per_ip: parse(&get, "DVORIK_API_LOGIN_RATE_PER_IP", 10)?,
            api_list_cache_ms: parse(&get, "DVORIK_API_LIST_CACHE_MS", 1000)?,
            sms_gateway,
            jobs: !matches!(
                get("DVORIK_JOBS")
                    .map(|v| v.to_ascii_lowercase())
                    .as_deref(),
                Some("off" | "false" | "0")
            ),
            broadcasts: broadcasts_from(&get)?,
        })
    }

    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

fn telegram_from(get: &impl Fn(&str) -> Option<String>) -> Result<TelegramConfig, ConfigError> {
    let api_url = get("TELEGRAM_API_URL")
        .unwrap_or_else(|| "https://api.telegram.org".into())
        .trim_end_matches('/')
        .to_string();
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(invalid(
            "TELEGRAM_API_URL",
            "must start with https:// or http://",
        ));
    }
    let client_token = get("DVORIK_CLIENT_BOT_TOKEN");
    let staff_token = get("DVORIK_STAFF_BOT_TOKEN");
    match (&client_token, &staff_token) {
        (Some(_), None) => {
            return Err(invalid(
                "DVORIK_STAFF_BOT_TOKEN",
                "set both bot tokens, or neither to use the built-in simulator",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "DVORIK_CLIENT_BOT_TOKEN",
                "set both bot tokens, or neither to use the built-in simulator",
            ));
        }
        _ => {}
    }
    let webhook_url = get("DVORIK_WEBHOOK_URL").map(|u| u.trim_end_matches('/').to_string());
    if let Some(url) = &webhook_url
        && !url.starts_with("https://")
        && !url.starts_with("http://")
    {
        return Err(invalid("DVORIK_WEBHOOK_URL", "must start with https://"));
    }
    let webhook_secret = get("DVORIK_WEBHOOK_SECRET");
    if let Some(secret) = &webhook_secret
        && !is_valid_webhook_secret(secret)
    {
        return Err(invalid(
            "DVORIK_WEBHOOK_SECRET",
            "must be 1-256 characters of A-Z a-z 0-9 _ -",
        ));
    }
    if webhook_url.is_some() && webhook_secret.is_none() {
        return Err(invalid(
            "DVORIK_WEBHOOK_SECRET",
            "is required with DVORIK_WEBHOOK_URL",
        ));
    }
    Ok(TelegramConfig {
        api_url,
        client_token: client_token.map(Secret::new),
        staff_token: staff_token.map(Secret::new),
        webhook_url,
        webhook_secret: webhook_secret.map(Secret::new),
        throttle: switch(get, "DVORIK_BOT_THROTTLE", true)?,
        sim_addr: parse(
            get,
            "DVORIK_SIM_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8081)),
        )?,
    })
}

/// An `on`/`off` switch (also `true`/`false`, `1`/`0`).
fn switch(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        Some(_) => Err(invalid(var, "must be on or off")),
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| invalid(var, &format!("cannot parse {text:?}"))),
    }
}

fn invalid(var: &'static str, reason: &str) -> ConfigError {
    ConfigError {
        var,
        reason: reason.to_string(),
    }
}

fn broadcasts_from(get: &impl Fn(&str) -> Option<String>) -> Result<BroadcastConfig, ConfigError> {
    let rate_per_minute: u32 = parse(get, "DVORIK_BROADCAST_RATE_PER_MINUTE", 25)?;
    if !(1..=crate::broadcast::pacer::MAX_PER_MINUTE).contains(&rate_per_minute) {
        return Err(invalid(
            "DVORIK_BROADCAST_RATE_PER_MINUTE",
            "must be 1 to 1800 (Telegram allows about 30 per second)",
        ));
    }
    let workers: usize = parse(get, "DVORIK_BROADCAST_WORKERS", 1)?;
    if !(1..=64).contains(&workers) {
        return Err(invalid("DVORIK_BROADCAST_WORKERS", "must be 1 to 64"));
    }
    let claim_ttl_secs: u64 = parse(get, "DVORIK_BROADCAST_CLAIM_TTL_SECS", 30)?;
    if !(5..=3600).contains(&claim_ttl_secs) {
        return Err(invalid(
            "DVORIK_BROADCAST_CLAIM_TTL_SECS",
            "must be 5 to 3600",
        ));
    }
    Ok(BroadcastConfig {
        enabled: switch(get, "DVORIK_BROADCASTS", true)?,
        rate_per_minute,
        workers,
        claim_ttl_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn no_configuration_means_the_embedded_default() {
        let c = config(&[]).unwrap();
        assert!(c.is_sqlite());
        assert_eq!(
            c.database_url.expose(),
            "sqlite://./data/dvorik.sqlite?mode=rwc"
        );
        assert!(c.redis_url.is_none());
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.timezone, chrono_tz::Asia::Vladivostok);
        assert_eq!(c.redis_prefix, "dvorik:");
        assert_eq!(c.telegram.api_url, "https://api.telegram.org");
        assert!(c.telegram.uses_simulator());
        assert!(c.bots_enabled && c.telegram.throttle);
        assert!(c.telegram.webhook_url.is_none());
        assert!(c.jwt_secret.is_none(), "derived from the server key");
        assert_eq!(
            (
                c.api_rate_per_ip,
                c.api_rate_per_token,
                c.api_login_rate_per_ip
            ),
            (600, 300, 10)
        );
    }

    #[test]
    fn jobs_run_unless_switched_off() {
        assert!(config(&[]).unwrap().jobs);
        assert!(config(&[("DVORIK_JOBS", "on")]).unwrap().jobs);
        for off in ["off", "OFF", "false", "0"] {
            assert!(!config(&[("DVORIK_JOBS", off)]).unwrap().jobs, "{off}");
        }
    }

    #[test]
    fn bot_tokens_and_webhook_settings_are_read_and_checked() {
        let c = config(&[
            ("DVORIK_CLIENT_BOT_TOKEN", "1:client-secret"),
            ("DVORIK_STAFF_BOT_TOKEN", "2:staff-secret"),
            ("DVORIK_WEBHOOK_URL", "https://shop.example/"),
            ("DVORIK_WEBHOOK_SECRET", "abc_DEF-123"),
            ("DVORIK_BOTS", "off"),
            ("TELEGRAM_API_URL", "http://127.0.0.1:8081/"),
        ])
        .unwrap();
        assert!(!c.telegram.uses_simulator());
        assert!(!c.bots_enabled);
        assert_eq!(c.telegram.api_url, "http://127.0.0.1:8081");
        assert_eq!(
            c.telegram.webhook_url.as_deref(),
            Some("https://shop.example")
        );
        let printed = format!("{c:?}");
        for secret in ["client-secret", "staff-secret", "abc_DEF"] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        for (vars, var) in [
            (
                vec![("DVORIK_CLIENT_BOT_TOKEN", "1:x")],
                "DVORIK_STAFF_BOT_TOKEN",
            ),
            (
                vec![("DVORIK_WEBHOOK_URL", "https://x")],
                "DVORIK_WEBHOOK_SECRET",
            ),
            (
                vec![("DVORIK_WEBHOOK_SECRET", "has space")],
                "DVORIK_WEBHOOK_SECRET",
            ),
            (vec![("DVORIK_BOTS", "maybe")], "DVORIK_BOTS"),
        ] {
            assert_eq!(config(&vars).unwrap_err().var, var);
        }
        assert!(is_valid_webhook_secret(&"a".repeat(256)));
        assert!(!is_valid_webhook_secret(&"a".repeat(257)));
        assert!(!is_valid_webhook_secret(""));
    }

    #[test]
    fn production_settings_are_read_and_secrets_do_not_print() {
        let c = config(&[
            ("DATABASE_URL", "mysql://u:pa55word@db/dvorik"),
            ("REDIS_URL", "redis://:redispass@r:6379"),
            ("DVORIK_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("DVORIK_HTTP_ADDR", "0.0.0.0:9000"),
            ("DVORIK_OWNER_TELEGRAM_ID", "42"),
            ("DVORIK_TIMEZONE", "Europe/Moscow"),
            ("DVORIK_JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-0"),
        ])
        .unwrap();
        assert!(!c.is_sqlite());
        assert_eq!(c.owner_telegram_id, Some(42));
        assert_eq!(c.timezone, chrono_tz::Europe::Moscow);
        let printed = format!("{c:?}");
        assert!(c.jwt_secret.is_some());
        for secret in ["pa55word", "redispass", "0123456789abcdef", "jwt-secret"] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (var, value) in [
            ("DATABASE_URL", "postgres://x"),
            ("REDIS_URL", "http://x"),
            ("DVORIK_SECRET_KEY", "short"),
            ("DVORIK_HTTP_ADDR", "nowhere"),
            ("DVORIK_TIMEZONE", "Mars/Olympus"),
            ("DVORIK_OWNER_TELEGRAM_ID", "alice"),
            ("DVORIK_DB_MAX_CONNECTIONS", "-1"),
            ("DVORIK_JWT_SECRET", "too-short"),
            ("DVORIK_API_RATE_PER_IP", "many"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var);
        }
    }

    #[test]
    fn the_sms_gateway_is_configured_by_its_url() {
        assert!(config(&[]).unwrap().sms_gateway.is_none());
        let sms = config(&[
            ("DVORIK_SMS_URL", "https://sms.example/send"),
            ("DVORIK_SMS_AUTHORIZATION", "Bearer x"),
        ])
        .unwrap()
        .sms_gateway
        .unwrap();
        assert_eq!(sms.url, "https://sms.example/send");
        assert_eq!(sms.auth_header.unwrap().expose(), "Bearer x");
        assert!(sms.body_template.contains("{text}"));
        let err = config(&[("DVORIK_SMS_URL", "ftp://x")]).unwrap_err();
        assert_eq!(err.var, "DVORIK_SMS_URL");
    }
}
