//! [`Held`]: a [`ConnectionTrait`] for hot read paths that keeps MySQL/MariaDB connections out of sqlx's
//! pool between statements.
//!
//! sqlx pings every connection given back to its pool: `PoolConnection`'s drop spawns a task that sends
//! `COM_PING` and waits for the answer before the connection is idle again. For a request served by one
//! statement that is a second round trip, a second wake-up of a server thread and a spawned task per
//! request (on `GET /users?limit=50` about a tenth of the process's CPU and more of the database's).
//! [`Held`] keeps connections whose last statement completed in a list of its own and runs the next
//! statement on one of them without that ping. sqlx's own checks still apply to every connection now and
//! then: one that sat unused for [`MAX_IDLE`], was taken from sqlx more than [`MAX_HELD`] ago, or whose
//! statement failed or was cancelled goes back through sqlx (which pings it, or closes a broken one).
//! At most half the pool runs statements here at once (callers beyond that queue in arrival order, so a
//! parked connection never lets a late caller pass an early one), the other half stays with sqlx for
//! writes and jobs, and a sweeper gives parked connections back after [`MAX_IDLE`] when no read comes.
//!
//! Only reads outside a transaction take this path; writes and everything on SQLite go to the pool as
//! before, so the results are the same statement for statement.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx;
use sea_orm::sqlx::mysql::MySql;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;

/// A held connection unused for this long goes back through sqlx's checks instead of being reused.
pub const MAX_IDLE: Duration = Duration::from_secs(5);
/// A connection goes back to sqlx this long after it was taken from it, so sqlx's lifetime limits apply.
pub const MAX_HELD: Duration = Duration::from_secs(60);

struct Idle {
    conn: PoolConnection<MySql>,
    taken_at: Instant,
    used_at: Instant,
}

impl Idle {
    fn fresh(&self, now: Instant) -> bool {
        now.duration_since(self.used_at) < MAX_IDLE && now.duration_since(self.taken_at) < MAX_HELD
    }
}

#[derive(Default)]
struct Parked {
    idle: Vec<Idle>,
    /// A sweeper task runs (it stops when nothing is parked).
    sweeping: bool,
}

/// Reads on `db` over connections kept between statements (MySQL); clones share the connections.
#[derive(Clone)]
pub struct Held {
    db: DatabaseConnection,
    parked: Arc<Mutex<Parked>>,
    /// One per statement running here: at most `keep`, handed out first come, first served.
    permits: Arc<tokio::sync::Semaphore>,
    /// At most this many connections are used here; the rest of the pool stays free for everyone else.
    keep: usize,
}

impl Held {
    /// Reads on `db`, keeping at most half of its pool between statements.
    pub fn new(db: DatabaseConnection) -> Self {
        let keep = match db.get_database_backend() {
            DbBackend::MySql => {
                let max = db
                    .get_mysql_connection_pool()
                    .options()
                    .get_max_connections();
                (max as usize / 2).max(1)
            }
            _ => 0,
        };
        Self {
            db,
            parked: Arc::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(keep)),
            keep,
        }
    }

    /// The pool underneath, for writes and transactions.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.db
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Parked> {
        // The list is consistent after any panic (pushes and pops only): keep using it.
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parks a connection whose statement completed, or lets it go back to sqlx when enough wait.
    fn park(&self, conn: PoolConnection<MySql>, taken_at: Instant) {
        let mut parked = self.lock();
        if parked.idle.len() >= self.keep {
            return;
        }
        let used_at = Instant::now();
        parked.idle.push(Idle {
            conn,
            taken_at,
            used_at,
        });
        if !parked.sweeping
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            parked.sweeping = true;
            runtime.spawn(self.clone().sweep());
        }
    }

    /// Every [`MAX_IDLE`], gives the connections that waited that long back to sqlx; stops when none
    /// is left (the next park starts it again).
    async fn sweep(self) {
        loop {
            tokio::time::sleep(MAX_IDLE).await;
            let now = Instant::now();
            let (stale, stop) = {
                let mut parked = self.lock();
                let (fresh, stale): (Vec<Idle>, Vec<Idle>) = std::mem::take(&mut parked.idle)
                    .into_iter()
                    .partition(|entry| entry.fresh(now));
                parked.idle = fresh;
                // Decided under the lock, so a park that comes later starts a new sweeper.
                parked.sweeping = !parked.idle.is_empty();
                (stale, !parked.sweeping)
            };
            // Outside the lock: each goes back to sqlx, which pings it or closes it.
            drop(stale);
            if stop {
                return;
            }
        }
    }

    /// A connection whose last statement completed recently, else one from sqlx's pool.
    async fn take(&self) -> Result<Lease<'_>, DbErr> {
        let pool = self.db.get_mysql_connection_pool();
        let wait = pool.options().get_acquire_timeout();
        let permit = match tokio::time::timeout(wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)),
            Err(_) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
        };
        let now = Instant::now();
        let mut stale = Vec::new();
        let found = {
            let mut parked = self.lock();
            let mut found = None;
            while let Some(entry) = parked.idle.pop() {
                if entry.fresh(now) {
                    found = Some(entry);
                    break;
                }
                stale.push(entry);
            }
            found
        };
        // Dropped outside the lock: each goes back to sqlx, which pings it or closes it.
        drop(stale);
        let (conn, taken_at) = match found {
            Some(entry) => (entry.conn, entry.taken_at),
            None => {
                let conn = pool.acquire().await.map_err(acquire_error)?;
                (conn, now)
            }
        };
        Ok(Lease {
            held: self,
            conn: Some(conn),
            taken_at,
            done: false,
            _permit: permit,
        })
    }

    async fn fetch(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut lease = self.take().await?;
        let values = stmt.values.unwrap_or(Values(Vec::new()));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql), SqlxValues(values));
        let conn = lease.conn.as_mut().expect("a lease holds its connection");
        let rows = query
            .fetch_all(&mut **conn)
            .await
            .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(e.into())))?;
        lease.done = true;
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

/// A failed acquire as sea-orm reports it for its own pool.
fn acquire_error(err: sqlx::Error) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
    }
}

/// A connection taken for one statement. It returns to the list only when the statement completed; a
/// failed or cancelled one (its future dropped mid-way) goes back through sqlx instead.
struct Lease<'a> {
    held: &'a Held,
    conn: Option<PoolConnection<MySql>>,
    taken_at: Instant,
    done: bool,
    /// Released after the connection is parked (fields drop after `drop`).
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.done {
            self.held.park(conn, self.taken_at);
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Held {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.keep == 0 {
            return self.db.query_one_raw(stmt).await;
        }
        // All rows are read so the connection is idle again at once (`.one()` statements say LIMIT 1).
        Ok(self.fetch(stmt).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if self.keep == 0 {
            return self.db.query_all_raw(stmt).await;
        }
        self.fetch(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}
