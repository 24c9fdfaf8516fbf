//! Who is calling: an API key (`Authorization: Bearer`, `X-Api-Key`) or the OIDC claims a
//! trusted front proxy passes as headers, resolved into an [`Access`].

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use leakwall_access::{Access, AccessError, Group, Identifier, IdentifierType};
use leakwall_core::ErrorCode;
use leakwall_store::hash_key;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller and what it may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The effective permissions.
    pub access: Access,
    /// `api_key_id` or `username`.
    pub user_id: String,
    /// The audit log's `user` record.
    pub user: Value,
    /// The identities that made up this caller, for `GET /api/user`.
    pub identities: Vec<Value>,
    /// The peer address (the proxy's, when behind one).
    pub source_ip: String,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        // The extractor (not the raw extension) so tests can supply `MockConnectInfo`.
        let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|c| c.0);
        authenticate(state, &parts.headers, peer).await
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

/// The API key of a request, if it carries one.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(auth) = header(headers, "authorization") {
        let (scheme, key) = auth.split_once(' ').unwrap_or((auth, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(key.trim());
        }
    }
    header(headers, "x-api-key")
}

/// Resolves the caller of a request; 401 when it cannot be identified.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Result<Caller, ApiError> {
    let source_ip = peer.map(|p| p.ip().to_string()).unwrap_or_default();
    let user_agent = header(headers, "user-agent").unwrap_or_default().to_owned();
    let groups = state.store.groups().await?;
    let groups: HashMap<String, Group> = groups.into_iter().map(|g| (g.id.clone(), g)).collect();
    let lookup = |id: &str| groups.get(id).cloned();
    if let Some(key) = api_key(headers) {
        let Some(identity) = state.store.identifier_by_key_hash(&hash_key(key)).await? else {
            return Err(unauthorized("unknown API key"));
        };
        if identity.kind != IdentifierType::ApiKey {
            return Err(unauthorized("unknown API key"));
        }
        let access = resolve(&identity, &lookup)?;
        let user = json!({"api_key_id": identity.id, "name": identity.name,
            "username": identity.username, "source_ip": source_ip, "user_agent": user_agent});
        return Ok(Caller {
            access,
            user_id: identity.id.clone(),
            user,
            identities: vec![public_identity(&identity)],
            source_ip,
            user_agent,
        });
    }
    let oidc = state.settings.oidc.as_ref();
    let trusted = oidc.filter(|o| peer.is_some_and(|p| o.trusted_proxies.contains(&p.ip())));
    let Some(oidc) = trusted else {
        return Err(unauthorized(
            "no credentials: send `Authorization: Bearer <API key>`",
        ));
    };
    let Some(username) = header(headers, &oidc.username_header) else {
        return Err(unauthorized("no username from the identity proxy"));
    };
    let mut parts = Vec::new();
    let mut identities = Vec::new();
    if let Some(user) = state.store.identifier(username).await? {
        if user.kind == IdentifierType::Username {
            parts.push(resolve(&user, &lookup)?);
            identities.push(public_identity(&user));
        }
    }
    let claimed = header(headers, &oidc.groups_header).unwrap_or_default();
    for group in claimed.split(oidc.groups_separator.as_str()).map(str::trim) {
        if group.is_empty() {
            continue;
        }
        if let Some(id) = state.store.identifier(group).await? {
            if id.kind == IdentifierType::OidcGroup {
                parts.push(resolve(&id, &lookup)?);
                identities.push(public_identity(&id));
            }
        }
    }
    if parts.is_empty() {
        return Err(unauthorized(
            "unknown user: neither the user nor any of their groups is registered",
        ));
    }
    let name = header(headers, &oidc.name_header).unwrap_or_default();
    let user = json!({"username": username, "name": name,
        "email": header(headers, &oidc.email_header).unwrap_or_default(),
        "source_ip": source_ip, "user_agent": user_agent});
    Ok(Caller {
        access: Access::any_of(parts),
        user_id: username.to_owned(),
        user,
        identities,
        source_ip,
        user_agent,
    })
}

fn resolve(id: &Identifier, lookup: &dyn Fn(&str) -> Option<Group>) -> Result<Access, ApiError> {
    Access::for_identifier(id, lookup).map_err(|e| match e {
        AccessError::Disabled(_) => unauthorized("this identity is disabled"),
        other => {
            tracing::error!(identity = %id.id, error = %other, "admin data error");
            ApiError::forbidden(format!(
                "the permissions of `{}` cannot be resolved: {other}",
                id.id
            ))
        }
    })
}

fn public_identity(id: &Identifier) -> Value {
    json!({"id": id.id, "type": id.kind.as_str(), "name": id.name, "username": id.username,
        "email": id.email, "groups": id.groups})
}
