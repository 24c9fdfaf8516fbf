//! `/v1/webhooks` (spec §5.4): list (paginated with RFC 5988 `Link`), create, get, delete.

use serde_json::{json, Value};

use super::routes::{auth, field, json_body, no_content, Answer, MESSAGES_READ, NOT_FOUND};
use super::server::{Incoming, Reply};
use super::state::State;
use super::FakeWebhook;

const WEBHOOKS_READ: &str = "spark-compliance:webhooks_read";
const WEBHOOKS_WRITE: &str = "spark-compliance:webhooks_write";
/// The page size when `max` is not given, and the largest one taken.
const MAX_PAGE: usize = 100;

fn webhook_json(w: &FakeWebhook) -> Value {
    let mut out = json!({
        "id": w.id, "name": w.name, "targetUrl": w.target_url, "resource": w.resource,
        "event": w.event, "orgId": w.org_id, "createdBy": "fake-compliance-officer",
        "appId": w.app_id, "ownedBy": w.owned_by, "status": w.status,
        "created": "2026-01-01T00:00:00.000Z",
    });
    if let Some(secret) = &w.secret {
        out["secret"] = json!(secret);
    }
    out
}

/// GET: the token's org's webhooks from `cursor` (an offset), `max` per page, with a
/// `Link: <…>; rel="next"` header while more remain.
pub(crate) fn list(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, WEBHOOKS_READ)?;
    let bad = (400, "max and cursor must be positive numbers.");
    let max = match req.params.get("max") {
        Some(max) => max.parse::<usize>().ok().filter(|m| *m > 0).ok_or(bad)?,
        None => MAX_PAGE,
    }
    .min(MAX_PAGE);
    let from = match req.params.get("cursor") {
        Some(cursor) => cursor.parse::<usize>().map_err(|_| bad)?,
        None => 0,
    };
    let visible: Vec<&FakeWebhook> = state
        .webhooks
        .iter()
        .filter(|w| w.org_id == token.org)
        .collect();
    let items: Vec<Value> = visible
        .iter()
        .skip(from)
        .take(max)
        .map(|w| webhook_json(w))
        .collect();
    let mut reply = Reply::json(200, &json!({ "items": items }));
    let next = from.saturating_add(max);
    if next < visible.len() {
        let link = format!(
            "<{}/v1/webhooks?max={max}&cursor={next}>; rel=\"next\"",
            state.base
        );
        reply = reply.with("link", link);
    }
    Ok(reply)
}

/// POST `{name, targetUrl, resource, event, ownedBy?, secret?}`. An org-wide webhook on
/// `messages` also needs the compliance read scope on messages.
pub(crate) fn create(state: &mut State, req: &Incoming) -> Answer {
    let token = auth(state, req, WEBHOOKS_WRITE)?;
    let body = json_body(req)?;
    let required = |name| {
        field(&body, name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or((400, "name, targetUrl, resource and event are required."))
    };
    let (name, target_url) = (required("name")?, required("targetUrl")?);
    let (resource, event) = (required("resource")?, required("event")?);
    if !(target_url.starts_with("http://") || target_url.starts_with("https://")) {
        return Err((400, "targetUrl must be an http or https URL."));
    }
    let owned_by = field(&body, "ownedBy").unwrap_or("creator").to_owned();
    if owned_by == "org" && resource == "messages" && !token.scopes.contains(MESSAGES_READ) {
        return Err((
            403,
            "An org-wide messages webhook needs spark-compliance:messages_read.",
        ));
    }
    let webhook = FakeWebhook {
        id: state.id("WEBHOOK"),
        name,
        target_url,
        resource,
        event,
        secret: field(&body, "secret").map(str::to_owned),
        owned_by,
        org_id: token.org,
        app_id: state.app_id.clone(),
        status: "active".into(),
    };
    let answer = webhook_json(&webhook);
    state.webhooks.push(webhook);
    Ok(Reply::json(200, &answer))
}

/// GET one webhook of the token's org.
pub(crate) fn get(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let token = auth(state, req, WEBHOOKS_READ)?;
    let webhook = state
        .webhooks
        .iter()
        .find(|w| w.id == id && w.org_id == token.org)
        .ok_or(NOT_FOUND)?;
    Ok(Reply::json(200, &webhook_json(webhook)))
}

/// DELETE one webhook of the token's org: 204, or 404.
pub(crate) fn delete(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let token = auth(state, req, WEBHOOKS_WRITE)?;
    let index = state
        .webhooks
        .iter()
        .position(|w| w.id == id && w.org_id == token.org)
        .ok_or(NOT_FOUND)?;
    state.webhooks.remove(index);
    Ok(no_content())
}
