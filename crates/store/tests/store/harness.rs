//! Fresh, migrated stores for each case, on each backend.

use std::future::Future;

use leakwall_store::{Backend, Store};
use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Runs `case` on a store in a new SQLite file.
pub async fn sqlite<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("leakwall.db").display());
    let store = fresh(&url, Backend::Sqlite).await;
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `case` on a store in a new PostgreSQL schema, dropped afterwards.
pub async fn postgres<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let base = std::env::var("LEAKWALL_TEST_POSTGRES").unwrap_or(DEFAULT_POSTGRES.to_string());
    if base == "skip" {
        eprintln!("LEAKWALL_TEST_POSTGRES=skip: PostgreSQL case skipped");
        return;
    }
    let mut admin = PgConnection::connect(&base).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at LEAKWALL_TEST_POSTGRES (default {DEFAULT_POSTGRES}) is unreachable: \
             {e}; start it or set LEAKWALL_TEST_POSTGRES=skip"
        )
    });
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).expect("random");
    let schema = format!("lw_{}", hex::encode(suffix));
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let store = fresh(&url, Backend::Postgres).await;
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await
        .expect("drop schema");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Connects and migrates, checking that a new database gets every migration, in order.
async fn fresh(url: &str, backend: Backend) -> Store {
    let store = Store::connect(url).await.expect("connect");
    assert_eq!(store.backend(), backend);
    assert_eq!(
        store.migrate().await.expect("migrate"),
        vec![1, 2, 3, 4, 5, 6]
    );
    store
}
