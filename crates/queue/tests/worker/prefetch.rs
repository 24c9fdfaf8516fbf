//! Lease-ahead (`prefetch`): messages leased beyond the free permits wait in the worker,
//! heartbeated, and are released at once on shutdown; `prefetch` 0 leases only what can start.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::worker::{Registry, Worker, WorkerConfig};
use leakwall_queue::{BoxFuture, DeadLetter, Error, Message, Queue, Stats};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::{sleep, Instant};

use crate::util::{config, enqueue, memory, registry_ok, stats, Gauge, Runs};

/// Runs `worker` in the background until the returned sender fires.
fn spawn_run(worker: Worker) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        worker
            .run(async { stopped.await.unwrap_or(()) })
            .await
            .unwrap();
    });
    (stop, handle)
}

/// A queue that counts what it hands out and can answer every `extend` with `false`.
#[derive(Default)]
struct Spy {
    inner: Option<Arc<dyn Queue>>,
    /// Messages received, in all.
    received: AtomicUsize,
    /// The largest `max` any `receive` asked for.
    max_asked: AtomicUsize,
    /// `extend` answers `false` (the lease is lost) without asking the inner queue.
    lose_leases: AtomicBool,
    extends: AtomicUsize,
    /// Received and not yet finished (the task functions count down), and its highest.
    held: AtomicUsize,
    max_held: AtomicUsize,
}

impl Spy {
    fn over(inner: Arc<dyn Queue>) -> Arc<Spy> {
        Arc::new(Spy {
            inner: Some(inner),
            ..Spy::default()
        })
    }

    fn inner(&self) -> &dyn Queue {
        self.inner.as_deref().unwrap()
    }
}

impl Queue for Spy {
    fn send(&self, body: String, delay: Duration) -> BoxFuture<'_, Result<String, Error>> {
        self.inner().send(body, delay)
    }
    fn send_batch(&self, bodies: Vec<String>) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        self.inner().send_batch(bodies)
    }
    fn receive(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Message>, Error>> {
        self.max_asked.fetch_max(max, Ordering::SeqCst);
        Box::pin(async move {
            let messages = self.inner().receive(max, lease, wait).await?;
            self.received.fetch_add(messages.len(), Ordering::SeqCst);
            let held = self.held.fetch_add(messages.len(), Ordering::SeqCst) + messages.len();
            self.max_held.fetch_max(held, Ordering::SeqCst);
            Ok(messages)
        })
    }
    fn delete(&self, receipt: &str) -> BoxFuture<'_, Result<(), Error>> {
        self.inner().delete(receipt)
    }
    fn delete_batch(&self, receipts: Vec<String>) -> BoxFuture<'_, Result<(), Error>> {
        self.inner().delete_batch(receipts)
    }
    fn extend(&self, receipt: &str, lease: Duration) -> BoxFuture<'_, Result<bool, Error>> {
        self.extends.fetch_add(1, Ordering::SeqCst);
        if self.lose_leases.load(Ordering::SeqCst) {
            return Box::pin(async { Ok(false) });
        }
        self.inner().extend(receipt, lease)
    }
    fn release(&self, receipt: &str, delay: Duration) -> BoxFuture<'_, Result<(), Error>> {
        self.inner().release(receipt, delay)
    }
    fn dead_letter<'a>(
        &'a self,
        message: &'a Message,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.inner().dead_letter(message, reason)
    }
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, Error>> {
        self.inner().dead_letters(limit)
    }
    fn requeue(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        self.inner().requeue(dead_id)
    }
    fn drop_dead(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        self.inner().drop_dead(dead_id)
    }
    fn stats(&self) -> BoxFuture<'_, Result<Stats, Error>> {
        self.inner().stats()
    }
}

/// `block` records its run and waits until the gate lets it through (one permit a task).
fn blocking(runs: &Runs, gate: &Arc<Semaphore>) -> Registry {
    let mut registry = registry_ok(runs);
    let (r, g) = (runs.clone(), gate.clone());
    registry.register("block", move |ctx| {
        r.record("block", ctx.attempt, ctx.envelope.id.as_deref());
        let g = g.clone();
        async move {
            g.acquire().await.unwrap().forget();
            Ok(())
        }
    });
    registry
}

#[tokio::test(start_paused = true)]
async fn buffered_messages_are_released_at_once_on_shutdown_and_delivered_again() {
    let queue = memory();
    let runs = Runs::default();
    let gate = Arc::new(Semaphore::new(0));
    enqueue(&queue, &["block"; 5]).await;
    let config = WorkerConfig {
        concurrency: 1,
        prefetch: 4,
        grace: Duration::from_secs(5),
        ..config()
    };
    let registry = Arc::new(blocking(&runs, &gate));
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), registry.clone(), config.clone()));
    sleep(Duration::from_secs(1)).await;
    assert_eq!(runs.len(), 1, "one runs");
    let s = stats(&queue).await;
    assert_eq!((s.ready, s.in_flight), (0, 5), "four more leased ahead");

    stop.send(()).unwrap();
    sleep(Duration::from_secs(1)).await; // well within the grace period
    let s = stats(&queue).await;
    assert_eq!(
        (s.ready, s.in_flight, s.delayed),
        (4, 1, 0),
        "the buffered ones are visible again at once; the running one keeps its lease"
    );
    gate.add_permits(1);
    handle.await.unwrap();
    assert_eq!(runs.len(), 1, "none of the buffered ones ran");
    assert_eq!(stats(&queue).await.ready, 4);

    gate.add_permits(4);
    let again = Worker::new(queue.clone(), registry, config);
    let (stop, handle) = spawn_run(again);
    while stats(&queue).await != Stats::default() {
        sleep(Duration::from_millis(100)).await;
    }
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(runs.len(), 5, "each delivered again and run once");
    let mut ids: Vec<String> = runs.0.lock().unwrap().iter().map(|r| r.2.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no task ran twice");
}

#[tokio::test(start_paused = true)]
async fn a_buffered_message_is_heartbeated_past_its_lease_and_runs_once() {
    let inner = memory();
    let spy = Spy::over(inner.clone());
    let queue: Arc<dyn Queue> = spy.clone();
    let runs = Runs::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("long", move |ctx| {
        r.record("long", ctx.attempt, ctx.envelope.id.as_deref());
        async {
            sleep(Duration::from_secs(20)).await;
            Ok(())
        }
    });
    enqueue(&queue, &["long", "long"]).await;
    let config = WorkerConfig {
        concurrency: 1,
        prefetch: 1,
        lease: Duration::from_secs(6),
        heartbeat: Duration::from_secs(2),
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), Arc::new(registry), config));
    sleep(Duration::from_secs(15)).await; // the second has waited for more than two leases
    assert_eq!(runs.len(), 1, "only the first runs");
    assert_eq!(spy.received.load(Ordering::SeqCst), 2, "both leased");
    let other = inner
        .receive(10, Duration::from_secs(60), Duration::ZERO)
        .await
        .unwrap();
    assert!(other.is_empty(), "the waiting one is still leased");
    assert!(
        spy.extends.load(Ordering::SeqCst) >= 2 * 7,
        "both heartbeated"
    );
    sleep(Duration::from_secs(30)).await;
    assert_eq!(
        stats(&queue).await,
        Stats::default(),
        "both ran and were deleted"
    );
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(
        runs.attempts("long"),
        [1, 1],
        "each ran once, on its first delivery"
    );
    assert_eq!(spy.received.load(Ordering::SeqCst), 2, "never leased again");
}

#[tokio::test(start_paused = true)]
async fn a_buffered_message_whose_lease_was_lost_is_not_run() {
    let inner = memory();
    let spy = Spy::over(inner.clone());
    let queue: Arc<dyn Queue> = spy.clone();
    let runs = Runs::default();
    let gate = Arc::new(Semaphore::new(0));
    enqueue(&queue, &["block"]).await;
    let config = WorkerConfig {
        concurrency: 1,
        prefetch: 1,
        lease: Duration::from_secs(6),
        heartbeat: Duration::from_secs(2),
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(
        queue.clone(),
        Arc::new(blocking(&runs, &gate)),
        config,
    ));
    sleep(Duration::from_millis(500)).await;
    assert_eq!(runs.attempts("block"), [1]);
    spy.lose_leases.store(true, Ordering::SeqCst);
    enqueue(&queue, &["ok"]).await; // leased ahead at about 0.5 s, its first beat at 2.5 s
    sleep(Duration::from_secs(3)).await;
    assert_eq!(spy.received.load(Ordering::SeqCst), 2, "`ok` was leased");
    gate.add_permits(1); // the permit is free from 3.5 s on
    sleep(Duration::from_millis(500)).await;
    assert!(
        runs.attempts("ok").is_empty(),
        "dropped at its lost lease, not run"
    );
    spy.lose_leases.store(false, Ordering::SeqCst);
    sleep(Duration::from_secs(10)).await; // its lease runs out at 6.5 s: delivered again
    assert_eq!(runs.attempts("ok"), [2], "run once, on its next delivery");
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(stats(&queue).await, Stats::default());
}

#[tokio::test(start_paused = true)]
async fn never_more_than_concurrency_plus_prefetch_leased_at_once() {
    let inner = memory();
    let spy = Spy::over(inner.clone());
    let queue: Arc<dyn Queue> = spy.clone();
    let gauge = Gauge::default();
    let done = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let (h, g, d) = (spy.clone(), gauge.clone(), done.clone());
    registry.register("busy", move |_| {
        let (h, g, d) = (h.clone(), g.clone(), d.clone());
        async move {
            let _inside = g.enter();
            sleep(Duration::from_millis(5)).await;
            h.held.fetch_sub(1, Ordering::SeqCst);
            d.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    enqueue(&queue, &["busy"; 100]).await;
    let config = WorkerConfig {
        concurrency: 2,
        prefetch: 3,
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(queue.clone(), Arc::new(registry), config));
    while done.load(Ordering::SeqCst) < 100 {
        sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    handle.await.unwrap();
    assert_eq!(gauge.max(), 2, "the concurrency limit holds");
    assert!(spy.max_asked.load(Ordering::SeqCst) <= 5);
    assert_eq!(
        spy.max_held.load(Ordering::SeqCst),
        5,
        "concurrency + prefetch leased, never more"
    );
    assert_eq!(stats(&queue).await, Stats::default());
}

#[tokio::test(start_paused = true)]
async fn with_prefetch_0_only_what_can_start_is_leased() {
    let inner = memory();
    let spy = Spy::over(inner.clone());
    let queue: Arc<dyn Queue> = spy.clone();
    let runs = Runs::default();
    let gate = Arc::new(Semaphore::new(0));
    enqueue(&queue, &["block"; 5]).await;
    let config = WorkerConfig {
        concurrency: 2,
        prefetch: 0,
        grace: Duration::from_secs(5),
        ..config()
    };
    let (stop, handle) = spawn_run(Worker::new(
        queue.clone(),
        Arc::new(blocking(&runs, &gate)),
        config.clone(),
    ));
    sleep(Duration::from_secs(1)).await;
    let s = stats(&queue).await;
    assert_eq!(
        (s.ready, s.in_flight),
        (3, 2),
        "no lease beyond the permits"
    );
    assert_eq!(runs.len(), 2);
    gate.add_permits(1);
    sleep(Duration::from_secs(1)).await;
    let s = stats(&queue).await;
    assert_eq!(
        (s.ready, s.in_flight),
        (2, 2),
        "one finished, one more leased"
    );
    assert!(spy.max_asked.load(Ordering::SeqCst) <= 2);
    // Shutdown as before: the running ones get the grace period, then are released.
    let asked = Instant::now();
    stop.send(()).unwrap();
    handle.await.unwrap();
    let took = asked.elapsed();
    assert!(
        took >= config.grace && took <= config.grace + config.poll_wait,
        "{took:?}"
    );
    let s = stats(&queue).await;
    assert_eq!((s.ready, s.in_flight, s.delayed), (4, 0, 0));
    assert_eq!(runs.len(), 3);
    assert_eq!(spy.received.load(Ordering::SeqCst), 3);
}
