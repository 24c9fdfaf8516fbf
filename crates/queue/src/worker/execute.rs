//! One message, from lease to settlement: wait for a run permit (a prefetched message), parse,
//! look up, run under a timeout while heartbeating the lease, then delete, release for a
//! retry, or dead-letter.
//!
//! The lease is heartbeated from the moment it is taken: one schedule (every `heartbeat` from
//! the receive) covers the wait for a permit and the run, so a message that waited is never
//! extended later than one that started at once. A message whose lease is lost while it waits
//! (`extend` answers `false`, or failed heartbeats let it run out) is dropped, not run: it is
//! someone else's now. On shutdown a waiting message is released at once, without waiting for
//! the grace period, and its delivery count is what it was.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::{interval_at, sleep, Instant, Interval, MissedTickBehavior};
use tracing::{debug, info, info_span, warn, Instrument};

use super::acks::Acks;
use super::config::WorkerConfig;
use super::task::{Registry, TaskContext, TaskError, TaskFn, TaskResult};
use super::telemetry::{self, count, InFlight};
use crate::{Envelope, Message, Queue};

/// How much of an unknown task name goes into the dead-letter reason and the log.
const MAX_NAME_SHOWN: usize = 100;

/// What every message handler of one worker shares.
pub(crate) struct Shared {
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) config: WorkerConfig,
    /// Receipts of succeeded tasks waiting to be deleted together.
    pub(crate) acks: Acks,
    /// The run limit: `concurrency` permits, one per running message.
    pub(crate) permits: Arc<Semaphore>,
}

/// A message just leased, and what it holds.
pub(crate) struct Leased {
    pub(crate) message: Message,
    /// One of the worker's `concurrency + prefetch` lease slots, held until settled.
    pub(crate) slot: OwnedSemaphorePermit,
    /// When the `receive` that leased it returned.
    pub(crate) received: Instant,
}

/// The worker's shutdown signals, as seen by a handler.
#[derive(Clone)]
pub(crate) struct Signals {
    /// `true`: the worker stopped receiving; a message still waiting for a permit is released.
    pub(crate) stopping: watch::Receiver<bool>,
    /// `true`: the grace period is over; a running task is stopped and released.
    pub(crate) stop: watch::Receiver<bool>,
}

/// Keeps one lease: the heartbeat schedule, and what is known of the lease.
struct Lease {
    heartbeat: Interval,
    /// `false` once `extend` answered that the lease is no longer held.
    held: bool,
    /// The lease was good at least until `confirmed + lease`.
    confirmed: Instant,
}

/// What one heartbeat learned.
enum Beat {
    Held,
    Lost,
    /// The backend failed; try again at the next beat.
    Unknown,
}

impl Lease {
    fn new(config: &WorkerConfig, received: Instant) -> Lease {
        let mut heartbeat = interval_at(received + config.heartbeat, config.heartbeat);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Lease {
            heartbeat,
            held: true,
            confirmed: received,
        }
    }

    /// Extends the lease to `lease` from now.
    async fn beat(&mut self, shared: &Shared, receipt: &str) -> Beat {
        let asked = Instant::now();
        match shared.queue.extend(receipt, shared.config.lease).await {
            Ok(true) => {
                self.confirmed = asked;
                Beat::Held
            }
            Ok(false) => {
                self.held = false;
                Beat::Lost
            }
            Err(error) => {
                warn!(%error, "heartbeat failed; trying again at the next beat");
                Beat::Unknown
            }
        }
    }

    /// Whether the lease is still known to be held.
    fn current(&self, config: &WorkerConfig) -> bool {
        self.held && Instant::now() < self.confirmed + config.lease
    }
}

/// How a supervised run ended.
enum Outcome {
    /// The task returned, failed, panicked or timed out.
    Finished(TaskResult),
    /// The worker is shutting down and the grace period is over.
    Stopped,
}

/// Aborts the task when dropped, so a handler that is itself aborted leaves nothing running.
struct AbortOnDrop(JoinHandle<TaskResult>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Handles one leased message: waits for a run permit (heartbeating the lease meanwhile),
/// then runs and settles it. The lease slot and the permit are held until it is settled.
pub(crate) async fn handle(shared: Arc<Shared>, leased: Leased, signals: Signals) {
    let Leased {
        message,
        slot: _slot,
        received,
    } = leased;
    let Signals { mut stopping, stop } = signals;
    let mut lease = Lease::new(&shared.config, received);
    let Some(_permit) = wait_for_permit(&shared, &message, &mut lease, &mut stopping).await else {
        return;
    };
    let envelope = match Envelope::from_body(&message.body) {
        Ok(envelope) => envelope,
        Err(reason) => {
            // The parser's message may quote the body: it goes to the DLQ, not to the log.
            warn!(message_id = %message.id, "malformed task envelope, dead-lettering");
            return dead_letter(&shared, &message, telemetry::MALFORMED, &reason).await;
        }
    };
    let Some(task) = shared.registry.get(&envelope.task).cloned() else {
        let known = shared.registry.names().join(", ");
        // The name is the producer's: capped and logged escaped.
        let name: String = envelope.task.chars().take(MAX_NAME_SHOWN).collect();
        let reason = format!("unknown task `{name}` (known: {known})");
        warn!(message_id = %message.id, task = ?name, "unknown task, dead-lettering");
        return dead_letter(&shared, &message, telemetry::UNKNOWN_TASK, &reason).await;
    };
    match envelope.wait_until_start(std::time::SystemTime::now()) {
        Err(reason) => {
            warn!(message_id = %message.id, "malformed not_before, dead-lettering");
            return dead_letter(&shared, &message, telemetry::MALFORMED, &reason).await;
        }
        Ok(Some(wait)) => {
            // The producer asked for a later start: the lease goes back until then.
            if let Err(e) = shared.queue.release(&message.receipt, wait).await {
                warn!(message_id = %message.id, error = %e, "releasing a task that is not due");
            }
            return;
        }
        Ok(None) => {}
    }
    let max = shared.config.max_attempts;
    if message.receive_count > max {
        // Earlier deliveries never settled (the process died or was stopped mid-task): a
        // message that kills its worker must not loop forever. SQS's redrive does the same.
        let reason = format!(
            "delivered {} times without finishing (max_attempts {max})",
            message.receive_count
        );
        return dead_letter(&shared, &message, &envelope.task.clone(), &reason).await;
    }
    let span = info_span!(
        "task",
        task = %envelope.task,
        message_id = %message.id,
        attempt = message.receive_count,
        trace_id = envelope.trace_id.as_deref().unwrap_or(""),
    );
    run(shared, message, envelope, task, stop, lease)
        .instrument(span)
        .await;
}

/// A run permit, at once if one is free; else waits for one in turn while heartbeating the
/// lease. `None`: the message was released (shutdown) or dropped (its lease was lost).
async fn wait_for_permit(
    shared: &Shared,
    message: &Message,
    lease: &mut Lease,
    stopping: &mut watch::Receiver<bool>,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = shared.permits.clone().try_acquire_owned() {
        return Some(permit);
    }
    // Created once, so that a heartbeat does not lose the message's place in the queue.
    let acquire = shared.permits.clone().acquire_owned();
    tokio::pin!(acquire);
    let mut stopping_open = true;
    let permit = loop {
        tokio::select! {
            biased;
            stopped = async { stopping.wait_for(|stop| *stop).await.is_ok() }, if stopping_open => {
                if !stopped {
                    stopping_open = false; // the worker is gone; nobody will ask to stop
                    continue;
                }
                match shared.queue.release(&message.receipt, Duration::ZERO).await {
                    Ok(()) => debug!(message_id = %message.id, "prefetched message released"),
                    Err(error) => {
                        warn!(message_id = %message.id, %error, "release failed; the lease will expire")
                    }
                }
                return None;
            }
            permit = &mut acquire => match permit {
                Ok(permit) => break permit,
                Err(_) => return None, // never closed
            },
            _ = lease.heartbeat.tick() => {
                if let Beat::Lost = lease.beat(shared, &message.receipt).await {
                    warn!(message_id = %message.id, "lease lost while waiting to run; not run");
                    return None;
                }
            }
        }
    };
    if !lease.current(&shared.config) {
        warn!(message_id = %message.id, "lease ran out while waiting to run; not run");
        return None;
    }
    Some(permit)
}

async fn run(
    shared: Arc<Shared>,
    message: Message,
    envelope: Envelope,
    task: TaskFn,
    mut stop: watch::Receiver<bool>,
    mut lease: Lease,
) {
    let name = envelope.task.clone();
    count(telemetry::STARTED, &name);
    let _in_flight = InFlight::start();
    debug!("task started");
    let context = TaskContext {
        envelope,
        attempt: message.receive_count,
        message_id: message.id.clone(),
    };
    // Spawned, so that a panic in the task is a `JoinError` here and not a dead worker.
    let mut join = AbortOnDrop(tokio::spawn(task(context)));
    match supervise(&shared, &message.receipt, &mut lease, &mut join, &mut stop).await {
        Outcome::Finished(result) => settle(&shared, &message, &name, result).await,
        Outcome::Stopped => {
            join.0.abort();
            match shared.queue.release(&message.receipt, Duration::ZERO).await {
                Ok(()) => info!("task unfinished at shutdown, released for redelivery"),
                Err(error) => warn!(%error, "release at shutdown failed; lease will expire"),
            }
        }
    }
}

/// Waits for the task while extending its lease every `heartbeat`, up to `task_timeout`.
async fn supervise(
    shared: &Shared,
    receipt: &str,
    lease: &mut Lease,
    join: &mut AbortOnDrop,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let config = &shared.config;
    let timeout = sleep(config.task_timeout);
    tokio::pin!(timeout);
    let mut stop_open = true;
    loop {
        tokio::select! {
            joined = &mut join.0 => return Outcome::Finished(task_result(joined)),
            _ = &mut timeout => {
                join.0.abort();
                let after = config.task_timeout;
                return Outcome::Finished(Err(TaskError::retry(format!(
                    "task timed out after {after:?}"
                ))));
            }
            _ = lease.heartbeat.tick(), if lease.held => {
                if let Beat::Lost = lease.beat(shared, receipt).await {
                    warn!("lease lost: the message may run twice; its result is still acted on");
                }
            }
            stopped = async { stop.wait_for(|stop| *stop).await.is_ok() }, if stop_open => {
                if stopped {
                    return Outcome::Stopped;
                }
                stop_open = false; // the worker is gone; nobody will ask to stop
            }
        }
    }
}

fn task_result(joined: Result<TaskResult, JoinError>) -> TaskResult {
    match joined {
        Ok(result) => result,
        Err(error) if error.is_panic() => Err(TaskError::retry("task panicked")),
        Err(_) => Err(TaskError::retry("task was cancelled")),
    }
}

/// Acts on a finished run: delete, release with backoff, or dead-letter.
async fn settle(shared: &Shared, message: &Message, name: &str, result: TaskResult) {
    let error = match result {
        Ok(()) => {
            count(telemetry::SUCCEEDED, name);
            // Deleted with others a moment later (see `acks`).
            shared.acks.push(message.receipt.clone());
            return debug!("task succeeded");
        }
        Err(error) => error,
    };
    count(telemetry::FAILED, name);
    let attempt = message.receive_count;
    if !error.is_retryable() || attempt >= shared.config.max_attempts {
        warn!(error = %error, retryable = error.is_retryable(), "task failed, dead-lettering");
        return dead_letter(shared, message, name, error.message()).await;
    }
    let delay = shared.config.backoff(attempt);
    match shared.queue.release(&message.receipt, delay).await {
        Ok(()) => {
            count(telemetry::RETRIED, name);
            info!(error = %error, retry_in = ?delay, "task failed, will retry");
        }
        Err(e) => warn!(error = %e, "release for retry failed; the lease will expire"),
    }
}

async fn dead_letter(shared: &Shared, message: &Message, label: &str, reason: &str) {
    match shared.queue.dead_letter(message, reason).await {
        Ok(()) => count(telemetry::DEAD_LETTERED, label),
        Err(error) => {
            warn!(message_id = %message.id, %error, "dead-letter failed; the lease will expire")
        }
    }
}
