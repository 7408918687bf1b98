//! Database schema of dvorik as sea-orm migrations. Applied migrations are never edited: change the
//! schema with a new migration. Every migration runs on SQLite and on MariaDB 10.11 / MySQL 8.

pub use sea_orm_migration::prelude::*;

mod cols;
mod m20261121_000001_people;
mod m20261121_000002_discounts;
mod m20261121_000003_broadcasts;
mod m20261121_000004_deals;
mod m20261121_000005_auth_ops;
mod m20261122_000101_discount_tasks;
mod m20261122_000102_kpi_indexes;
mod m20261122_000201_lean_redemption;
mod m20261201_000301_code_request_slots;
mod m20261201_000302_broadcast_engine;
mod m20261202_000401_kpi_days;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_people::Migration),
            Box::new(m20261121_000002_discounts::Migration),
            Box::new(m20261121_000003_broadcasts::Migration),
            Box::new(m20261121_000004_deals::Migration),
            Box::new(m20261121_000005_auth_ops::Migration),
            Box::new(m20261122_000101_discount_tasks::Migration),
            Box::new(m20261122_000102_kpi_indexes::Migration),
            Box::new(m20261122_000201_lean_redemption::Migration),
            Box::new(m20261201_000301_code_request_slots::Migration),
            Box::new(m20261201_000302_broadcast_engine::Migration),
            Box::new(m20261202_000401_kpi_days::Migration),
        ]
    }
}
