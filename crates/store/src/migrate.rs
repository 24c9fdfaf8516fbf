//! Versioned migrations, embedded per dialect, recorded in `schema_migrations`.
//!
//! Each migration runs in its own transaction together with the row that records it, so a
//! failed migration leaves nothing behind and a re-run applies only what is missing. On
//! PostgreSQL a transaction-scoped advisory lock serializes processes that migrate at once; on
//! SQLite the transaction takes the write lock from its start.

use sqlx::Row;

use crate::codec::{now, Param};
use crate::sql::Sql;
use crate::{Backend, Error, Store};

/// One migration: its version and its SQL for each dialect (statements end with `;` and a
/// newline).
struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        // Plain DDL both dialects accept: one file.
        sqlite: include_str!("../migrations/both/0002_time_ordered_indexes.sql"),
        postgres: include_str!("../migrations/both/0002_time_ordered_indexes.sql"),
    },
    Migration {
        version: 3,
        sqlite: include_str!("../migrations/sqlite/0003_decisions.sql"),
        postgres: include_str!("../migrations/postgres/0003_decisions.sql"),
    },
    Migration {
        version: 4,
        sqlite: include_str!("../migrations/sqlite/0004_installations.sql"),
        postgres: include_str!("../migrations/postgres/0004_installations.sql"),
    },
    Migration {
        version: 5,
        sqlite: include_str!("../migrations/sqlite/0005_webex_installations.sql"),
        postgres: include_str!("../migrations/postgres/0005_webex_installations.sql"),
    },
    Migration {
        version: 6,
        sqlite: include_str!("../migrations/sqlite/0006_sharing_settings.sql"),
        postgres: include_str!("../migrations/postgres/0006_sharing_settings.sql"),
    },
];

/// An arbitrary constant naming Leakwall's migration lock among PostgreSQL advisory locks.
const ADVISORY_LOCK: i64 = 0x4c65_616b_7761_6c6c;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS \"schema_migrations\" \
    (\"version\" BIGINT NOT NULL PRIMARY KEY, \"applied_at\" TEXT NOT NULL)";

/// Applies every pending migration; returns the versions applied.
pub(crate) async fn run(store: &Store) -> Result<Vec<i64>, Error> {
    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        if apply(store, migration)
            .await
            .map_err(|e| failed(migration, e))?
        {
            tracing::info!(version = migration.version, "applied store migration");
            applied.push(migration.version);
        }
    }
    Ok(applied)
}

/// Applies one migration unless it is recorded; returns whether it ran.
async fn apply(store: &Store, migration: &Migration) -> Result<bool, Error> {
    let mut tx = store.begin_write().await?;
    let backend = store.backend();
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADVISORY_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(CREATE_TABLE)
        .persistent(false)
        .execute(&mut *tx)
        .await?;
    let mut check = Sql::new(backend);
    check
        .push("SELECT COUNT(*) FROM \"schema_migrations\" WHERE \"version\" = ")
        .param(Param::Int(Some(migration.version)));
    let count: i64 = check.query().fetch_one(&mut *tx).await?.try_get(0)?;
    if count > 0 {
        return Ok(false);
    }
    let text = match backend {
        Backend::Sqlite => migration.sqlite,
        Backend::Postgres => migration.postgres,
    };
    for statement in statements(text) {
        sqlx::query(statement)
            .persistent(false)
            .execute(&mut *tx)
            .await?;
    }
    let mut record = Sql::new(backend);
    record
        .push("INSERT INTO \"schema_migrations\" (\"version\", \"applied_at\") VALUES (")
        .param(Param::Int(Some(migration.version)))
        .push(", ")
        .param(Param::text(now()))
        .push(")");
    record.query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// The statements of a migration script: split at `;` that ends a line.
fn statements(text: &str) -> impl Iterator<Item = &str> {
    text.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with("--"))
    })
}

fn failed(migration: &Migration, error: Error) -> Error {
    match error {
        Error::Migration { .. } => error,
        other => Error::Migration {
            version: migration.version,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_statements() {
        for m in MIGRATIONS {
            let sqlite: Vec<_> = statements(m.sqlite).collect();
            let postgres: Vec<_> = statements(m.postgres).collect();
            assert_eq!(sqlite.len(), postgres.len(), "migration {}", m.version);
            assert!(!sqlite.is_empty(), "migration {}", m.version);
            assert!(!m.postgres.contains("AUTOINCREMENT") && !m.postgres.contains(" REAL"));
        }
    }
}
