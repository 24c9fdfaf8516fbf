//! `api_latency [--backend sqlite|postgres|both] [--rows N] [--seconds S] [--concurrency C]
//! [--reuse] [--postgres URL] [--seed N] [--out DIR]`: latency of `GET /api/incidents` with
//! filters over N incidents, on SQLite and PostgreSQL, side by side.
//!
//! For each backend: fills the incidents table with N realistic, reproducible rows through
//! `Store::insert_incidents_bulk` (or, with `--reuse`, keeps a database that already has N:
//! SQLite `DIR/api-latency.db`, PostgreSQL schema `lw_bench`), starts the real server in this
//! process on 127.0.0.1:0 with an admin API key, and runs a closed-loop load (C connections,
//! each sending requests back to back for S seconds per query). Prints per backend: requests,
//! req/s, p50/p90/p99/max latency and the peak RSS; then both backends side by side and whether
//! SQLite met the target (p99 < 50 ms for a filtered page of 50). Exits 1 on any failure,
//! among them an unreachable PostgreSQL when it was asked for; 2 on bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use leakwall_bench::api::database::{self, Backend, Target};
use leakwall_bench::api::load;
use leakwall_bench::api::report::{self, BackendReport, Row};
use leakwall_server::{AppState, Config};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Url;

/// The p99 target for a filtered page of 50 on SQLite.
const TARGET_P99_MS: f64 = 50.0;

#[derive(Debug)]
struct Args {
    backends: Vec<Backend>,
    rows: u64,
    seconds: u64,
    concurrency: usize,
    reuse: bool,
    postgres: String,
    seed: u64,
    out: PathBuf,
}

const USAGE: &str = "usage: api_latency [--backend sqlite|postgres|both (both)] [--rows N (1000000)] \
[--seconds S (10)] [--concurrency C (8)] [--reuse] [--postgres URL (postgres://postgres@127.0.0.1:5432/test)] \
[--seed N (42)] [--out DIR (bench/out)]";

fn parse_args() -> Option<Args> {
    let mut a = Args {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        rows: 1_000_000,
        seconds: 10,
        concurrency: 8,
        reuse: false,
        postgres: "postgres://postgres@127.0.0.1:5432/test".to_owned(),
        seed: 42,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("out"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--reuse" {
            a.reuse = true;
            continue;
        }
        let value = args.next()?;
        match flag.as_str() {
            "--backend" => {
                a.backends = match value.as_str() {
                    "sqlite" => vec![Backend::Sqlite],
                    "postgres" => vec![Backend::Postgres],
                    "both" => vec![Backend::Sqlite, Backend::Postgres],
                    _ => return None,
                }
            }
            "--rows" => a.rows = value.parse().ok().filter(|&n| n >= 200)?,
            "--seconds" => a.seconds = value.parse().ok().filter(|&n| n >= 1)?,
            "--concurrency" => a.concurrency = value.parse().ok().filter(|&n| n >= 1)?,
            "--postgres" => a.postgres = value,
            "--seed" => a.seed = value.parse().ok()?,
            "--out" => a.out = PathBuf::from(value),
            _ => return None,
        }
    }
    Some(a)
}

fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("api_latency: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("api_latency: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let targets: Vec<Target> = args
        .backends
        .iter()
        .map(|b| match b {
            Backend::Sqlite => Target::sqlite(&args.out),
            Backend::Postgres => Target::postgres(&args.postgres),
        })
        .collect();
    for target in &targets {
        target.check_reachable().await?;
    }
    let mut reports = Vec::new();
    for target in &targets {
        let report = run_backend(args, target).await?;
        report::print_backend(&report, args.concurrency, args.seconds);
        reports.push(report);
    }
    println!("\n### side by side\n");
    println!(
        "{} incidents, {} connections, {} s per query; machine: {} cores.",
        args.rows,
        args.concurrency,
        args.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    report::print_side_by_side(&reports, TARGET_P99_MS);
    Ok(())
}

/// Fills (or reuses) one backend, then loads every query against the real server.
async fn run_backend(args: &Args, target: &Target) -> anyhow::Result<BackendReport> {
    let name = target.backend.name();
    report::reset_peak_rss();
    let (store, fill) = filled_store(args, target).await?;
    let fill_rss_mib = report::peak_rss_mib();
    report::reset_peak_rss();
    let (shutdown, server, base) = start_server(store.clone(), &target.url).await?;
    let result = load_all(args, name, &store, &base).await;
    let _ = shutdown.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    store.close().await;
    Ok(BackendReport {
        backend: name,
        rows: args.rows,
        fill_rate: fill.map(|f| f.rate()),
        fill_seconds: fill.map_or(0.0, |f| f.elapsed.as_secs_f64()),
        fill_rss_mib,
        load_rss_mib: report::peak_rss_mib(),
        rows_by_query: result?,
    })
}

/// The store with `args.rows` incidents: reused when asked and the count matches, otherwise
/// emptied and filled.
async fn filled_store(
    args: &Args,
    target: &Target,
) -> anyhow::Result<(leakwall_store::Store, Option<database::FillStats>)> {
    let name = target.backend.name();
    if !args.reuse {
        target.wipe().await?;
    }
    let mut store = target.open().await?;
    let have = target.count().await?;
    if args.reuse && have == args.rows {
        eprintln!("api_latency: {name}: reusing {have} incidents");
        return Ok((store, None));
    }
    if have != 0 {
        eprintln!(
            "api_latency: {name}: has {have} incidents, not {}: refilling",
            args.rows
        );
        store.close().await;
        target.wipe().await?;
        store = target.open().await?;
    }
    let fill = database::fill(&store, name, args.rows, args.seed).await?;
    eprintln!(
        "api_latency: {name}: filled {} rows in {:.1} s ({:.0} rows/s)",
        fill.rows,
        fill.elapsed.as_secs_f64(),
        fill.rate()
    );
    target.analyze().await?;
    Ok((store, Some(fill)))
}

type Server = tokio::task::JoinHandle<anyhow::Result<()>>;

/// The real server on 127.0.0.1:0 over `store`; returns its shutdown switch and base URL.
async fn start_server(
    store: leakwall_store::Store,
    url: &str,
) -> anyhow::Result<(tokio::sync::oneshot::Sender<()>, Server, Url)> {
    let mut config = Config::default();
    config.database.url = url.to_owned();
    let settings = config.validate()?;
    let state = AppState::new(store, settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = Url::parse(&format!("http://{}", listener.local_addr()?))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(leakwall_server::serve(state, listener, async move {
        let _ = rx.await;
    }));
    Ok((tx, server, base))
}

/// An admin key, a keep-alive client, and every query measured in turn.
async fn load_all(
    args: &Args,
    name: &str,
    store: &leakwall_store::Store,
    base: &Url,
) -> anyhow::Result<Vec<Row>> {
    let (_, secret) = store
        .create_api_key("api_latency", "bench", &["admin".to_owned()], None)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {secret}"))?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .build()?;
    wait_ready(&client, base).await?;
    let duration = Duration::from_secs(args.seconds);
    let mut rows = Vec::new();
    for query in load::queries(&client, base).await? {
        for _ in 0..3 {
            load::fetch(&client, &query.url).await.context("warm-up")?;
        }
        let m = load::run(&client, &query.url, args.concurrency, duration).await;
        if let Some(e) = &m.first_error {
            bail!(
                "{name}: {}: {} failed requests, the first: {e}",
                query.name,
                m.errors
            );
        }
        let row = Row::new(
            query.name,
            query.filtered_page,
            m.latencies,
            m.errors,
            m.elapsed,
        );
        eprintln!(
            "api_latency: {name}: {:<34} {:>7} req, p50 {:>7.2} ms, p99 {:>7.2} ms",
            row.query, row.requests, row.p50, row.p99
        );
        rows.push(row);
    }
    Ok(rows)
}

/// Waits until the server answers `/healthz` (at most 30 s).
async fn wait_ready(client: &reqwest::Client, base: &Url) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match client.get(base.join("/healthz")?).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            _ if started.elapsed() > Duration::from_secs(30) => {
                bail!("the server did not answer {base}healthz within 30 s")
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
