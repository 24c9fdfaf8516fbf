//! The proxy guard of `leakwall serve` as a user runs it: the real binary with the example
//! proxy policy in front of a tiny upstream, and the settings that stop it from starting.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{run, tempdir, write};

/// `leakwall serve` with a guard; killed when dropped.
struct Guarded {
    child: Child,
    guard: String,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn policies() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
    format!("[\"{dir}/proxy.rego\", \"{dir}/utils.rego\"]")
}

/// An upstream that answers every request `200 got METHOD PATH BODY-LENGTH` and closes.
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let line = head.lines().next().unwrap_or_default().to_owned();
                let mut words = line.split(' ');
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                let body = format!("got {} {path} {length}", method.to_uppercase());
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

#[allow(clippy::zombie_processes)]
fn serve_guarded(dir: &Path, upstream: &str) -> Guarded {
    let db = format!("sqlite://{}", dir.join("leakwall.db").display());
    let config = format!(
        "policies: {{engine: {{policies: {}}}}}\nproxy: {{listen: \"127.0.0.1:0\", upstream: \"http://{upstream}\"}}\n",
        policies()
    );
    let config = write(dir, "leakwall.yaml", config);
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args([
            "serve",
            "--no-workers",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .arg("--config")
        .arg(&config)
        .env("PROXY_POLICIES_QUERY", "data.proxy.granted")
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leakwall serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).expect("read stdout");
        assert!(n > 0, "serve exited before the guard listened:\n{printed}");
        if let Some(rest) = line.trim().strip_prefix("proxy guard ") {
            let guard = rest.split(' ').next().unwrap_or_default().to_owned();
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return Guarded { child, guard };
        }
        printed.push_str(&line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_guards_an_upstream_with_the_example_proxy_policy() {
    let dir = tempdir();
    let upstream = upstream().await;
    let server = serve_guarded(dir.path(), &upstream);
    let client = reqwest::Client::new();
    let put = |name: &str| {
        client
            .put(format!("{}/dav/files/alice/{name}", server.guard))
            .header("x-request-id", "e2e-1")
            .body("content")
            .send()
    };
    let allowed = put("report.pdf").await.expect("PUT report.pdf");
    assert_eq!(allowed.status(), 200);
    let text = allowed.text().await.expect("body");
    assert_eq!(text, "got PUT /dav/files/alice/report.pdf 7");
    let denied = put("x.exe").await.expect("PUT x.exe");
    assert_eq!(denied.status(), 403);
    let body: Value = denied.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "deniedByPolicy");
    let inner = &body["error"]["innererror"];
    assert_eq!(
        (&inner["request-id"], &inner["filename"], &inner["method"]),
        (&"e2e-1".into(), &"x.exe".into(), &"PUT".into())
    );
}

#[test]
fn bad_proxy_settings_stop_serve_with_the_key_named() {
    let dir = tempdir();
    let db = format!("sqlite://{}", dir.path().join("leakwall.db").display());
    for (yaml, key) in [
        ("proxy: {listen: \"127.0.0.1:0\"}", "proxy.upstream"),
        (
            "proxy: {listen: \"127.0.0.1:0\", upstream: \"https://x\"}",
            "proxy.upstream",
        ),
        (
            "proxy: {listen: \"127.0.0.1:0\", upstream: \"http://x\", query: data.p.q}",
            "proxy.query",
        ),
    ] {
        let config = write(dir.path(), "bad.yaml", yaml);
        let config = config.to_str().expect("UTF-8 path");
        let out = run(
            dir.path(),
            &["serve", "--database", &db, "--config", config],
        );
        assert_eq!(out.code, 2, "{yaml}: {}", out.stderr);
        assert!(out.stderr.contains(key), "{yaml}: {}", out.stderr);
    }
}
