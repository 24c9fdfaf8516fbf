//! Shared helpers: queues, a fast configuration, recording task functions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leakwall_queue::memory::MemoryQueue;
use leakwall_queue::worker::{Producer, Registry, WorkerConfig};
use leakwall_queue::{DeadLetter, Envelope, Queue, Stats};

pub fn memory() -> Arc<dyn Queue> {
    Arc::new(MemoryQueue::new())
}

/// Defaults with small, round numbers that make paused-clock tests easy to follow.
pub fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 8,
        prefetch: 16,
        lease: Duration::from_secs(30),
        heartbeat: Duration::from_secs(10),
        max_attempts: 3,
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(60),
        task_timeout: Duration::from_secs(60),
        poll_wait: Duration::from_millis(100),
        grace: Duration::from_secs(5),
    }
}

pub async fn enqueue(queue: &Arc<dyn Queue>, tasks: &[&str]) -> Vec<String> {
    let producer = Producer::new(queue.clone());
    let envelopes: Vec<Envelope> = tasks.iter().map(|t| Envelope::new(*t)).collect();
    producer.enqueue_batch(&envelopes).await.unwrap()
}

pub async fn stats(queue: &Arc<dyn Queue>) -> Stats {
    queue.stats().await.unwrap()
}

pub async fn dead(queue: &Arc<dyn Queue>) -> Vec<DeadLetter> {
    queue.dead_letters(100).await.unwrap()
}

/// Everything that ran: (task name, attempt, envelope id).
#[derive(Clone, Default)]
pub struct Runs(pub Arc<Mutex<Vec<(String, u32, String)>>>);

impl Runs {
    pub fn record(&self, name: &str, attempt: u32, id: Option<&str>) {
        let id = id.unwrap_or_default().to_string();
        self.0.lock().unwrap().push((name.to_string(), attempt, id));
    }

    pub fn attempts(&self, name: &str) -> Vec<u32> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == name)
            .map(|r| r.1)
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// A registry with `ok` (succeeds) recording into `runs`.
pub fn registry_ok(runs: &Runs) -> Registry {
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("ok", move |ctx| {
        r.record("ok", ctx.attempt, ctx.envelope.id.as_deref());
        async { Ok(()) }
    });
    registry
}

/// Counts tasks running at once and the most ever seen.
#[derive(Clone, Default)]
pub struct Gauge {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Gauge {
    pub fn enter(&self) -> GaugeGuard {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        GaugeGuard(self.now.clone())
    }

    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

pub struct GaugeGuard(Arc<AtomicUsize>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
