//! Proxy mode in front of an OCS server (Nextcloud, ownCloud): the proxy guard hands share
//! creations (`POST …/apps/files_sharing/api/v1/shares`) and updates (`PUT …/shares/{id}`)
//! to [`OcsGuard`], which decides before the upstream sees them.
//!
//! 1. The body (form or JSON, at most 64 KiB) and the sharer (Basic auth user) are read; the
//!    folder's shares and its parents', and the users' e-mail addresses (remembered for
//!    `email_cache_seconds`), are read from the upstream with the service account.
//! 2. Malformed or unknown input is answered in the client's OCS envelope (400 or 404,
//!    nothing forwarded); a rejection is answered `403` in that envelope (XML by default,
//!    JSON with `format=json`; on `/ocs/v1.php` HTTP 200 with statuscode 403), with the
//!    message listing the external parties.
//! 3. Allowed and warned changes are forwarded. After a warned one that the upstream
//!    accepted, each revocation (WRITE removed from a share) is applied with the service
//!    account, retried with a doubling delay up to `revoke_attempts` times, and recorded as
//!    an incident with its outcome; the warning is added to `ocs.meta.message` and sent in
//!    `X-Leakwall-Warning`.
//!
//! Paths are those of the sharer's OCS calls; the service account must see the same folders
//! (an administrator of a server whose shared folders have one namespace, as group folders
//! do). A failure to read the upstream fails closed (502 in the envelope, nothing forwarded).

mod client;
mod config;
mod envelope;
mod request;

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::{Request, Response, StatusCode};
use leakwall_policy::sharing::{ocs_without_write, SharingDecision, SharingOutcome, SideEffect};

pub use client::{OcsClient, OcsShare, SHARES_PATH};
pub use config::{OcsConfig, OcsSettings, SharingFileConfig};
pub use envelope::Dialect;
pub use request::ShareCall;

use super::{incidents, Sharing, SharingFailure};
use crate::proxy::ProxyBody;
use client::CallError;

/// Largest share-call body read.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest `X-Leakwall-Warning` value.
const MAX_WARNING_BYTES: usize = 2048;
/// Headers not passed on when forwarding.
const DROPPED: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// The OCS mode of the proxy guard.
pub struct OcsGuard {
    sharing: Arc<Sharing>,
    client: OcsClient,
    forwarder: reqwest::Client,
    base: String,
}

impl std::fmt::Debug for OcsGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcsGuard")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl OcsGuard {
    /// The OCS mode over the upstream at `base` (`http://host:port[/prefix]`).
    pub fn new(sharing: Arc<Sharing>, base: String, settings: OcsSettings) -> OcsGuard {
        let forwarder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        OcsGuard {
            sharing,
            client: OcsClient::new(base.clone(), settings),
            forwarder,
            base,
        }
    }

    /// Decides on a share call and answers it.
    pub async fn handle(&self, request: Request<Incoming>, call: ShareCall) -> Response<ProxyBody> {
        let (parts, body) = request.into_parts();
        let accept = parts.headers.get("accept").and_then(|v| v.to_str().ok());
        let dialect = Dialect::of(parts.uri.path(), parts.uri.query(), accept);
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return answer(dialect.failure(400, "the share request is too large")),
        };
        let json = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        match self.sharing.rules().await {
            // Rules off: no reason to read the upstream first.
            Ok(rules) if !rules.enabled() => return self.forward(parts, body, None).await,
            Ok(_) => {}
            Err(failure) => return refusal(dialect, &failure),
        }
        let Some(actor) = request::basic_user(&parts.headers) else {
            // Not ours to authenticate: the upstream answers it.
            return self.forward(parts, body, None).await;
        };
        let fields = match request::fields(&body, json) {
            Ok(fields) => fields,
            Err(e) => return refusal(dialect, &SharingFailure::Invalid(e)),
        };
        if matches!(call, ShareCall::Update(_)) && !fields.contains_key("permissions") {
            // Not a change of permissions (a note, an expiry date): nothing to decide.
            return self.forward(parts, body, None).await;
        }
        let shared = match request::build(&self.client, &call, &fields, &actor).await {
            Ok(shared) => shared,
            Err(CallError::Unknown(e)) => return refusal(dialect, &SharingFailure::Invalid(e)),
            Err(CallError::Upstream(e)) => {
                tracing::error!(error = %e, "sharing: reading the OCS upstream");
                return answer(dialect.failure(502, "the sharing rules could not be checked"));
            }
        };
        let folder = shared.folder.path.clone();
        let actor_email = shared.actor.clone();
        let decision = match self.sharing.evaluate(shared, "proxy").await {
            Ok(decision) => decision,
            Err(failure) => return refusal(dialect, &failure),
        };
        match decision.decision {
            SharingOutcome::Reject => answer(dialect.failure(403, &decision.message)),
            SharingOutcome::Allow => self.forward(parts, body, None).await,
            SharingOutcome::Warn => {
                let warned = Warned {
                    decision: &decision,
                    folder: &folder,
                    actor: &actor_email,
                };
                self.forward(parts, body, Some(warned)).await
            }
        }
    }

    /// Sends the sharer's request to the upstream; after a warned change the upstream
    /// accepted, applies the revocations and adds the warning.
    async fn forward(
        &self,
        parts: hyper::http::request::Parts,
        body: Bytes,
        warned: Option<Warned<'_>>,
    ) -> Response<ProxyBody> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut outgoing = self
            .forwarder
            .request(parts.method.clone(), format!("{}{path}", self.base))
            .body(body);
        for (name, value) in &parts.headers {
            if !DROPPED.contains(&name.as_str()) && name != CONTENT_LENGTH {
                outgoing = outgoing.header(name, value);
            }
        }
        if let Some(host) = parts.headers.get(HOST) {
            outgoing = outgoing.header("x-forwarded-host", host);
        }
        let upstream = match outgoing.send().await {
            Ok(upstream) => upstream,
            Err(e) => {
                tracing::warn!(error = %e, "sharing: the OCS upstream cannot be reached");
                let status = if e.is_timeout() {
                    StatusCode::GATEWAY_TIMEOUT
                } else {
                    StatusCode::BAD_GATEWAY
                };
                return own(status, Bytes::new(), None);
            }
        };
        let status = upstream.status();
        let headers = upstream.headers().clone();
        let mut body = match upstream.bytes().await {
            Ok(body) => body,
            Err(_) => return own(StatusCode::BAD_GATEWAY, Bytes::new(), None),
        };
        let mut warning = None;
        if let Some(warned) = warned {
            if status.is_success() && envelope::is_ok(&body) {
                let message = self.revoke(&warned).await;
                body = Bytes::from(envelope::add_warning(&body, &message));
                warning = Some(message);
            }
        }
        let mut response = own(status, body, warning.as_deref());
        for (name, value) in &headers {
            let skip = DROPPED.contains(&name.as_str()) || name == CONTENT_LENGTH;
            if !skip {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        response
    }

    /// Applies every revocation of a warning, each retried and recorded; returns the warning
    /// for the sharer (with the revocations that failed).
    async fn revoke(&self, warned: &Warned<'_>) -> String {
        let mut failed = Vec::new();
        for effect in &warned.decision.side_effects {
            let outcome = self.revoke_one(effect).await;
            if outcome.starts_with("failed") {
                failed.push(effect.grantee.clone());
            }
            incidents::record_revocation(
                self.sharing.store(),
                warned.folder,
                warned.actor,
                effect,
                &outcome,
            )
            .await;
        }
        let mut message = warned.decision.message.clone();
        if !failed.is_empty() {
            message.push_str(&format!(
                " Revoking WRITE failed for {}; an administrator has been told.",
                failed.join(", ")
            ));
        }
        message
    }

    /// One revocation with retries: `applied`, `applied after N attempts`, or `failed after
    /// N attempts: why`.
    async fn revoke_one(&self, effect: &SideEffect) -> String {
        let Some(id) = &effect.share_id else {
            return "failed: no share id to revoke on".into();
        };
        let settings = self.client.settings();
        let mut delay = settings.revoke_backoff;
        let mut last = String::new();
        for attempt in 1..=settings.revoke_attempts {
            let result = match self.client.share(id).await {
                Ok(share) => {
                    let bits = ocs_without_write(share.permissions);
                    self.client.set_permissions(id, bits).await
                }
                Err(CallError::Unknown(e)) => Err(e.to_string()),
                Err(CallError::Upstream(e)) => Err(e),
            };
            match result {
                Ok(()) if attempt == 1 => return "applied".into(),
                Ok(()) => return format!("applied after {attempt} attempts"),
                Err(e) => last = e,
            }
            if attempt < settings.revoke_attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2).min(Duration::from_secs(30));
            }
        }
        tracing::warn!(share = %id, "sharing: revoking WRITE failed");
        format!("failed after {} attempts: {last}", settings.revoke_attempts)
    }
}

/// A warned change being forwarded.
struct Warned<'a> {
    decision: &'a SharingDecision,
    folder: &'a str,
    actor: &'a str,
}

fn refusal(dialect: Dialect, failure: &SharingFailure) -> Response<ProxyBody> {
    let code = match failure {
        SharingFailure::Invalid(e) => crate::error::status_of(e.code()).as_u16(),
        SharingFailure::Internal(e) => {
            tracing::error!(error = %e, "sharing: the decision failed");
            500
        }
    };
    answer(dialect.failure(code, &failure.to_string()))
}

fn answer((status, body, content_type): (StatusCode, String, &'static str)) -> Response<ProxyBody> {
    let mut response = own(status, Bytes::from(body), None);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn own(status: StatusCode, body: Bytes, warning: Option<&str>) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(body)));
    *response.status_mut() = status;
    if let Some(warning) = warning {
        let ascii: String = warning
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .take(MAX_WARNING_BYTES)
            .collect();
        if let Ok(value) = HeaderValue::from_str(&ascii) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-leakwall-warning"), value);
        }
    }
    response
}
