//! `slack:` settings, validated once into [`SlackSettings`] (which hold the runtime pieces:
//! the verifier, the token cipher, the OAuth state signer and, built on first use, the Web API
//! client).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context};
use leakwall_connectors::slack::{SlackClient, SlackClientConfig, SlackTokens, SlackVerifier};
use leakwall_connectors::{ApiError, Token};
use serde::Deserialize;

use super::ingest::Ingest;
use super::tokens::{StateSigner, TokenCipher};
use crate::state::AppState;

/// The public notice's default text: `{user}` is the author, `{detectors}` what was found.
pub const DEFAULT_NOTICE: &str =
    "A message from {user} was blocked by Leakwall: it contained {detectors}";
/// The author's private note by default.
pub const DEFAULT_PRIVATE_NOTICE: &str = "Leakwall blocked your message in {channel}: it \
    contained {detectors}. Share such data only through an approved channel.";
/// The notice of a warn decision by default.
pub const DEFAULT_WARN_NOTICE: &str =
    "A message from {user} may contain sensitive data ({detectors}); please check it.";

/// `slack:` settings. Slack is on when `signing_secret` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    /// The app's signing secret (env `LEAKWALL_SLACK_SIGNING_SECRET`); empty = Slack off.
    pub signing_secret: Option<Token>,
    /// 32 bytes, base64: seals stored tokens and signs the OAuth `state`
    /// (env `LEAKWALL_SLACK_TOKEN_KEY`). Required when Slack is on.
    pub token_key: Option<Token>,
    /// The app's OAuth client id (env `LEAKWALL_SLACK_CLIENT_ID`); empty = no install flow.
    pub client_id: String,
    /// The app's OAuth client secret (env `LEAKWALL_SLACK_CLIENT_SECRET`).
    pub client_secret: Option<Token>,
    /// Where Slack sends the installer back: this server's `/oauth/slack/callback`.
    pub redirect_uri: String,
    /// Bot scopes asked for at install (those of `deploy/slack/manifest.yaml`).
    pub bot_scopes: Vec<String>,
    /// User scopes asked of the installing admin (deleting other people's messages).
    pub user_scopes: Vec<String>,
    /// The Web API base (a fake's in tests).
    pub api_base: String,
    /// Slack's authorize page.
    pub authorize_url: String,
    /// Origins the bot token may be sent to for downloads.
    pub file_hosts: Vec<String>,
    /// Largest webhook body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Largest file downloaded and scanned, in bytes; larger ones are unscannable.
    pub max_file_bytes: u64,
    /// Hours an event id is remembered to drop Slack's retries.
    pub dedupe_hours: u64,
    /// Minutes an install link (its signed `state`) stays valid.
    pub install_minutes: u64,
    /// Times a task is rescheduled for Slack's rate limits before it gives up.
    pub max_rate_limited: u32,
    /// The public notice of a block: `{user}`, `{detectors}`, `{channel}`.
    pub notice: String,
    /// The private note to the author.
    pub private_notice: String,
    /// The public notice of a warn decision.
    pub warn_notice: String,
    /// A single workspace set up by hand instead of the install flow.
    pub team: Option<StaticTeam>,
}

/// One workspace's tokens from the configuration (env `LEAKWALL_SLACK_TEAM_ID`,
/// `LEAKWALL_SLACK_BOT_TOKEN`, `LEAKWALL_SLACK_USER_TOKEN`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticTeam {
    /// The team id (`T…`).
    pub id: String,
    /// The bot token (`xoxb-`).
    pub bot_token: Token,
    /// An admin's user token (`xoxp-`), to delete other people's messages.
    #[serde(default)]
    pub user_token: Option<Token>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        let scopes = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        SlackConfig {
            signing_secret: None,
            token_key: None,
            client_id: String::new(),
            client_secret: None,
            redirect_uri: String::new(),
            bot_scopes: scopes(&[
                "channels:history",
                "groups:history",
                "im:history",
                "mpim:history",
                "channels:read",
                "groups:read",
                "channels:join",
                "files:read",
                "chat:write",
                "users:read",
            ]),
            user_scopes: scopes(&["chat:write", "files:write"]),
            api_base: "https://slack.com/api".into(),
            authorize_url: "https://slack.com/oauth/v2/authorize".into(),
            file_hosts: vec!["https://files.slack.com".into()],
            max_body_bytes: 1024 * 1024,
            max_file_bytes: 50 * 1024 * 1024,
            dedupe_hours: 24,
            install_minutes: 10,
            max_rate_limited: 10,
            notice: DEFAULT_NOTICE.into(),
            private_notice: DEFAULT_PRIVATE_NOTICE.into(),
            warn_notice: DEFAULT_WARN_NOTICE.into(),
            team: None,
        }
    }
}

/// Validated Slack settings and the runtime pieces built from them.
#[derive(Debug, Clone)]
pub struct SlackSettings {
    /// The settings as configured (secrets wrapped).
    pub config: SlackConfig,
    /// Verifies webhook deliveries.
    pub verifier: SlackVerifier,
    /// Seals and opens stored tokens.
    pub cipher: TokenCipher,
    /// Signs and checks the OAuth `state`.
    pub states: StateSigner,
    client: Arc<OnceLock<SlackClient>>,
    ingest: Arc<OnceLock<Ingest>>,
}

impl SlackConfig {
    /// Applies the `LEAKWALL_SLACK_*` variables.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> Self {
        let token = |name: &str| env(name).filter(|v| !v.is_empty()).map(Token::new);
        if let Some(secret) = token("LEAKWALL_SLACK_SIGNING_SECRET") {
            self.signing_secret = Some(secret);
        }
        if let Some(key) = token("LEAKWALL_SLACK_TOKEN_KEY") {
            self.token_key = Some(key);
        }
        if let Some(id) = env("LEAKWALL_SLACK_CLIENT_ID") {
            self.client_id = id;
        }
        if let Some(secret) = token("LEAKWALL_SLACK_CLIENT_SECRET") {
            self.client_secret = Some(secret);
        }
        if let (Some(id), Some(bot)) = (
            env("LEAKWALL_SLACK_TEAM_ID"),
            token("LEAKWALL_SLACK_BOT_TOKEN"),
        ) {
            let user_token = token("LEAKWALL_SLACK_USER_TOKEN");
            self.team = Some(StaticTeam {
                id,
                bot_token: bot,
                user_token,
            });
        }
        self
    }

    /// `None` when Slack is off; the error names the key.
    pub fn validate(self) -> anyhow::Result<Option<SlackSettings>> {
        let Some(secret) = self
            .signing_secret
            .clone()
            .filter(|s| !s.expose().is_empty())
        else {
            return Ok(None);
        };
        let key = self.token_key.as_ref().context(
            "slack.token_key: required when Slack is on (32 random bytes in base64, e.g. \
             `openssl rand -base64 32`; env LEAKWALL_SLACK_TOKEN_KEY)",
        )?;
        let cipher = TokenCipher::from_base64(key.expose())
            .map_err(|e| anyhow::anyhow!("slack.token_key: must be 32 bytes in base64 ({e})"))?;
        if !self.client_id.is_empty() {
            if self.client_secret.is_none() {
                bail!("slack.client_secret: required with slack.client_id");
            }
            if !self.redirect_uri.starts_with("https://")
                && !self.redirect_uri.starts_with("http://")
            {
                bail!("slack.redirect_uri: the URL of this server's /oauth/slack/callback");
            }
        }
        if self.max_body_bytes < 1024 || self.max_file_bytes == 0 {
            bail!("slack.max_body_bytes must be at least 1024 and slack.max_file_bytes positive");
        }
        if self.dedupe_hours == 0 || self.install_minutes == 0 {
            bail!("slack.dedupe_hours and slack.install_minutes must be positive");
        }
        self.client_config()
            .build()
            .map_err(|e| anyhow::anyhow!("slack.api_base / slack.file_hosts: {e}"))?;
        Ok(Some(SlackSettings {
            verifier: SlackVerifier::new(secret),
            states: cipher.state_signer(),
            cipher,
            client: Arc::new(OnceLock::new()),
            ingest: Arc::new(OnceLock::new()),
            config: self,
        }))
    }

    fn client_config(&self) -> SlackClientConfig {
        SlackClientConfig {
            api_base: self.api_base.clone(),
            file_hosts: self.file_hosts.clone(),
            ..SlackClientConfig::default()
        }
    }
}

impl SlackSettings {
    /// The Web API client (one connection pool per process, built on first use).
    pub fn client(&self) -> Result<SlackClient, ApiError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let client = self.config.client_config().build()?;
        Ok(self.client.get_or_init(|| client).clone())
    }

    /// The task that puts webhook jobs on the queue, started on first use (one per process).
    pub fn ingest(&self, state: &AppState) -> Ingest {
        self.ingest
            .get_or_init(|| Ingest::start(state.clone()))
            .clone()
    }

    /// The tokens of the workspace configured by hand, if it is `team`.
    pub fn static_tokens(&self, team: &str) -> Option<SlackTokens> {
        let configured = self.config.team.as_ref().filter(|t| t.id == team)?;
        Some(SlackTokens {
            bot: configured.bot_token.clone(),
            user: configured.user_token.clone(),
        })
    }

    /// How long an event id is remembered.
    pub fn dedupe_ttl(&self) -> Duration {
        Duration::from_secs(self.config.dedupe_hours.saturating_mul(3600))
    }

    /// How long an install link is valid.
    pub fn install_ttl(&self) -> Duration {
        Duration::from_secs(self.config.install_minutes.saturating_mul(60))
    }
}
