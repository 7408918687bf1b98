//! [`Core`]: the handles every adapter needs, built once in `main` from the [`Config`] and passed down.

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::kv::{self, Kv};
use crate::secret::ServerKey;

#[derive(Clone)]
pub struct Core {
    pub db: DatabaseConnection,
    pub kv: Kv,
    pub key: ServerKey,
    pub timezone: chrono_tz::Tz,
}

impl Core {
    /// Connects the database (applying pending migrations), the key-value store and loads the server key.
    pub async fn start(config: &Config) -> Result<Self> {
        let key = match &config.secret_key {
            Some(material) => {
                ServerKey::from_material(material.expose().as_bytes()).map_err(Error::Internal)?
            }
            None => ServerKey::load_or_create(&config.data_dir)
                .map_err(|e| Error::Internal(format!("cannot read or create the key file: {e}")))?,
        };
        let db =
            crate::db::connect(config.database_url.expose(), config.db_max_connections).await?;
        crate::db::migrate(&db).await?;
        let kv = kv::connect(
            config.redis_url.as_ref().map(|u| u.expose().as_str()),
            &config.redis_prefix,
        )
        .await?;
        Ok(Self {
            db,
            kv,
            key,
            timezone: config.timezone,
        })
    }
}
