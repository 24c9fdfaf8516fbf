//! The fake's HTTP plumbing (hyper 1 + hyper-util): read a request into an [`Incoming`],
//! let [`methods::route`] answer it under the state lock, write the [`Reply`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming as RequestBody, SizeHint};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::methods;
use super::State;

/// Request bodies the fake reads at most.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as the method handlers see it.
pub(crate) struct Incoming {
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub bearer: Option<String>,
    /// `(client_id, client_secret)` from HTTP Basic auth.
    pub basic: Option<(String, String)>,
}

/// An answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Send the body in chunks without `Content-Length`.
    pub chunked: bool,
}

/// Frames of a chunked answer.
const CHUNK: usize = 16 * 1024;

/// A response body: whole with `Content-Length`, or in chunks of unknown total length.
pub(crate) struct ReplyBody {
    data: Bytes,
    chunked: bool,
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let take = if self.chunked {
            CHUNK.min(self.data.len())
        } else {
            self.data.len()
        };
        let frame = self.data.split_to(take);
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        if self.chunked {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.data.len() as u64)
        }
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
) -> Result<Response<ReplyBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(respond(Reply {
                status: 413,
                headers: vec![],
                body: vec![],
                chunked: false,
            }))
        }
    };
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
    };
    let authorization = header(AUTHORIZATION).unwrap_or_default();
    let is_json = header(CONTENT_TYPE).is_some_and(|v| v.starts_with("application/json"));
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    if let Some(query) = parts.uri.query() {
        params.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    params.extend(body_params(&body, is_json));
    let incoming = Incoming {
        path: parts.uri.path().to_owned(),
        bearer: authorization.strip_prefix("Bearer ").map(str::to_owned),
        basic: authorization
            .strip_prefix("Basic ")
            .and_then(basic_credentials),
        params,
    };
    let reply = {
        let mut state = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        methods::route(&mut state, &incoming)
    };
    Ok(respond(reply))
}

fn body_params(body: &[u8], is_json: bool) -> Vec<(String, String)> {
    if !is_json {
        return form_urlencoded::parse(body).into_owned().collect();
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect()
}

fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn respond(reply: Reply) -> Response<ReplyBody> {
    let body = ReplyBody {
        data: Bytes::from(reply.body),
        chunked: reply.chunked,
    };
    let mut response = Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
