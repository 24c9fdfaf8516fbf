//! What the Web API answers, as the client returns it.

use serde::Deserialize;

use crate::secret::Token;

/// A message the client posted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Posted {
    /// The conversation id.
    pub channel: String,
    /// The new message's `ts`.
    pub ts: String,
}

/// A file's metadata from `files.info` (spec §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FileInfo {
    /// `F…`.
    pub id: String,
    /// The file name.
    #[serde(default)]
    pub name: Option<String>,
    /// Declared MIME type.
    #[serde(default)]
    pub mimetype: Option<String>,
    /// Slack's file type (`pdf`, `docx`, …).
    #[serde(default)]
    pub filetype: Option<String>,
    /// The uploader.
    #[serde(default)]
    pub user: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Download address (needs `Authorization: Bearer`).
    #[serde(default)]
    pub url_private_download: Option<String>,
    /// Hosted elsewhere (Google Drive, …): not downloadable from Slack.
    #[serde(default)]
    pub is_external: bool,
}

/// What to send to `oauth.v2.access` after the install redirect (spec §3.5).
#[derive(Clone, Debug)]
pub struct OAuthExchange {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret (sent as HTTP Basic auth).
    pub client_secret: Token,
    /// The `code` from the redirect.
    pub code: String,
    /// The same `redirect_uri` as in the authorize request.
    pub redirect_uri: String,
}

/// An installation: what `oauth.v2.access` granted.
#[derive(Clone, Debug)]
pub struct Installation {
    /// Our app's id.
    pub app_id: Option<String>,
    /// The workspace id.
    pub team_id: String,
    /// The workspace name.
    pub team_name: Option<String>,
    /// The Enterprise Grid org, if any.
    pub enterprise_id: Option<String>,
    /// The bot token (`xoxb-`) and its scopes; `user_id` is the bot user.
    pub bot: Option<Grant>,
    /// The installing user's token (`xoxp-`, from `authed_user`), when user scopes were asked.
    pub user: Option<Grant>,
}

/// One granted token.
#[derive(Clone, Debug)]
pub struct Grant {
    /// The access token.
    pub token: Token,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The bot user or the installing user.
    pub user_id: Option<String>,
    /// With token rotation: the refresh token.
    pub refresh_token: Option<Token>,
    /// With token rotation: seconds until the access token expires.
    pub expires_in: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct RawOAuth {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    access_token: Option<Token>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    bot_user_id: Option<String>,
    #[serde(default)]
    refresh_token: Option<Token>,
    #[serde(default)]
    expires_in: Option<u64>,
    team: Option<RawNamed>,
    #[serde(default)]
    enterprise: Option<RawNamed>,
    #[serde(default)]
    authed_user: Option<RawAuthedUser>,
}

#[derive(Deserialize)]
struct RawNamed {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawAuthedUser {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    access_token: Option<Token>,
    #[serde(default)]
    refresh_token: Option<Token>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl RawOAuth {
    /// The installation, or `None` without a team.
    pub(crate) fn into_installation(self) -> Option<Installation> {
        let team = self.team?;
        let bot = self.access_token.map(|token| Grant {
            token,
            scopes: split_scopes(self.scope.as_deref()),
            user_id: self.bot_user_id,
            refresh_token: self.refresh_token,
            expires_in: self.expires_in,
        });
        let user = self.authed_user.and_then(|u| {
            Some(Grant {
                token: u.access_token?,
                scopes: split_scopes(u.scope.as_deref()),
                user_id: u.id,
                refresh_token: u.refresh_token,
                expires_in: u.expires_in,
            })
        });
        Some(Installation {
            app_id: self.app_id,
            team_id: team.id,
            team_name: team.name,
            enterprise_id: self.enterprise.map(|e| e.id),
            bot,
            user,
        })
    }
}

fn split_scopes(scopes: Option<&str>) -> Vec<String> {
    scopes
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
