//! Connecting to the database and applying migrations. SQLite is the embedded default (one file, no
//! server); MySQL 8 or MariaDB serve production. The same migrations and the same queries run on both.

mod held;

pub use held::Held;

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::error::Result;

/// Opens a pool on `url`. For SQLite it creates the file's folder and uses one connection: SQLite has
/// one writer at a time, and a deferred transaction that reads and then writes fails at once with
/// `SQLITE_BUSY` when another connection wrote meanwhile; one connection serializes instead.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let is_sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(if is_sqlite { 1 } else { max_connections })
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings a connection on every acquire by default: a round trip before every statement run
        // outside a transaction. Ping only connections that sat idle, and recycle them well before a
        // server's wait_timeout would close them.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
        // Statements carry hashed codes as parameters; sqlx's statement log stays off.
        .sqlx_logging(false);
    let db = match Database::connect(options.clone()).await {
        Err(e) if is_unknown_database(&e) => {
            create_mysql_database(url).await?;
            Database::connect(options).await?
        }
        other => other?,
    };
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// MySQL's "Unknown database" (error 1049).
fn is_unknown_database(err: &sea_orm::DbErr) -> bool {
    err.to_string().contains("1049")
}

/// Creates the database named in a `mysql://…/name` URL, so a first start needs no manual step (the
/// configured user must have the right; otherwise the original error stands).
async fn create_mysql_database(url: &str) -> Result<()> {
    let (server, name) = split_mysql_url(url)
        .ok_or_else(|| crate::Error::Internal("DATABASE_URL names no database".into()))?;
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(crate::Error::Internal(
            "the database name may hold only letters, digits and _".into(),
        ));
    }
    let admin = Database::connect(server).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        .await?;
    admin.close().await?;
    tracing::info!(database = name, "created the database");
    Ok(())
}

/// `mysql://u:p@h:3306/name?x=y` → (`mysql://u:p@h:3306?x=y`, `name`).
fn split_mysql_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("mysql://")?;
    let (authority, path) = rest.split_once('/')?;
    let (name, query) = match path.split_once('?') {
        Some((name, query)) => (name, format!("?{query}")),
        None => (path, String::new()),
    };
    (!name.is_empty()).then(|| (format!("mysql://{authority}{query}"), name.to_string()))
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Names of applied migrations, oldest first.
pub async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>> {
    let applied = Migrator::get_applied_migrations(db).await?;
    Ok(applied.iter().map(|m| m.name().to_string()).collect())
}

/// `"sqlite"` or `"mysql"`, for logs (never the URL, which may hold a password).
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::MySql => "mysql",
        _ => "other",
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (path != ":memory:" && !path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::{split_mysql_url, sqlite_path};

    #[test]
    fn the_database_name_is_split_from_a_mysql_url() {
        let split = split_mysql_url;
        assert_eq!(
            split("mysql://root@127.0.0.1:3306/dvorik"),
            Some(("mysql://root@127.0.0.1:3306".into(), "dvorik".into()))
        );
        assert_eq!(
            split("mysql://u:p@h/db?ssl-mode=disabled"),
            Some(("mysql://u:p@h?ssl-mode=disabled".into(), "db".into()))
        );
        assert_eq!(split("mysql://root@h:3306/"), None);
        assert_eq!(split("mysql://root@h:3306"), None);
    }

    #[test]
    fn the_sqlite_file_path_is_found_in_the_url() {
        assert_eq!(
            sqlite_path("sqlite://data/dvorik.sqlite?mode=rwc"),
            Some("data/dvorik.sqlite")
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("mysql://root@localhost/x"), None);
    }
}
