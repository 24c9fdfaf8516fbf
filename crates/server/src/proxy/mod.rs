//! The proxy guard: a second listener of `leakwall serve`, a reverse proxy in front of one
//! upstream HTTP service (`proxy.upstream`), that asks the policies about every request
//! before it passes (spec §1.4–1.5, the oCIS proxy's policies middleware).
//!
//! For each request the guard builds the Rego input of stage `http` ([`RequestFacts`]),
//! evaluates `proxy.query` with [`Policies::allow`], and then:
//!
//! - allow: forwards the request ([`Upstream`]); bodies stream through in both directions;
//! - the policy answered something else (false, undefined, not a boolean): 403 with the
//!   `deniedByPolicy` JSON body, and the request body is never read;
//! - the engine failed (compile error, missing file, timeout, runtime error): 500, empty body;
//! - the upstream cannot be reached: 502; it does not answer in time: 504.
//!
//! With no query the guard forwards without evaluating, as oCIS does.
//!
//! The resource name is the tus `Upload-Metadata` `filename`, else the last path segment when
//! it has an extension, else empty. oCIS has a third step for a `PUT` to a space addressed by
//! id (it asks the storage for the name); the guard knows no storage, so such requests carry
//! an empty name: policies should deny uploads with an empty name (the example
//! `policies/proxy.rego` does).
//!
//! Design decision: the guard is plain hyper (HTTP/1), not axum. A proxy must hand the
//! upstream's `Incoming` body back to the client as is and keep the client's body unread until
//! the decision, which hyper's server and pooled client do without any adapter; there is no
//! routing to share with the HTTP API. WebSocket upgrades and HTTP/2 are not proxied.

mod config;
mod deny;
mod forward;
mod input;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use leakwall_policy::Verdict;

pub use config::{ProxyConfig, ProxySettings};
pub use deny::ProxyBody;
pub use forward::Upstream;
pub use input::{RequestFacts, User};

use crate::config::OidcConfig;
use crate::policy::Policies;
use crate::state::AppState;

/// How long open connections get to finish their requests on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The guard of one upstream: the query, the policies, who may pass identity headers.
#[derive(Debug)]
pub struct Guard {
    settings: ProxySettings,
    policies: Option<Arc<Policies>>,
    oidc: Option<OidcConfig>,
    upstream: Upstream,
    /// Sharing rules for OCS share calls (`sharing.ocs`), when configured.
    ocs: Option<Arc<crate::sharing::ocs::OcsGuard>>,
}

impl Guard {
    /// The guard of `state`, or `None` when `proxy.listen` is not set.
    pub fn from_state(state: &AppState) -> Option<Guard> {
        let settings = state.settings.proxy.clone()?;
        let ocs = state.settings.sharing_ocs.clone().map(|ocs| {
            let authority = settings.upstream.authority().map_or("", |a| a.as_str());
            let base = format!("http://{authority}{}", settings.upstream_prefix);
            let sharing = Arc::clone(&state.sharing);
            Arc::new(crate::sharing::ocs::OcsGuard::new(sharing, base, ocs))
        });
        let mut guard = Guard::new(
            settings,
            state.policies.clone(),
            state.settings.oidc.clone(),
        );
        guard.ocs = ocs;
        Some(guard)
    }

    /// A guard over explicit parts.
    pub fn new(
        settings: ProxySettings,
        policies: Option<Arc<Policies>>,
        oidc: Option<OidcConfig>,
    ) -> Guard {
        let upstream = Upstream::new(&settings);
        Guard {
            settings,
            policies,
            oidc,
            upstream,
            ocs: None,
        }
    }

    /// Where the guard is configured to listen.
    pub fn listen(&self) -> SocketAddr {
        self.settings.listen
    }

    /// Decides on one request from `peer` and answers it.
    pub async fn handle(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<ProxyBody> {
        let trusted = self
            .oidc
            .as_ref()
            .is_some_and(|o| o.trusted_proxies.contains(&peer.ip()));
        let Some(query) = &self.settings.query else {
            count("unchecked");
            return self.pass(request, peer, trusted).await;
        };
        let facts = RequestFacts::new(
            request.method().as_str(),
            request.uri().path(),
            request.headers(),
            peer.ip(),
            self.oidc.as_ref(),
        );
        let Some(policies) = &self.policies else {
            tracing::error!("proxy: a query is set but no policies are loaded");
            count("error");
            return deny::empty(StatusCode::INTERNAL_SERVER_ERROR);
        };
        match policies.allow("proxy", query, facts.input()).await {
            Verdict::Allow => {
                count("allowed");
                self.pass(request, peer, trusted).await
            }
            Verdict::Deny(reason) if reason.is_policy_answer() => {
                tracing::info!(method = %facts.method, path = %facts.path, reason = reason.kind(),
                    "proxy: denied by policy");
                count("denied");
                deny::denied(&facts, request.headers())
            }
            Verdict::Deny(reason) => {
                tracing::error!(method = %facts.method, path = %facts.path, error = %reason,
                    "proxy: the policy could not be evaluated");
                count("error");
                deny::empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

impl Guard {
    /// Forwards a request the policy let through; share calls to an OCS server are first
    /// decided by the sharing rules (`crate::sharing::ocs`).
    async fn pass(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        trusted: bool,
    ) -> Response<ProxyBody> {
        if let Some(ocs) = &self.ocs {
            let call =
                crate::sharing::ocs::ShareCall::of(request.method().as_str(), request.uri().path());
            if let Some(call) = call {
                return ocs.handle(request, call).await;
            }
        }
        self.upstream.forward(request, peer, trusted).await
    }
}

/// Counts a request by what the guard did with it (`leakwall_proxy_requests_total`): `allowed`,
/// `denied`, `error` (the policy could not be evaluated) or `unchecked` (no query). Upstream
/// failures are counted apart (`leakwall_proxy_upstream_errors_total`).
fn count(outcome: &'static str) {
    metrics::counter!("leakwall_proxy_requests_total", "outcome" => outcome).increment(1);
}

/// Serves the guard on `listener` until `shutdown` completes; open connections then get
/// a short grace period (`SHUTDOWN_GRACE`) to finish.
pub async fn serve(
    guard: Arc<Guard>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let addr = listener.local_addr().context("proxy listener address")?;
    tracing::info!(%addr, "proxy guard listening");
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(error = %e, "proxy: accepting a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                spawn_connection(Arc::clone(&guard), stream, peer, &graceful);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("proxy: connections still open after the grace period");
        }
    }
    Ok(())
}

/// Serves one client connection (HTTP/1.1, keep-alive) in a task of its own, watched by
/// `graceful`.
fn spawn_connection(
    guard: Arc<Guard>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let guard = Arc::clone(&guard);
        async move { Ok::<_, Infallible>(guard.handle(request, peer).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, %peer, "proxy: connection ended with an error");
        }
    });
}
