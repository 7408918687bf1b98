//! `db::Held`, the read path of the hot API routes: reads through it see every write made on the pool,
//! a connection is reused for the next read (on MariaDB), and parked connections never take the whole
//! pool from the writers.

mod common;

use dvorik::db::Held;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

async fn count_users(db: &impl ConnectionTrait) -> i64 {
    let sql = "SELECT COUNT(*) FROM users";
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn add_user(db: &impl ConnectionTrait, telegram_id: i64, now: chrono::DateTime<chrono::Utc>) {
    let sql = "INSERT INTO users (telegram_id, first_name, language, subscribed, blocked, unreachable, \
               last_activity_at, created_at, updated_at) VALUES (?, 'Анна', 'ru', 0, 0, 0, ?, ?, ?)";
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [telegram_id.into(), now.into(), now.into(), now.into()],
    );
    db.execute_raw(stmt).await.unwrap();
}

storage_test! {
    async fn reads_through_held_connections_see_every_write_made_on_the_pool(t) {
        let held = Held::new(t.db.clone());
        let now = t.now();
        assert_eq!(count_users(&held).await, 0);
        add_user(&t.db, 1, now).await;
        assert_eq!(count_users(&held).await, 1, "a write on the pool is seen at once");
        let txn = t.db.begin().await.unwrap();
        add_user(&txn, 2, now).await;
        txn.commit().await.unwrap();
        assert_eq!(count_users(&held).await, 2, "and so is a committed transaction");
        add_user(&held, 3, now).await;
        assert_eq!(count_users(&t.db).await, 3, "a write through it goes to the pool");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_connection_serves_the_next_read_and_the_pool_keeps_serving_writers() {
    let t = common::TestDb::new(common::Backend::MariaDb).await;
    let held = Held::new(t.db.clone());
    let id = |db: &Held| {
        let db = db.clone();
        async move {
            let stmt = Statement::from_string(DbBackend::MySql, "SELECT CONNECTION_ID()");
            let row = db.query_one_raw(stmt).await.unwrap().unwrap();
            row.try_get_by_index::<u64>(0).unwrap()
        }
    };
    let first = id(&held).await;
    assert_eq!(
        id(&held).await,
        first,
        "the connection of the first read is reused"
    );

    // Reads in parallel park at most half of the pool (16 in the harness); the other half stays with
    // sqlx, so eight transactions can be open at once beside the parked connections.
    let reads: Vec<_> = (0..32).map(|_| tokio::spawn(id(&held))).collect();
    for read in reads {
        read.await.unwrap();
    }
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(t.db.begin().await.unwrap());
    }
    for txn in open {
        txn.commit().await.unwrap();
    }
}
