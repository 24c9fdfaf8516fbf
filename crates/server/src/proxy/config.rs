//! The `proxy:` settings, validated once into [`ProxySettings`].

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use hyper::Uri;
use serde::Deserialize;

/// `proxy:` settings: the guard in front of an upstream HTTP service.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Address the guard listens on (`LEAKWALL_PROXY_LISTEN`); empty = no guard.
    pub listen: String,
    /// The service behind the guard, `http://host:port[/prefix]` (`LEAKWALL_PROXY_UPSTREAM`).
    pub upstream: String,
    /// The boolean query every request is evaluated with, e.g. `data.proxy.granted`
    /// (`PROXY_POLICIES_QUERY` as in oCIS, or `LEAKWALL_PROXY_QUERY`, which wins); empty =
    /// requests are forwarded without evaluation, as oCIS does.
    pub query: String,
    /// Milliseconds to open a connection to the upstream (default 5000); past it, 504.
    pub connect_timeout_ms: u64,
    /// Seconds the upstream has to answer with its status and headers (default 60); past
    /// it, 504. Bodies are streamed afterwards without a deadline.
    pub response_timeout_seconds: u64,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            listen: String::new(),
            upstream: String::new(),
            query: String::new(),
            connect_timeout_ms: 5_000,
            response_timeout_seconds: 60,
        }
    }
}

/// Validated guard settings: present only when `proxy.listen` is set.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    /// Where the guard listens.
    pub listen: SocketAddr,
    /// The upstream's scheme (`http`) and authority.
    pub upstream: Uri,
    /// A path prefix of the upstream prepended to every request path (no trailing `/`).
    pub upstream_prefix: String,
    /// The policy query; `None` forwards without evaluation.
    pub query: Option<String>,
    /// Time to connect to the upstream.
    pub connect_timeout: Duration,
    /// Time for the upstream to answer with its head.
    pub response_timeout: Duration,
}

impl ProxyConfig {
    /// Applies `LEAKWALL_PROXY_LISTEN`, `LEAKWALL_PROXY_UPSTREAM`, then `PROXY_POLICIES_QUERY`
    /// and `LEAKWALL_PROXY_QUERY` (the latter wins) from `env`.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> ProxyConfig {
        if let Some(listen) = env("LEAKWALL_PROXY_LISTEN") {
            self.listen = listen;
        }
        if let Some(upstream) = env("LEAKWALL_PROXY_UPSTREAM") {
            self.upstream = upstream;
        }
        for name in ["PROXY_POLICIES_QUERY", "LEAKWALL_PROXY_QUERY"] {
            if let Some(query) = env(name) {
                self.query = query;
            }
        }
        self
    }

    /// Validates the section; `policies_configured` says whether `policies.engine.policies`
    /// lists anything (a query needs policies). The error names the key.
    pub fn validate(&self, policies_configured: bool) -> anyhow::Result<Option<ProxySettings>> {
        let query = self.query.trim();
        if !query.is_empty() && !query.starts_with("data.") {
            bail!("proxy.query: `{query}` must be a data reference such as data.proxy.granted");
        }
        if !query.is_empty() && !policies_configured {
            bail!("proxy.query: `{query}` is set but policies.engine.policies lists no policy");
        }
        if self.listen.trim().is_empty() {
            return Ok(None);
        }
        let listen: SocketAddr = self.listen.trim().parse().with_context(|| {
            format!(
                "proxy.listen: `{}` is not an address like 127.0.0.1:9200",
                self.listen
            )
        })?;
        let (upstream, upstream_prefix) = parse_upstream(self.upstream.trim())?;
        if self.connect_timeout_ms == 0 || self.response_timeout_seconds == 0 {
            bail!(
                "proxy.connect_timeout_ms and proxy.response_timeout_seconds: must be at least 1"
            );
        }
        Ok(Some(ProxySettings {
            listen,
            upstream,
            upstream_prefix,
            query: (!query.is_empty()).then(|| query.to_owned()),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            response_timeout: Duration::from_secs(self.response_timeout_seconds),
        }))
    }
}

/// `http://host:port[/prefix]` → (`http://host:port`, `/prefix`).
fn parse_upstream(raw: &str) -> anyhow::Result<(Uri, String)> {
    if raw.is_empty() {
        bail!("proxy.upstream: required when proxy.listen is set (an http:// URL)");
    }
    let bad = || format!("proxy.upstream: `{raw}` is not an http://host:port[/path] URL");
    let uri: Uri = raw.parse().with_context(bad)?;
    if uri.scheme_str() != Some("http") {
        bail!("proxy.upstream: `{raw}` must be an http:// URL (https upstreams are not supported)");
    }
    let Some(authority) = uri.authority() else {
        bail!(bad());
    };
    if authority.as_str().contains('@') || authority.host().is_empty() || uri.query().is_some() {
        bail!(bad());
    }
    let prefix = uri.path().trim_end_matches('/').to_owned();
    let base = Uri::builder()
        .scheme("http")
        .authority(authority.clone())
        .path_and_query("/")
        .build()
        .with_context(bad)?;
    Ok((base, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, upstream: &str, query: &str) -> ProxyConfig {
        ProxyConfig {
            listen: listen.into(),
            upstream: upstream.into(),
            query: query.into(),
            ..ProxyConfig::default()
        }
    }

    #[test]
    fn off_without_listen() {
        assert!(ProxyConfig::default().validate(false).unwrap().is_none());
    }

    #[test]
    fn upstream_with_a_prefix() {
        let c = config(
            "127.0.0.1:0",
            "http://127.0.0.1:81/base/",
            "data.proxy.granted",
        );
        let s = c.validate(true).unwrap().unwrap();
        assert_eq!(s.upstream.authority().unwrap().as_str(), "127.0.0.1:81");
        assert_eq!(s.upstream_prefix, "/base");
        assert_eq!(s.query.as_deref(), Some("data.proxy.granted"));
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (c, policies, key) in [
            (config("127.0.0.1:0", "", ""), true, "proxy.upstream"),
            (
                config("127.0.0.1:0", "https://x", ""),
                true,
                "proxy.upstream",
            ),
            (config("127.0.0.1:0", "ftp://x", ""), true, "proxy.upstream"),
            (
                config("127.0.0.1:0", "http://u@x", ""),
                true,
                "proxy.upstream",
            ),
            (config("nowhere", "http://x", ""), true, "proxy.listen"),
            (
                config("127.0.0.1:0", "http://x", "data.p.q"),
                false,
                "policies.engine",
            ),
            (
                config("127.0.0.1:0", "http://x", "allow"),
                true,
                "proxy.query",
            ),
        ] {
            let err = c.validate(policies).unwrap_err().to_string();
            assert!(err.contains(key), "{c:?}: {err}");
        }
    }

    #[test]
    fn the_leakwall_query_variable_wins_over_the_ocis_one() {
        let env = |k: &str| match k {
            "PROXY_POLICIES_QUERY" => Some("data.ocis.q".to_owned()),
            "LEAKWALL_PROXY_QUERY" => Some("data.leakwall.q".to_owned()),
            "LEAKWALL_PROXY_LISTEN" => Some("127.0.0.1:1".to_owned()),
            _ => None,
        };
        let c = ProxyConfig::default().with_env(&env);
        assert_eq!(
            (c.query.as_str(), c.listen.as_str()),
            ("data.leakwall.q", "127.0.0.1:1")
        );
        let ocis = |k: &str| (k == "PROXY_POLICIES_QUERY").then(|| "data.ocis.q".to_owned());
        assert_eq!(ProxyConfig::default().with_env(&ocis).query, "data.ocis.q");
    }
}
