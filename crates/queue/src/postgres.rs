//! The PostgreSQL backend: the embedded backend's schema on PostgreSQL, safe with many
//! workers on many machines.
//!
//! A lease is one statement: the earliest visible rows of the queue are picked `FOR UPDATE
//! SKIP LOCKED` (so concurrent consumers pass each other instead of waiting) and updated with
//! a new `visible_at` and receipt. Migrations run under a transaction-scoped advisory lock, so
//! many processes may start at once. A long poll wakes when a row is inserted into its queue
//! in any process (an insert trigger calls `pg_notify` on `leakwall_queue_<name>`, which a
//! [`PgListener`] per queue object hears), at once on a send in this process, and otherwise
//! polls with a backoff of 10 ms growing to 200 ms (which also covers a lost listener).
//!
//! Times come from the process's [`Clock`], not the database's: keep the clocks of the
//! machines in sync (NTP), as lease ends are compared across processes.
//!
//! Design decision, durability: each queue object has two connection pools. Sends
//! (`send`, `send_batch`, `requeue`) and reads go through one with the server's settings, so
//! a send has reached the disk when it returns. Leases and everything that settles a lease
//! (`delete`, `delete_batch`, `extend`, `release`, `dead_letter`) go through one whose
//! sessions run with `synchronous_commit = off`: their commits are visible at once but reach
//! the disk a moment later (within `wal_writer_delay`), so a crash of the *server* may undo
//! the last of them. That is harmless under at-least-once: an undone lease leaves the message
//! visible, an undone delete, release or dead-letter delivers it again, an undone extend
//! shortens a lease. It spares a WAL flush per lease and per acknowledgement, the bound on
//! throughput otherwise. (A session setting and not `SET LOCAL` in a transaction: that would
//! cost three more round trips per statement than the single-statement operations need.)
//! Every statement is prepared once per connection and reused; leasing walks the
//! `(queue, visible_at)` index and deleting the primary key.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use crate::sql::Clock;
use crate::sql::{self, backend};
use crate::{DeadLetter, Error, Message, Stats};

/// Migrations, in order; each runs once per database (schema), recorded in `queue_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_init.sql"))];

/// An arbitrary constant naming the queue's migration lock among PostgreSQL advisory locks
/// (`LWQUEUE1`; the store uses another).
const MIGRATION_LOCK: i64 = 0x4c57_5155_4555_4531;

/// Connections per queue object for sends and reads.
const POOL_SIZE: u32 = 16;
/// Connections per queue object for leases and acknowledgements (the listener has one more
/// of its own).
const LEASE_POOL_SIZE: u32 = 8;

const LEASE: &str = "WITH picked AS MATERIALIZED ( \
        SELECT id FROM queue_messages WHERE queue = $3 AND visible_at <= $4 \
        ORDER BY visible_at LIMIT $5 FOR UPDATE SKIP LOCKED) \
    UPDATE queue_messages AS m \
    SET visible_at = $1, receipt = m.id::text || ':' || $2, receive_count = m.receive_count + 1 \
    FROM picked WHERE m.id = picked.id \
    RETURNING m.id, m.receipt, m.body, m.receive_count, m.sent_at";

const STATS: &str = "SELECT \
    COUNT(*) FILTER (WHERE visible_at <= $2), \
    COUNT(*) FILTER (WHERE visible_at > $2 AND receipt IS NOT NULL), \
    COUNT(*) FILTER (WHERE visible_at > $2 AND receipt IS NULL), \
    MIN(sent_at) FILTER (WHERE visible_at <= $2), \
    (SELECT COUNT(*) FROM queue_dead_letters WHERE queue = $1) \
    FROM queue_messages WHERE queue = $1";

/// A receipt (`<id>:<token>`) names its row, so matching both arrays is matching pairs.
const DELETE: &str = "DELETE FROM queue_messages \
    WHERE id = ANY($1) AND queue = $2 AND receipt = ANY($3)";

/// A durable queue in PostgreSQL (see the [module docs](self)).
#[derive(Debug)]
pub struct PostgresQueue {
    /// Sends and reads, with the server's durability.
    pool: PgPool,
    /// Leases and what settles them, with `synchronous_commit = off` (see the module docs).
    leases: PgPool,
    queue: String,
    clock: Clock,
    wake: Arc<Notify>,
    listener: Option<Listening>,
}

/// The task that turns notifications into wake-ups; stopped with the queue object.
#[derive(Debug)]
struct Listening {
    task: JoinHandle<()>,
    pool: PgPool,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PostgresQueue {
    /// Opens queue `queue_name` in the database at `url` (`postgres://…`), applying the
    /// queue's migrations and starting to listen for sends.
    pub async fn open(url: &str, queue_name: &str) -> Result<PostgresQueue, Error> {
        PostgresQueue::open_with_clock(url, queue_name, Clock::system()).await
    }

    /// Like [`open`](PostgresQueue::open), reading the time from `clock` (tests advance it by
    /// hand to expire leases without sleeping).
    pub async fn open_with_clock(
        url: &str,
        queue_name: &str,
        clock: Clock,
    ) -> Result<PostgresQueue, Error> {
        sql::check_name(queue_name)?;
        let options = options(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(backend("open"))?;
        migrate(&pool).await?;
        // No ping before each use: a dead connection fails the statement, which the worker
        // retries anyway, and the ping would double the round trips of every lease.
        let leases = PgPoolOptions::new()
            .max_connections(LEASE_POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_lazy_with(options.clone().options([("synchronous_commit", "off")]));
        let wake = sql::wake_up(url, queue_name);
        let listener = listen(options, queue_name, wake.clone()).await;
        Ok(PostgresQueue {
            pool,
            leases,
            queue: queue_name.to_string(),
            clock,
            wake,
            listener,
        })
    }

    /// The bodies of the messages visible now, without leasing them (for inspection and
    /// tests), at most `limit`.
    pub async fn visible_bodies(&self, limit: usize) -> Result<Vec<String>, Error> {
        sqlx::query_scalar(
            "SELECT body FROM queue_messages WHERE queue = $1 AND visible_at <= $2 \
             ORDER BY visible_at, id LIMIT $3",
        )
        .bind(&self.queue)
        .bind(self.clock.now())
        .bind(sql::limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend("peek"))
    }

    /// Stops listening and closes the connections; later calls fail.
    pub async fn close(&self) {
        if let Some(listening) = &self.listener {
            listening.task.abort();
            listening.pool.close().await;
        }
        self.leases.close().await;
        self.pool.close().await;
    }

    async fn send_one(&self, body: String, delay: Duration) -> Result<String, Error> {
        let now = self.clock.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&self.queue)
        .bind(body)
        .bind(now)
        .bind(now.saturating_add(sql::millis(delay)))
        .fetch_one(&self.pool)
        .await
        .map_err(backend("send"))?;
        if delay.is_zero() {
            self.wake.notify_one();
        }
        Ok(id.to_string())
    }

    /// One statement for the whole batch; identity values follow the `ORDER BY`, so the ids
    /// sorted are in the order of the bodies.
    async fn send_many(&self, bodies: Vec<String>) -> Result<Vec<String>, Error> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
             SELECT $1, body, $2, $2 FROM UNNEST($3::text[]) WITH ORDINALITY AS b(body, n) \
             ORDER BY n RETURNING id",
        )
        .bind(&self.queue)
        .bind(self.clock.now())
        .bind(bodies)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("send_batch"))?;
        ids.sort_unstable();
        self.wake.notify_waiters();
        Ok(ids.into_iter().map(|id| id.to_string()).collect())
    }

    /// One try at leasing up to `max` visible messages.
    async fn lease(&self, max: usize, lease: Duration) -> Result<Vec<Message>, Error> {
        let now = self.clock.now();
        let rows = sqlx::query(LEASE)
            .bind(now.saturating_add(sql::millis(lease)))
            .bind(sql::lease_token()?)
            .bind(&self.queue)
            .bind(now)
            .bind(sql::limit(max))
            .fetch_all(&self.leases)
            .await
            .map_err(backend("receive"))?;
        rows.iter().map(message).collect()
    }

    async fn delete_leased(&self, receipts: Vec<String>) -> Result<(), Error> {
        let ids: Vec<i64> = receipts.iter().filter_map(|r| sql::receipt_id(r)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(DELETE)
            .bind(ids)
            .bind(&self.queue)
            .bind(receipts)
            .execute(&self.leases)
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
        let now = self.clock.now();
        let statement = if release {
            "UPDATE queue_messages SET visible_at = $4, receipt = NULL \
             WHERE id = $1 AND queue = $2 AND receipt = $3 AND visible_at > $5"
        } else {
            "UPDATE queue_messages SET visible_at = $4 \
             WHERE id = $1 AND queue = $2 AND receipt = $3 AND visible_at > $5"
        };
        let done = sqlx::query(statement)
            .bind(id)
            .bind(&self.queue)
            .bind(receipt)
            .bind(now.saturating_add(sql::millis(after)))
            .bind(now)
            .execute(&self.leases)
            .await
            .map_err(backend(if release { "release" } else { "extend" }))?;
        let held = done.rows_affected() == 1;
        if held && release && after.is_zero() {
            self.wake.notify_one();
        }
        Ok(held)
    }

    /// Moves the row in one statement, and only while the receipt is the row's latest.
    async fn bury(&self, message: &Message, reason: &str) -> Result<(), Error> {
        let Some(id) = sql::receipt_id(&message.receipt) else {
            return Ok(());
        };
        sqlx::query(
            "WITH moved AS (DELETE FROM queue_messages \
                 WHERE id = $1 AND queue = $2 AND receipt = $3 \
                 RETURNING body, receive_count, sent_at) \
             INSERT INTO queue_dead_letters \
                 (queue, body, reason, receive_count, sent_at, failed_at) \
             SELECT $2, body, $4, receive_count, sent_at, $5 FROM moved",
        )
        .bind(id)
        .bind(&self.queue)
        .bind(&message.receipt)
        .bind(reason)
        .bind(self.clock.now())
        .execute(&self.leases)
        .await
        .map_err(backend("dead_letter"))?;
        Ok(())
    }

    async fn list_dead(&self, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        let rows = sqlx::query(
            "SELECT id, body, reason, receive_count, failed_at FROM queue_dead_letters \
             WHERE queue = $1 ORDER BY failed_at, id LIMIT $2",
        )
        .bind(&self.queue)
        .bind(sql::limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend("dead_letters"))?;
        rows.iter().map(dead_letter).collect()
    }

    /// Moves a dead letter back in one statement, as a fresh message.
    async fn resurrect(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(id) = sql::row_id(dead_id) else {
            return Ok(false);
        };
        let moved = sqlx::query(
            "WITH moved AS (DELETE FROM queue_dead_letters WHERE id = $1 AND queue = $2 \
                 RETURNING body) \
             INSERT INTO queue_messages (queue, body, sent_at, visible_at) \
             SELECT $2, body, $3, $3 FROM moved",
        )
        .bind(id)
        .bind(&self.queue)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await
        .map_err(backend("requeue"))?;
        let found = moved.rows_affected() == 1;
        if found {
            self.wake.notify_one();
        }
        Ok(found)
    }

    async fn forget_dead(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(id) = sql::row_id(dead_id) else {
            return Ok(false);
        };
        let done = sqlx::query("DELETE FROM queue_dead_letters WHERE id = $1 AND queue = $2")
            .bind(id)
            .bind(&self.queue)
            .execute(&self.pool)
            .await
            .map_err(backend("drop_dead"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn count(&self) -> Result<Stats, Error> {
        let now = self.clock.now();
        let row = sqlx::query(STATS)
            .bind(&self.queue)
            .bind(now)
            .fetch_one(&self.pool)
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

sql::impl_sql_queue!(PostgresQueue);
/// Connection options of `url`; a bad URL is named by its scheme only (the rest may hold a
/// password).
fn options(url: &str) -> Result<PgConnectOptions, Error> {
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    if scheme != "postgres" && scheme != "postgresql" {
        let scheme: String = scheme.chars().take(32).collect();
        return Err(Error::Config(format!(
            "the PostgreSQL queue needs a `postgres://` URL, not `{scheme}`"
        )));
    }
    url.parse()
        .map_err(|_| Error::Config("the PostgreSQL queue URL does not parse".to_string()))
}

/// Applies the migrations not yet recorded, each in its own transaction under the advisory
/// lock (processes starting at once wait for each other; the second finds the work done).
async fn migrate(pool: &PgPool) -> Result<(), Error> {
    for &(version, script) in MIGRATIONS {
        let mut tx = pool.begin().await.map_err(backend("migrate"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend("migrate"))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS queue_migrations \
             (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend("migrate"))?;
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM queue_migrations WHERE version = $1")
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
        sqlx::query("INSERT INTO queue_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(Clock::system().now())
            .execute(&mut *tx)
            .await
            .map_err(backend("migrate"))?;
        tx.commit().await.map_err(backend("migrate"))?;
        tracing::info!(version, "applied PostgreSQL queue migration");
    }
    Ok(())
}

/// Listens on the queue's channel on a connection of its own and wakes long polls on every
/// notification. Without a listener the queue still works, by polling.
async fn listen(options: PgConnectOptions, queue: &str, wake: Arc<Notify>) -> Option<Listening> {
    let channel = format!("leakwall_queue_{queue}");
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    let listener = async {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(&channel).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let mut listener = match listener.await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(error = %e, queue, "queue listener failed; polling instead");
            return None;
        }
    };
    let task = tokio::spawn(async move {
        loop {
            match listener.recv().await {
                // The payload is how many rows the insert added: one wakes one long poll,
                // more wake them all.
                Ok(notification) if notification.payload() == "1" => wake.notify_one(),
                Ok(_) => wake.notify_waiters(),
                Err(e) => {
                    tracing::warn!(error = %e, "queue listener lost its connection; polling");
                    wake.notify_waiters();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    Some(Listening { task, pool })
}

fn message(row: &PgRow) -> Result<Message, Error> {
    let id: i64 = row.try_get(0).map_err(backend("receive"))?;
    let receive_count: i32 = row.try_get(3).map_err(backend("receive"))?;
    Ok(Message {
        id: id.to_string(),
        receipt: row.try_get(1).map_err(backend("receive"))?,
        body: row.try_get(2).map_err(backend("receive"))?,
        receive_count: sql::count(receive_count.into()),
        sent_at: sql::system_time(row.try_get(4).map_err(backend("receive"))?),
    })
}

fn dead_letter(row: &PgRow) -> Result<DeadLetter, Error> {
    let id: i64 = row.try_get(0).map_err(backend("dead_letters"))?;
    let receive_count: i32 = row.try_get(3).map_err(backend("dead_letters"))?;
    Ok(DeadLetter {
        id: id.to_string(),
        body: row.try_get(1).map_err(backend("dead_letters"))?,
        reason: row.try_get(2).map_err(backend("dead_letters"))?,
        receive_count: sql::count(receive_count.into()),
        failed_at: sql::system_time(row.try_get(4).map_err(backend("dead_letters"))?),
    })
}
