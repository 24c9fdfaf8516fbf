//! The proxy guard over real sockets: a client, the guard on 127.0.0.1:0 and a recording
//! upstream on 127.0.0.1:0. Allowed requests reach the upstream unchanged and stream both
//! ways; denials answer 403 `deniedByPolicy`; engine failures 500; a missing upstream 502.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use leakwall_server::proxy::Guard;
use leakwall_server::Config;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};

use crate::support::{Db, TestServer};

const QUERY: &str = "data.proxy.granted";

/// A request body fed by the test, chunk by chunk.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
    }
}

/// What the upstream received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    /// The first MiB of the body.
    body: Vec<u8>,
    len: usize,
}

/// A recording upstream: answers 201 `got N bytes` with `x-upstream: yes` once it has read
/// the whole body; on `/stream-down` it answers `first`, then `last` once `release` is
/// notified.
#[derive(Clone)]
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    first_bytes: Arc<Notify>,
    release: Arc<Notify>,
}

impl Upstream {
    async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let upstream = Upstream {
            addr: listener.local_addr().expect("addr"),
            seen: Arc::default(),
            first_bytes: Arc::default(),
            release: Arc::default(),
        };
        let shared = upstream.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let up = shared.clone();
                let service = service_fn(move |req| {
                    let up = up.clone();
                    async move { Ok::<_, Infallible>(up.answer(req).await) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        upstream
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<ChannelBody> {
        let (parts, mut body) = req.into_parts();
        let (mut kept, mut len) = (Vec::new(), 0);
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                if len == 0 && !data.is_empty() {
                    self.first_bytes.notify_one();
                }
                len += data.len();
                let room = (1usize << 20).saturating_sub(kept.len());
                kept.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
        let path = parts.uri.path().to_owned();
        self.seen.lock().unwrap().push(Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body: kept,
            len,
        });
        let (tx, rx) = mpsc::channel(4);
        if path == "/stream-down" {
            let release = Arc::clone(&self.release);
            tokio::spawn(async move {
                let _ = tx.send(Bytes::from_static(b"first")).await;
                release.notified().await;
                let _ = tx.send(Bytes::from_static(b"last")).await;
            });
        } else {
            let _ = tx.try_send(Bytes::from(format!("got {len} bytes")));
        }
        Response::builder()
            .status(201)
            .header("x-upstream", "yes")
            .body(ChannelBody(rx))
            .expect("response")
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The server with `policies` and a guard in front of `upstream`, serving on 127.0.0.1:0.
async fn guard(policies: Vec<PathBuf>, query: &str, upstream: &str) -> (TestServer, SocketAddr) {
    let mut config = Config::default();
    config.policies.engine.policies = policies;
    config.proxy.upstream = upstream.into();
    config.proxy.query = query.into();
    start_guard(config).await
}

/// The server of `config` with its guard serving on 127.0.0.1:0.
async fn start_guard(mut config: Config) -> (TestServer, SocketAddr) {
    config.proxy.listen = "127.0.0.1:0".into();
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    server.state = server.state.clone().with_policies().await;
    let guard = Guard::from_state(&server.state).expect("guard configured");
    let listener = TcpListener::bind(guard.listen()).await.expect("bind guard");
    let addr = listener.local_addr().expect("addr");
    let shutdown = std::future::pending::<()>();
    tokio::spawn(leakwall_server::proxy::serve(
        Arc::new(guard),
        listener,
        shutdown,
    ));
    (server, addr)
}

fn example_policies() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"));
    vec![dir.join("proxy.rego"), dir.join("utils.rego")]
}

/// A policy that fails at evaluation for every request: `to_number("PUT")` is a builtin
/// error, and builtin errors fail the query.
fn failing_policy(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    let path = dir.path().join("broken.rego");
    let text = "package proxy\ndefault granted := true\n\
                granted := false if to_number(input.request.method) > 10\n";
    std::fs::write(&path, text).expect("write policy");
    vec![path]
}

/// Sends `req` over a new connection; returns the head and the body streamed back.
async fn send<B>(addr: SocketAddr, req: Request<B>) -> Response<Incoming>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let answer = sender.send_request(req);
    tokio::time::timeout(Duration::from_secs(30), answer)
        .await
        .expect("an answer in time")
        .expect("response")
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static [u8],
) -> (StatusCode, HeaderMap, Bytes) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "files.example.org");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::from_static(body)))
        .expect("request");
    let resp = send(addr, req).await;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, bytes)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_upload_reaches_the_upstream_and_its_answer_comes_back() {
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let (status, headers, body) = call(
        addr,
        "PUT",
        "/dav/files/alice/report.pdf",
        &[],
        b"%PDF-1.7 quarterly",
    )
    .await;
    assert_eq!(status, 201, "{body:?}");
    assert_eq!(headers["x-upstream"], "yes");
    assert_eq!(&body[..], b"got 18 bytes");
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        ("PUT", "/dav/files/alice/report.pdf")
    );
    assert_eq!(seen[0].body, b"%PDF-1.7 quarterly");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_the_query_string_pass_unchanged_with_forwarding_headers_added() {
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let path = "/dav/files/alice/notes.txt?version=3&x=a%20b";
    let headers = [
        ("authorization", "Bearer abc"),
        ("x-custom", "kept"),
        ("connection", "keep-alive, x-hop"),
        ("x-hop", "dropped"),
    ];
    let (status, _, _) = call(addr, "GET", path, &headers, b"").await;
    assert_eq!(status, 201);
    let seen = &up.seen()[0];
    assert_eq!(seen.uri, path);
    let h = &seen.headers;
    assert_eq!(h["authorization"], "Bearer abc");
    assert_eq!(h["x-custom"], "kept");
    assert!(!h.contains_key("x-hop"), "{h:?}");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "files.example.org");
    assert_eq!(h["host"], up.addr.to_string().as_str());
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_upload_answers_403_denied_by_policy_without_reading_the_body() {
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    // A body that never comes: the answer must not wait for it.
    let (_tx, rx) = mpsc::channel::<Bytes>(1);
    let req = Request::builder()
        .method("PUT")
        .uri("/dav/files/alice/x.exe?raw=1")
        .header("content-length", "1000000")
        .header("x-request-id", "req-42")
        .body(ChannelBody(rx))
        .expect("request");
    let resp = send(addr, req).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("json");
    let inner = &body["error"]["innererror"];
    let date = inner["date"].as_str().expect("date");
    let parsed = time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 date");
    assert!(date.ends_with('Z'), "{date}");
    assert!(
        (time::OffsetDateTime::now_utc() - parsed)
            .whole_seconds()
            .abs()
            < 60
    );
    let expected = serde_json::json!({"error": {
        "code": "deniedByPolicy",
        "message": "Operation denied due to security policies",
        "innererror": {"date": date, "request-id": "req-42", "method": "PUT",
            "filename": "x.exe", "path": "/dav/files/alice/x.exe"}}});
    assert_eq!(body, expected);
    assert!(up.seen().is_empty(), "the upstream saw a denied request");
    let (status, _, bytes) = call(addr, "PUT", "/dav/spaces/1234", &[], b"x").await;
    let body: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(status, 403, "an upload without a name is denied");
    assert_eq!(body["error"]["innererror"]["filename"], "1234");
    let id = body["error"]["innererror"]["request-id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a generated request id: {id}");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_uploads_are_judged_by_the_metadata_filename() {
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let evil = format!(
        "filetype YXBwbGljYXRpb24vb2N0ZXQtc3RyZWFt,filename {}",
        b64("evil.exe")
    );
    let tus = |meta: &str| {
        [
            ("upload-metadata", meta.to_owned()),
            ("tus-resumable", "1.0.0".into()),
        ]
    };
    let h = tus(&evil);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = call(addr, "POST", "/data", &h, b"").await;
    assert_eq!(status, 403, "{body:?}");
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["innererror"]["filename"], "evil.exe");
    assert!(up.seen().is_empty());
    let ok = format!("filename {}", b64("ok.pdf"));
    let h = tus(&ok);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = call(addr, "POST", "/data", &h, b"").await;
    assert_eq!(status, 201);
    let seen = up.seen();
    assert_eq!((seen.len(), seen[0].uri.as_str()), (1, "/data"));
    assert_eq!(seen[0].headers["upload-metadata"], ok.as_str());
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_fails_at_evaluation_answers_500_with_an_empty_body() {
    let up = Upstream::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let upstream = format!("http://{}", up.addr);
    let (server, addr) = guard(failing_policy(&dir), QUERY, &upstream).await;
    let (status, _, body) = call(addr, "PUT", "/dav/files/a/report.pdf", &[], b"x").await;
    assert_eq!((status.as_u16(), body.len()), (500, 0), "{body:?}");
    server.finish().await;
    let missing = vec![dir.path().join("no-such.rego")];
    let (server, addr) = guard(missing, QUERY, &upstream).await;
    let (status, _, body) = call(addr, "GET", "/dav/files/a/report.pdf", &[], b"").await;
    assert_eq!(
        (status.as_u16(), body.len()),
        (500, 0),
        "a missing policy file"
    );
    assert!(up.seen().is_empty());
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_query_requests_are_forwarded_without_evaluation() {
    let up = Upstream::start().await;
    let dir = tempfile::tempdir().expect("dir");
    // This policy fails on every evaluation: a 201 proves none took place.
    let upstream = format!("http://{}", up.addr);
    let (server, addr) = guard(failing_policy(&dir), "", &upstream).await;
    let (status, _, _) = call(addr, "PUT", "/dav/files/a/x.exe", &[], b"MZ").await;
    assert_eq!(status, 201);
    assert_eq!(up.seen()[0].body, b"MZ");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_answers_502() {
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gone = closed.local_addr().expect("addr");
    drop(closed);
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{gone}")).await;
    let (status, _, body) = call(addr, "GET", "/dav/files/a/report.pdf", &[], b"").await;
    assert_eq!((status.as_u16(), body.len()), (502, 0));
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_streams_through_without_being_buffered() {
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 64 * 1024 * 1024;
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let req = Request::builder()
        .method("PUT")
        .uri("/dav/files/alice/video.mp4")
        .body(ChannelBody(rx))
        .expect("request");
    let answer = tokio::spawn(async move { send(addr, req).await });
    let chunk = Bytes::from(vec![7u8; CHUNK]);
    tx.send(chunk.clone()).await.expect("first chunk");
    // The rest is held back until the upstream has the first bytes: a guard that buffered
    // the body would wait forever here.
    tokio::time::timeout(Duration::from_secs(10), up.first_bytes.notified())
        .await
        .expect("the first bytes reach the upstream before the client has sent the rest");
    for _ in 1..TOTAL / CHUNK {
        tx.send(chunk.clone()).await.expect("chunk");
    }
    drop(tx);
    let resp = answer.await.expect("client");
    assert_eq!(resp.status(), 201);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body, format!("got {TOTAL} bytes").as_bytes());
    let seen = &up.seen()[0];
    assert_eq!(seen.len, TOTAL);
    assert_eq!(seen.headers["transfer-encoding"], "chunked");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_answer_streams_back_before_it_is_complete() {
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let req = Request::builder()
        .uri("/stream-down")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let mut body = send(addr, req).await.into_body();
    let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("the first part before the upstream has finished")
        .expect("frame")
        .expect("data");
    assert_eq!(first.into_data().expect("data"), "first");
    up.release.notify_one();
    let rest = body.collect().await.expect("rest").to_bytes();
    assert_eq!(rest, "last");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_does_not_answer_in_time_gives_504() {
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_addr = silent.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let mut config = Config::default();
    config.proxy.upstream = format!("http://{silent_addr}");
    config.proxy.response_timeout_seconds = 1;
    let (server, addr) = start_guard(config).await;
    let (status, _, body) = call(addr, "GET", "/slow", &[], b"").await;
    assert_eq!((status.as_u16(), body.len()), (504, 0));
    held.abort();
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_headers_are_answered_not_crashed_on() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = Upstream::start().await;
    let (server, addr) = guard(example_policies(), QUERY, &format!("http://{}", up.addr)).await;
    let raw = |head: String| async move {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let _ = s.write_all(head.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    let junk =
        "filename ,filename ====,filename %%%,filename \u{e9}t\u{e9},,, filename x y,".repeat(1000);
    let head = format!(
        "POST /data HTTP/1.1\r\nhost: x\r\nupload-metadata: {junk}\r\nconnection: close\r\n\r\n"
    );
    let answer = raw(head).await;
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "bad metadata, empty name: {answer:.40}"
    );
    let huge = "a".repeat(2 << 20);
    let head = format!("GET /x HTTP/1.1\r\nhost: x\r\nx-big: {huge}\r\n\r\n");
    let answer = raw(head).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer:.40}"
    );
    let (status, _, _) = call(addr, "GET", "/dav/files/a/report.pdf", &[], b"").await;
    assert_eq!(status, 201, "the guard still serves");
    assert_eq!(up.seen().len(), 1, "only the last request was forwarded");
    server.finish().await;
}
