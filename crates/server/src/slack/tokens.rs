//! Workspace tokens at rest: sealed with the shared [`crate::sealing::TokenCipher`] under the
//! context `slack/{team}/{kind}`, opened for the workers; the Slack OAuth `state` is signed by
//! [`crate::sealing::StateSigner`].

use leakwall_connectors::slack::SlackTokens;

pub use crate::sealing::{SealError, StateError, StateSigner, TokenCipher};

use super::config::SlackSettings;
use crate::state::AppState;

/// The context a token is sealed for.
pub fn context(team: &str, kind: &str) -> String {
    format!("slack/{team}/{kind}")
}

/// Why a workspace's tokens are not at hand.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The store failed (worth retrying).
    #[error("reading the installation: {0}")]
    Store(#[from] leakwall_store::Error),
    /// A stored token cannot be opened.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// The tokens of `team`: the workspace configured by hand, else its stored installation.
pub async fn tokens_for(
    state: &AppState,
    slack: &SlackSettings,
    team: &str,
) -> Result<Option<SlackTokens>, LookupError> {
    if let Some(tokens) = slack.static_tokens(team) {
        return Ok(Some(tokens));
    }
    let Some(installed) = state.store.installation("slack", team).await? else {
        return Ok(None);
    };
    let bot = slack
        .cipher
        .open(&installed.bot_token, &context(team, "bot"))?;
    let user = installed
        .user_token
        .as_deref()
        .map(|sealed| slack.cipher.open(sealed, &context(team, "user")))
        .transpose()?;
    Ok(Some(SlackTokens { bot, user }))
}
