//! The migrations apply up, down and up again on both backends: a temporary SQLite file and a fresh
//! MariaDB/MySQL database `test_<random>` (server from `DVORIK_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306`).

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr};

async fn round_trip(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    assert!(db_has_table(db, "users").await?);
    assert!(db_has_table(db, "job_leases").await?);
    Migrator::down(db, None).await?;
    assert!(!db_has_table(db, "users").await?);
    assert!(!db_has_table(db, "discounts").await?);
    assert!(Migrator::get_applied_migrations(db).await?.is_empty());
    Migrator::up(db, None).await?;
    assert_eq!(Migrator::get_pending_migrations(db).await?.len(), 0);
    assert_eq!(
        Migrator::get_applied_migrations(db).await?.len(),
        Migrator::migrations().len()
    );
    Ok(())
}

async fn db_has_table(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    migration::SchemaManager::new(db).has_table(table).await
}

#[tokio::test]
async fn sqlite_up_down_up() -> Result<(), DbErr> {
    let dir = std::env::temp_dir().join(format!("dvorik-mig-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/x.sqlite?mode=rwc", dir.display());
    let db = Database::connect(&url).await?;
    let result = round_trip(&db).await;
    db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[tokio::test]
async fn mysql_up_down_up() -> Result<(), DbErr> {
    let server = std::env::var("DVORIK_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server).await?;
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .await?;
    let result = async {
        let db = Database::connect(format!("{server}/{name}")).await?;
        let result = round_trip(&db).await;
        db.close().await?;
        result
    }
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE `{name}`"))
        .await?;
    admin.close().await?;
    result
}
