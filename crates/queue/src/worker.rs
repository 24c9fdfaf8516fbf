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
//! Design decision: concurrency is a semaphore whose permits are taken *before* `receive`,
//! so a worker leases only what it can start at once and never holds leased messages in a
//! local backlog where their leases would run out. With a backlog the loop waits a moment
//! (2 ms) for half a batch of permits, so one `receive` leases several messages.

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
use execute::{handle, Shared};

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
    permits: Arc<Semaphore>,
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
        Worker {
            shared: Arc::new(Shared {
                queue,
                registry,
                config,
                acks: Acks::default(),
            }),
            permits,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &WorkerConfig {
        &self.shared.config
    }

    /// Receives and runs tasks until `shutdown` completes; then stops receiving, lets in-flight
    /// tasks finish for up to `grace`, releases the unfinished ones (they are delivered again)
    /// and returns. Backend errors are logged and retried, never returned.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> Result<(), Error> {
        let (stop, stop_rx) = watch::channel(false);
        let mut running = JoinSet::new();
        tokio::pin!(shutdown);
        info!(
            concurrency = self.shared.config.concurrency,
            "worker started"
        );
        let (acks_stop, acks_stop_rx) = watch::channel(false);
        let work = async {
            self.receive_loop(&mut shutdown, &mut running, &stop_rx)
                .await;
            info!(in_flight = running.len(), "worker stopping");
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

    /// Receives one batch without waiting (as many as there are free permits, at most 10), runs
    /// it to completion and returns how many messages were handled: tests step the worker with
    /// it. A backend error of the `receive` is returned.
    pub async fn tick(&self) -> Result<usize, Error> {
        let permits = self.free_permits(None);
        if permits.is_empty() {
            return Ok(0);
        }
        let lease = self.shared.config.lease;
        let messages = self
            .shared
            .queue
            .receive(permits.len(), lease, Duration::ZERO)
            .await?;
        let handled = messages.len();
        let (_stop, stop_rx) = watch::channel(false);
        let mut running = JoinSet::new();
        self.start(messages, permits, &mut running, &stop_rx).await;
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
        stop_rx: &watch::Receiver<bool>,
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
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return, // never closed
                },
            };
            let mut permits = self.free_permits(Some(first));
            if busy {
                self.gather_permits(&mut permits).await;
            }
            let started = Instant::now();
            let receive = self
                .shared
                .queue
                .receive(permits.len(), config.lease, config.poll_wait);
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
                    busy = messages.len() >= permits.len();
                    self.start(messages, permits, running, stop_rx).await;
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

    /// `first` (if any) and as many more free permits as can be had, up to [`MAX_BATCH`].
    fn free_permits(&self, first: Option<OwnedSemaphorePermit>) -> Vec<OwnedSemaphorePermit> {
        let mut permits: Vec<_> = first.into_iter().collect();
        while permits.len() < MAX_BATCH {
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => permits.push(permit),
                Err(_) => break,
            }
        }
        permits
    }

    /// With a backlog, waits up to [`GATHER`] for half a batch of permits, so that one
    /// `receive` (one transaction on the SQL backends) leases several messages instead of one
    /// per finished task.
    async fn gather_permits(&self, permits: &mut Vec<OwnedSemaphorePermit>) {
        let want = self.shared.config.concurrency.min(MAX_BATCH).div_ceil(2);
        let deadline = Instant::now() + GATHER;
        while permits.len() < want {
            match timeout_at(deadline, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permits.push(permit),
                _ => break,
            }
        }
        let mut more = self.free_permits(None);
        more.truncate(MAX_BATCH.saturating_sub(permits.len()));
        permits.append(&mut more);
    }

    /// Spawns one handler per message, each holding one permit; messages beyond the permits
    /// (a backend that returned more than asked) are released at once.
    async fn start(
        &self,
        messages: Vec<Message>,
        permits: Vec<OwnedSemaphorePermit>,
        running: &mut JoinSet<()>,
        stop_rx: &watch::Receiver<bool>,
    ) {
        let mut messages = messages.into_iter();
        for permit in permits {
            let Some(message) = messages.next() else {
                break;
            };
            running.spawn(handle(
                self.shared.clone(),
                message,
                stop_rx.clone(),
                permit,
            ));
        }
        release_all(&self.shared, messages.collect()).await;
    }

    /// Waits up to `grace` for the running tasks, then tells the rest to release their leases.
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
