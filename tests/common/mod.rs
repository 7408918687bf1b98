//! Test harness shared by the integration tests.
//!
//! Every storage test runs twice, on a fresh SQLite file and on a fresh MariaDB database `test_<uuid>`
//! (dropped afterwards, even when the test fails): write it once with [`storage_test!`]. Every key-value
//! test runs against real Redis (a unique key prefix) and the in-process store: [`kv_test!`].
//! MariaDB and Redis addresses come from `DVORIK_TEST_MYSQL_URL` and `DVORIK_TEST_REDIS_URL`;
//! `make test` makes sure both are up. A test whose backend is unreachable fails; it never skips.

// Each test binary includes this module and uses a different part of it, so unused items are expected
// in some binaries and not others: `expect` would fail where they are used.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod app;
pub mod fixtures;

use chrono::{DateTime, Utc};
use dvorik::kv::{self, Kv};
use dvorik::secret::ServerKey;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MariaDb,
}

/// A migrated database of its own, removed on drop.
pub struct TestDb {
    pub db: DatabaseConnection,
    /// The database's URL, for a process of its own (`dvorik serve` in a test).
    pub url: String,
    pub key: ServerKey,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { server: String, name: String },
}

pub fn mysql_server_url() -> String {
    std::env::var("DVORIK_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

pub fn redis_url() -> String {
    std::env::var("DVORIK_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("dvorik-test-{id}"));
                let url = format!("sqlite://{}?mode=rwc", dir.join("test.sqlite").display());
                (url, Cleanup::File(dir))
            }
            Backend::MariaDb => {
                let server = mysql_server_url();
                let name = format!("test_{id}");
                let admin = Database::connect(&server).await.unwrap_or_else(|e| {
                    panic!("MariaDB at {server} is unreachable ({e}); run `make test`")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (
                    format!("{server}/{name}"),
                    Cleanup::Database { server, name },
                )
            }
        };
        let db = dvorik::db::connect(&url, 16)
            .await
            .expect("connect test database");
        let url_kept = url.clone();
        dvorik::db::migrate(&db)
            .await
            .expect("migrate test database");
        Self {
            db,
            url: url_kept,
            key: ServerKey::random(),
            backend,
            cleanup,
        }
    }

    /// The current time as stored (microseconds).
    pub fn now(&self) -> DateTime<Utc> {
        dvorik::clock::now()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop runs outside async; a short-lived runtime on its own thread drops the database.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&server).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A key-value store for one test: real Redis under a unique prefix, or the in-process one.
pub async fn test_kv(redis: bool) -> Kv {
    if redis {
        let prefix = format!("dvorik-test:{}:", uuid::Uuid::new_v4().simple());
        let url = redis_url();
        kv::connect(Some(&url), &prefix)
            .await
            .unwrap_or_else(|e| panic!("Redis at {url} is unreachable ({e}); run `make test`"))
    } else {
        kv::connect(None, "").await.expect("in-process store")
    }
}

/// Defines a module `$name` with the test `$body` run on SQLite and on MariaDB; `$t` is the [`TestDb`].
#[macro_export]
macro_rules! storage_test {
    ($(#[$meta:meta])* async fn $name:ident($t:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let $t = $crate::common::TestDb::new($crate::common::Backend::Sqlite).await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_mariadb() {
                let $t = $crate::common::TestDb::new($crate::common::Backend::MariaDb).await;
                $body
            }
        }
    };
}

/// Defines a module `$name` with the test `$body` run against Redis and the in-process store; `$kv` is the store.
#[macro_export]
macro_rules! kv_test {
    ($(#[$meta:meta])* async fn $name:ident($kv:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn on_redis() {
                let $kv = $crate::common::test_kv(true).await;
                $body
            }

            #[tokio::test]
            async fn in_process() {
                let $kv = $crate::common::test_kv(false).await;
                $body
            }
        }
    };
}
