//! A worker process for the crash test (`tests/worker/crash.rs`): runs task `append` from the
//! embedded queue in a SQLite file until the queue is empty; each run appends the envelope id
//! to a side-effect file and then sleeps a little, so that a SIGKILL lands mid-task.
//!
//! ```text
//! cargo run -p leakwall-queue --example crash_worker -- DB_FILE SIDE_EFFECT_FILE [CONCURRENCY]
//! ```
//!
//! Exits 0 once no message is ready, leased or delayed; 2 on bad arguments or an open error.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::{Registry, TaskContext, TaskError, TaskResult, Worker, WorkerConfig};
use leakwall_queue::Queue;

/// The queue name inside the database file.
const QUEUE: &str = "crash";
/// Lease of the crash test: short, so the second worker need not wait long for the
/// messages the killed one held.
const LEASE: Duration = Duration::from_secs(2);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(db), Some(effects)) = (args.first(), args.get(1)) else {
        eprintln!("usage: crash_worker DB_FILE SIDE_EFFECT_FILE [CONCURRENCY]");
        std::process::exit(2);
    };
    let concurrency = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let result = runtime
        .map_err(|e| e.to_string())
        .and_then(|runtime| runtime.block_on(run(db, PathBuf::from(effects), concurrency)));
    if let Err(error) = result {
        eprintln!("crash_worker: {error}");
        std::process::exit(2);
    }
}

async fn run(db: &str, effects: PathBuf, concurrency: usize) -> Result<(), String> {
    let url = format!("sqlite://{db}");
    let queue: Arc<dyn Queue> = Arc::new(
        EmbeddedQueue::open(&url, QUEUE)
            .await
            .map_err(|e| e.to_string())?,
    );
    let mut registry = Registry::new();
    let effects = Arc::new(effects);
    registry.register("append", move |ctx| append(effects.clone(), ctx));
    let config = WorkerConfig {
        concurrency,
        lease: LEASE,
        heartbeat: LEASE / 4,
        poll_wait: Duration::from_millis(200),
        backoff_base: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(queue.clone(), Arc::new(registry), config);
    worker
        .run(until_empty(queue))
        .await
        .map_err(|e| e.to_string())
}

/// The side effect: one line with the envelope id, then some "work".
async fn append(effects: Arc<PathBuf>, ctx: TaskContext) -> TaskResult {
    let id = ctx.envelope.id.unwrap_or_default();
    let written = tokio::task::spawn_blocking(move || {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&*effects)?;
        file.write_all(format!("{id}\n").as_bytes())
    });
    match written.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(TaskError::retry(format!("side-effect file: {e}"))),
        Err(_) => return Err(TaskError::retry("side-effect writer stopped")),
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(())
}

/// Completes once nothing is left to do (none ready, leased or delayed).
async fn until_empty(queue: Arc<dyn Queue>) {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(stats) = queue.stats().await {
            if stats.ready + stats.in_flight + stats.delayed == 0 {
                return;
            }
        }
    }
}
