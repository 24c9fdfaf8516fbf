//! `proxy_load`: the two halves of the proxy guard benchmark (`bench/proxy.sh`).
//!
//! - `proxy_load upstream [--listen ADDR]`: a tiny HTTP/1 upstream that reads every request
//!   body to its end and answers `200 ok`; prints `listening on ADDR`, runs until killed.
//! - `proxy_load run --target NAME=URL... [--connections N] [--seconds S] [--body BYTES]
//!   [--warmup S]`: a closed-loop load generator: N keep-alive connections, each sending
//!   requests back to back for S seconds, against each target in turn (the first is the
//!   baseline, e.g. the upstream directly; then e.g. the guard), for a `GET` and a `PUT` of a
//!   small body; prints req/s and p50/p99 per target with the overhead over the baseline. Any
//!   non-2xx answer or transport error is counted and reported.
//!
//! Exits 1 when a phase had errors, 2 on bad arguments.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: proxy_load upstream [--listen ADDR (127.0.0.1:0)]\n       \
proxy_load run --target NAME=URL [--target NAME=URL ...] [--connections N (16)] [--seconds S (10)] \
[--body BYTES (1024)] [--warmup S (2)]";

/// The request paths: an upload of an allowed type, so that the guard evaluates the whole
/// upload rule set of `policies/proxy.rego`.
const PATH: &str = "/dav/files/bench/report.pdf";

struct Load {
    /// (name, URL); the first is the baseline.
    targets: Vec<(String, Uri)>,
    connections: usize,
    seconds: u64,
    body: usize,
    warmup: u64,
}

/// What one phase measured.
struct Phase {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    /// Latencies in microseconds, sorted.
    latencies: Vec<u32>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies[i.min(self.latencies.len() - 1)])
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("proxy_load: {e}");
            return ExitCode::from(1);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("upstream") => {
            let listen = flag(&args, "--listen").unwrap_or("127.0.0.1:0");
            runtime.block_on(upstream(listen))
        }
        Some("run") => match parse_load(&args) {
            Some(load) => runtime.block_on(run(load)),
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("proxy_load: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).map(String::as_str)
}

fn parse_load(args: &[String]) -> Option<Load> {
    let num = |name: &str, default: u64| match flag(args, name) {
        Some(v) => v.parse::<u64>().ok(),
        None => Some(default),
    };
    let mut targets = Vec::new();
    for pair in args.windows(2).filter(|w| w[0] == "--target") {
        let (name, url) = pair[1].split_once('=')?;
        targets.push((name.to_owned(), url.parse().ok()?));
    }
    if targets.is_empty() {
        return None;
    }
    Some(Load {
        targets,
        connections: usize::try_from(num("--connections", 16)?).ok()?.max(1),
        seconds: num("--seconds", 10)?.max(1),
        body: usize::try_from(num("--body", 1024)?).ok()?,
        warmup: num("--warmup", 2)?,
    })
}

async fn upstream(listen: &str) -> anyhow::Result<bool> {
    let listener = TcpListener::bind(listen).await?;
    println!("listening on {}", listener.local_addr()?);
    use std::io::Write;
    std::io::stdout().flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
            let _ = req.into_body().collect().await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        });
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service),
        );
    }
}

async fn run(load: Load) -> anyhow::Result<bool> {
    let body = Bytes::from(vec![b'x'; load.body]);
    let cases = [("GET", Bytes::new()), ("PUT", body)];
    println!(
        "{} connections, {} s per phase (after {} s warm-up), PUT body {} bytes, path {PATH}\n",
        load.connections, load.seconds, load.warmup, load.body
    );
    println!("| request | target | req/s | p50 µs | p99 µs | overhead p50 µs (%) | overhead p99 µs (%) | req/s change |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let mut clean = true;
    for (method, body) in cases {
        let mut baseline: Option<Phase> = None;
        for (name, target) in &load.targets {
            if load.warmup > 0 {
                phase(target, method, &body, load.connections, load.warmup).await?;
            }
            let p = phase(target, method, &body, load.connections, load.seconds).await?;
            if p.errors > 0 {
                eprintln!("{method} {name} {target}: {} errors", p.errors);
                clean = false;
            }
            let over = |a: f64, b: f64| format!("{:+.0} ({:+.0} %)", b - a, (b - a) / a * 100.0);
            let (p50, p99, rate) = match &baseline {
                None => ("–".to_owned(), "–".to_owned(), "–".to_owned()),
                Some(b) => (
                    over(b.pct(0.5), p.pct(0.5)),
                    over(b.pct(0.99), p.pct(0.99)),
                    format!("{:+.1} %", (p.rate() - b.rate()) / b.rate() * 100.0),
                ),
            };
            println!(
                "| {method} | {name} | {:.0} | {:.0} | {:.0} | {p50} | {p99} | {rate} |",
                p.rate(),
                p.pct(0.5),
                p.pct(0.99)
            );
            if baseline.is_none() {
                baseline = Some(p);
            }
        }
    }
    Ok(clean)
}

/// `connections` closed loops against `target` for `seconds`.
async fn phase(
    target: &Uri,
    method: &'static str,
    body: &Bytes,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
    let addr = address(target)?;
    let host = target
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (host, body) = (host.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            one_connection(addr, host, method, body, until).await
        }));
    }
    let mut all = Phase {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors) = task.await?;
        all.requests += latencies.len() as u64;
        all.errors += errors;
        all.latencies.extend(latencies);
    }
    all.elapsed = started.elapsed();
    all.latencies.sort_unstable();
    Ok(all)
}

fn address(target: &Uri) -> anyhow::Result<SocketAddr> {
    let authority = target
        .authority()
        .ok_or_else(|| anyhow::anyhow!("{target}: no host:port"))?;
    Ok(authority.as_str().parse()?)
}

/// One keep-alive connection sending requests back to back until `until`; reconnects after
/// an error. Returns the latencies (µs) of successful requests and the number of errors.
async fn one_connection(
    addr: SocketAddr,
    host: String,
    method: &'static str,
    body: Bytes,
    until: Instant,
) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(100_000);
    let mut errors = 0;
    while Instant::now() < until {
        let Ok(stream) = TcpStream::connect(addr).await else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            errors += 1;
            continue;
        };
        tokio::spawn(conn);
        while Instant::now() < until {
            let req = Request::builder()
                .method(method)
                .uri(PATH)
                .header("host", &host)
                .body(Full::new(body.clone()));
            let Ok(req) = req else {
                errors += 1;
                break;
            };
            let sent = Instant::now();
            let ok = match sender.send_request(req).await {
                Ok(resp) => {
                    let good = resp.status().is_success();
                    resp.into_body().collect().await.is_ok() && good
                }
                Err(_) => false,
            };
            if !ok {
                errors += 1;
                break;
            }
            let micros = sent.elapsed().as_micros();
            latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
        }
    }
    (latencies, errors)
}
