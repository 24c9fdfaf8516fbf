//! The worker's `run` loop: concurrency, heartbeats, backend errors, graceful shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::worker::{Registry, Worker, WorkerConfig};
use leakwall_queue::{BoxFuture, DeadLetter, Error, Message, Queue, Stats};
use tokio::sync::{oneshot, Notify};
use tokio::time::{sleep, timeout};

use crate::util::{config, enqueue, memory, registry_ok, stats, Gauge, Runs};

/// Runs `worker` in the background until the returned sender fires (or is dropped).
fn spawn_run(worker: Worker) -> (oneshot::Sender<()>, tokio::task::JoinHandle<Worker>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        worker
            .run(async { stopped.await.unwrap_or(()) })
            .await
            .unwrap();
        worker
    });
    (stop, handle)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let waited = timeout(Duration::from_secs(600), async {
        while !done() {
            sleep(Duration::from_millis(10)).await;
        }
    });
    waited
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_is_never_exceeded() {
    let queue = memory();
    let gauge = Gauge::default();
    let done = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let (g, d) = (gauge.clone(), done.clone());
    registry.register("busy", move |_| {
        let (g, d) = (g.clone(), d.clone());
        async move {
            let _inside = g.enter();
            sleep(Duration::from_millis(5)).await;
            d.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    enqueue(&queue, &["busy"; 60]).await;
    let config = WorkerConfig {
        concurrency: 4,
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), Arc::new(registry), config));
    until("60 tasks", || done.load(Ordering::SeqCst) == 60).await;
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(gauge.max(), 4, "the limit is reached and never exceeded");
    assert_eq!(stats(&queue).await, Default::default());
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_keeps_a_task_longer_than_its_lease_from_being_redelivered() {
    let queue = memory();
    let runs = Runs::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("long", move |ctx| {
        r.record("long", ctx.attempt, None);
        async {
            sleep(Duration::from_secs(25)).await;
            Ok(())
        }
    });
    enqueue(&queue, &["long"]).await;
    let config = WorkerConfig {
        lease: Duration::from_secs(6),
        heartbeat: Duration::from_secs(2),
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), Arc::new(registry), config));
    sleep(Duration::from_secs(15)).await; // more than two leases
    let other = queue
        .receive(10, Duration::from_secs(60), Duration::ZERO)
        .await
        .unwrap();
    assert!(other.is_empty(), "still leased to the running task");
    assert_eq!(stats(&queue).await.in_flight, 1);
    sleep(Duration::from_secs(15)).await;
    assert_eq!(
        stats(&queue).await,
        Default::default(),
        "finished and deleted"
    );
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(runs.attempts("long"), [1]);
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_quick_tasks_and_releases_the_rest_for_redelivery() {
    let queue = memory();
    let started = Arc::new(Notify::new());
    let mut registry = Registry::new();
    let s = started.clone();
    registry.register("quick", |_| async {
        sleep(Duration::from_secs(2)).await;
        Ok(())
    });
    registry.register("slow", move |ctx| {
        let s = s.clone();
        async move {
            if ctx.attempt == 1 {
                s.notify_one();
                sleep(Duration::from_secs(3600)).await;
            }
            Ok(())
        }
    });
    enqueue(&queue, &["quick", "slow"]).await;
    let config = WorkerConfig {
        grace: Duration::from_secs(5),
        ..config()
    };
    let registry = Arc::new(registry);
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), registry.clone(), config.clone()));
    started.notified().await;
    let asked = tokio::time::Instant::now();
    stop.send(()).unwrap();
    handle.await.unwrap();
    // The receive in progress is finished first (up to `poll_wait`), then the grace period.
    let took = asked.elapsed();
    assert!(
        took >= config.grace && took <= config.grace + config.poll_wait,
        "{took:?}"
    );
    let stats = stats(&queue).await;
    assert_eq!(
        (stats.ready, stats.in_flight, stats.delayed),
        (1, 0, 0),
        "quick deleted"
    );

    let again = Worker::new(queue.clone(), registry, config);
    assert_eq!(
        again.tick().await.unwrap(),
        1,
        "the slow task is delivered again"
    );
    assert_eq!(self::stats(&queue).await, Default::default());
}

#[tokio::test(start_paused = true)]
async fn shutdown_when_idle_returns_within_a_poll() {
    let queue = memory();
    let worker = Worker::new(queue, Arc::new(Registry::new()), config());
    let (stop, handle) = spawn_run(worker);
    sleep(Duration::from_secs(3)).await;
    let asked = tokio::time::Instant::now();
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert!(asked.elapsed() <= config().poll_wait);
}

/// A queue whose `receive` fails the first `failures` times.
struct Flaky {
    inner: Arc<dyn Queue>,
    failures: AtomicUsize,
}

impl Queue for Flaky {
    fn send(&self, body: String, delay: Duration) -> BoxFuture<'_, Result<String, Error>> {
        self.inner.send(body, delay)
    }
    fn send_batch(&self, bodies: Vec<String>) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        self.inner.send_batch(bodies)
    }
    fn receive(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Message>, Error>> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match failing {
            Ok(_) => Box::pin(async { Err(Error::Backend("connection refused".into())) }),
            Err(_) => self.inner.receive(max, lease, wait),
        }
    }
    fn delete(&self, receipt: &str) -> BoxFuture<'_, Result<(), Error>> {
        self.inner.delete(receipt)
    }
    fn extend(&self, receipt: &str, lease: Duration) -> BoxFuture<'_, Result<bool, Error>> {
        self.inner.extend(receipt, lease)
    }
    fn release(&self, receipt: &str, delay: Duration) -> BoxFuture<'_, Result<(), Error>> {
        self.inner.release(receipt, delay)
    }
    fn dead_letter<'a>(
        &'a self,
        message: &'a Message,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.inner.dead_letter(message, reason)
    }
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, Error>> {
        self.inner.dead_letters(limit)
    }
    fn requeue(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        self.inner.requeue(dead_id)
    }
    fn drop_dead(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        self.inner.drop_dead(dead_id)
    }
    fn stats(&self) -> BoxFuture<'_, Result<Stats, Error>> {
        self.inner.stats()
    }
}

#[tokio::test(start_paused = true)]
async fn backend_errors_are_retried_and_never_stop_the_loop() {
    let inner = memory();
    let queue: Arc<dyn Queue> = Arc::new(Flaky {
        inner: inner.clone(),
        failures: 3.into(),
    });
    let runs = Runs::default();
    enqueue(&queue, &["ok", "ok"]).await;
    let worker = Worker::new(queue.clone(), Arc::new(registry_ok(&runs)), config());
    assert!(
        worker.tick().await.is_err(),
        "tick reports the backend error"
    );
    let (stop, handle) = spawn_run(worker);
    let r = runs.clone();
    until("both tasks", move || r.len() == 2).await;
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(stats(&inner).await, Default::default());
}
