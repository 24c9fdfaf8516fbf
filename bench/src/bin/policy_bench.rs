//! `policy_bench MODE [options]`: decisions per second and latency of the example proxy policy
//! (`policies/utils.rego` + `policies/proxy.rego`, query `data.proxy.granted`), driven by
//! `bench/policy.sh`, which pins the server with `taskset` and prints the table.
//!
//! Modes (each prints one `RESULT label decisions/s p50_µs p99_µs max_µs` line):
//! - `serve`: the real server (HTTP router and gRPC service over the policies, SQLite store)
//!   on 127.0.0.1:0 in this process; prints `READY GRPC_ADDR HTTP_URL API_KEY`, serves until
//!   standard input closes. `--decision-log off` turns the decision log off (default on).
//! - `inproc --threads T`: the compiled policy set evaluated on T threads, no server (as
//!   `crates/policy/examples/proxy_bench.rs`, with the input of the gRPC mapping).
//! - `grpc --addr A --concurrency C`: closed loop, C calls in flight over tonic channels.
//! - `http --url U --key K --concurrency C`: closed loop, C keep-alive HTTP/1.1 connections
//!   posting to `/api/v0/policies/evaluate`.
//! - `grpc-rate --addr A --rate R`: open loop, R calls per second whatever the answers do,
//!   issued in batches every millisecond (tokio's timer resolution) over 8 HTTP/2 connections;
//!   latency counted from issue; failed calls are counted, not timed.
//!
//! Common options: `--seconds S` (5) after a one-second warm-up, `--label NAME`, `--inputs
//! new|repeated`. Calls alternate between an allowed upload (`report-N.pdf`) and a denied one
//! (`setup-N.exe`); with `new` (the default) every call has a file name of its own, so the
//! policy set's decision cache never answers and the engine's cost is measured; with
//! `repeated` the same two inputs come again and again (answered from the cache).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use leakwall_server::grpc::{
    Environment, EvaluateRequest, PoliciesProviderClient, Request, Resource, Stage, User,
};
use leakwall_server::{AppState, Config};
use serde_json::{json, Value};
use tonic::transport::Channel;

const QUERY: &str = "data.proxy.granted";
const WARMUP: Duration = Duration::from_secs(1);

struct Args {
    mode: String,
    label: String,
    seconds: u64,
    threads: usize,
    concurrency: usize,
    rate: u64,
    addr: String,
    url: String,
    key: String,
    decision_log: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .context("usage: policy_bench serve|inproc|grpc|http|grpc-rate")?;
    let mut a = Args {
        label: mode.clone(),
        mode,
        seconds: 5,
        threads: 1,
        concurrency: 8,
        rate: 10_000,
        addr: String::new(),
        url: String::new(),
        key: String::new(),
        decision_log: true,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--label" => a.label = value,
            "--seconds" => a.seconds = value.parse()?,
            "--threads" => a.threads = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--rate" => a.rate = value.parse()?,
            "--addr" => a.addr = value,
            "--url" => a.url = value,
            "--key" => a.key = value,
            "--decision-log" => a.decision_log = value == "on",
            "--inputs" => NEW_INPUTS.store(value == "new", Ordering::Relaxed),
            _ => bail!("unknown option {flag}"),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    if args.mode == "inproc" {
        return inproc(&args);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match args.mode.as_str() {
            "serve" => serve(&args).await,
            "grpc" => grpc_closed(&args).await,
            "http" => http_closed(&args).await,
            "grpc-rate" => grpc_open(&args).await,
            other => bail!("unknown mode {other}"),
        }
    })
}

fn example_policies() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies");
    vec![dir.join("utils.rego"), dir.join("proxy.rego")]
}

/// Whether every call has an input of its own (the decision cache never hits) or the two
/// inputs repeat (answered from the cache after the first calls).
static NEW_INPUTS: AtomicBool = AtomicBool::new(true);

/// The file name of call `i`: even calls upload an allowed file, odd ones a denied one.
fn file_name(i: usize) -> String {
    match (NEW_INPUTS.load(Ordering::Relaxed), i % 2) {
        (true, 0) => format!("report-{i}.pdf"),
        (true, _) => format!("setup-{i}.exe"),
        (false, 0) => "report.pdf".into(),
        (false, _) => "setup.exe".into(),
    }
}

fn environment(i: usize) -> Environment {
    let name = file_name(i);
    Environment {
        stage: Stage::Http as i32,
        user: Some(User {
            username: "alice".into(),
            groups: vec!["staff".into()],
            ..User::default()
        }),
        request: Some(Request {
            method: "PUT".into(),
            path: format!("/dav/files/alice/{name}"),
        }),
        resource: Some(Resource {
            name,
            ..Resource::default()
        }),
    }
}

fn request(i: usize) -> EvaluateRequest {
    EvaluateRequest {
        query: QUERY.into(),
        environment: Some(environment(i)),
    }
}

/// The HTTP body of call `i` (protojson).
fn body(i: usize) -> String {
    let name = file_name(i);
    json!({"query": QUERY, "environment": {"stage": "STAGE_HTTP",
        "user": {"username": "alice", "groups": ["staff"]},
        "request": {"method": "PUT", "path": format!("/dav/files/alice/{name}")},
        "resource": {"name": name}}})
    .to_string()
}

fn input(i: usize) -> Value {
    leakwall_server::grpc::input(Some(environment(i))).unwrap_or_default()
}

/// Latencies in microseconds.
fn report(label: &str, mut micros: Vec<u64>, elapsed: Duration, extra: &str) {
    micros.sort_unstable();
    let pct = |p: f64| {
        let i = ((micros.len() as f64 * p) as usize).min(micros.len().saturating_sub(1));
        micros.get(i).copied().unwrap_or(0)
    };
    let rate = micros.len() as f64 / elapsed.as_secs_f64();
    println!(
        "RESULT {label} {rate:.0} {} {} {} {extra}",
        pct(0.50),
        pct(0.99),
        micros.last().copied().unwrap_or(0)
    );
}

fn inproc(args: &Args) -> anyhow::Result<()> {
    let mut builder = leakwall_policy::PolicySetBuilder::new(leakwall_policy::Settings::default());
    for path in example_policies() {
        builder = builder.path(path)?;
    }
    let set = Arc::new(builder.build()?);
    for (i, want) in [(0, true), (1, false)] {
        let allowed = set.evaluate_bool(QUERY, &input(i)) == leakwall_policy::Verdict::Allow;
        anyhow::ensure!(
            allowed == want,
            "the example policy answered {allowed} for {i}"
        );
    }
    let (seconds, stride) = (args.seconds, args.threads);
    let threads: Vec<_> = (0..args.threads)
        .map(|thread| {
            let set = Arc::clone(&set);
            std::thread::spawn(move || {
                let warm = Instant::now() + WARMUP;
                let mut i = thread + 2 * stride;
                while Instant::now() < warm {
                    std::hint::black_box(set.evaluate_bool(QUERY, &input(i)));
                    i += stride;
                }
                let (started, mut micros) = (Instant::now(), Vec::new());
                let end = started + Duration::from_secs(seconds);
                while Instant::now() < end {
                    let input = input(i);
                    let t = Instant::now();
                    std::hint::black_box(set.evaluate_bool(QUERY, &input));
                    micros.push(t.elapsed().as_micros() as u64);
                    i += stride;
                }
                micros
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().map_err(|_| anyhow::anyhow!("thread panicked"))?);
    }
    report(&args.label, all, Duration::from_secs(seconds), "");
    Ok(())
}

async fn serve(args: &Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    config.policies.engine.policies = example_policies();
    config.policies.decision_log.enabled = args.decision_log;
    let settings = config.validate()?;
    let store = leakwall_server::open_store(&settings).await?;
    let (_, key) = store
        .create_api_key("bench", "bench", &["admin".into()], None)
        .await?;
    let state = AppState::new(store, settings).with_policies().await;
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let h = tokio::spawn(leakwall_server::serve(
        state.clone(),
        http,
        until(stopped.clone()),
    ));
    let g = tokio::spawn(leakwall_server::grpc::serve(state, grpc, until(stopped)));
    println!("READY {grpc_addr} http://{http_addr} {key}");
    // Serve until standard input closes.
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await??;
    let _ = stop.send(true);
    h.await??;
    g.await??;
    Ok(())
}

async fn channels(addr: &str, n: usize) -> anyhow::Result<Vec<PoliciesProviderClient<Channel>>> {
    let mut clients = Vec::new();
    for _ in 0..n {
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        clients.push(PoliciesProviderClient::new(channel));
    }
    Ok(clients)
}

/// Runs `call` back to back on C tasks: warm-up, then S seconds measured.
async fn closed_loop<F, Fut>(args: &Args, call: F) -> anyhow::Result<()>
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now() + WARMUP;
    let end = started + Duration::from_secs(args.seconds);
    let (mut tasks, stride) = (Vec::new(), args.concurrency);
    for worker in 0..args.concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut micros, mut i) = (Vec::new(), worker);
            loop {
                let t = Instant::now();
                if t >= end {
                    return Ok::<_, anyhow::Error>(micros);
                }
                call(worker, i).await?;
                if t >= started {
                    micros.push(t.elapsed().as_micros() as u64);
                }
                i += stride;
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let extra = format!("concurrency={}", args.concurrency);
    report(&args.label, all, end - started, &extra);
    Ok(())
}

async fn grpc_closed(args: &Args) -> anyhow::Result<()> {
    let clients = Arc::new(channels(&args.addr, args.concurrency.clamp(1, 4)).await?);
    closed_loop(args, move |worker, i| {
        let mut client = clients[worker % clients.len()].clone();
        async move {
            let answer = client.evaluate(request(i)).await?.into_inner();
            anyhow::ensure!(answer.result == (i % 2 == 0), "wrong answer for input {i}");
            Ok(())
        }
    })
    .await
}

async fn http_closed(args: &Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .build()?;
    let url = format!("{}/api/v0/policies/evaluate", args.url);
    let auth = Arc::new(format!("Bearer {}", args.key));
    closed_loop(args, move |_, i| {
        let (client, url, auth) = (client.clone(), url.clone(), auth.clone());
        async move {
            let response = client
                .post(&url)
                .header("authorization", auth.as_str())
                .header("content-type", "application/json")
                .body(body(i))
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            anyhow::ensure!(status == 200, "HTTP {status}: {body}");
            anyhow::ensure!(body["result"] == (i % 2 == 0), "wrong answer: {body}");
            Ok(())
        }
    })
    .await
}

async fn grpc_open(args: &Args) -> anyhow::Result<()> {
    let clients = channels(&args.addr, 8).await?;
    let per_ms = args.rate as f64 / 1000.0;
    let total = Duration::from_secs(args.seconds) + WARMUP;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<anyhow::Result<Option<u64>>>();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut issued = 0usize;
    while started.elapsed() < total {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * 1000.0 * per_ms) as usize;
        while issued < due {
            let mut client = clients[issued % clients.len()].clone();
            let (tx, i, measured) = (tx.clone(), issued, started.elapsed() >= WARMUP);
            tokio::spawn(async move {
                let t = Instant::now();
                let answer = client.evaluate(request(i)).await;
                let micros = t.elapsed().as_micros() as u64;
                let result = match answer {
                    Ok(a) if a.get_ref().result == (i % 2 == 0) => Ok(measured.then_some(micros)),
                    Ok(_) => Err(anyhow::anyhow!("wrong answer for input {i}")),
                    Err(status) => Err(status.into()),
                };
                let _ = tx.send(result);
            });
            issued += 1;
        }
    }
    drop(tx);
    let (mut micros, mut errors, mut first) = (Vec::new(), 0, None);
    let measuring = started + WARMUP;
    let mut last = measuring;
    while let Some(result) = rx.recv().await {
        last = Instant::now();
        match result {
            Ok(measured) => micros.extend(measured),
            Err(e) => {
                errors += 1;
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if let Some(e) = first {
        eprintln!("{errors} calls failed, the first with: {e}");
    }
    let extra = format!("target_rate={} issued={issued} errors={errors}", args.rate);
    // The rate achieved: calls answered over the time until the last answer.
    report(
        &args.label,
        micros,
        last.saturating_duration_since(measuring)
            .max(Duration::from_millis(1)),
        &extra,
    );
    Ok(())
}
