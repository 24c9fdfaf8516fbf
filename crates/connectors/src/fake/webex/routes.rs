//! The fake's routing, authentication, rate limits and the message endpoints.

use std::time::Instant;

use serde_json::{json, Value};

use super::server::{Incoming, Reply};
use super::state::{AccessToken, Message, State};
use super::{contents, oauth, webhooks, FakeCall};

/// A failure: the status and Webex's message.
pub(crate) type Fail = (u16, &'static str);
/// A handler's result.
pub(crate) type Answer = Result<Reply, Fail>;

/// Compliance scope to read messages and contents.
pub(crate) const MESSAGES_READ: &str = "spark-compliance:messages_read";
/// Compliance scope to judge contents and delete messages.
pub(crate) const MESSAGES_WRITE: &str = "spark-compliance:messages_write";
/// The scope to post messages as the token's user.
pub(crate) const POST_MESSAGES: &str = "spark:messages_write";

pub(crate) const NOT_FOUND: Fail = (404, "The requested resource could not be found.");
const UNAUTHORIZED: Fail = (
    401,
    "The request requires a valid access token set in the Authorization request header.",
);
const FORBIDDEN: Fail = (
    403,
    "The server understood the request, but refused to fulfill it because the access token is missing required scopes.",
);
/// The longest message text Webex takes (spec §5.8).
const MAX_TEXT_BYTES: usize = 7439;

pub(crate) fn route(state: &mut State, req: &Incoming, tracking_id: &str) -> Reply {
    let when = state.started.elapsed();
    let reply = rate_limited(state, req, tracking_id)
        .unwrap_or_else(|| dispatch(state, req).unwrap_or_else(|f| fail(f, tracking_id)));
    state.calls.push(FakeCall {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        status: reply.status,
        when,
    });
    reply
}

fn dispatch(state: &mut State, req: &Incoming) -> Answer {
    let path = req.path.strip_prefix("/v1/").ok_or(NOT_FOUND)?;
    let mut parts = path.splitn(2, '/');
    let (collection, id) = (parts.next().unwrap_or_default(), parts.next());
    if id.is_some_and(|id| id.is_empty() || id.contains('/')) {
        return Err(NOT_FOUND);
    }
    match (req.method.as_str(), collection, id) {
        ("HEAD" | "GET", "contents", Some(id)) => contents::read(state, req, id),
        ("PUT", "contents", Some(id)) => contents::settle(state, req, id),
        ("GET", "messages", Some(id)) => get_message(state, req, id),
        ("DELETE", "messages", Some(id)) => delete_message(state, req, id),
        ("POST", "messages", None) => post_message(state, req),
        ("GET", "webhooks", None) => webhooks::list(state, req),
        ("POST", "webhooks", None) => webhooks::create(state, req),
        ("GET", "webhooks", Some(id)) => webhooks::get(state, req, id),
        ("DELETE", "webhooks", Some(id)) => webhooks::delete(state, req, id),
        ("POST", "access_token", None) => oauth::access_token(state, req),
        ("GET", "authorize", None) => oauth::authorize(state, req),
        (_, "contents" | "messages" | "webhooks" | "access_token" | "authorize", _) => Err((
            405,
            "The request method is not supported for this resource.",
        )),
        _ => Err(NOT_FOUND),
    }
}

/// Webex's error body.
fn fail((status, message): Fail, tracking_id: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "message": message,
            "errors": [{"description": message}],
            "trackingId": tracking_id,
        }),
    )
}

fn rate_limited(state: &mut State, req: &Incoming, tracking_id: &str) -> Option<Reply> {
    let rule = state.rate_limits.iter_mut().find(|r| {
        r.remaining > 0
            && (r.method == "*" || r.method == req.method)
            && req.path.starts_with(&r.path_prefix)
    })?;
    rule.remaining -= 1;
    let retry_after = rule.retry_after_secs.to_string();
    Some(fail((429, "Too Many Requests"), tracking_id).with("retry-after", retry_after))
}

/// The bearer token, valid now and holding `scope`: 401 or 403 otherwise.
pub(crate) fn auth(state: &State, req: &Incoming, scope: &str) -> Result<AccessToken, Fail> {
    let token = req
        .bearer
        .as_deref()
        .and_then(|t| state.tokens.get(t))
        .filter(|t| t.expires > Instant::now())
        .ok_or(UNAUTHORIZED)?;
    if !token.scopes.contains(scope) {
        return Err(FORBIDDEN);
    }
    Ok(token.clone())
}

/// The request's JSON object body, or 400.
pub(crate) fn json_body(req: &Incoming) -> Result<serde_json::Map<String, Value>, Fail> {
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err((400, "The request body is not a JSON object.")),
    }
}

/// A string field of a JSON body, if present and a string.
pub(crate) fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

/// 204 No Content.
pub(crate) fn no_content() -> Reply {
    Reply {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn message_json(id: &str, m: &Message) -> Value {
    let mut out = json!({
        "id": id, "roomId": m.room_id, "roomType": m.room_type, "personId": m.person_id,
        "personEmail": m.person_email, "created": m.created,
    });
    if let Some(text) = &m.text {
        out["text"] = json!(text);
    }
    if !m.files.is_empty() {
        out["files"] = json!(m.files);
    }
    out
}

fn get_message(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let token = auth(state, req, MESSAGES_READ)?;
    let message = state
        .messages
        .get(id)
        .filter(|m| m.org == token.org)
        .ok_or(NOT_FOUND)?;
    Ok(Reply::json(200, &message_json(id, message)))
}

fn delete_message(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let token = auth(state, req, MESSAGES_WRITE)?;
    if state.messages.get(id).is_none_or(|m| m.org != token.org) {
        return Err(NOT_FOUND);
    }
    state.messages.remove(id);
    state.deleted.push(id.to_owned());
    Ok(no_content())
}

/// `POST /v1/messages` with `roomId`, `toPersonId` or `toPersonEmail` and `text` or
/// `markdown`.
fn post_message(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, POST_MESSAGES)?;
    let body = json_body(req)?;
    let (room_type, to) = match (
        field(&body, "roomId"),
        field(&body, "toPersonId").or(field(&body, "toPersonEmail")),
    ) {
        (Some(room), None) => ("group", room),
        (None, Some(person)) => ("direct", person),
        _ => {
            return Err((
                400,
                "Exactly one of roomId, toPersonId or toPersonEmail is needed.",
            ))
        }
    };
    let text = field(&body, "text")
        .or(field(&body, "markdown"))
        .filter(|t| !t.is_empty())
        .ok_or((400, "Message text is needed."))?;
    if text.len() > MAX_TEXT_BYTES {
        return Err((400, "Message text is longer than 7439 bytes."));
    }
    let (to, text) = (to.to_owned(), text.to_owned());
    let id = state.id("MESSAGE");
    let message = Message {
        org: token.org,
        room_id: to.clone(),
        room_type: room_type.into(),
        person_id: "fake-compliance-officer".into(),
        person_email: "compliance@example.com".into(),
        text: Some(text.clone()),
        files: Vec::new(),
        created: state.created(),
    };
    let answer = message_json(&id, &message);
    state.messages.insert(id, message);
    state.posted.push((to, text));
    Ok(Reply::json(200, &answer))
}
