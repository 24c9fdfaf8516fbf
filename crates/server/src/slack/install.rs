//! The OAuth v2 install flow (spec §3.5): `GET /oauth/slack/install` sends the installer to
//! Slack's authorize page with a signed, expiring `state`; `GET /oauth/slack/callback` checks
//! the state (400 when bad, expired or used), exchanges the `code` with `oauth.v2.access` and
//! stores the workspace's bot and user tokens sealed. Neither route ever shows a token.

use std::time::SystemTime;

use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use leakwall_connectors::slack::{Installation, OAuthExchange};
use leakwall_connectors::ApiError as SlackError;
use leakwall_core::ErrorCode;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::json;

use super::config::SlackSettings;
use super::tokens::context;
use crate::error::ApiError;
use crate::sealing::{OAuthCallback, StateCheck};
use crate::state::AppState;

/// The idempotency scope of used install states.
const STATE_SCOPE: &str = "slack_oauth_state";

/// `GET /oauth/slack/install`: a redirect to Slack's authorize page.
pub async fn install(State(state): State<AppState>) -> Result<Response, ApiError> {
    let slack = oauth(&state)?;
    let config = &slack.config;
    let signed = slack
        .states
        .issue(SystemTime::now(), slack.install_ttl())
        .map_err(ApiError::internal)?;
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let url = format!(
        "{}?client_id={}&scope={}&user_scope={}&redirect_uri={}&state={}",
        config.authorize_url,
        enc(&config.client_id),
        enc(&config.bot_scopes.join(",")),
        enc(&config.user_scopes.join(",")),
        enc(&config.redirect_uri),
        enc(&signed),
    );
    Ok((StatusCode::FOUND, [(LOCATION, url)]).into_response())
}

/// `GET /oauth/slack/callback?code&state`
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<OAuthCallback>,
) -> Result<Response, ApiError> {
    let slack = oauth(&state)?;
    let check = StateCheck {
        platform: "Slack",
        signer: &slack.states,
        scope: STATE_SCOPE,
        ttl: slack.install_ttl(),
    };
    let code = query.code(&state.store, check).await?;
    let installation = exchange(slack, code).await?;
    save(&state, slack, &installation).await?;
    tracing::info!(team = %installation.team_id, user_token = installation.user.is_some(),
        "Slack workspace installed");
    Ok(Json(json!({
        "installed": true,
        "team": {"id": installation.team_id, "name": installation.team_name},
        "bot_scopes": installation.bot.as_ref().map(|g| g.scopes.clone()).unwrap_or_default(),
        "user_token": installation.user.is_some(),
    }))
    .into_response())
}

fn oauth(state: &AppState) -> Result<&SlackSettings, ApiError> {
    state
        .settings
        .slack
        .as_ref()
        .filter(|s| !s.config.client_id.is_empty())
        .ok_or_else(|| ApiError::not_found("the Slack install flow (slack.client_id not set)"))
}

async fn exchange(slack: &SlackSettings, code: String) -> Result<Installation, ApiError> {
    let config = &slack.config;
    let client_secret = config
        .client_secret
        .clone()
        .ok_or_else(|| ApiError::internal("slack.client_secret missing"))?;
    let request = OAuthExchange {
        client_id: config.client_id.clone(),
        client_secret,
        code,
        redirect_uri: config.redirect_uri.clone(),
    };
    let client = slack.client().map_err(ApiError::internal)?;
    client.oauth_access(&request).await.map_err(|e| match e {
        SlackError::Api { error, .. } => {
            ApiError::bad_request(format!("Slack refused the install code: {error}"))
        }
        other => ApiError::internal(format!("oauth.v2.access: {other}")),
    })
}

async fn save(
    state: &AppState,
    slack: &SlackSettings,
    installation: &Installation,
) -> Result<(), ApiError> {
    let team = &installation.team_id;
    let bot = installation.bot.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::BadRequest,
            "Slack granted no bot token (the app needs bot scopes)",
        )
    })?;
    let seal = |token, kind| {
        slack
            .cipher
            .seal(token, &context(team, kind))
            .map_err(ApiError::internal)
    };
    let user = installation.user.as_ref();
    let row = leakwall_store::Installation {
        platform: "slack".into(),
        tenant: team.clone(),
        tenant_name: installation.team_name.clone(),
        enterprise_id: installation.enterprise_id.clone(),
        app_id: installation.app_id.clone(),
        bot_user_id: bot.user_id.clone(),
        bot_token: seal(&bot.token, "bot")?,
        bot_scopes: bot.scopes.join(","),
        user_id: user.and_then(|u| u.user_id.clone()),
        user_token: user.map(|u| seal(&u.token, "user")).transpose()?,
        user_scopes: user.map(|u| u.scopes.join(",")).unwrap_or_default(),
        created_at: None,
        updated_at: None,
    };
    state
        .store
        .save_installation(&row)
        .await
        .map_err(ApiError::internal)
}
