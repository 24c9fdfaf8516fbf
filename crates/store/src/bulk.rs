//! Bulk insertion: incidents (imports and benchmarks) and the decision log (written in
//! batches by the server).

use std::time::Duration;

use leakwall_access::{Field, Schema};
use serde_json::Value;

use crate::codec::{after, now, Param};
use crate::prepare::new_row;
use crate::schemas::{DECISIONS, INCIDENTS};
use crate::sql::Sql;
use crate::{Error, Item, Store};

/// SQLite's default limit on the number of bound variables in one statement.
const SQLITE_MAX_VARIABLES: usize = 32_766;
/// Rows per multi-row INSERT (fewer when the variable limit demands).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 5_000;

type Row<'s> = Vec<(&'s Field, Param)>;

impl Store {
    /// Inserts incidents in batches: multi-row INSERTs, several per transaction. Takes
    /// `created_at` (and `updated_at`, which defaults to `created_at`) from a row when given;
    /// ignores ids and other read-only fields. Returns the number of rows inserted.
    ///
    /// Rows are checked as by [`Store::create`]; a bad row stops the import with an error, and
    /// the batches committed before it stay.
    pub async fn insert_incidents_bulk(
        &self,
        rows: impl Iterator<Item = Item> + Send,
    ) -> Result<u64, Error> {
        let mut rows = rows;
        let mut inserted = 0;
        loop {
            let mut batch = Vec::with_capacity(ROWS_PER_TRANSACTION);
            for row in rows.by_ref().take(ROWS_PER_TRANSACTION) {
                batch.push(new_row(&INCIDENTS, &row, &Item::new(), true)?);
            }
            if batch.is_empty() {
                return Ok(inserted);
            }
            inserted += self.insert_rows(&INCIDENTS, &batch).await?;
        }
    }

    /// Appends decision-log rows (fields of [`DECISIONS`]; `time` defaults to now), kept for
    /// `ttl`. One transaction; returns the number of rows inserted.
    pub async fn insert_decisions(&self, rows: &[Item], ttl: Duration) -> Result<u64, Error> {
        let mut hidden = Item::new();
        hidden.insert("expires_at".into(), Value::String(after(ttl)));
        let now = Value::String(now());
        let mut prepared = Vec::with_capacity(rows.len());
        for row in rows {
            let mut row = row.clone();
            row.entry("time").or_insert_with(|| now.clone());
            prepared.push(new_row(&DECISIONS, &row, &hidden, true)?);
        }
        self.insert_rows(&DECISIONS, &prepared).await
    }

    /// Deletes decision-log rows whose expiry has passed; returns how many.
    pub async fn purge_expired_decisions(&self) -> Result<u64, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"decisions\" WHERE \"expires_at\" <= ")
            .param(Param::text(now()));
        Ok(sql.query().execute(&self.pool).await?.rows_affected())
    }

    /// Writes prepared rows of `schema` in one transaction, as multi-row INSERTs.
    async fn insert_rows(&self, schema: &Schema, rows: &[Row<'_>]) -> Result<u64, Error> {
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        let columns: Vec<&Field> = first.iter().map(|(field, _)| *field).collect();
        let per_statement = (SQLITE_MAX_VARIABLES / columns.len().max(1)).min(ROWS_PER_STATEMENT);
        let mut inserted = 0;
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(per_statement) {
            let mut sql = Sql::new(self.backend);
            sql.push("INSERT INTO \"")
                .push(schema.name)
                .push("\" (")
                .columns(&columns)
                .push(") VALUES ");
            for (i, row) in chunk.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" });
                for (j, (_, param)) in row.iter().enumerate() {
                    sql.push(if j > 0 { ", " } else { "" }).param(param.clone());
                }
                sql.push(")");
            }
            debug_assert!(sql.param_count() <= SQLITE_MAX_VARIABLES);
            inserted += sql.query().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }
}
