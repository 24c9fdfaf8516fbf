//! Settings of `leakwall serve`: one YAML file, then `LEAKWALL_*` environment variables over it,
//! validated once into [`Settings`].

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

/// The YAML configuration file, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `server:` settings.
    pub server: ServerConfig,
    /// `database:` settings.
    pub database: DatabaseConfig,
    /// `auth:` settings.
    pub auth: AuthConfig,
    /// `audit:` settings.
    pub audit: AuditConfig,
    /// `scan:` settings.
    pub scan: ScanConfig,
    /// `queue:` settings.
    pub queue: QueueConfig,
    /// `policies:` settings.
    pub policies: crate::policy::PoliciesConfig,
    /// `postprocessing:` settings (the chain of steps for uploaded files).
    pub postprocessing: crate::postprocessing::PostprocessingConfig,
    /// `grpc:` settings (the policy API).
    pub grpc: crate::grpc::GrpcConfig,
    /// `proxy:` settings (the proxy guard).
    pub proxy: crate::proxy::ProxyConfig,
    /// `slack:` settings (the Slack connector; off without a signing secret).
    pub slack: crate::slack::SlackConfig,
    /// `webex:` settings (the Webex connector; off without a client id).
    pub webex: crate::webex::WebexConfig,
    /// `antivirus:` settings (clamd; off without an address).
    pub antivirus: crate::antivirus::AntivirusConfig,
    /// `sharing:` settings (the proxy guard's OCS mode).
    pub sharing: crate::sharing::ocs::SharingFileConfig,
}

/// `queue:` settings: where tasks wait and how workers run them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// `sqlite://FILE` (embedded), `postgres://...`, or
    /// `sqs://QUEUE?region=R&endpoint=URL` (`LEAKWALL_QUEUE_URL`); empty = the database URL.
    pub url: String,
    /// Name of the queue (several deployments may share one database).
    pub name: String,
    /// Tasks run at once by one process.
    pub concurrency: usize,
    /// Seconds a received task is leased before another worker may take it (kept alive by
    /// heartbeats while the task runs).
    pub lease_seconds: u64,
    /// Deliveries before a failing task goes to the dead-letter queue.
    pub max_attempts: u32,
    /// Seconds one task may run.
    pub task_timeout_seconds: u64,
    /// Seconds in-flight tasks get to finish on shutdown before they are released.
    pub grace_seconds: u64,
    /// Tasks leased ahead of free slots (kept alive by heartbeats while they wait); small or
    /// 0 when tasks are long and several workers share the queue.
    pub prefetch: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            url: String::new(),
            name: "tasks".into(),
            concurrency: 8,
            lease_seconds: 30,
            max_attempts: 5,
            task_timeout_seconds: 300,
            grace_seconds: 30,
            prefetch: 16,
        }
    }
}

/// `server:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`LEAKWALL_LISTEN`), default `127.0.0.1:8080`.
    pub listen: String,
    /// Largest JSON body of the admin API, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// This server's URL as the platforms reach it (`LEAKWALL_PUBLIC_URL`): webhook targets
    /// and OAuth redirects.
    pub public_url: String,
    /// 32 bytes, base64: seals stored tokens and signs OAuth states for every platform
    /// (`LEAKWALL_TOKEN_KEY`); `slack.token_key` is the same key under its older name.
    pub token_key: Option<leakwall_connectors::Token>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            public_url: String::new(),
            token_key: None,
        }
    }
}

/// `database:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` or `postgres://...` (`LEAKWALL_DATABASE_URL`), default
    /// `sqlite://leakwall.db`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://leakwall.db".into(),
        }
    }
}

/// `auth:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Identity passed in headers by a trusted front proxy.
    pub oidc: Option<OidcConfig>,
}

/// Claims passed as headers by a front proxy (e.g. Apache with mod_auth_openidc).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// Addresses of the proxies whose headers are believed; from anyone else they are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Header with the username.
    pub username_header: String,
    /// Header with the display name.
    pub name_header: String,
    /// Header with the e-mail address.
    pub email_header: String,
    /// Header with the group ids.
    pub groups_header: String,
    /// What separates group ids in the groups header.
    pub groups_separator: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            trusted_proxies: Vec::new(),
            username_header: "oidc_claim_sub".into(),
            name_header: "oidc_claim_name".into(),
            email_header: "oidc_claim_email".into(),
            groups_header: "oidc_claim_groups".into(),
            groups_separator: ",".into(),
        }
    }
}

/// `audit:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Days an audit record is kept (`expire_time` of the spec), default 90.
    pub expire_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { expire_days: 90 }
    }
}

/// `scan:` settings of `POST /v1/scan`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Largest JSON text body, in bytes (default 16 MiB).
    pub max_text_bytes: usize,
    /// Largest uploaded file, in bytes (default 256 MiB); larger uploads are refused with 413.
    pub max_file_bytes: u64,
    /// Findings below this confidence are not reported (default 0.5).
    pub min_confidence: f32,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_text_bytes: 16 * 1024 * 1024,
            max_file_bytes: 256 * 1024 * 1024,
            min_confidence: 0.5,
        }
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Largest admin API body.
    pub max_body_bytes: usize,
    /// OIDC header settings, if enabled.
    pub oidc: Option<OidcConfig>,
    /// How long audit records are kept.
    pub audit_ttl: Duration,
    /// Scan API settings.
    pub scan: ScanConfig,
    /// Queue settings, with `url` resolved.
    pub queue: QueueConfig,
    /// Policy settings.
    pub policies: crate::policy::PoliciesConfig,
    /// Post-processing settings (steps validated).
    pub postprocessing: crate::postprocessing::PostprocessingConfig,
    /// Where the gRPC policy API listens; `None` = disabled.
    pub grpc_listen: Option<SocketAddr>,
    /// The proxy guard, when `proxy.listen` is set.
    pub proxy: Option<crate::proxy::ProxySettings>,
    /// Slack, when `slack.signing_secret` is set.
    pub slack: Option<crate::slack::SlackSettings>,
    /// Webex, when `webex.client_id` is set.
    pub webex: Option<crate::webex::WebexSettings>,
    /// The antivirus, when `antivirus.clamd` is set.
    pub antivirus: Option<crate::antivirus::Antivirus>,
    /// The proxy guard's OCS mode, when `sharing.ocs.service_user` is set.
    pub sharing_ocs: Option<crate::sharing::ocs::OcsSettings>,
}

impl Config {
    /// The one key for platform tokens: `server.token_key`, or `slack.token_key` (its older
    /// name); both set and different is an error.
    fn token_key(&self) -> anyhow::Result<Option<leakwall_connectors::Token>> {
        match (&self.server.token_key, &self.slack.token_key) {
            (Some(a), Some(b)) if a.expose() != b.expose() => bail!(
                "server.token_key: differs from slack.token_key (one key seals every platform's \
                 tokens; set one of them)"
            ),
            (Some(key), _) | (None, Some(key)) => Ok(Some(key.clone())),
            (None, None) => Ok(None),
        }
    }

    /// Reads a YAML file; a missing `--config` file is an error naming it.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        serde_yaml::from_str(&text).with_context(|| format!("config {}", path.display()))
    }

    /// Applies `LEAKWALL_LISTEN` and `LEAKWALL_DATABASE_URL` from `env`.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Config {
        if let Some(listen) = env("LEAKWALL_LISTEN") {
            self.server.listen = listen;
        }
        if let Some(url) = env("LEAKWALL_DATABASE_URL") {
            self.database.url = url;
        }
        if let Some(url) = env("LEAKWALL_QUEUE_URL") {
            self.queue.url = url;
        }
        self.postprocessing = self.postprocessing.with_env(&env);
        self.grpc = self.grpc.with_env(&env);
        self.proxy = self.proxy.with_env(&env);
        self.slack = self.slack.with_env(&env);
        self.webex = self.webex.with_env(&env);
        if let Some(url) = env("LEAKWALL_PUBLIC_URL").filter(|v| !v.is_empty()) {
            self.server.public_url = url;
        }
        if let Some(key) = env("LEAKWALL_TOKEN_KEY").filter(|v| !v.is_empty()) {
            self.server.token_key = Some(leakwall_connectors::Token::new(key));
        }
        self.antivirus = self.antivirus.with_env(&env);
        self.sharing = self.sharing.with_env(&env);
        self
    }

    /// Validates every setting once; the error names the key.
    pub fn validate(self) -> anyhow::Result<Settings> {
        let listen: SocketAddr = self.server.listen.parse().with_context(|| {
            format!(
                "server.listen: `{}` is not an address like 127.0.0.1:8080",
                self.server.listen
            )
        })?;
        let url = &self.database.url;
        let schemes = ["sqlite:", "postgres://", "postgresql://"];
        if !schemes.iter().any(|s| url.starts_with(s)) {
            bail!("database.url: `{url}` must start with sqlite:// or postgres://");
        }
        if self.server.max_body_bytes < 1024 {
            bail!("server.max_body_bytes: must be at least 1024");
        }
        if self.audit.expire_days == 0 {
            bail!("audit.expire_days: must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.scan.min_confidence) {
            bail!("scan.min_confidence: must be between 0 and 1");
        }
        if let Some(oidc) = &self.auth.oidc {
            if oidc.trusted_proxies.is_empty() {
                bail!("auth.oidc.trusted_proxies: list the proxy addresses whose headers are believed");
            }
        }
        let token_key = self.token_key()?;
        let mut queue = self.queue;
        if queue.url.is_empty() {
            queue.url = self.database.url.clone();
        }
        let queue_schemes = ["sqlite:", "postgres://", "postgresql://", "sqs://"];
        if !queue_schemes.iter().any(|s| queue.url.starts_with(s)) {
            bail!(
                "queue.url: `{}` must start with sqlite://, postgres:// or sqs://",
                queue.url
            );
        }
        if queue.concurrency == 0 || queue.concurrency > 1024 {
            bail!("queue.concurrency: must be between 1 and 1024");
        }
        if queue.prefetch > 10_000 {
            bail!("queue.prefetch: must be at most 10000");
        }
        if queue.lease_seconds < 2 || queue.max_attempts == 0 || queue.task_timeout_seconds == 0 {
            bail!("queue.lease_seconds must be at least 2, queue.max_attempts and queue.task_timeout_seconds at least 1");
        }
        if queue.name.is_empty()
            || !queue
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            bail!("queue.name: letters, digits, `-` and `_` only");
        }
        self.policies
            .engine
            .settings()
            .map_err(|e| anyhow::anyhow!("policies.engine: {e}"))?;
        if !self.policies.decision_query.starts_with("data.") {
            bail!("policies.decision_query: must be a data reference such as data.dlp.decision");
        }
        if let Err(e) = self.policies.decision_log.validate() {
            bail!("policies.decision_log.{e}");
        }
        let steps = self.postprocessing.validate()?;
        let antivirus = self.antivirus.validate()?;
        if antivirus.is_none() && steps.contains(&crate::postprocessing::Step::Virusscan) {
            bail!("postprocessing.steps: `virusscan` needs antivirus.clamd (tcp://host:port or unix:///path)");
        }
        let proxy = self
            .proxy
            .validate(!self.policies.engine.policies.is_empty())?;
        let grpc_listen = self.grpc.listen_addr()?;
        let mut slack_config = self.slack;
        if slack_config.token_key.is_none() {
            slack_config.token_key = token_key.clone();
        }
        let slack = slack_config.validate()?;
        let webex = self
            .webex
            .validate(token_key.as_ref(), &self.server.public_url)?;
        let sharing_ocs = self.sharing.validate(proxy.is_some())?;
        Ok(Settings {
            webex,
            sharing_ocs,
            slack,
            antivirus,
            postprocessing: self.postprocessing,
            grpc_listen,
            proxy,
            policies: self.policies,
            queue,
            listen,
            database_url: self.database.url,
            max_body_bytes: self.server.max_body_bytes,
            oidc: self.auth.oidc,
            audit_ttl: Duration::from_secs(u64::from(self.audit.expire_days) * 86_400),
            scan: self.scan,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> anyhow::Result<Settings> {
        let config: Config = serde_yaml::from_str(yaml)?;
        config.validate()
    }

    #[test]
    fn defaults_are_the_embedded_ones() {
        let s = Config::default().validate().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://leakwall.db");
        assert_eq!(s.audit_ttl, Duration::from_secs(90 * 86_400));
    }

    #[test]
    fn environment_overrides_the_file() {
        let config: Config = serde_yaml::from_str("server: {listen: '0.0.0.0:1'}").unwrap();
        let env = |k: &str| match k {
            "LEAKWALL_LISTEN" => Some("127.0.0.1:9999".to_owned()),
            "LEAKWALL_DATABASE_URL" => Some("postgres://u@h/db".to_owned()),
            _ => None,
        };
        let s = config.with_env(env).validate().unwrap();
        assert_eq!(s.listen.port(), 9999);
        assert_eq!(s.database_url, "postgres://u@h/db");
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (yaml, key) in [
            ("server: {listen: nowhere}", "server.listen"),
            ("database: {url: 'mysql://x'}", "database.url"),
            ("audit: {expire_days: 0}", "audit.expire_days"),
            ("scan: {min_confidence: 2}", "scan.min_confidence"),
            ("auth: {oidc: {}}", "auth.oidc.trusted_proxies"),
        ] {
            let err = parse(yaml).unwrap_err().to_string();
            assert!(err.contains(key), "{yaml}: {err}");
        }
        let unknown = serde_yaml::from_str::<Config>("server: {lsten: x}").unwrap_err();
        assert!(unknown.to_string().contains("lsten"), "{unknown}");
    }
}
