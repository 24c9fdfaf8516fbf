//! Idempotency keys: "have I seen this key in this scope recently?", atomically.

use std::time::Duration;

use sqlx::Row;

use crate::codec::{after, now, Param};
use crate::sql::Sql;
use crate::{Error, Store};

impl Store {
    /// Records `key` in `scope` for `ttl`; `true` the first time within the ttl (the caller
    /// should do the work), `false` when it was seen and has not expired.
    ///
    /// One statement (`INSERT ... ON CONFLICT DO UPDATE ... WHERE expired`), so that of many
    /// concurrent callers exactly one gets `true`.
    pub async fn remember(&self, scope: &str, key: &str, ttl: Duration) -> Result<bool, Error> {
        let now = now();
        let mut sql = Sql::new(self.backend);
        sql.push(
            "INSERT INTO \"idempotency_keys\" (\"scope\", \"key\", \"created_at\", \"expires_at\") \
             VALUES (",
        );
        sql.param(Param::text(scope))
            .push(", ")
            .param(Param::text(key))
            .push(", ");
        sql.param(Param::text(now.as_str()))
            .push(", ")
            .param(Param::text(after(ttl)));
        sql.push(
            ") ON CONFLICT (\"scope\", \"key\") DO UPDATE SET \
             \"created_at\" = excluded.\"created_at\", \"expires_at\" = excluded.\"expires_at\" \
             WHERE \"idempotency_keys\".\"expires_at\" <= ",
        );
        sql.param(Param::text(now));
        Ok(sql.query().execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Deletes expired idempotency keys; returns how many.
    pub async fn purge_expired_keys(&self) -> Result<u64, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"idempotency_keys\" WHERE \"expires_at\" <= ");
        sql.param(Param::text(now()));
        Ok(sql.query().execute(&self.pool).await?.rows_affected())
    }

    /// [`Store::remember`] for many keys in one statement: the keys seen for the first time
    /// (or whose record expired), in no particular order. A key given twice counts once.
    pub async fn remember_all(
        &self,
        scope: &str,
        keys: &[String],
        ttl: std::time::Duration,
    ) -> Result<Vec<String>, Error> {
        let mut unique: Vec<&str> = keys.iter().map(String::as_str).collect();
        unique.sort_unstable();
        unique.dedup();
        if unique.is_empty() {
            return Ok(Vec::new());
        }
        let (now, expires) = (now(), after(ttl));
        let mut sql = Sql::new(self.backend);
        sql.push(
            "INSERT INTO \"idempotency_keys\" (\"scope\", \"key\", \"created_at\", \"expires_at\") \
             VALUES ",
        );
        for (n, key) in unique.iter().enumerate() {
            sql.push(if n > 0 { ", (" } else { "(" })
                .param(Param::text(scope))
                .push(", ")
                .param(Param::text(*key))
                .push(", ")
                .param(Param::text(now.as_str()))
                .push(", ")
                .param(Param::text(expires.as_str()))
                .push(")");
        }
        sql.push(
            " ON CONFLICT (\"scope\", \"key\") DO UPDATE SET \
             \"created_at\" = excluded.\"created_at\", \"expires_at\" = excluded.\"expires_at\" \
             WHERE \"idempotency_keys\".\"expires_at\" <= ",
        )
        .param(Param::text(now.as_str()))
        .push(" RETURNING \"key\"");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>(0)?))
            .collect()
    }

    /// Forgets an idempotency key recorded by [`Store::remember`], so that the work it
    /// guarded can be done again (the caller recorded the key, then failed to do the work).
    pub async fn forget(&self, scope: &str, key: &str) -> Result<(), Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"idempotency_keys\" WHERE \"scope\" = ")
            .param(Param::text(scope))
            .push(" AND \"key\" = ")
            .param(Param::text(key));
        sql.query().execute(&self.pool).await?;
        Ok(())
    }
}
