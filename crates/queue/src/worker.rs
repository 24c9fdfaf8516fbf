//! The worker (the "Manager"): leases messages, runs the registered task functions under a
//! concurrency limit, heartbeats long tasks, retries with backoff and dead-letters what cannot
//! succeed.
//!
//! - [`Registry`]: task functions by name (`Fn(TaskContext) -> Future<Output = TaskResult>`).
//! - [`Worker::run`]: the long-polling loop, until a shutdown future completes; then in-flight
//!   tasks get `grace` to finish and the rest are released so they are delivered again.
//! - [`Worker::tick`]: one batch, run to completion: tests step the worker with it.
//! - [`Producer`]: puts envelopes on the queue.
//! - [`report_stats`] and the metric names in [`telemetry`].
//!
//! Rules: a message is deleted only after its task succeeded. A retryable failure (including
//! a timeout and a panic) is released with full-jitter exponential backoff until the
//! `max_attempts`-th delivery, then dead-lettered with the last error; a fatal failure, a
//! malformed body and an unknown task name are dead-lettered at once. A message delivered more
//! than `max_attempts` times without settling (its workers died) is dead-lettered too.
//! Backend errors are logged and retried; the loop never panics. Logs and metrics carry the
//! task name, message id, attempt and trace id, never `args` or `kwargs`.
//!
//! Successful tasks are acknowledged in batches: their receipts are deleted
//! together within about 2 ms, and always before `run` or `tick` returns. A process that
//! dies in between runs those tasks again (at-least-once).
//!
//! Design decision: concurrency is a semaphore of `concurrency` permits, the only limit on
//! what runs. Leases are bounded by a second one of `concurrency + prefetch` lease slots,
//! taken *before* `receive`, so a worker never holds more than that many leased messages.
//! Each leased message gets its handler at once; a handler waits for a run permit in turn
//! (the semaphore is fair), heartbeating its lease while it waits on the same schedule as
//! while it runs, so a prefetched message's lease never runs out and its delivery count is
//! untouched. A waiting message whose lease was lost is dropped, not run; on shutdown the
//! waiting ones are released at once (delay 0), before the grace period of the running ones.
//! With `prefetch` 0 a handler always finds its permit free: the worker leases only what it
//! can start at once, as before prefetch existed. With a backlog the loop waits a moment
//! (2 ms) for half a batch of lease slots, so one `receive` leases several messages.

mod acks;
mod config;
mod execute;
mod producer;
mod random;
mod task;
pub mod telemetry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tokio::time::{sleep, timeout, timeout_at, Instant};
use tracing::{info, warn};

pub use config::WorkerConfig;
pub use producer::Producer;
pub use task::{Registry, TaskContext, TaskError, TaskResult};
pub use telemetry::report_stats;

use acks::Acks;
use config::MAX_BATCH;
use execute::{handle, Leased, Shared, Signals};

use crate::{Error, Message, Queue};

/// Pause after a backend error before receiving again.
const BACKEND_RETRY: Duration = Duration::from_secs(1);
/// An empty answer faster than this is followed by a pause (a backend without long polling
/// must not make the loop spin).
const MIN_POLL: Duration = Duration::from_millis(10);
/// With a backlog, how long the loop may wait for more free permits before a `receive`.
const GATHER: Duration = Duration::from_millis(2);
/// After the grace period, how long releasing the unfinished tasks may take.
const RELEASE_WAIT: Duration = Duration::from_secs(10);

/// Runs tasks from one queue. Cheap to share behind an `Arc`; `run` and `tick` take `&self`.
pub struct Worker {
    shared: Arc<Shared>,
    /// `concurrency + prefetch` lease slots: one per leased message until it is settled.
    slots: Arc<Semaphore>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("registry", &self.shared.registry)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker over `queue` running the tasks of `registry`. Validate `config` first
    /// ([`WorkerConfig::validate`]); here values that would panic or spin are replaced by safe
    /// ones instead of failing.
    pub fn new(queue: Arc<dyn Queue>, registry: Arc<Registry>, config: WorkerConfig) -> Worker {
        let config = config.sanitized();
        let permits = Arc::new(Semaphore::new(config.concurrency));
        let slots = Arc::new(Semaphore::new(config.concurrency + config.prefetch));
        Worker {
            shared: Arc::new(Shared {
                queue,
                registry,
                config,
                acks: Acks::default(),
                permits,
            }),
            slots,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &WorkerConfig {
        &self.shared.config
    }

    /// Receives and runs tasks until `shutdown` completes; then stops receiving, releases the
    /// prefetched messages not started yet, lets in-flight tasks finish for up to `grace`,
    /// releases the unfinished ones (all released messages are delivered again) and returns.
    /// Backend errors are logged and retried, never returned.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> Result<(), Error> {
        let (stop, stop_rx) = watch::channel(false);
        let (stopping, stopping_rx) = watch::channel(false);
        let signals = Signals {
            stopping: stopping_rx,
            stop: stop_rx,
        };
        let mut running = JoinSet::new();
        tokio::pin!(shutdown);
        info!(
            concurrency = self.shared.config.concurrency,
            prefetch = self.shared.config.prefetch,
            "worker started"
        );
        let (acks_stop, acks_stop_rx) = watch::channel(false);
        let work = async {
            self.receive_loop(&mut shutdown, &mut running, &signals)
                .await;
            info!(leased = running.len(), "worker stopping");
            stopping.send_replace(true);
            self.drain(running, stop).await;
            acks_stop.send_replace(true);
        };
        let acks = self
            .shared
            .acks
            .run(self.shared.queue.as_ref(), acks_stop_rx);
        tokio::join!(work, acks);
        info!("worker stopped");
        Ok(())
    }

    /// Receives one batch without waiting (as many as there are free permits, at most 10; no
    /// prefetch), runs it to completion and returns how many messages were handled: tests step
    /// the worker with it. A backend error of the `receive` is returned.
    pub async fn tick(&self) -> Result<usize, Error> {
        let mut slots = self.free_slots(None);
        slots.truncate(self.shared.permits.available_permits());
        if slots.is_empty() {
            return Ok(0);
        }
        let lease = self.shared.config.lease;
        let messages = self
            .shared
            .queue
            .receive(slots.len(), lease, Duration::ZERO)
            .await?;
        let handled = messages.len();
        let (_stop, stop_rx) = watch::channel(false);
        let (_stopping, stopping_rx) = watch::channel(false);
        let signals = Signals {
            stopping: stopping_rx,
            stop: stop_rx,
        };
        let mut running = JoinSet::new();
        self.start(messages, slots, &mut running, &signals).await;
        while let Some(joined) = running.join_next().await {
            log_join(joined);
        }
        self.shared.acks.flush(self.shared.queue.as_ref()).await;
        Ok(handled)
    }

    async fn receive_loop<S>(
        &self,
        shutdown: &mut std::pin::Pin<&mut S>,
        running: &mut JoinSet<()>,
        signals: &Signals,
    ) where
        S: Future<Output = ()>,
    {
        let config = &self.shared.config;
        // The last receive was full: there is a backlog, and batches are worth gathering.
        let mut busy = false;
        loop {
            while let Some(joined) = running.try_join_next() {
                log_join(joined);
            }
            let first = tokio::select! {
                biased;
                _ = shutdown.as_mut() => return,
                slot = self.slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => return, // never closed
                },
            };
            let mut slots = self.free_slots(Some(first));
            if busy {
                self.gather_slots(&mut slots).await;
            }
            let started = Instant::now();
            let receive = self
                .shared
                .queue
                .receive(slots.len(), config.lease, config.poll_wait);
            tokio::pin!(receive);
            // A receive in progress is finished even on shutdown (its messages are leased by
            // then); they are released at once below.
            let (received, stopping) = tokio::select! {
                biased;
                received = &mut receive => (received, false),
                _ = shutdown.as_mut() => (receive.await, true),
            };
            busy &= matches!(&received, Ok(m) if !m.is_empty());
            let pause = match received {
                Ok(messages) if stopping => return release_all(&self.shared, messages).await,
                Ok(messages) if messages.is_empty() => MIN_POLL.saturating_sub(started.elapsed()),
                Ok(messages) => {
                    busy = messages.len() >= slots.len();
                    self.start(messages, slots, running, signals).await;
                    Duration::ZERO
                }
                Err(error) => {
                    warn!(%error, "queue receive failed; retrying");
                    BACKEND_RETRY
                }
            };
            if stopping {
                return;
            }
            if !pause.is_zero() {
                tokio::select! {
                    _ = shutdown.as_mut() => return,
                    _ = sleep(pause) => {}
                }
            }
        }
    }

    /// `first` (if any) and as many more free lease slots as can be had, up to [`MAX_BATCH`].
    fn free_slots(&self, first: Option<OwnedSemaphorePermit>) -> Vec<OwnedSemaphorePermit> {
        let mut slots: Vec<_> = first.into_iter().collect();
        while slots.len() < MAX_BATCH {
            match self.slots.clone().try_acquire_owned() {
                Ok(slot) => slots.push(slot),
                Err(_) => break,
            }
        }
        slots
    }

    /// With a backlog, waits up to [`GATHER`] for half a batch of lease slots, so that one
    /// `receive` (one transaction on the SQL backends) leases several messages instead of one
    /// per finished task.
    async fn gather_slots(&self, slots: &mut Vec<OwnedSemaphorePermit>) {
        let config = &self.shared.config;
        let want = (config.concurrency + config.prefetch)
            .min(MAX_BATCH)
            .div_ceil(2);
        let deadline = Instant::now() + GATHER;
        while slots.len() < want {
            match timeout_at(deadline, self.slots.clone().acquire_owned()).await {
                Ok(Ok(slot)) => slots.push(slot),
                _ => break,
            }
        }
        let mut more = self.free_slots(None);
        more.truncate(MAX_BATCH.saturating_sub(slots.len()));
        slots.append(&mut more);
    }

    /// Spawns one handler per message, each holding one lease slot (it waits for a run permit
    /// itself); messages beyond the slots (a backend that returned more than asked) are
    /// released at once.
    async fn start(
        &self,
        messages: Vec<Message>,
        slots: Vec<OwnedSemaphorePermit>,
        running: &mut JoinSet<()>,
        signals: &Signals,
    ) {
        let received = Instant::now();
        let mut messages = messages.into_iter();
        for slot in slots {
            let Some(message) = messages.next() else {
                break;
            };
            let leased = Leased {
                message,
                slot,
                received,
            };
            running.spawn(handle(self.shared.clone(), leased, signals.clone()));
        }
        release_all(&self.shared, messages.collect()).await;
    }

    /// Waits up to `grace` for the running tasks, then tells the rest to release their leases
    /// (prefetched messages not started were released when `stopping` was sent).
    async fn drain(&self, mut running: JoinSet<()>, stop: watch::Sender<bool>) {
        let grace = sleep(self.shared.config.grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                joined = running.join_next() => match joined {
                    Some(joined) => log_join(joined),
                    None => return,
                },
                _ = &mut grace => break,
            }
        }
        warn!(
            unfinished = running.len(),
            "grace period over; releasing unfinished tasks"
        );
        stop.send_replace(true);
        let released = timeout(RELEASE_WAIT, async {
            while let Some(joined) = running.join_next().await {
                log_join(joined);
            }
        });
        if released.await.is_err() {
            warn!("releasing unfinished tasks timed out; their leases will expire");
            running.abort_all();
        }
    }
}

/// Gives leases back at once (messages received but not started).
async fn release_all(shared: &Shared, messages: Vec<Message>) {
    for message in messages {
        if let Err(error) = shared.queue.release(&message.receipt, Duration::ZERO).await {
            warn!(message_id = %message.id, %error, "release failed; the lease will expire");
        }
    }
}

fn log_join(joined: Result<(), JoinError>) {
    if let Err(error) = joined {
        if error.is_panic() {
            warn!("a message handler panicked; its lease will expire and it runs again");
        }
    }
}
