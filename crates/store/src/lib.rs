//! Leakwall's storage for the admin API: the resources of the Scoutr-style access model
//! (detectors, incidents, policies, principals, groups) and the audit log, on SQLite (the
//! default, one file, nothing else to run) or PostgreSQL (scaled out), through one code path.
//!
//! The main type is [`Store`]: [`Store::list`], [`Store::get`], [`Store::create`],
//! [`Store::update`] and [`Store::delete`] take a [`Schema`] (see [`schemas`]) and the caller's
//! [`Scope`] and [`Condition`]s from `leakwall-access`, and translate them into SQL with bound
//! parameters. Every write and its audit row commit in one transaction. [`Store::history`]
//! rebuilds an item's versions from the audit log; [`Store::identifier`] and
//! [`Store::identifier_by_key_hash`] resolve callers; [`Store::remember`] records idempotency
//! keys.
//!
//! Design decision: one set of runtime-built queries over sqlx's `Any` driver rather than a
//! repository per database. The dialects differ only in placeholders (`?` vs `$n`), in two
//! string functions (`instr` vs `strpos`) and in the DDL of the embedded migrations, so the
//! difference is kept to a few `match`es on [`Backend`]; parameters are bound with the type of
//! their column (PostgreSQL refuses text against BIGINT). Times are stored as fixed-width
//! RFC 3339 UTC text with milliseconds so that string order is time order on both backends, and
//! JSON as text. Pages are keyset pages on the id, so a page deep into a million incidents
//! costs the same as the first.
#![deny(missing_docs)]

mod audit;
mod bulk;
mod codec;
mod connect;
mod crud;
mod error;
mod filter;
mod idempotency;
mod identity;
mod installations;
mod keys;
mod keyset;
mod migrate;
mod prepare;
pub mod schemas;
#[cfg(test)]
mod send_check;
mod sql;
mod webex;

use std::time::Duration;

pub use audit::{AuditEntry, Version};
pub use crud::UpdateCheck;
pub use error::Error;
pub use installations::Installation;
pub use keys::{hash_key, new_api_key, ApiKey};
pub use leakwall_access::{Condition, Op, Schema, Scope};
pub use schemas::{
    schema, AUDIT, DECISIONS, DETECTORS, GROUPS, INCIDENTS, POLICIES, PRINCIPALS, RESOURCES,
};
pub use webex::WebexInstallation;

/// An item of a resource: a JSON object whose keys are the schema's (visible) fields.
pub type Item = serde_json::Map<String, serde_json::Value>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: `sqlite://path` (created if missing) or `sqlite::memory:`.
    Sqlite,
    /// PostgreSQL: `postgres://...` or `postgresql://...`.
    Postgres,
}

/// How long audit rows are kept unless [`Store::with_audit_ttl`] says otherwise: 90 days.
pub const DEFAULT_AUDIT_TTL: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// One page of a list request.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many items at most, 1..=1000 (values outside are clamped); default 50.
    pub limit: u32,
    /// The cursor: the id of the last item of the previous page ([`Listed::next`]).
    pub after: Option<serde_json::Value>,
    /// Order by id descending (`true`) or ascending; `None` takes the schema's default.
    pub newest_first: Option<bool>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            after: None,
            newest_first: None,
        }
    }
}

/// One page of items.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The items, hidden fields removed.
    pub items: Vec<Item>,
    /// The cursor for the next page: the id of the last item, set when the page is full and
    /// more items follow.
    pub next: Option<serde_json::Value>,
}

/// The store: a connection pool and the settings of writes. Cheap to clone (shares the pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: sqlx::AnyPool,
    backend: Backend,
    audit_ttl: Duration,
}

impl Store {
    /// Connects to `url` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, Error> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to `url` without migrating (see [`Store::migrate`]).
    ///
    /// SQLite databases are created if missing and run in WAL mode with foreign keys on and a
    /// busy timeout of 5 s; an in-memory database (`sqlite::memory:`) uses one connection so
    /// that its data persists for the life of the store.
    pub async fn connect(url: &str) -> Result<Store, Error> {
        let (pool, backend) = connect::pool(url).await?;
        Ok(Store {
            pool,
            backend,
            audit_ttl: DEFAULT_AUDIT_TTL,
        })
    }

    /// Applies pending migrations, each in its own transaction; returns the versions applied
    /// now (empty when the database was up to date).
    pub async fn migrate(&self) -> Result<Vec<i64>, Error> {
        migrate::run(self).await
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Keeps audit rows written from now on for `ttl` (default [`DEFAULT_AUDIT_TTL`]).
    pub fn with_audit_ttl(mut self, ttl: Duration) -> Store {
        self.audit_ttl = ttl;
        self
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction that holds the write lock from its start on SQLite (so that a read
    /// followed by a write never fails on a concurrent writer) and a plain one on PostgreSQL.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, Error> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}
