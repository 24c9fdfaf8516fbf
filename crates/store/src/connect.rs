//! Opening a pool for a database URL.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::{Backend, Error};

/// The backend a URL names, or [`Error::BadUrl`] with its scheme (never the rest of the URL,
/// which may hold a password).
pub(crate) fn backend_of(url: &str) -> Result<Backend, Error> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        Err(Error::BadUrl(scheme.chars().take(32).collect()))
    }
}

/// A pool for `url`, set up for its backend.
pub(crate) async fn pool(url: &str) -> Result<(AnyPool, Backend), Error> {
    let backend = backend_of(url)?;
    sqlx::any::install_default_drivers();
    let pool = match backend {
        Backend::Postgres => AnyPoolOptions::new().connect(url).await?,
        Backend::Sqlite => sqlite_pool(url).await?,
    };
    Ok((pool, backend))
}

async fn sqlite_pool(url: &str) -> Result<AnyPool, Error> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let url = if in_memory || url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    let options = AnyPoolOptions::new().after_connect(|conn, _meta| {
        Box::pin(async move {
            conn.execute("PRAGMA busy_timeout = 5000").await?;
            conn.execute("PRAGMA foreign_keys = ON").await?;
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.execute("PRAGMA synchronous = NORMAL").await?;
            Ok(())
        })
    });
    // Every connection to `sqlite::memory:` through the Any driver opens a new database: keep
    // exactly one, forever.
    let options = if in_memory {
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        options
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
    };
    Ok(options.connect(&url).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            backend_of("sqlite://leakwall.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(backend_of("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(
            backend_of("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        let e = backend_of("mysql://root:secret@h/db")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.contains("`mysql`") && e.contains("sqlite://") && !e.contains("secret"),
            "{e}"
        );
    }
}
