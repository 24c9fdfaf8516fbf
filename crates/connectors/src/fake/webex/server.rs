//! The fake's HTTP plumbing (hyper 1 + hyper-util): read a request into an [`Incoming`],
//! let [`routes::route`] answer it under the state lock, write the [`Reply`] with a
//! `Trackingid` header.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as RequestBody;
use hyper::header::{HeaderValue, AUTHORIZATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::routes;
use super::state::State;

/// Request bodies the fake reads at most.
const MAX_BODY: usize = 1024 * 1024;

/// A request as the routes see it.
pub(crate) struct Incoming {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Query pairs (the last of a repeated name wins).
    pub params: BTreeMap<String, String>,
    pub bearer: Option<String>,
    pub body: Bytes,
}

impl Incoming {
    /// A query parameter, or `""`.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// An answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", "application/json;charset=UTF-8".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// The same answer with one more header.
    pub fn with(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

pub(crate) async fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, Arc::clone(&state)));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<RequestBody>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let Ok(collected) = Limited::new(body, MAX_BODY).collect().await else {
        let too_large = Reply::json(413, &serde_json::json!({"message": "Request too large."}));
        return Ok(respond(too_large, "FAKE_WEBEX_413", false));
    };
    let body = collected.to_bytes();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let query = parts.uri.query().map(str::to_owned);
    let params = query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let incoming = Incoming {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query,
        params,
        bearer: header(AUTHORIZATION)
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned()),
        body,
    };
    let (reply, tracking_id) = {
        let mut state = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tracking_id = state.serial("FAKE_WEBEX");
        (
            routes::route(&mut state, &incoming, &tracking_id),
            tracking_id,
        )
    };
    Ok(respond(reply, &tracking_id, incoming.method == "HEAD"))
}

/// The response; a HEAD answer keeps its headers (`Content-Length` included) but no body.
fn respond(reply: Reply, tracking_id: &str, head: bool) -> Response<Full<Bytes>> {
    let body = if head { Vec::new() } else { reply.body };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(tracking_id) {
        headers.insert("trackingid", value);
    }
    response
}
