//! Each organization's tokens: opened from its installation (sealed under the context
//! `webex/{org}/{kind}`), refreshed once when Webex answers 401, and ahead of expiry by the
//! maintenance loop. A refresh rotates both tokens (Webex may refuse the old refresh token),
//! so refreshes of one org are serialized in this process and the rotation is persisted only
//! if nobody rotated first (compare-and-swap on the sealed refresh token).

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use leakwall_connectors::webex::{TokenGrant, WebexClient};
use leakwall_connectors::{ApiError, Token};
use leakwall_store::WebexInstallation;

use super::config::WebexSettings;
use crate::sealing::SealError;
use crate::state::AppState;

/// The context a secret of `org` is sealed for (`access`, `refresh`, `webhook`).
pub fn context(org: &str, kind: &str) -> String {
    format!("webex/{org}/{kind}")
}

/// Why an org's token is not at hand.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No installation for the org.
    #[error("no Webex installation for this organization")]
    NotInstalled,
    /// The store failed (worth retrying).
    #[error("reading the installation: {0}")]
    Store(#[from] leakwall_store::Error),
    /// A stored secret cannot be opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Webex refused or failed the refresh.
    #[error("refreshing the access token: {0}")]
    Refresh(ApiError),
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The installation of `org` with its access token opened.
pub async fn access_token(
    state: &AppState,
    webex: &WebexSettings,
    org: &str,
) -> Result<(WebexInstallation, Token), TokenError> {
    let installed = state
        .store
        .webex_installation(org)
        .await?
        .ok_or(TokenError::NotInstalled)?;
    let token = webex
        .cipher
        .open(&installed.access_token, &context(org, "access"))?;
    Ok((installed, token))
}

/// A new access token for `org`. When `failed` is given (the token Webex just refused) and
/// the stored one is already another, that one is used without refreshing again.
pub async fn refresh(
    state: &AppState,
    webex: &WebexSettings,
    org: &str,
    failed: Option<&Token>,
) -> Result<Token, TokenError> {
    let lock = webex.refresh_lock(org);
    let _held = lock.lock().await;
    let (installed, current) = access_token(state, webex, org).await?;
    if failed.is_some_and(|f| f.expose() != current.expose()) {
        return Ok(current);
    }
    let refresh_token = webex
        .cipher
        .open(&installed.refresh_token, &context(org, "refresh"))?;
    let client = webex.client().map_err(TokenError::Refresh)?;
    let grant = client
        .refresh(
            &webex.config.client_id,
            &webex.client_secret(),
            &refresh_token,
        )
        .await
        .map_err(TokenError::Refresh)?;
    let next = sealed_grant(webex, org, &grant, &installed)?;
    if !state
        .store
        .rotate_webex_tokens(org, &installed.refresh_token, &next)
        .await?
    {
        // Another process rotated first: its tokens are the valid ones.
        let (_, token) = access_token(state, webex, org).await?;
        return Ok(token);
    }
    metrics::counter!("leakwall_webex_token_refreshes_total").increment(1);
    tracing::info!(org, "Webex access token refreshed");
    Ok(grant.access_token)
}

/// `grant` sealed into a copy of `base` (its webhook fields kept).
pub fn sealed_grant(
    webex: &WebexSettings,
    org: &str,
    grant: &TokenGrant,
    base: &WebexInstallation,
) -> Result<WebexInstallation, SealError> {
    let now = unix_now();
    let secs = |s: u64| now.saturating_add(i64::try_from(s).unwrap_or(i64::MAX));
    Ok(WebexInstallation {
        access_token: webex
            .cipher
            .seal(&grant.access_token, &context(org, "access"))?,
        access_expires_at: secs(grant.expires_in),
        refresh_token: webex
            .cipher
            .seal(&grant.refresh_token, &context(org, "refresh"))?,
        refresh_expires_at: Some(secs(grant.refresh_token_expires_in)),
        ..base.clone()
    })
}

/// Refreshes every org whose access token has less than `webex.refresh_ahead_minutes` left
/// (the maintenance loop calls it); failures are logged and retried on the next round.
pub async fn refresh_expiring(state: &AppState, webex: &WebexSettings) {
    let ahead =
        i64::try_from(webex.config.refresh_ahead_minutes.saturating_mul(60)).unwrap_or(i64::MAX);
    let installed = match state.store.webex_installations().await {
        Ok(installed) => installed,
        Err(e) => {
            tracing::warn!(error = %e, "listing Webex installations to refresh");
            return;
        }
    };
    let soon = unix_now().saturating_add(ahead);
    for i in installed.iter().filter(|i| i.access_expires_at < soon) {
        if let Err(e) = refresh(state, webex, &i.org_id, None).await {
            metrics::counter!("leakwall_webex_token_refresh_errors_total").increment(1);
            tracing::warn!(org = %i.org_id, error = %e, "refreshing a Webex token ahead of expiry");
        }
    }
}

/// One org's API access for a task or the fast path: every call gets the current access
/// token; a 401 refreshes it once and calls again.
pub struct OrgSession<'a> {
    state: &'a AppState,
    webex: &'a WebexSettings,
    /// The org.
    pub org: String,
    /// The client.
    pub client: WebexClient,
    token: tokio::sync::Mutex<Token>,
}

impl<'a> OrgSession<'a> {
    /// A session for `org` with its stored access token.
    pub async fn open(
        state: &'a AppState,
        webex: &'a WebexSettings,
        org: &str,
    ) -> Result<OrgSession<'a>, TokenError> {
        let (_, token) = access_token(state, webex, org).await?;
        OrgSession::with_token(state, webex, org, token)
    }

    /// A session for `org` with an access token already opened.
    pub fn with_token(
        state: &'a AppState,
        webex: &'a WebexSettings,
        org: &str,
        token: Token,
    ) -> Result<OrgSession<'a>, TokenError> {
        let client = webex.client().map_err(TokenError::Refresh)?;
        Ok(OrgSession {
            state,
            webex,
            org: org.to_owned(),
            client,
            token: tokio::sync::Mutex::new(token),
        })
    }

    /// The current access token.
    pub async fn token(&self) -> Token {
        self.token.lock().await.clone()
    }

    /// Calls `f` with the client and the token; on a 401, refreshes once and calls again.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, ApiError>
    where
        F: Fn(WebexClient, Token) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let token = self.token().await;
        match f(self.client.clone(), token.clone()).await {
            Err(unauthorized @ ApiError::Unauthorized { .. }) => {
                let fresh = match refresh(self.state, self.webex, &self.org, Some(&token)).await {
                    Ok(fresh) => fresh,
                    Err(e) => {
                        tracing::warn!(org = %self.org, error = %e, "Webex token refresh failed");
                        return Err(unauthorized);
                    }
                };
                *self.token.lock().await = fresh.clone();
                f(self.client.clone(), fresh).await
            }
            other => other,
        }
    }
}
