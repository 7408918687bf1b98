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
    /// `DVORIK_JWT_SECRET`: the admin API's token signing key (≥ 32 characters); `None` derives it
    /// from the server key.
    pub jwt_secret: Option<Secret<String>>,
    /// `DVORIK_API_RATE_PER_IP`: admin API requests per minute from one IP address (0: no limit).
    pub api_rate_per_ip: u32,
    /// `DVORIK_API_RATE_PER_TOKEN`: admin API requests per minute with one access token (0: no limit).
    pub api_rate_per_token: u32,
    /// `DVORIK_API_LOGIN_RATE_PER_IP`: sign-in attempts (token exchange, refresh) per minute from one IP.
    pub api_login_rate_per_ip: u32,
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
        let jwt_secret = get("DVORIK_JWT_SECRET");
        if let Some(secret) = &jwt_secret
            && secret.len() < crate::secret::MIN_KEY_LEN
        {
            return Err(invalid(
                "DVORIK_JWT_SECRET",
                "must have at least 32 characters (256 bits)",
            ));
        }
        Ok(Self {
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
        })
    }

    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
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
}
