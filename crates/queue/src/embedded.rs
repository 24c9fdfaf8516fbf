//! The embedded backend: a durable queue in the SQLite database file the rest of Leakwall
//! uses (`sqlite://leakwall.db`), in tables of its own (`queue_messages`,
//! `queue_dead_letters`, migrations recorded in `queue_migrations`).
//!
//! Each [`EmbeddedQueue`] works through one connection behind an async mutex (WAL,
//! `busy_timeout` 5 s): SQLite takes one writer at a time anyway, and queueing writers on a
//! mutex is much faster than letting them meet SQLite's busy handler, which sleeps for
//! milliseconds, or going through a pool. Other processes and other queue objects on the same
//! file still wait for each other through the busy timeout.
//!
//! Every operation is one statement, so one trip to SQLite's thread and one transaction: a
//! lease is `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …` (an autocommit write
//! statement takes the write lock when it starts, as `BEGIN IMMEDIATE` would), a batch send
//! and a batch delete pass their bodies or receipts as one JSON array (`json_each`). A long
//! poll wakes at once on a send in this process and otherwise polls with a backoff of 10 ms
//! growing to 200 ms.
//!
//! Design decision, durability: the connection runs with `synchronous = NORMAL`, under which
//! a commit in WAL mode is safe from a crash of the process but not of the machine: a power
//! loss or kernel crash may roll back the last transactions. That is fine for everything a
//! worker does (a lease lost that way leaves the message visible, a lost delete or release
//! only delivers it again, which at-least-once allows), and it spares a disk flush per lease
//! and per acknowledgement. What a producer hands over must not be lost once `send` has
//! answered, so `send`, `send_batch` and `requeue` switch the connection to
//! `synchronous = FULL` for their commit: the WAL is flushed to the disk before they return
//! (one `fsync` per call, so batches are cheaper per message).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, Sqlite, Transaction};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, Notify};

pub use crate::sql::Clock;
use crate::sql::{self, backend};
use crate::{DeadLetter, Error, Message, Stats};

/// Migrations, in order; each runs once per database, recorded in `queue_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];

const LEASE: &str = "UPDATE queue_messages \
    SET visible_at = ?1, receipt = id || ':' || ?2, receive_count = receive_count + 1 \
    WHERE id IN (SELECT id FROM queue_messages WHERE queue = ?3 AND visible_at <= ?4 \
                 ORDER BY visible_at LIMIT ?5) \
    RETURNING id, receipt, body, receive_count, sent_at";

const INSERT: &str = "INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
    VALUES (?1, ?2, ?3, ?4) RETURNING id";

/// The bodies come as one JSON array; `ORDER BY key` inserts them in order. (SQLite's JSON
/// functions end a string at an escaped NUL, so bodies holding one go row by row.)
const INSERT_MANY: &str = "INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
    SELECT ?1, value, ?2, ?2 FROM json_each(?3) ORDER BY key RETURNING id";

/// A receipt (`<id>:<token>`) names its row, so matching both lists is matching pairs.
/// `+queue` keeps SQLite from walking the queue's index instead of the primary key.
const DELETE_MANY: &str = "DELETE FROM queue_messages \
    WHERE id IN (SELECT value FROM json_each(?1)) AND +queue = ?2 \
    AND receipt IN (SELECT value FROM json_each(?3))";

const STATS: &str = "SELECT \
    COUNT(*) FILTER (WHERE visible_at <= ?2), \
    COUNT(*) FILTER (WHERE visible_at > ?2 AND receipt IS NOT NULL), \
    COUNT(*) FILTER (WHERE visible_at > ?2 AND receipt IS NULL), \
    MIN(sent_at) FILTER (WHERE visible_at <= ?2), \
    (SELECT COUNT(*) FROM queue_dead_letters WHERE queue = ?1) \
    FROM queue_messages WHERE queue = ?1";

/// A durable queue in a SQLite database file (see the [module docs](self)).
#[derive(Debug)]
pub struct EmbeddedQueue {
    /// The connection; `None` once closed.
    conn: Mutex<Option<SqliteConnection>>,
    queue: String,
    clock: Clock,
    wake: Arc<Notify>,
}

impl EmbeddedQueue {
    /// Opens queue `queue_name` in the database at `url` (`sqlite://path`, created if
    /// missing), applying the queue's migrations.
    pub async fn open(url: &str, queue_name: &str) -> Result<EmbeddedQueue, Error> {
        EmbeddedQueue::open_with_clock(url, queue_name, Clock::system()).await
    }

    /// Like [`open`](EmbeddedQueue::open), reading the time from `clock` (tests advance it by
    /// hand to expire leases without sleeping).
    pub async fn open_with_clock(
        url: &str,
        queue_name: &str,
        clock: Clock,
    ) -> Result<EmbeddedQueue, Error> {
        sql::check_name(queue_name)?;
        let mut conn = connect(url).await?;
        migrate(&mut conn).await?;
        Ok(EmbeddedQueue {
            conn: Mutex::new(Some(conn)),
            queue: queue_name.to_string(),
            clock,
            wake: sql::wake_up(url, queue_name),
        })
    }

    /// The bodies of the messages visible now, without leasing them (for inspection and
    /// tests), at most `limit`.
    pub async fn visible_bodies(&self, limit: usize) -> Result<Vec<String>, Error> {
        let mut conn = self.conn("peek").await?;
        sqlx::query_scalar(
            "SELECT body FROM queue_messages WHERE queue = ?1 AND visible_at <= ?2 \
             ORDER BY visible_at, id LIMIT ?3",
        )
        .bind(&self.queue)
        .bind(self.clock.now())
        .bind(sql::limit(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(backend("peek"))
    }

    /// Closes the database connection; later calls fail.
    pub async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the embedded queue's connection");
            }
        }
    }

    /// The connection, waiting for its turn.
    async fn conn(
        &self,
        operation: &'static str,
    ) -> Result<MappedMutexGuard<'_, SqliteConnection>, Error> {
        MutexGuard::try_map(self.conn.lock().await, Option::as_mut)
            .map_err(|_| Error::Backend(format!("{operation}: the queue is closed")))
    }

    async fn send_one(&self, body: String, delay: Duration) -> Result<String, Error> {
        let mut conn = self.conn("send").await?;
        let now = self.clock.now();
        synchronous(&mut conn, Durability::Full, "send").await?;
        let sent = sqlx::query_scalar::<_, i64>(INSERT)
            .bind(&self.queue)
            .bind(body)
            .bind(now)
            .bind(now.saturating_add(sql::millis(delay)))
            .fetch_one(&mut *conn)
            .await;
        synchronous(&mut conn, Durability::Normal, "send").await?;
        drop(conn);
        let id = sent.map_err(backend("send"))?;
        if delay.is_zero() {
            self.wake.notify_one();
        }
        Ok(id.to_string())
    }

    /// One statement for the whole batch; ids follow the order of the bodies.
    async fn send_many(&self, bodies: Vec<String>) -> Result<Vec<String>, Error> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn("send_batch").await?;
        let now = self.clock.now();
        synchronous(&mut conn, Durability::Full, "send_batch").await?;
        let sent = if bodies.iter().any(|body| body.contains('\0')) {
            self.insert_each(&mut conn, bodies, now).await
        } else {
            let bodies = sql::json_array(&bodies, "send_batch")?;
            sqlx::query_scalar::<_, i64>(INSERT_MANY)
                .bind(&self.queue)
                .bind(now)
                .bind(bodies)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend("send_batch"))
        };
        synchronous(&mut conn, Durability::Normal, "send_batch").await?;
        drop(conn);
        let mut ids = sent?;
        ids.sort_unstable();
        self.wake.notify_waiters();
        Ok(ids.into_iter().map(|id| id.to_string()).collect())
    }

    /// Inserts `bodies` one statement each, in one transaction; their ids.
    async fn insert_each(
        &self,
        conn: &mut SqliteConnection,
        bodies: Vec<String>,
        now: i64,
    ) -> Result<Vec<i64>, Error> {
        let mut tx = begin(conn, "send_batch").await?;
        let mut ids = Vec::with_capacity(bodies.len());
        for body in bodies {
            let id: i64 = sqlx::query_scalar(INSERT)
                .bind(&self.queue)
                .bind(body)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend("send_batch"))?;
            ids.push(id);
        }
        tx.commit().await.map_err(backend("send_batch"))?;
        Ok(ids)
    }

    /// One try at leasing up to `max` visible messages.
    async fn lease(&self, max: usize, lease: Duration) -> Result<Vec<Message>, Error> {
        let token = sql::lease_token()?;
        let mut conn = self.conn("receive").await?;
        let now = self.clock.now();
        let rows = sqlx::query(LEASE)
            .bind(now.saturating_add(sql::millis(lease)))
            .bind(token)
            .bind(&self.queue)
            .bind(now)
            .bind(sql::limit(max))
            .fetch_all(&mut *conn)
            .await
            .map_err(backend("receive"))?;
        drop(conn);
        rows.iter().map(message).collect()
    }

    async fn delete_leased(&self, receipts: Vec<String>) -> Result<(), Error> {
        let ids: Vec<i64> = receipts.iter().filter_map(|r| sql::receipt_id(r)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let ids = sql::json_array(&ids, "delete")?;
        let receipts = sql::json_array(&receipts, "delete")?;
        let mut conn = self.conn("delete").await?;
        sqlx::query(DELETE_MANY)
            .bind(ids)
            .bind(&self.queue)
            .bind(receipts)
            .execute(&mut *conn)
            .await
            .map_err(backend("delete"))?;
        Ok(())
    }

    /// Sets `visible_at` of a held lease (and clears its receipt when `release`); whether
    /// the lease was held.
    async fn set_visible(
        &self,
        receipt: &str,
        after: Duration,
        release: bool,
    ) -> Result<bool, Error> {
        let Some(id) = sql::receipt_id(receipt) else {
            return Ok(false);
        };
        let operation = if release { "release" } else { "extend" };
        let statement = if release {
            "UPDATE queue_messages SET visible_at = ?4, receipt = NULL \
             WHERE id = ?1 AND queue = ?2 AND receipt = ?3 AND visible_at > ?5"
        } else {
            "UPDATE queue_messages SET visible_at = ?4 \
             WHERE id = ?1 AND queue = ?2 AND receipt = ?3 AND visible_at > ?5"
        };
        let mut conn = self.conn(operation).await?;
        let now = self.clock.now();
        let done = sqlx::query(statement)
            .bind(id)
            .bind(&self.queue)
            .bind(receipt)
            .bind(now.saturating_add(sql::millis(after)))
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(backend(operation))?;
        drop(conn);
        let held = done.rows_affected() == 1;
        if held && release && after.is_zero() {
            self.wake.notify_one();
        }
        Ok(held)
    }

    async fn bury(&self, message: &Message, reason: &str) -> Result<(), Error> {
        let Some(id) = sql::receipt_id(&message.receipt) else {
            return Ok(());
        };
        let mut conn = self.conn("dead_letter").await?;
        let mut tx = begin(&mut conn, "dead_letter").await?;
        sqlx::query(
            "INSERT INTO queue_dead_letters \
             (queue, body, reason, receive_count, sent_at, failed_at) \
             SELECT queue, body, ?4, receive_count, sent_at, ?5 FROM queue_messages \
             WHERE id = ?1 AND queue = ?2 AND receipt = ?3",
        )
        .bind(id)
        .bind(&self.queue)
        .bind(&message.receipt)
        .bind(reason)
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await
        .map_err(backend("dead_letter"))?;
        sqlx::query("DELETE FROM queue_messages WHERE id = ?1 AND queue = ?2 AND receipt = ?3")
            .bind(id)
            .bind(&self.queue)
            .bind(&message.receipt)
            .execute(&mut *tx)
            .await
            .map_err(backend("dead_letter"))?;
        tx.commit().await.map_err(backend("dead_letter"))
    }

    async fn list_dead(&self, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        let mut conn = self.conn("dead_letters").await?;
        let rows = sqlx::query(
            "SELECT id, body, reason, receive_count, failed_at FROM queue_dead_letters \
             WHERE queue = ?1 ORDER BY failed_at, id LIMIT ?2",
        )
        .bind(&self.queue)
        .bind(sql::limit(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(backend("dead_letters"))?;
        rows.iter().map(dead_letter).collect()
    }

    async fn resurrect(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(id) = sql::row_id(dead_id) else {
            return Ok(false);
        };
        let mut conn = self.conn("requeue").await?;
        let now = self.clock.now();
        synchronous(&mut conn, Durability::Full, "requeue").await?;
        let moved = self.move_back(&mut conn, id, now).await;
        synchronous(&mut conn, Durability::Normal, "requeue").await?;
        drop(conn);
        let found = moved? == 1;
        if found {
            self.wake.notify_one();
        }
        Ok(found)
    }

    /// Moves dead letter `id` back onto the queue in one transaction; rows moved.
    async fn move_back(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
        now: i64,
    ) -> Result<u64, Error> {
        let mut tx = begin(conn, "requeue").await?;
        let moved = sqlx::query(
            "INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
             SELECT queue, body, ?3, ?3 FROM queue_dead_letters WHERE id = ?1 AND queue = ?2",
        )
        .bind(id)
        .bind(&self.queue)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend("requeue"))?;
        sqlx::query("DELETE FROM queue_dead_letters WHERE id = ?1 AND queue = ?2")
            .bind(id)
            .bind(&self.queue)
            .execute(&mut *tx)
            .await
            .map_err(backend("requeue"))?;
        tx.commit().await.map_err(backend("requeue"))?;
        Ok(moved.rows_affected())
    }

    async fn forget_dead(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(id) = sql::row_id(dead_id) else {
            return Ok(false);
        };
        let mut conn = self.conn("drop_dead").await?;
        let done = sqlx::query("DELETE FROM queue_dead_letters WHERE id = ?1 AND queue = ?2")
            .bind(id)
            .bind(&self.queue)
            .execute(&mut *conn)
            .await
            .map_err(backend("drop_dead"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn count(&self) -> Result<Stats, Error> {
        let mut conn = self.conn("stats").await?;
        let now = self.clock.now();
        let row = sqlx::query(STATS)
            .bind(&self.queue)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend("stats"))?;
        let get = |i: usize| row.try_get::<i64, _>(i).map_err(backend("stats"));
        let oldest: Option<i64> = row.try_get(3).map_err(backend("stats"))?;
        Ok(Stats {
            ready: sql::total(get(0)?),
            in_flight: sql::total(get(1)?),
            delayed: sql::total(get(2)?),
            dead: sql::total(get(4)?),
            oldest_ready: oldest.map(|sent| sql::age(now, sent)),
        })
    }
}

sql::impl_sql_queue!(EmbeddedQueue);

/// A connection to `url`, set up for the queue.
async fn connect(url: &str) -> Result<SqliteConnection, Error> {
    if !url.starts_with("sqlite:") {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let scheme: String = scheme.chars().take(32).collect();
        return Err(Error::Config(format!(
            "the embedded queue needs a `sqlite://` URL, not `{scheme}`"
        )));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::Config(format!("embedded queue URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    options.connect().await.map_err(backend("open"))
}

/// The `synchronous` setting of a commit (see the module docs).
#[derive(Debug, Clone, Copy)]
enum Durability {
    /// Flushed to the disk before the commit returns: sends.
    Full,
    /// Safe from a crash of the process, not of the machine: everything else.
    Normal,
}

/// Sets the connection's `synchronous` mode for the commits that follow.
async fn synchronous(
    conn: &mut SqliteConnection,
    durability: Durability,
    operation: &'static str,
) -> Result<(), Error> {
    let pragma = match durability {
        Durability::Full => "PRAGMA synchronous = FULL",
        Durability::Normal => "PRAGMA synchronous = NORMAL",
    };
    sqlx::query(pragma)
        .execute(conn)
        .await
        .map_err(backend(operation))?;
    Ok(())
}

/// A write transaction that holds SQLite's write lock from its start.
async fn begin<'c>(
    conn: &'c mut SqliteConnection,
    operation: &'static str,
) -> Result<Transaction<'c, Sqlite>, Error> {
    conn.begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(backend(operation))
}

/// Applies the migrations not yet recorded, each in its own `BEGIN IMMEDIATE` transaction.
async fn migrate(conn: &mut SqliteConnection) -> Result<(), Error> {
    for &(version, script) in MIGRATIONS {
        let mut tx = begin(conn, "migrate").await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS queue_migrations \
             (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend("migrate"))?;
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM queue_migrations WHERE version = ?1")
                .bind(version)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend("migrate"))?;
        if applied > 0 {
            continue;
        }
        for statement in sql::statements(script) {
            sqlx::query(&statement)
                .persistent(false)
                .execute(&mut *tx)
                .await
                .map_err(backend("migrate"))?;
        }
        sqlx::query("INSERT INTO queue_migrations (version, applied_at) VALUES (?1, ?2)")
            .bind(version)
            .bind(Clock::system().now())
            .execute(&mut *tx)
            .await
            .map_err(backend("migrate"))?;
        tx.commit().await.map_err(backend("migrate"))?;
        tracing::info!(version, "applied embedded queue migration");
    }
    Ok(())
}

fn message(row: &SqliteRow) -> Result<Message, Error> {
    let id: i64 = row.try_get(0).map_err(backend("receive"))?;
    Ok(Message {
        id: id.to_string(),
        receipt: row.try_get(1).map_err(backend("receive"))?,
        body: row.try_get(2).map_err(backend("receive"))?,
        receive_count: sql::count(row.try_get(3).map_err(backend("receive"))?),
        sent_at: sql::system_time(row.try_get(4).map_err(backend("receive"))?),
    })
}

fn dead_letter(row: &SqliteRow) -> Result<DeadLetter, Error> {
    let id: i64 = row.try_get(0).map_err(backend("dead_letters"))?;
    Ok(DeadLetter {
        id: id.to_string(),
        body: row.try_get(1).map_err(backend("dead_letters"))?,
        reason: row.try_get(2).map_err(backend("dead_letters"))?,
        receive_count: sql::count(row.try_get(3).map_err(backend("dead_letters"))?),
        failed_at: sql::system_time(row.try_get(4).map_err(backend("dead_letters"))?),
    })
}
