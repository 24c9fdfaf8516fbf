//! Task queue benchmark: end-to-end tasks per second (enqueue → no-op task → delete) with
//! worker concurrency 1 and 8, and enqueue-to-start latency (p50/p99) on an idle worker, for
//! the in-memory, embedded (SQLite) and PostgreSQL backends, printed as one table.
//!
//! ```text
//! queue_bench [--tasks N] [--samples N] [--backend memory|embedded|postgres|all]
//!             [--postgres URL] [--prefetch N]
//! ```
//!
//! `--prefetch` is the worker's lease-ahead (`WorkerConfig::prefetch`, default the worker's
//! default); the table shows the value used.
//!
//! Throughput: a producer enqueues N envelopes in batches of 100 while one `Worker` drains
//! them; the clock stops when the worker has returned after its last delete. Latency: one
//! envelope at a time, stamped at enqueue, measured when its task starts; 5 ms apart.
//! PostgreSQL runs in a schema of its own, dropped at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::memory::MemoryQueue;
use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::worker::{Producer, Registry, Worker, WorkerConfig};
use leakwall_queue::{Envelope, Queue};
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::{mpsc, Notify};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA: &str = "leakwall_queue_bench";
const BATCH: usize = 100;

struct Options {
    tasks: usize,
    samples: usize,
    backends: Vec<&'static str>,
    postgres: String,
    prefetch: usize,
}

/// One column of the table.
struct Column {
    backend: &'static str,
    per_second: [f64; 2],
    p50: Duration,
    p99: Duration,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_args()?;
    let scratch = tempfile_dir()?;
    let mut columns = Vec::new();
    for &backend in &options.backends {
        let open = Opener {
            backend,
            options: &options,
            scratch: &scratch,
        };
        let mut per_second = [0.0; 2];
        for (slot, concurrency) in [1usize, 8].into_iter().enumerate() {
            let queue = open.queue(&format!("tput_{concurrency}")).await?;
            let config = config(concurrency, options.prefetch);
            per_second[slot] = throughput(queue, config, options.tasks).await?;
            eprintln!(
                "{backend}: concurrency {concurrency}: {:.0} tasks/s",
                per_second[slot]
            );
        }
        let queue = open.queue("latency").await?;
        let (p50, p99) = latency(queue, config(8, options.prefetch), options.samples).await?;
        eprintln!("{backend}: enqueue to start p50 {p50:?} p99 {p99:?}");
        columns.push(Column {
            backend,
            per_second,
            p50,
            p99,
        });
    }
    if options.backends.contains(&"postgres") {
        drop_schema(&options.postgres).await?;
    }
    print_table(&columns, &options);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        tasks: 20_000,
        samples: 500,
        backends: vec!["memory", "embedded", "postgres"],
        postgres: DEFAULT_POSTGRES.to_string(),
        prefetch: WorkerConfig::default().prefetch,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tasks" => options.tasks = value.parse().context("--tasks")?,
            "--samples" => options.samples = value.parse().context("--samples")?,
            "--postgres" => options.postgres = value,
            "--prefetch" => options.prefetch = value.parse().context("--prefetch")?,
            "--backend" => {
                options.backends = match value.as_str() {
                    "memory" => vec!["memory"],
                    "embedded" => vec!["embedded"],
                    "postgres" => vec!["postgres"],
                    "all" => vec!["memory", "embedded", "postgres"],
                    other => bail!("unknown backend {other}"),
                }
            }
            other => bail!("unknown option {other}"),
        }
    }
    Ok(options)
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("queue_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

struct Opener<'a> {
    backend: &'static str,
    options: &'a Options,
    scratch: &'a std::path::Path,
}

impl Opener<'_> {
    /// A fresh, empty queue for one measurement.
    async fn queue(&self, name: &str) -> Result<Arc<dyn Queue>> {
        Ok(match self.backend {
            "memory" => Arc::new(MemoryQueue::new()),
            "embedded" => {
                let path = self.scratch.join(format!("{name}.db"));
                let url = format!("sqlite://{}", path.display());
                Arc::new(EmbeddedQueue::open(&url, name).await?)
            }
            _ => {
                let base = &self.options.postgres;
                let mut admin = PgConnection::connect(base).await.context("PostgreSQL")?;
                admin
                    .execute(format!("CREATE SCHEMA IF NOT EXISTS {SCHEMA}").as_str())
                    .await?;
                admin.close().await?;
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{SCHEMA}");
                let name = format!("{name}_{}", std::process::id());
                Arc::new(PostgresQueue::open(&url, &name).await?)
            }
        })
    }
}

async fn drop_schema(url: &str) -> Result<()> {
    let mut admin = PgConnection::connect(url).await?;
    admin
        .execute(format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE").as_str())
        .await?;
    Ok(admin.close().await?)
}

fn config(concurrency: usize, prefetch: usize) -> WorkerConfig {
    WorkerConfig {
        concurrency,
        prefetch,
        grace: Duration::from_secs(60),
        ..WorkerConfig::default()
    }
}

/// Tasks per second, enqueue to delete, of `tasks` no-op tasks.
async fn throughput(queue: Arc<dyn Queue>, config: WorkerConfig, tasks: usize) -> Result<f64> {
    let done = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(Notify::new());
    let mut registry = Registry::new();
    let (d, a) = (done.clone(), all_done.clone());
    registry.register("noop", move |_| {
        if d.fetch_add(1, Ordering::Relaxed) + 1 == tasks {
            a.notify_one();
        }
        async { Ok(()) }
    });
    let worker = Worker::new(queue.clone(), Arc::new(registry), config);
    let producer = Producer::new(queue.clone());
    let start = Instant::now();
    let enqueue = tokio::spawn(async move {
        let batch = vec![Envelope::new("noop"); BATCH];
        let mut left = tasks;
        while left > 0 {
            let n = left.min(BATCH);
            producer.enqueue_batch(&batch[..n]).await?;
            left -= n;
        }
        anyhow::Ok(())
    });
    worker.run(all_done.notified()).await?;
    let elapsed = start.elapsed();
    enqueue.await??;
    let stats = queue.stats().await?;
    if stats.ready + stats.in_flight + stats.delayed + stats.dead != 0 {
        bail!("queue not empty after the run: {stats:?}");
    }
    Ok(tasks as f64 / elapsed.as_secs_f64())
}

/// Enqueue-to-start latency percentiles (p50, p99) on an idle worker.
async fn latency(
    queue: Arc<dyn Queue>,
    config: WorkerConfig,
    samples: usize,
) -> Result<(Duration, Duration)> {
    let epoch = Instant::now();
    let (started, mut starts) = mpsc::unbounded_channel();
    let mut registry = Registry::new();
    registry.register("stamp", move |ctx| {
        let now = epoch.elapsed().as_nanos() as u64;
        let sent = ctx
            .envelope
            .kwargs
            .get("t")
            .and_then(|t| t.as_u64())
            .unwrap_or(now);
        let _ = started.send(Duration::from_nanos(now.saturating_sub(sent)));
        async { Ok(()) }
    });
    let worker = Worker::new(queue.clone(), Arc::new(registry), config);
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let running = tokio::spawn(async move { worker.run(stopped.notified_owned()).await });
    let producer = Producer::new(queue);
    tokio::time::sleep(Duration::from_millis(200)).await; // the worker is polling
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let sent = epoch.elapsed().as_nanos() as u64;
        producer
            .enqueue(&Envelope::new("stamp").kwarg("t", sent.into()))
            .await?;
        let latency = tokio::time::timeout(Duration::from_secs(10), starts.recv()).await;
        latencies.push(
            latency
                .context("a task never started")?
                .context("worker gone")?,
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.notify_one();
    running.await??;
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok((at(0.50), at(0.99)))
}

fn print_table(columns: &[Column], options: &Options) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let mut rows: Vec<(String, Vec<String>)> = vec![
        (
            "backend".into(),
            columns.iter().map(|c| c.backend.to_string()).collect(),
        ),
        (
            format!("tasks/s, concurrency 1 ({} tasks)", options.tasks),
            columns
                .iter()
                .map(|c| format!("{:.0}", c.per_second[0]))
                .collect(),
        ),
        (
            format!("tasks/s, concurrency 8 ({} tasks)", options.tasks),
            columns
                .iter()
                .map(|c| format!("{:.0}", c.per_second[1]))
                .collect(),
        ),
    ];
    rows.push((
        "worker prefetch".into(),
        columns
            .iter()
            .map(|_| options.prefetch.to_string())
            .collect(),
    ));
    rows.push((
        "enqueue→start p50 (idle)".into(),
        columns.iter().map(|c| ms(c.p50)).collect(),
    ));
    rows.push((
        "enqueue→start p99 (idle)".into(),
        columns.iter().map(|c| ms(c.p99)).collect(),
    ));
    for (label, cells) in rows {
        let cells: Vec<String> = cells.iter().map(|c| format!("{c:>12}")).collect();
        println!("| {label:<36} | {} |", cells.join(" | "));
    }
}
