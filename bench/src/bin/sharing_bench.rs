//! Sharing-rule decision benchmark: `POST /v1/sharing/evaluate` on the real server
//! (in-process router, SQLite store, rules enabled) for a folder whose access list has
//! `--entries` shares (default 1,000), `--concurrency` calls in flight for `--seconds`.
//! Prints `RESULT label decisions/s p50_µs p99_µs max_µs`.
//!
//! `--decision allow` asks for a read-only share (allowed, nothing recorded);
//! `--decision reject` gives WRITE on an externally shared folder (rejected, one incident
//! written per call); `--decision inproc` times the decision alone (JSON parse, validation,
//! rules) on one thread, without the server.

use std::time::{Duration, Instant};

use leakwall_server::{AppState, Config};
use serde_json::{json, Value};

struct Args {
    entries: usize,
    concurrency: usize,
    seconds: u64,
    decision: String,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        entries: 1000,
        concurrency: 8,
        seconds: 5,
        decision: "allow".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--entries" => args.entries = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--decision" => args.decision = value,
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(args)
}

/// A folder with `entries` shares: internal readers and writers, one external reader.
fn request(entries: usize, write: bool) -> Value {
    let mut access: Vec<Value> = (0..entries.saturating_sub(1))
        .map(|i| {
            let flags = if i % 3 == 0 {
                json!(["WRITE"])
            } else {
                json!([])
            };
            json!({"path": "/Projects", "share_id": i.to_string(), "share_type": "user",
                "grantee": format!("user{i}@corp.example"), "flags": flags})
        })
        .collect();
    access.push(json!({"share_id": "ext", "share_type": "user",
        "grantee": "ext@partner.example", "flags": []}));
    let flags = if write { json!(["WRITE"]) } else { json!([]) };
    json!({"folder": {"path": "/Projects/Alpha", "owner": "ann@corp.example"}, "access": access,
        "change": {"kind": "create", "share_type": "user", "grantee": "new@corp.example",
            "flags": flags},
        "actor": "ann@corp.example"})
}

/// `--decision inproc`: the decision alone (parse, validate, rules) on one thread, no server.
fn inproc(args: &Args) -> anyhow::Result<()> {
    use leakwall_policy::sharing::{ShareRequest, SharingConfig};
    let rules = SharingConfig {
        enabled: true,
        internal_pattern: "[a-z0-9.]+@corp\\.example".into(),
        ..SharingConfig::default()
    }
    .build()?;
    let body = request(args.entries, true).to_string();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        let request = ShareRequest::from_json(serde_json::from_str(&body)?)?;
        let decision = rules.evaluate(&request)?;
        anyhow::ensure!(!decision.allows(), "expected a rejection");
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0, |d| d.as_micros())
    };
    println!(
        "RESULT sharing-inproc-{} {:.0} {} {} {}",
        args.entries,
        latencies.len() as f64 / args.seconds as f64,
        pct(0.50),
        pct(0.99),
        latencies.last().map_or(0, |d| d.as_micros())
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    if args.decision == "inproc" {
        return inproc(&args);
    }
    let dir = tempfile::tempdir()?;
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let settings = config.validate()?;
    let store = leakwall_server::open_store(&settings).await?;
    let (_, key) = store
        .create_api_key("bench", "bench", &["admin".into()], None)
        .await?;
    let state = AppState::new(store, settings);
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", http.local_addr()?);
    tokio::spawn(leakwall_server::serve(state, http, std::future::pending()));
    let client = reqwest::Client::new();
    let enabled = json!({"enabled": true, "internal_pattern": "[a-z0-9.]+@corp\\.example"});
    let answer = client
        .patch(format!("{base}/api/sharing/settings"))
        .bearer_auth(&key)
        .json(&enabled)
        .send()
        .await?;
    anyhow::ensure!(answer.status() == 200, "settings: {}", answer.text().await?);
    let body = request(args.entries, args.decision == "reject").to_string();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, key, body) = (
            client.clone(),
            format!("{base}/v1/sharing/evaluate"),
            key.clone(),
            body.clone(),
        );
        let want = args.decision.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let answer: Value = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?
                    .json()
                    .await?;
                anyhow::ensure!(answer["decision"] == want.as_str(), "answered {answer}");
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1));
        all.get(i).map_or(0, |d| d.as_micros())
    };
    println!(
        "RESULT sharing-{}-{} {:.0} {} {} {}",
        args.decision,
        args.entries,
        all.len() as f64 / args.seconds as f64,
        pct(0.50),
        pct(0.99),
        all.last().map_or(0, |d| d.as_micros())
    );
    Ok(())
}
