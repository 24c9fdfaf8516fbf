//! The OAuth integration grant of a compliance officer (spec §5.6, §5.4):
//! `GET /oauth/webex/install` sends the officer to Webex's authorize page with a signed,
//! expiring `state` (the Cisco example sends a fixed one and never checks it);
//! `GET /oauth/webex/callback` checks the state (400 when forged, expired or used), exchanges
//! the `code`, deletes our old webhooks (`appId` = `webex.integration_id`), creates the
//! org-wide `messages`/`created` webhook (`ownedBy: org`) to `{public_url}/webhooks/webex`
//! with a fresh random secret, and stores the tokens and the secret sealed. The org id comes
//! from the created webhook. Neither route ever shows a token or the secret.

use std::time::SystemTime;

use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use leakwall_connectors::webex::{authorize_url, TokenGrant, WebexClient, Webhook};
use leakwall_connectors::{ApiError as WebexError, Token};
use leakwall_core::ErrorCode;
use leakwall_store::WebexInstallation;
use serde_json::json;

use super::config::WebexSettings;
use super::tokens::{context, sealed_grant};
use crate::error::ApiError;
use crate::sealing::{random_secret, OAuthCallback, StateCheck};
use crate::state::AppState;

/// The idempotency scope of used install states.
const STATE_SCOPE: &str = "webex_oauth_state";
/// Our webhook's name in Webex.
const WEBHOOK_NAME: &str = "Leakwall real-time DLP";

/// `GET /oauth/webex/install`: a redirect to Webex's authorize page.
pub async fn install(State(state): State<AppState>) -> Result<Response, ApiError> {
    let webex = configured(&state)?;
    let signed = webex
        .states
        .issue(SystemTime::now(), webex.install_ttl())
        .map_err(ApiError::internal)?;
    let scopes: Vec<&str> = webex.config.scopes.iter().map(String::as_str).collect();
    let url = authorize_url(
        &webex.config.api_base,
        &webex.config.client_id,
        &webex.redirect_uri(),
        &scopes,
        &signed,
    );
    Ok((StatusCode::FOUND, [(LOCATION, url)]).into_response())
}

/// `GET /oauth/webex/callback?code&state`
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<OAuthCallback>,
) -> Result<Response, ApiError> {
    let webex = configured(&state)?;
    let check = StateCheck {
        platform: "Webex",
        signer: &webex.states,
        scope: STATE_SCOPE,
        ttl: webex.install_ttl(),
    };
    let code = query.code(&state.store, check).await?;
    let client = webex.client().map_err(ApiError::internal)?;
    let grant = client
        .exchange_code(
            &webex.config.client_id,
            &webex.client_secret(),
            &code,
            &webex.redirect_uri(),
        )
        .await
        .map_err(|e| upstream("exchanging the code", &e))?;
    let secret = random_secret().map_err(ApiError::internal)?;
    let webhook = register(webex, &client, &grant.access_token, &secret).await?;
    let org = webhook
        .org_id
        .clone()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::internal("Webex created the webhook without an orgId"))?;
    let installed = save(&state, webex, &org, &grant, &webhook, &secret).await?;
    tracing::info!(%org, webhook = %webhook.id, "Webex organization installed");
    Ok(
        Json(json!({"installed": true, "installation": super::admin::view(&installed)}))
            .into_response(),
    )
}

fn configured(state: &AppState) -> Result<&WebexSettings, ApiError> {
    state
        .settings
        .webex
        .as_ref()
        .ok_or_else(|| ApiError::not_found("the Webex install flow (webex.client_id not set)"))
}

/// Deletes our old webhooks and creates the org-wide one.
async fn register(
    webex: &WebexSettings,
    client: &WebexClient,
    token: &Token,
    secret: &Token,
) -> Result<Webhook, ApiError> {
    let existing = client
        .list_webhooks(token)
        .await
        .map_err(|e| upstream("listing webhooks", &e))?;
    let ours = existing
        .iter()
        .filter(|w| w.app_id.as_deref() == Some(webex.config.integration_id.as_str()));
    for old in ours {
        client
            .delete_webhook(token, &old.id)
            .await
            .map_err(|e| upstream("deleting an old webhook", &e))?;
    }
    client
        .create_webhook(token, WEBHOOK_NAME, &webex.target_url(), secret)
        .await
        .map_err(|e| upstream("creating the webhook", &e))
}

async fn save(
    state: &AppState,
    webex: &WebexSettings,
    org: &str,
    grant: &TokenGrant,
    webhook: &Webhook,
    secret: &Token,
) -> Result<WebexInstallation, ApiError> {
    let base = WebexInstallation {
        org_id: org.to_owned(),
        access_token: String::new(),
        access_expires_at: 0,
        refresh_token: String::new(),
        refresh_expires_at: None,
        scopes: webex.config.scopes.join(" "),
        webhook_id: Some(webhook.id.clone()),
        webhook_secret: Some(
            webex
                .cipher
                .seal(secret, &context(org, "webhook"))
                .map_err(ApiError::internal)?,
        ),
        webhook_status: webhook.status.clone().unwrap_or_else(|| "active".into()),
        created_at: None,
        updated_at: None,
    };
    let row = sealed_grant(webex, org, grant, &base).map_err(ApiError::internal)?;
    state
        .store
        .save_webex_installation(&row)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .webex_installation(org)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the installation was not saved"))
}

/// A Webex failure during the grant: a refused code or token is the installer's problem
/// (400), anything else ours (500).
fn upstream(what: &str, e: &WebexError) -> ApiError {
    let code = match e {
        WebexError::Unauthorized { .. } => ErrorCode::BadRequest,
        WebexError::Status { status, .. } if *status < 500 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    ApiError::new(code, format!("Webex refused {what}: {e}"))
}
