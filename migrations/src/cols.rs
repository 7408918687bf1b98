//! Shared column, key and index helpers, so every table spells its types the same way.
//!
//! Portable across SQLite and MariaDB/MySQL: ids are BIGINT, times are `DATETIME(6)` holding UTC,
//! money is BIGINT minor units, JSON is TEXT. Indexes and keys are always named explicitly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// `id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY` (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite).
pub fn pk() -> ColumnDef {
    let mut c = ColumnDef::new("id");
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

/// A natural `VARCHAR(len)` primary key (settings, job leases).
pub fn key(name: &'static str, len: u32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(len).not_null().primary_key();
    c
}

/// NOT NULL `DATETIME(6)` holding UTC (MariaDB `timestamp` loses fractions and ends in 2038).
pub fn ts(name: &'static str) -> ColumnDef {
    let mut c = ts_null(name);
    c.not_null();
    c
}

/// Nullable `DATETIME(6)` holding UTC.
pub fn ts_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.custom(Alias::new("DATETIME(6)")).null();
    c
}

pub fn big(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.big_integer().not_null();
    c
}

pub fn big_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.big_integer().null();
    c
}

pub fn big_default(name: &'static str, value: i64) -> ColumnDef {
    let mut c = big(name);
    c.default(value);
    c
}

pub fn int(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.integer().not_null();
    c
}

pub fn int_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.integer().null();
    c
}

pub fn int_default(name: &'static str, value: i32) -> ColumnDef {
    let mut c = int(name);
    c.default(value);
    c
}

pub fn small_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.small_integer().null();
    c
}

/// NOT NULL `VARCHAR(len)`; also used for enum-like states.
pub fn string(name: &'static str, len: u32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(len).not_null();
    c
}

pub fn string_null(name: &'static str, len: u32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(len).null();
    c
}

/// NOT NULL TEXT (also JSON documents: portable, the core (de)serializes).
pub fn text(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.text().not_null();
    c
}

pub fn text_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.text().null();
    c
}

/// NOT NULL boolean with a default.
pub fn flag(name: &'static str, default: bool) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.boolean().not_null().default(default);
    c
}

struct Idx {
    name: &'static str,
    unique: bool,
    cols: &'static [&'static str],
}

struct Fk {
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
}

/// A table to create: columns, foreign keys (`fk_<table>_<col>` → `<to>.id`) and named indexes.
///
/// On MySQL the indexes go inside `CREATE TABLE` (so InnoDB reuses them for foreign keys instead
/// of adding implicit ones) and the table is InnoDB, utf8mb4 (`utf8mb4_unicode_ci`). Elsewhere they
/// are separate `CREATE INDEX` statements (SQLite keeps the name only of an index made that way).
pub struct NewTable {
    name: &'static str,
    cols: Vec<ColumnDef>,
    fks: Vec<Fk>,
    idx: Vec<Idx>,
}

impl NewTable {
    pub fn new(name: &'static str, cols: impl IntoIterator<Item = ColumnDef>) -> Self {
        Self {
            name,
            cols: cols.into_iter().collect(),
            fks: Vec::new(),
            idx: Vec::new(),
        }
    }

    /// Foreign key `col` → `to.id` with the given ON DELETE action.
    pub fn fk(mut self, col: &'static str, to: &'static str, on_delete: ForeignKeyAction) -> Self {
        self.fks.push(Fk { col, to, on_delete });
        self
    }

    /// Unique key (`ux_…`).
    pub fn ux(mut self, name: &'static str, cols: &'static [&'static str]) -> Self {
        self.idx.push(Idx {
            name,
            unique: true,
            cols,
        });
        self
    }

    /// Plain index (`ix_…`).
    pub fn ix(mut self, name: &'static str, cols: &'static [&'static str]) -> Self {
        self.idx.push(Idx {
            name,
            unique: false,
            cols,
        });
        self
    }

    pub async fn create(self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let mysql = manager.get_database_backend() == DbBackend::MySql;
        let mut table = Table::create();
        table.table(self.name);
        for col in self.cols {
            table.col(col);
        }
        for fk in &self.fks {
            table.foreign_key(
                ForeignKey::create()
                    .name(format!("fk_{}_{}", self.name, fk.col))
                    .from(self.name, fk.col)
                    .to(fk.to, "id")
                    .on_delete(fk.on_delete),
            );
        }
        let mut indexes: Vec<IndexCreateStatement> = self
            .idx
            .iter()
            .map(|i| {
                let mut index = Index::create();
                index.name(i.name).table(self.name);
                for col in i.cols {
                    index.col(*col);
                }
                if i.unique {
                    index.unique();
                }
                index
            })
            .collect();
        if mysql {
            table
                .engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_unicode_ci");
            for index in &mut indexes {
                table.index(index);
            }
            return manager.create_table(table).await;
        }
        manager.create_table(table).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }
}

/// Drops the tables in the order given (children first).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}
