//! One message, from lease to settlement: parse, look up, run under a timeout while
//! heartbeating the lease, then delete, release for a retry, or dead-letter.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::{interval_at, sleep, Instant, MissedTickBehavior};
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

/// Handles one leased message; `stop` turning `true` means: give the lease back now. The
/// permit is held until the message is settled.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    message: Message,
    stop: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let _permit = permit;
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
    run(shared, message, envelope, task, stop)
        .instrument(span)
        .await;
}

async fn run(
    shared: Arc<Shared>,
    message: Message,
    envelope: Envelope,
    task: TaskFn,
    mut stop: watch::Receiver<bool>,
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
    match supervise(&shared, &message.receipt, &mut join, &mut stop).await {
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
    join: &mut AbortOnDrop,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let config = &shared.config;
    let timeout = sleep(config.task_timeout);
    tokio::pin!(timeout);
    let mut heartbeat = interval_at(Instant::now() + config.heartbeat, config.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut lease_held = true;
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
            _ = heartbeat.tick(), if lease_held => {
                lease_held = extend(shared, receipt).await;
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

/// One heartbeat; `false` once the lease is known to be lost.
async fn extend(shared: &Shared, receipt: &str) -> bool {
    match shared.queue.extend(receipt, shared.config.lease).await {
        Ok(true) => true,
        Ok(false) => {
            warn!("lease lost: the message may run twice; its result is still acted on");
            false
        }
        Err(error) => {
            warn!(%error, "heartbeat failed; trying again at the next beat");
            true
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
