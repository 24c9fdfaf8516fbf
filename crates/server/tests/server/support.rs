//! A server over a fresh database (SQLite in a temp dir, or a PostgreSQL schema of its own),
//! driven in-process through the router, as a client would over HTTP.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leakwall_server::{AppState, Config};
use leakwall_store::Store;
use serde_json::Value;
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub state: AppState,
    pub store: Store,
    _dir: tempfile::TempDir,
    schema: Option<String>,
}

fn postgres_base() -> Option<String> {
    match std::env::var("LEAKWALL_TEST_POSTGRES") {
        Ok(v) if v == "skip" => None,
        Ok(v) => Some(v),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/test".into()),
    }
}

/// A database URL of its own for one test; `None` when PostgreSQL tests are skipped.
async fn database_url(db: Db, dir: &tempfile::TempDir) -> Option<(String, Option<String>)> {
    match db {
        Db::Sqlite => Some((
            format!("sqlite://{}", dir.path().join("leakwall.db").display()),
            None,
        )),
        Db::Postgres => {
            let base = postgres_base()?;
            let schema = format!("lw_server_{}", hex_id());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {base} is not reachable ({e}); start it or set LEAKWALL_TEST_POSTGRES=skip")
                });
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
            Some((url, Some(schema)))
        }
    }
}

fn hex_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", nanos, std::process::id())
}

impl TestServer {
    /// A server on a fresh database, or `None` when PostgreSQL tests are skipped.
    pub async fn start(db: Db, config: Config) -> Option<TestServer> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, schema) = database_url(db, &dir).await?;
        let mut config = config;
        config.database.url = url;
        let settings = config.validate().expect("valid settings");
        let store = leakwall_server::open_store(&settings)
            .await
            .expect("open store");
        let state = AppState::new(store.clone(), settings);
        state.detection.reload(&store).await.expect("detectors");
        Some(TestServer {
            state,
            store,
            _dir: dir,
            schema,
        })
    }

    fn router(&self, peer: SocketAddr) -> Router {
        leakwall_server::routes::router(self.state.clone()).layer(MockConnectInfo(peer))
    }

    /// Sends a request from 127.0.0.1 and returns the status and the JSON body (or a string).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        self.call_from("127.0.0.1:40000", method, path, headers, body)
            .await
    }

    /// Like [`TestServer::call`], from a given peer address.
    pub async fn call_from(
        &self,
        peer: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        // Written plainly in the tables; encoded here as a client would.
        let uri = path
            .replace('"', "%22")
            .replace('[', "%5B")
            .replace(']', "%5D")
            .replace(' ', "%20");
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Body::from(body.unwrap_or_default().to_owned()))
            .expect("request");
        let peer: SocketAddr = peer.parse().expect("peer");
        let resp = self.router(peer).oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Drops the PostgreSQL schema of this test.
    pub async fn finish(self) {
        self.store.close().await;
        if let (Some(schema), Some(base)) = (self.schema, postgres_base()) {
            if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

/// Runs an async test case on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($case:ident) => {
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$case($crate::support::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$case($crate::support::Db::Postgres).await;
            }
        }
    };
}
