//! Forwarding an allowed request to the upstream: bodies are hyper bodies passed through in
//! both directions (never collected), hop-by-hop headers are dropped, `X-Forwarded-*` added.

use std::error::Error as _;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Either;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, EXPECT, HOST};
use hyper::http::uri::PathAndQuery;
use hyper::{HeaderMap, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::config::ProxySettings;
use super::deny::{empty, ProxyBody};

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the
/// non-standard `proxy-connection` and `keep-alive`.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A keep-alive HTTP/1 client for the upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: Client<HttpConnector, Incoming>,
    base: Uri,
    prefix: String,
    response_timeout: Duration,
}

impl Upstream {
    /// A client for the upstream of `settings` (connections are opened on first use).
    pub fn new(settings: &ProxySettings) -> Upstream {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(settings.connect_timeout));
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Upstream {
            client,
            base: settings.upstream.clone(),
            prefix: settings.upstream_prefix.clone(),
            response_timeout: settings.response_timeout,
        }
    }

    /// Sends `request` (from `peer`; `trusted` when `peer` is a trusted front proxy whose
    /// `X-Forwarded-Proto/-Host` are kept) and returns the upstream's answer, or 502 when it
    /// cannot be reached and 504 when it does not answer in time.
    pub async fn forward(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        trusted: bool,
    ) -> Response<ProxyBody> {
        let (mut parts, body) = request.into_parts();
        let uri = match self.uri(parts.uri.path_and_query()) {
            Ok(uri) => uri,
            Err(e) => {
                tracing::warn!(error = %e, "proxy: cannot build the upstream URI");
                return empty(StatusCode::BAD_REQUEST);
            }
        };
        parts.uri = uri;
        prepare_headers(&mut parts.headers, peer, trusted, &self.base);
        let sent = self.client.request(Request::from_parts(parts, body));
        let answer = match tokio::time::timeout(self.response_timeout, sent).await {
            Err(_) => {
                tracing::warn!(upstream = %self.base, "proxy: the upstream did not answer in time");
                upstream_error("timeout");
                return empty(StatusCode::GATEWAY_TIMEOUT);
            }
            Ok(Err(e)) => return failure(&e, &self.base),
            Ok(Ok(answer)) => answer,
        };
        let (mut parts, body) = answer.into_parts();
        drop_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, Either::Left(body))
    }

    fn uri(&self, path: Option<&PathAndQuery>) -> Result<Uri, hyper::http::Error> {
        let path = path.map_or("/", PathAndQuery::as_str);
        let mut builder = Uri::builder();
        if let Some(scheme) = self.base.scheme() {
            builder = builder.scheme(scheme.clone());
        }
        if let Some(authority) = self.base.authority() {
            builder = builder.authority(authority.clone());
        }
        builder
            .path_and_query(format!("{}{path}", self.prefix))
            .build()
    }
}

/// 504 when connecting timed out, else 502.
fn failure(e: &hyper_util::client::legacy::Error, base: &Uri) -> Response<ProxyBody> {
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                tracing::warn!(upstream = %base, "proxy: connecting to the upstream timed out");
                upstream_error("connect_timeout");
                return empty(StatusCode::GATEWAY_TIMEOUT);
            }
        }
        source = cause.source();
    }
    tracing::warn!(upstream = %base, error = %e, cause = ?e.source(), "proxy: upstream unreachable");
    upstream_error("unreachable");
    empty(StatusCode::BAD_GATEWAY)
}

fn upstream_error(kind: &'static str) {
    metrics::counter!("leakwall_proxy_upstream_errors_total", "kind" => kind).increment(1);
}

fn prepare_headers(headers: &mut HeaderMap, peer: SocketAddr, trusted: bool, base: &Uri) {
    drop_hop_by_hop(headers);
    // The guard answers `100 Continue` itself when it starts reading the body.
    headers.remove(EXPECT);
    let original_host = headers.remove(HOST);
    let forwarded_for = match headers.get("x-forwarded-for").map(HeaderValue::to_str) {
        Some(Ok(list)) if !list.trim().is_empty() => format!("{list}, {}", peer.ip()),
        _ => peer.ip().to_string(),
    };
    set(headers, "x-forwarded-for", &forwarded_for);
    if !(trusted && headers.contains_key("x-forwarded-proto")) {
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    }
    if !(trusted && headers.contains_key("x-forwarded-host")) {
        match original_host {
            Some(host) => headers.insert("x-forwarded-host", host),
            None => headers.remove("x-forwarded-host"),
        };
    }
    if let Some(authority) = base.authority() {
        set(headers, HOST.as_str(), authority.as_str());
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// Removes the hop-by-hop headers and those the `Connection` header names.
fn drop_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_dropped_and_forwarding_headers_added() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, x-secret".parse().unwrap());
        h.insert("x-secret", "1".parse().unwrap());
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("host", "files.example.org".parse().unwrap());
        h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-custom", "kept".parse().unwrap());
        let base: Uri = "http://127.0.0.1:9000/".parse().unwrap();
        prepare_headers(&mut h, "10.0.0.5:4000".parse().unwrap(), false, &base);
        for gone in ["connection", "x-secret", "transfer-encoding", "te"] {
            assert!(!h.contains_key(gone), "{gone}");
        }
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, 10.0.0.5");
        assert_eq!(
            h["x-forwarded-proto"], "http",
            "an untrusted peer's proto is replaced"
        );
        assert_eq!(h["x-forwarded-host"], "files.example.org");
        assert_eq!(h["host"], "127.0.0.1:9000");
        assert_eq!(h["x-custom"], "kept");
    }

    #[test]
    fn a_trusted_proxy_keeps_its_forwarded_proto() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let base: Uri = "http://127.0.0.1:9000/".parse().unwrap();
        prepare_headers(&mut h, "10.0.0.5:4000".parse().unwrap(), true, &base);
        assert_eq!(h["x-forwarded-proto"], "https");
    }
}
