//! The databases under test: where they live, emptying or reusing them, and filling them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use leakwall_store::Store;
use sqlx::{Connection, Row};

use super::incidents::IncidentGen;

/// The PostgreSQL schema the benchmark owns (dropped and re-created unless reused).
pub const PG_SCHEMA: &str = "lw_bench";
/// Rows per call of `insert_incidents_bulk`, i.e. between two progress lines.
const FILL_CHUNK: u64 = 50_000;

/// A backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A file under `bench/out/`.
    Sqlite,
    /// The schema [`PG_SCHEMA`] of a PostgreSQL database.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where a backend's data is.
#[derive(Debug, Clone)]
pub struct Target {
    /// Which backend.
    pub backend: Backend,
    /// The store URL (for PostgreSQL with the benchmark schema as search path).
    pub url: String,
    /// SQLite: the database file; PostgreSQL: the URL of the database itself.
    location: String,
}

impl Target {
    /// SQLite in `dir/api-latency.db`.
    pub fn sqlite(dir: &std::path::Path) -> Target {
        let file = dir.join("api-latency.db");
        Target {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", file.display()),
            location: file.display().to_string(),
        }
    }

    /// PostgreSQL at `database_url`, in the schema [`PG_SCHEMA`].
    pub fn postgres(database_url: &str) -> Target {
        let sep = if database_url.contains('?') { '&' } else { '?' };
        Target {
            backend: Backend::Postgres,
            url: format!("{database_url}{sep}options=-c%20search_path%3D{PG_SCHEMA}"),
            location: database_url.to_owned(),
        }
    }

    /// Fails with a clear message when PostgreSQL does not answer within 5 s.
    pub async fn check_reachable(&self) -> anyhow::Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let shown = leakwall_server::redact(&self.location);
        match tokio::time::timeout(Duration::from_secs(5), self.admin_connection()).await {
            Ok(Ok(conn)) => conn.close().await.context("closing the check connection"),
            Ok(Err(e)) => bail!("PostgreSQL is unreachable at {shown}: {e:#} (start it, pass --postgres URL, or run --backend sqlite)"),
            Err(_) => bail!("PostgreSQL is unreachable at {shown}: no answer within 5 s (start it, pass --postgres URL, or run --backend sqlite)"),
        }
    }

    async fn admin_connection(&self) -> anyhow::Result<sqlx::PgConnection> {
        Ok(sqlx::PgConnection::connect(&self.location).await?)
    }

    /// Removes the previous data (the SQLite file, or the PostgreSQL schema) and prepares an
    /// empty place for the store.
    pub async fn wipe(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let path = PathBuf::from(format!("{}{suffix}", self.location));
                    if path.exists() {
                        std::fs::remove_file(&path)
                            .with_context(|| format!("removing {}", path.display()))?;
                    }
                }
                if let Some(dir) = PathBuf::from(&self.location).parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
            }
            Backend::Postgres => {
                let mut conn = self.admin_connection().await?;
                let drop = format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE");
                sqlx::raw_sql(&drop).execute(&mut conn).await?;
                self.create_schema(&mut conn).await?;
            }
        }
        Ok(())
    }

    async fn create_schema(&self, conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
        let create = format!("CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}");
        sqlx::raw_sql(&create).execute(conn).await?;
        Ok(())
    }

    /// Opens (creating and migrating) the store; for PostgreSQL makes sure the schema exists.
    pub async fn open(&self) -> anyhow::Result<Store> {
        if self.backend == Backend::Postgres {
            self.create_schema(&mut self.admin_connection().await?)
                .await?;
        } else if let Some(dir) = PathBuf::from(&self.location).parent() {
            std::fs::create_dir_all(dir)?;
        }
        Store::open(&self.url)
            .await
            .with_context(|| format!("opening {}", leakwall_server::redact(&self.url)))
    }

    /// The number of incidents in the store.
    pub async fn count(&self) -> anyhow::Result<u64> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url).await?;
        let row = sqlx::query("SELECT COUNT(*) FROM incidents")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        Ok(u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0))
    }

    /// Statistics for the planner after a bulk load. PostgreSQL's autovacuum would collect
    /// them soon after a real import; SQLite has none unless someone runs `ANALYZE`, and
    /// Leakwall does not, so SQLite is left as the product leaves it.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&self.url).await?;
            sqlx::raw_sql("ANALYZE incidents")
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
        Ok(())
    }
}

/// How a fill went.
#[derive(Debug, Clone, Copy)]
pub struct FillStats {
    /// Rows inserted.
    pub rows: u64,
    /// Wall time of the inserts.
    pub elapsed: Duration,
}

impl FillStats {
    /// Rows per second.
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Inserts `rows` generated incidents with `insert_incidents_bulk`, printing progress.
pub async fn fill(store: &Store, name: &str, rows: u64, seed: u64) -> anyhow::Result<FillStats> {
    let gen = IncidentGen::new(seed, rows);
    let started = Instant::now();
    let mut done = 0;
    while done < rows {
        let chunk = FILL_CHUNK.min(rows - done);
        let t = Instant::now();
        let batch = (done..done + chunk).map(|i| gen.row(i));
        let inserted = store.insert_incidents_bulk(batch).await?;
        if inserted != chunk {
            bail!("{name}: inserted {inserted} rows of {chunk}");
        }
        done += chunk;
        let total = started.elapsed().as_secs_f64();
        eprintln!(
            "api_latency: {name}: {done:>9} / {rows} rows, {:>7.0} rows/s now, {:>7.0} rows/s overall",
            chunk as f64 / t.elapsed().as_secs_f64().max(1e-9),
            done as f64 / total.max(1e-9),
        );
    }
    Ok(FillStats {
        rows,
        elapsed: started.elapsed(),
    })
}
