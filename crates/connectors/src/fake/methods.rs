//! The fake's Web API methods, one function each, over the locked [`State`].

use serde_json::{json, Value};

use super::server::{Incoming, Reply};
use super::{Call, FakeFile, FakeMessage, FakeToken, State, TokenKind};

/// `Ok`: the fields of an `ok:true` answer; `Err`: a whole `ok:false` answer.
type Answer = Result<Value, Value>;

const LOGIN_PAGE: &str = "<!DOCTYPE html><html><head><title>Slack</title></head>\
<body><form action=\"/signin\">Sign in to your workspace</form></body></html>";

pub(crate) fn download_url(base: &str, file: &FakeFile) -> String {
    format!("{base}/files/{}/{}", file.id, file.name)
}

pub(crate) fn route(state: &mut State, req: &Incoming) -> Reply {
    let method = match req.path.strip_prefix("/api/") {
        Some(method) => method.to_owned(),
        None if req.path.starts_with("/files/") => "files.download".to_owned(),
        None => return reply(404, "text/plain", b"not found".to_vec()),
    };
    let kind = token_of(state, req)
        .and_then(|t| state.tokens.get(t))
        .map(|t| t.kind);
    state.calls.push(Call {
        method: method.clone(),
        token: kind,
        params: req.params.clone(),
    });
    if let Some(limited) = rate_limited(state, &method) {
        return limited;
    }
    let answer = match method.as_str() {
        "files.download" => return download(state, req),
        "chat.delete" => chat_delete(state, req),
        "chat.postMessage" => post_message(state, req),
        "chat.postEphemeral" => post_ephemeral(state, req),
        "conversations.open" => conversations_open(state, req),
        "files.info" => files_info(state, req),
        "files.delete" => files_delete(state, req),
        "oauth.v2.access" => oauth_access(state, req),
        _ => Err(fail("unknown_method")),
    };
    let body = match answer {
        Ok(Value::Object(mut fields)) => {
            fields.insert("ok".into(), Value::Bool(true));
            Value::Object(fields)
        }
        Ok(_) => json!({"ok": true}),
        Err(error) => error,
    };
    reply(
        200,
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    )
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    Reply {
        status,
        headers: vec![("content-type", content_type.to_owned())],
        body,
        chunked: false,
    }
}

fn fail(error: &str) -> Value {
    json!({"ok": false, "error": error})
}

fn token_of<'a>(state: &State, req: &'a Incoming) -> Option<&'a str> {
    let _ = state;
    req.bearer
        .as_deref()
        .or(req.params.get("token").map(String::as_str))
}

fn rate_limited(state: &mut State, method: &str) -> Option<Reply> {
    let key = if state.rate_limits.contains_key(method) {
        method
    } else {
        "*"
    };
    let (remaining, retry_after) = state.rate_limits.get_mut(key)?;
    if *remaining == 0 {
        return None;
    }
    *remaining -= 1;
    let mut limited = reply(
        429,
        "application/json",
        fail("ratelimited").to_string().into_bytes(),
    );
    limited
        .headers
        .push(("retry-after", retry_after.to_string()));
    Some(limited)
}

/// The token, checked: `not_authed`, `invalid_auth`, or `missing_scope` with what was needed.
fn auth(state: &State, req: &Incoming, scope: &str) -> Result<FakeToken, Value> {
    let token = token_of(state, req).ok_or_else(|| fail("not_authed"))?;
    let token = state
        .tokens
        .get(token)
        .ok_or_else(|| fail("invalid_auth"))?;
    if !token.scopes.iter().any(|s| s == scope) {
        return Err(json!({
            "ok": false, "error": "missing_scope",
            "needed": scope, "provided": token.scopes.join(","),
        }));
    }
    Ok(token.clone())
}

fn param<'a>(req: &'a Incoming, name: &str) -> &'a str {
    req.params.get(name).map(String::as_str).unwrap_or_default()
}

/// Whether `token` may delete content of `owner`: its own, or anyone's for an admin's user
/// token. A bot token never deletes other people's content.
fn may_delete(token: &FakeToken, owner: &str) -> bool {
    owner == token.user_id || (token.kind == TokenKind::User && token.admin)
}

fn chat_delete(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, "chat:write")?;
    let (channel, ts) = (param(req, "channel"), param(req, "ts"));
    let messages = state
        .channels
        .get_mut(channel)
        .ok_or_else(|| fail("channel_not_found"))?;
    let index = messages
        .iter()
        .position(|m| m.ts == ts)
        .ok_or_else(|| fail("message_not_found"))?;
    if !messages
        .get(index)
        .is_some_and(|m| may_delete(&token, &m.user))
    {
        return Err(fail("cant_delete_message"));
    }
    messages.remove(index);
    Ok(json!({"channel": channel, "ts": ts}))
}

fn post_message(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, "chat:write")?;
    let (channel, text) = (param(req, "channel"), param(req, "text"));
    if text.is_empty() {
        return Err(fail("no_text"));
    }
    let ts = format!("1700000000.{:06}", state.next_ts);
    state.next_ts += 1;
    let thread_ts = req.params.get("thread_ts").cloned();
    let messages = state
        .channels
        .get_mut(channel)
        .ok_or_else(|| fail("channel_not_found"))?;
    let message = FakeMessage {
        thread_ts,
        ..FakeMessage::new(channel, &ts, &token.user_id, text)
    };
    messages.push(message);
    Ok(
        json!({"channel": channel, "ts": ts, "message": {"text": text, "user": token.user_id, "ts": ts}}),
    )
}

fn post_ephemeral(state: &mut State, req: &Incoming) -> Answer {
    auth(state, req, "chat:write")?;
    if !state.channels.contains_key(param(req, "channel")) {
        return Err(fail("channel_not_found"));
    }
    if param(req, "user").is_empty() {
        return Err(fail("user_not_found"));
    }
    if param(req, "text").is_empty() {
        return Err(fail("no_text"));
    }
    Ok(json!({"message_ts": format!("1700000000.{:06}", state.next_ts)}))
}

fn conversations_open(state: &mut State, req: &Incoming) -> Answer {
    auth(state, req, "im:write")?;
    let user = param(req, "users");
    if user.is_empty() || user.contains(',') {
        return Err(fail("user_not_found"));
    }
    let id = format!("D{user}");
    state.channels.entry(id.clone()).or_default();
    Ok(json!({"channel": {"id": id}}))
}

fn files_info(state: &mut State, req: &Incoming) -> Answer {
    auth(state, req, "files:read")?;
    let file = state
        .files
        .get(param(req, "file"))
        .ok_or_else(|| fail("file_not_found"))?;
    Ok(json!({"file": {
        "id": file.id, "name": file.name, "title": file.name, "mimetype": file.mimetype,
        "user": file.user, "size": file.bytes.len(), "is_external": false,
        "url_private": download_url(&state.base, file),
        "url_private_download": download_url(&state.base, file),
    }}))
}

fn files_delete(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, "files:write")?;
    let id = param(req, "file");
    let file = state.files.get(id).ok_or_else(|| fail("file_not_found"))?;
    if !may_delete(&token, &file.user) {
        return Err(fail("cant_delete_file"));
    }
    state.files.remove(id);
    Ok(json!({}))
}

/// `GET /files/{id}/{name}`: the bytes for a valid token with `files:read`, otherwise the
/// login page with HTTP 200, as Slack answers.
fn download(state: &State, req: &Incoming) -> Reply {
    let id = req
        .path
        .trim_start_matches("/files/")
        .split('/')
        .next()
        .unwrap_or_default();
    let Some(file) = state.files.get(id) else {
        return reply(404, "text/plain", b"not found".to_vec());
    };
    if auth(state, req, "files:read").is_err() {
        return reply(
            200,
            "text/html; charset=utf-8",
            LOGIN_PAGE.as_bytes().to_vec(),
        );
    }
    let mut answer = reply(200, &file.mimetype, file.bytes.clone());
    answer.chunked = state.chunked_downloads;
    answer.headers.push((
        "content-disposition",
        format!("attachment; filename=\"{}\"", file.name),
    ));
    answer
}

fn oauth_access(state: &mut State, req: &Incoming) -> Answer {
    let (id, secret) = match &req.basic {
        Some((id, secret)) => (id.clone(), secret.clone()),
        None => (
            param(req, "client_id").to_owned(),
            param(req, "client_secret").to_owned(),
        ),
    };
    let (app_id, app_secret) = state
        .oauth_client
        .clone()
        .ok_or_else(|| fail("invalid_client_id"))?;
    if id != app_id {
        return Err(fail("invalid_client_id"));
    }
    if secret != app_secret {
        return Err(fail("bad_client_secret"));
    }
    let grant = state
        .oauth_codes
        .remove(param(req, "code"))
        .ok_or_else(|| fail("invalid_code"))?;
    if grant.redirect_uri != param(req, "redirect_uri") {
        return Err(fail("bad_redirect_uri"));
    }
    let user = grant.user.as_ref().map(|u| {
        json!({"id": u.user_id, "scope": u.scopes.join(","), "access_token": u.token, "token_type": "user"})
    });
    let answer = json!({
        "app_id": "AFAKEAPP", "access_token": grant.bot.token, "token_type": "bot",
        "scope": grant.bot.scopes.join(","), "bot_user_id": grant.bot.user_id,
        "team": {"id": grant.team_id, "name": grant.team_name}, "enterprise": null,
        "is_enterprise_install": false, "authed_user": user.unwrap_or_else(|| json!({})),
    });
    state.tokens.insert(grant.bot.token.clone(), grant.bot);
    if let Some(user) = grant.user {
        state.tokens.insert(user.token.clone(), user);
    }
    Ok(answer)
}
