//! `/v1/authorize` and `/v1/access_token` (spec §5.6): seeded codes, both grants, rotating
//! refresh tokens.

use std::time::Instant;

use serde_json::json;

use super::routes::Answer;
use super::server::{Incoming, Reply};
use super::state::{AccessToken, State};

/// GET `?client_id&response_type=code&redirect_uri&scope&state`: the user consents at once;
/// the next seeded code not yet handed out is bound to `redirect_uri` and the browser is
/// redirected there with `code` and `state`. 400 without a pending code.
pub(crate) fn authorize(state: &mut State, req: &Incoming) -> Answer {
    let client_ok = state
        .client
        .as_ref()
        .is_some_and(|(id, _)| id == req.param("client_id"));
    if !client_ok {
        return Err((400, "Unknown client_id."));
    }
    let redirect_uri = req.param("redirect_uri").to_owned();
    if req.param("response_type") != "code" || redirect_uri.is_empty() {
        return Err((400, "response_type=code and redirect_uri are required."));
    }
    let code = state
        .codes
        .iter_mut()
        .find(|c| !c.issued)
        .ok_or((400, "No user is waiting to authorize (seed a code)."))?;
    code.issued = true;
    code.redirect_uri = Some(redirect_uri.clone());
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code.code)
        .append_pair("state", req.param("state"))
        .finish();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Ok(Reply {
        status: 302,
        headers: vec![("location", format!("{redirect_uri}{separator}{query}"))],
        body: Vec::new(),
    })
}

/// POST, form-encoded: `grant_type=authorization_code` (`code`, `redirect_uri`) or
/// `grant_type=refresh_token` (`refresh_token`), with `client_id` and `client_secret`.
pub(crate) fn access_token(state: &mut State, req: &Incoming) -> Answer {
    let form: std::collections::BTreeMap<String, String> =
        form_urlencoded::parse(&req.body).into_owned().collect();
    let param = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let client_ok = state
        .client
        .as_ref()
        .is_some_and(|(id, secret)| id == param("client_id") && secret == param("client_secret"));
    if !client_ok {
        return Err((
            401,
            "invalid_client: unknown client_id or wrong client_secret.",
        ));
    }
    let grant = match param("grant_type") {
        "authorization_code" => {
            let index = state
                .codes
                .iter()
                .position(|c| c.code == param("code"))
                .ok_or((400, "invalid_grant: unknown or used code."))?;
            let bound = state.codes.get(index).and_then(|c| c.redirect_uri.clone());
            if bound.is_some_and(|uri| uri != param("redirect_uri")) {
                return Err((400, "invalid_grant: redirect_uri does not match."));
            }
            let code = state.codes.remove(index);
            let scopes: Vec<&str> = code.scopes.iter().map(String::as_str).collect();
            AccessToken::new(&code.org, &scopes, Instant::now())
        }
        "refresh_token" => state
            .refresh_tokens
            .remove(param("refresh_token"))
            .filter(|r| r.expires > Instant::now())
            .ok_or((
                400,
                "invalid_grant: unknown, used or expired refresh token.",
            ))?,
        _ => return Err((400, "unsupported_grant_type.")),
    };
    Ok(issue(state, grant))
}

/// A new access and refresh token pair for `grant` (its org and scopes).
fn issue(state: &mut State, grant: AccessToken) -> Reply {
    let now = Instant::now();
    let (access, refresh) = (state.serial("fake-access"), state.serial("fake-refresh"));
    let (access_life, refresh_life) = (state.access_lifetime, state.refresh_lifetime);
    state.tokens.insert(
        access.clone(),
        AccessToken {
            expires: now + access_life,
            ..grant.clone()
        },
    );
    state.refresh_tokens.insert(
        refresh.clone(),
        AccessToken {
            expires: now + refresh_life,
            ..grant
        },
    );
    Reply::json(
        200,
        &json!({
            "access_token": access, "expires_in": access_life.as_secs(),
            "refresh_token": refresh, "refresh_token_expires_in": refresh_life.as_secs(),
            "token_type": "Bearer",
        }),
    )
}
