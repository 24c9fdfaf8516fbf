//! `webex:` settings, validated once into [`WebexSettings`] (which hold the runtime pieces:
//! the token cipher, the OAuth state signer, the compiled MIME allow-lists and, built on
//! first use, the REST client).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context};
use leakwall_connectors::webex::{WebexClient, WebexClientConfig};
use leakwall_connectors::{ApiError, Token};
use regex::Regex;
use serde::Deserialize;

use crate::sealing::{StateSigner, TokenCipher};

/// The label of the key that signs Webex install links (never Slack's).
const STATE_LABEL: &str = "leakwall webex oauth state v1";

/// Real types allowed by default: text, images, PDF, RTF, e-mail, archives and office
/// documents. Executables and unknown binary content (`application/octet-stream`) are not.
pub const DEFAULT_ALLOWED_MIME_TYPES: &str = "^(text/.*|image/.*|application/pdf|application/rtf|\
    message/rfc822|application/(zip|gzip|x-tar)|application/vnd\\..*)$";

/// The author's private note when a message or file is blocked.
pub const DEFAULT_NOTICE: &str = "Leakwall blocked your message: it contained {detectors}. \
    Share such data only through an approved channel.";

/// What happens to a file that cannot be scanned or decided within the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Reject it (fail closed; the default).
    #[default]
    Reject,
    /// Approve it (fail open).
    Approve,
}

impl FailMode {
    /// `reject` or `approve`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailMode::Reject => "reject",
            FailMode::Approve => "approve",
        }
    }

    fn parse(text: &str) -> Option<FailMode> {
        match text {
            "reject" => Some(FailMode::Reject),
            "approve" => Some(FailMode::Approve),
            _ => None,
        }
    }
}

/// `webex:` settings. Webex is on when `client_id` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebexConfig {
    /// The integration's OAuth client id (env `LEAKWALL_WEBEX_CLIENT_ID`); empty = Webex off.
    pub client_id: String,
    /// The integration's client secret (env `LEAKWALL_WEBEX_CLIENT_SECRET`).
    pub client_secret: Option<Token>,
    /// The integration id: our webhooks carry it as `appId` (env
    /// `LEAKWALL_WEBEX_INTEGRATION_ID`).
    pub integration_id: String,
    /// This server's public URL (env `LEAKWALL_WEBEX_PUBLIC_URL`); empty = `server.public_url`.
    /// Webhooks target `{public_url}/webhooks/webex`; OAuth returns to
    /// `{public_url}/oauth/webex/callback`.
    pub public_url: String,
    /// Scopes asked for at install (the compliance officer's).
    pub scopes: Vec<String>,
    /// The REST API origin (a fake's in tests).
    pub api_base: String,
    /// Largest webhook body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Largest file downloaded and scanned (env `LEAKWALL_WEBEX_MAX_FILE_BYTES`); larger ones
    /// are unscannable and follow the fail mode.
    pub max_file_bytes: u64,
    /// Milliseconds from the webhook's arrival within which a file is decided (env
    /// `LEAKWALL_WEBEX_DECISION_BUDGET_MS`); Webex waits 10 s. Later: the fail mode.
    pub decision_budget_ms: u64,
    /// A regex the real type (from the bytes) must match (env
    /// `LEAKWALL_WEBEX_ALLOWED_MIME_TYPES`), as the Cisco example's `ALLOWED_MIME_TYPES_REGEX`.
    pub allowed_mime_types: String,
    /// Unscannable or undecided files (env `LEAKWALL_WEBEX_FAIL_MODE`): `reject` (default) or
    /// `approve`.
    pub fail_mode: FailMode,
    /// Whether a message whose text is blocked is deleted (env
    /// `LEAKWALL_WEBEX_DELETE_MESSAGES`).
    pub delete_messages: bool,
    /// The private note to the author of a blocked message: `{detectors}`.
    pub notice: String,
    /// Hours a message id is remembered to drop repeated deliveries.
    pub dedupe_hours: u64,
    /// Minutes an install link (its signed `state`) stays valid.
    pub install_minutes: u64,
    /// Access tokens with less than this many minutes left are refreshed by maintenance.
    pub refresh_ahead_minutes: u64,
    /// Times a task is rescheduled for rate limits before it gives up.
    pub max_rate_limited: u32,
    /// Per-organization overrides, by org id.
    pub orgs: BTreeMap<String, OrgConfig>,
    /// `LEAKWALL_WEBEX_*` variables that did not parse (set by `with_env`, reported by
    /// `validate`; not a YAML key).
    #[serde(skip)]
    pub env_errors: Vec<String>,
}

/// Settings of one organization that differ from the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgConfig {
    /// This org's fail mode.
    pub fail_mode: Option<FailMode>,
    /// Whether this org's blocked messages are deleted.
    pub delete_messages: Option<bool>,
    /// This org's MIME allow-list regex.
    pub allowed_mime_types: Option<String>,
}

impl Default for WebexConfig {
    fn default() -> Self {
        WebexConfig {
            client_id: String::new(),
            client_secret: None,
            integration_id: String::new(),
            public_url: String::new(),
            scopes: [
                "spark-compliance:messages_read",
                "spark-compliance:messages_write",
                "spark-compliance:rooms_read",
                "spark-compliance:webhooks_read",
                "spark-compliance:webhooks_write",
                // Posting the private notice to the author (`POST /v1/messages`).
                "spark:messages_write",
                "spark:kms",
            ]
            .map(str::to_owned)
            .to_vec(),
            api_base: "https://webexapis.com".into(),
            max_body_bytes: 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            decision_budget_ms: 8_000,
            allowed_mime_types: DEFAULT_ALLOWED_MIME_TYPES.into(),
            fail_mode: FailMode::Reject,
            delete_messages: false,
            notice: DEFAULT_NOTICE.into(),
            dedupe_hours: 24,
            install_minutes: 10,
            refresh_ahead_minutes: 60,
            max_rate_limited: 10,
            orgs: BTreeMap::new(),
            env_errors: Vec::new(),
        }
    }
}

/// The settings of one organization, resolved.
#[derive(Debug, Clone)]
pub struct OrgSettings {
    /// Unscannable or undecided files.
    pub fail_mode: FailMode,
    /// Whether blocked messages are deleted.
    pub delete_messages: bool,
    /// The allow-list of real types.
    pub allowed: Regex,
}

/// Validated Webex settings and the runtime pieces built from them.
#[derive(Debug, Clone)]
pub struct WebexSettings {
    /// The settings as configured (secrets wrapped).
    pub config: WebexConfig,
    /// Seals and opens stored tokens and webhook secrets.
    pub cipher: TokenCipher,
    /// Signs and checks the OAuth `state`.
    pub states: StateSigner,
    /// Where webhooks and OAuth return to (no trailing slash).
    pub public_url: String,
    defaults: OrgSettings,
    orgs: Arc<BTreeMap<String, OrgSettings>>,
    client: Arc<OnceLock<WebexClient>>,
    refresh_locks: Arc<Mutex<HashMap<String, RefreshLock>>>,
}

/// Serializes the token refreshes of one org in this process.
pub type RefreshLock = Arc<tokio::sync::Mutex<()>>;

impl WebexConfig {
    /// Applies the `LEAKWALL_WEBEX_*` variables.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| env(name).filter(|v| !v.is_empty());
        if let Some(id) = text("LEAKWALL_WEBEX_CLIENT_ID") {
            self.client_id = id;
        }
        if let Some(secret) = text("LEAKWALL_WEBEX_CLIENT_SECRET") {
            self.client_secret = Some(Token::new(secret));
        }
        if let Some(id) = text("LEAKWALL_WEBEX_INTEGRATION_ID") {
            self.integration_id = id;
        }
        if let Some(url) = text("LEAKWALL_WEBEX_PUBLIC_URL") {
            self.public_url = url;
        }
        if let Some(regex) = text("LEAKWALL_WEBEX_ALLOWED_MIME_TYPES") {
            self.allowed_mime_types = regex;
        }
        let mut bad = |name: &str, what: &str| {
            self.env_errors.push(format!("{name}: {what}"));
        };
        let number = |name: &str| text(name).map(|v| v.parse::<u64>().ok());
        match number("LEAKWALL_WEBEX_MAX_FILE_BYTES") {
            Some(Some(n)) => self.max_file_bytes = n,
            Some(None) => bad("LEAKWALL_WEBEX_MAX_FILE_BYTES", "a number of bytes"),
            None => {}
        }
        match number("LEAKWALL_WEBEX_DECISION_BUDGET_MS") {
            Some(Some(n)) => self.decision_budget_ms = n,
            Some(None) => bad(
                "LEAKWALL_WEBEX_DECISION_BUDGET_MS",
                "a number of milliseconds",
            ),
            None => {}
        }
        match text("LEAKWALL_WEBEX_FAIL_MODE").map(|v| FailMode::parse(&v)) {
            Some(Some(mode)) => self.fail_mode = mode,
            Some(None) => bad("LEAKWALL_WEBEX_FAIL_MODE", "`reject` or `approve`"),
            None => {}
        }
        match text("LEAKWALL_WEBEX_DELETE_MESSAGES").map(|v| v.parse::<bool>().ok()) {
            Some(Some(delete)) => self.delete_messages = delete,
            Some(None) => bad("LEAKWALL_WEBEX_DELETE_MESSAGES", "`true` or `false`"),
            None => {}
        }
        self
    }

    /// `None` when Webex is off. `key` is the shared token key (`server.token_key` or
    /// `slack.token_key`), `server_url` is `server.public_url`; the error names the key.
    pub fn validate(
        self,
        key: Option<&Token>,
        server_url: &str,
    ) -> anyhow::Result<Option<WebexSettings>> {
        if let Some(error) = self.env_errors.first() {
            bail!("{error}");
        }
        if self.client_id.is_empty() {
            return Ok(None);
        }
        let key = key.context(
            "server.token_key: required when Webex is on (32 random bytes in base64, e.g. \
             `openssl rand -base64 32`; env LEAKWALL_TOKEN_KEY)",
        )?;
        let cipher = TokenCipher::from_base64(key.expose())
            .map_err(|e| anyhow::anyhow!("server.token_key: must be 32 bytes in base64 ({e})"))?;
        if self.client_secret.is_none() {
            bail!("webex.client_secret: required with webex.client_id");
        }
        if self.integration_id.is_empty() {
            bail!(
                "webex.integration_id: required with webex.client_id (the appId of our webhooks)"
            );
        }
        let public_url = if self.public_url.is_empty() {
            server_url
        } else {
            &self.public_url
        };
        let public_url = public_url.trim_end_matches('/').to_owned();
        if !public_url.starts_with("https://") && !public_url.starts_with("http://") {
            bail!("webex.public_url: this server's URL as Webex reaches it (or server.public_url)");
        }
        self.check_numbers()?;
        let defaults = OrgSettings {
            fail_mode: self.fail_mode,
            delete_messages: self.delete_messages,
            allowed: compile(&self.allowed_mime_types, "webex.allowed_mime_types")?,
        };
        let mut orgs = BTreeMap::new();
        for (org, o) in &self.orgs {
            let allowed = match &o.allowed_mime_types {
                Some(r) => compile(r, &format!("webex.orgs.{org}.allowed_mime_types"))?,
                None => defaults.allowed.clone(),
            };
            let resolved = OrgSettings {
                fail_mode: o.fail_mode.unwrap_or(defaults.fail_mode),
                delete_messages: o.delete_messages.unwrap_or(defaults.delete_messages),
                allowed,
            };
            orgs.insert(org.clone(), resolved);
        }
        self.client_config()
            .build()
            .map_err(|e| anyhow::anyhow!("webex.api_base: {e}"))?;
        Ok(Some(WebexSettings {
            states: cipher.state_signer_for(STATE_LABEL),
            cipher,
            public_url,
            defaults,
            orgs: Arc::new(orgs),
            client: Arc::new(OnceLock::new()),
            refresh_locks: Arc::new(Mutex::new(HashMap::new())),
            config: self,
        }))
    }

    fn check_numbers(&self) -> anyhow::Result<()> {
        if self.max_body_bytes < 1024 || self.max_file_bytes == 0 {
            bail!("webex.max_body_bytes must be at least 1024 and webex.max_file_bytes positive");
        }
        if !(100..=9_500).contains(&self.decision_budget_ms) {
            bail!("webex.decision_budget_ms: between 100 and 9500 (Webex waits 10 s)");
        }
        if self.dedupe_hours == 0 || self.install_minutes == 0 || self.refresh_ahead_minutes == 0 {
            bail!(
                "webex.dedupe_hours, webex.install_minutes and webex.refresh_ahead_minutes must \
                 be positive"
            );
        }
        Ok(())
    }

    fn client_config(&self) -> WebexClientConfig {
        WebexClientConfig {
            base_url: self.api_base.clone(),
            ..WebexClientConfig::default()
        }
    }
}

fn compile(pattern: &str, key: &str) -> anyhow::Result<Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| anyhow::anyhow!("{key}: not a valid regex ({e})"))
}

impl WebexSettings {
    /// The REST client (one connection pool per process, built on first use).
    pub fn client(&self) -> Result<WebexClient, ApiError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let client = self.config.client_config().build()?;
        Ok(self.client.get_or_init(|| client).clone())
    }

    /// The lock that serializes the token refreshes of `org`.
    pub fn refresh_lock(&self, org: &str) -> RefreshLock {
        let mut locks = self
            .refresh_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(locks.entry(org.to_owned()).or_default())
    }

    /// The integration's client secret (validated present).
    pub fn client_secret(&self) -> Token {
        self.config
            .client_secret
            .clone()
            .unwrap_or_else(|| Token::new(""))
    }

    /// The settings of `org` (its overrides, else the defaults).
    pub fn org(&self, org: &str) -> &OrgSettings {
        self.orgs.get(org).unwrap_or(&self.defaults)
    }

    /// How long a message id is remembered.
    pub fn dedupe_ttl(&self) -> Duration {
        Duration::from_secs(self.config.dedupe_hours.saturating_mul(3600))
    }

    /// How long an install link is valid.
    pub fn install_ttl(&self) -> Duration {
        Duration::from_secs(self.config.install_minutes.saturating_mul(60))
    }

    /// The decision budget from the webhook's arrival.
    pub fn budget(&self) -> Duration {
        Duration::from_millis(self.config.decision_budget_ms)
    }

    /// Where OAuth returns.
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth/webex/callback", self.public_url)
    }

    /// Where our webhook posts.
    pub fn target_url(&self) -> String {
        format!("{}/webhooks/webex", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Token {
        use base64::Engine as _;
        Token::new(base64::engine::general_purpose::STANDARD.encode([1u8; 32]))
    }

    fn on() -> WebexConfig {
        WebexConfig {
            client_id: "C1".into(),
            client_secret: Some(Token::new("S")),
            integration_id: "I1".into(),
            public_url: "https://dlp.example.com/".into(),
            ..WebexConfig::default()
        }
    }

    #[test]
    fn off_without_a_client_id() {
        let settings = WebexConfig::default().validate(None, "").unwrap();
        assert!(settings.is_none());
    }

    #[test]
    fn orgs_override_the_defaults() {
        let mut config = on();
        config.orgs.insert(
            "O2".into(),
            OrgConfig {
                fail_mode: Some(FailMode::Approve),
                delete_messages: Some(true),
                allowed_mime_types: Some("^image/png$".into()),
            },
        );
        let s = config.validate(Some(&key()), "").unwrap().unwrap();
        assert_eq!(s.public_url, "https://dlp.example.com");
        assert_eq!(s.target_url(), "https://dlp.example.com/webhooks/webex");
        assert_eq!(s.org("O1").fail_mode, FailMode::Reject);
        assert!(!s.org("O1").delete_messages);
        assert!(s.org("O1").allowed.is_match("application/pdf"));
        assert!(!s.org("O1").allowed.is_match("application/x-executable"));
        assert!(!s.org("O1").allowed.is_match("application/octet-stream"));
        assert_eq!(s.org("O2").fail_mode, FailMode::Approve);
        assert!(s.org("O2").delete_messages);
        assert!(!s.org("O2").allowed.is_match("application/pdf"));
    }

    #[test]
    fn bad_settings_name_their_key() {
        let cases: Vec<(WebexConfig, Option<Token>, &str)> = vec![
            (on(), None, "server.token_key"),
            (on(), Some(Token::new("c2hvcnQ=")), "server.token_key"),
            (
                WebexConfig {
                    client_secret: None,
                    ..on()
                },
                Some(key()),
                "webex.client_secret",
            ),
            (
                WebexConfig {
                    integration_id: String::new(),
                    ..on()
                },
                Some(key()),
                "webex.integration_id",
            ),
            (
                WebexConfig {
                    public_url: String::new(),
                    ..on()
                },
                Some(key()),
                "webex.public_url",
            ),
            (
                WebexConfig {
                    allowed_mime_types: "(".into(),
                    ..on()
                },
                Some(key()),
                "webex.allowed_mime_types",
            ),
            (
                WebexConfig {
                    decision_budget_ms: 12_000,
                    ..on()
                },
                Some(key()),
                "webex.decision_budget_ms",
            ),
        ];
        for (config, key, name) in cases {
            let err = config.validate(key.as_ref(), "").unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
        let mut bad_org = on();
        bad_org.orgs.insert(
            "O9".into(),
            OrgConfig {
                allowed_mime_types: Some("[".into()),
                ..OrgConfig::default()
            },
        );
        let err = bad_org.validate(Some(&key()), "").unwrap_err().to_string();
        assert!(err.contains("webex.orgs.O9.allowed_mime_types"), "{err}");
    }

    #[test]
    fn one_key_for_both_platforms() {
        let yaml = |extra: &str| {
            format!(
                "webex: {{client_id: C, client_secret: S, integration_id: I}}\n\
                 server: {{public_url: 'https://h'{extra}}}\n"
            )
        };
        let parse = |text: String| -> anyhow::Result<crate::Settings> {
            serde_yaml::from_str::<crate::Config>(&text)?.validate()
        };
        let k = key();
        let missing = parse(yaml("")).unwrap_err().to_string();
        assert!(missing.contains("server.token_key"), "{missing}");
        let slack_key = format!("{}slack: {{token_key: '{}'}}\n", yaml(""), k.expose());
        assert!(
            parse(slack_key).unwrap().webex.is_some(),
            "slack.token_key still works"
        );
        let both = format!(
            "{}slack: {{token_key: '{}'}}\n",
            yaml(&format!(", token_key: '{}'", other_key())),
            k.expose()
        );
        let err = parse(both).unwrap_err().to_string();
        assert!(err.contains("differs from slack.token_key"), "{err}");
    }

    fn other_key() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode([2u8; 32])
    }

    #[test]
    fn the_environment_overrides_and_is_checked() {
        let env = |k: &str| match k {
            "LEAKWALL_WEBEX_CLIENT_ID" => Some("CENV".to_owned()),
            "LEAKWALL_WEBEX_FAIL_MODE" => Some("approve".to_owned()),
            "LEAKWALL_WEBEX_DECISION_BUDGET_MS" => Some("5000".to_owned()),
            _ => None,
        };
        let config = WebexConfig::default().with_env(&env);
        assert_eq!(config.client_id, "CENV");
        assert_eq!(config.fail_mode, FailMode::Approve);
        assert_eq!(config.decision_budget_ms, 5000);
        let bad = |k: &str| (k == "LEAKWALL_WEBEX_FAIL_MODE").then(|| "maybe".to_owned());
        let err = WebexConfig::default()
            .with_env(&bad)
            .validate(None, "")
            .unwrap_err();
        assert!(
            err.to_string().contains("LEAKWALL_WEBEX_FAIL_MODE"),
            "{err}"
        );
    }
}
