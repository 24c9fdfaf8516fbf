//! Bulk insertion of incidents, for imports and benchmarks.

use leakwall_access::Field;

use crate::prepare::new_row;
use crate::schemas::INCIDENTS;
use crate::sql::Sql;
use crate::{Error, Item, Store};

/// SQLite's default limit on the number of bound variables in one statement.
const SQLITE_MAX_VARIABLES: usize = 32_766;
/// Rows per multi-row INSERT (fewer when the variable limit demands).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 5_000;

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
        let columns: Vec<&Field> = INCIDENTS.fields.iter().filter(|f| f.name != "id").collect();
        let per_statement = (SQLITE_MAX_VARIABLES / columns.len()).min(ROWS_PER_STATEMENT);
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
            let mut tx = self.begin_write().await?;
            for chunk in batch.chunks(per_statement) {
                let mut sql = Sql::new(self.backend);
                sql.push("INSERT INTO \"incidents\" (")
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
        }
    }
}
