//! Proxy overhead on OCS share creation: the same `POST …/shares` sent `--calls` times (one
//! at a time, keep-alive) straight to a minimal OCS upstream, then through the proxy guard in
//! OCS mode (sharing rules enabled; the guard reads the actor's and grantee's addresses, which
//! it caches, and the folder's shares, then forwards). Prints `RESULT label calls/s p50_µs
//! p99_µs max_µs` for both.
//!
//! The upstream answers every call at once from memory (users `u<n>@corp.example`, no shares,
//! every creation accepted), so the difference is the guard's own cost plus its extra calls.

use std::time::{Duration, Instant};

use leakwall_server::{AppState, Config};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const SHARES: &str = "/ocs/v2.php/apps/files_sharing/api/v1/shares";

/// One keep-alive connection of the minimal OCS upstream.
async fn upstream_connection(stream: tokio::net::TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut words = line.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or("").to_owned(),
            words.next().unwrap_or("").to_owned(),
        );
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            read.read_line(&mut header).await?;
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await?;
        let data = if path.starts_with("/ocs/v2.php/cloud/users/") {
            let id = path.trim_start_matches("/ocs/v2.php/cloud/users/");
            let id = id.split('?').next().unwrap_or_default();
            json!({"id": id, "email": format!("{id}@corp.example")})
        } else if method == "GET" {
            json!([])
        } else {
            json!({"id": "1", "share_type": 0, "permissions": 1, "path": "/Team"})
        };
        let answer = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": "OK"},
            "data": data}})
        .to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(answer.as_bytes()).await?;
    }
}

async fn measure(
    label: &str,
    client: &reqwest::Client,
    base: &str,
    calls: usize,
) -> anyhow::Result<()> {
    let mut latencies = Vec::with_capacity(calls);
    let started = Instant::now();
    for i in 0..calls {
        let form = format!(
            "path=%2FTeam&shareType=0&shareWith=u{}&permissions=1",
            i % 50
        );
        let t = Instant::now();
        let answer = client
            .post(format!("{base}{SHARES}?format=json"))
            .basic_auth("ann", Some("pw"))
            .header("OCS-APIRequest", "true")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await?;
        anyhow::ensure!(answer.status() == 200, "{label}: {}", answer.status());
        answer.bytes().await?;
        latencies.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_micros()
    };
    println!(
        "RESULT {label} {:.0} {} {} {}",
        calls as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        latencies.last().map_or(0, Duration::as_micros)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let upstream_addr = upstream.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = upstream.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(upstream_connection(stream));
        }
    });
    let dir = tempfile::tempdir()?;
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    config.proxy.listen = "127.0.0.1:0".into();
    config.proxy.upstream = format!("http://{upstream_addr}");
    config.sharing.ocs.service_user = "svc".into();
    config.sharing.ocs.service_password = "pw".into();
    let settings = config.validate()?;
    let store = leakwall_server::open_store(&settings).await?;
    let state = AppState::new(store, settings);
    let enabled = leakwall_policy::sharing::SharingConfig {
        enabled: true,
        internal_pattern: "[a-z0-9]+@corp\\.example".into(),
        ..Default::default()
    };
    let audit = leakwall_store::AuditEntry::default();
    leakwall_server::sharing::settings::save(&state.store, &enabled, audit).await?;
    let guard = leakwall_server::proxy::Guard::from_state(&state)
        .ok_or_else(|| anyhow::anyhow!("no guard"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let guard_addr = listener.local_addr()?;
    tokio::spawn(leakwall_server::proxy::serve(
        std::sync::Arc::new(guard),
        listener,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    measure(
        "warmup-upstream",
        &client,
        &format!("http://{upstream_addr}"),
        calls / 10,
    )
    .await?;
    measure(
        "upstream-alone",
        &client,
        &format!("http://{upstream_addr}"),
        calls,
    )
    .await?;
    measure(
        "warmup-guard",
        &client,
        &format!("http://{guard_addr}"),
        calls / 10,
    )
    .await?;
    measure(
        "through-guard",
        &client,
        &format!("http://{guard_addr}"),
        calls,
    )
    .await?;
    Ok(())
}
