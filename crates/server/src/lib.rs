//! Leakwall's server: the composition of the store, the access model and the detection engine
//! behind HTTP. Routes (`routes::ROUTES`) are one table from which both the axum router and the
//! OpenAPI document are built; every admin handler takes a [`call::Call`], which cannot be
//! constructed for a caller that is not authenticated and permitted.
//!
//! Design decision: the admin API is generic over resources. A resource is a
//! [`leakwall_access::Schema`]; listing, filtering, access control, auditing and history are
//! written once for all of them, and what is particular to a resource (a detector must compile,
//! a principal's groups must exist) is a check on the whole item in `checks`.
#![deny(missing_docs)]

pub mod antivirus;
pub mod auth;
pub mod call;
mod checks;
pub mod config;
pub mod detection;
pub mod error;
pub mod grpc;
pub mod openapi;
pub mod policy;
pub mod postprocessing;
pub mod proxy;
pub mod queue;
pub mod routes;
pub mod sealing;
pub mod sharing;
pub mod slack;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod webex;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use leakwall_store::Store;

pub use config::{Config, Settings};
pub use state::AppState;

/// Opens the store (creating and migrating it) with the audit retention of `settings`.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::open(&settings.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact(&settings.database_url)))?;
    Ok(store.with_audit_ttl(settings.audit_ttl))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// If no API key exists yet, creates one in the built-in `admin` group and returns its
/// secret (to be shown once).
pub async fn first_admin_key(store: &Store) -> anyhow::Result<Option<String>> {
    if store.has_api_keys().await? {
        return Ok(None);
    }
    let (_, secret) = store
        .create_api_key("first admin key", "admin", &["admin".to_owned()], None)
        .await?;
    Ok(Some(secret))
}

/// Serves HTTP on `listener` until `shutdown` completes; background tasks (detector reload,
/// audit expiry) stop with it.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    state
        .detection
        .reload(&state.store)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let background = tokio::spawn(maintain(state.clone()));
    let app = routes::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
    background.abort();
    result
}

/// Runs queue workers with Leakwall's tasks until `shutdown` completes; in-flight tasks get
/// the configured grace period, then are released to be delivered again.
pub async fn run_workers(
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Some(queue) = state.queue.clone() else {
        anyhow::bail!("no queue configured");
    };
    let config = queue::worker_config(&state.settings.queue);
    let worker = leakwall_queue::worker::Worker::new(queue, tasks::shared_registry(&state), config);
    worker.run(shutdown).await.context("running queue workers")
}

/// Every few seconds: pick up detector changes made by other processes and ask clamd how it
/// is; hourly: drop expired audit records and idempotency keys.
pub async fn maintain(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        if let Err(e) = state.detection.reload(&state.store).await {
            tracing::warn!(error = e.message, "reloading detectors");
        }
        if let Some(queue) = &state.queue {
            leakwall_queue::worker::report_stats(queue.as_ref()).await;
        }
        if let Some(policies) = &state.policies {
            policies.reload_if_changed().await;
        }
        if let Some(antivirus) = &state.settings.antivirus {
            // Keeps `leakwall_antivirus_up` current between scans.
            let _ = antivirus.health().await;
        }
        if let Err(e) = state.sharing.reload().await {
            tracing::warn!(error = %e, "reloading the sharing settings");
        }
        if let Some(webex) = &state.settings.webex {
            if n.is_multiple_of(60) {
                crate::webex::tokens::refresh_expiring(&state, webex).await;
            }
        }
        if n.is_multiple_of(720) {
            if let Err(e) = state.store.purge_expired_audit().await {
                tracing::warn!(error = %e, "purging expired audit records");
            }
            if let Err(e) = state.store.purge_expired_keys().await {
                tracing::warn!(error = %e, "purging expired idempotency keys");
            }
            if let Err(e) = state.store.purge_expired_decisions().await {
                tracing::warn!(error = %e, "purging expired decision-log records");
            }
        }
        n += 1;
    }
}
