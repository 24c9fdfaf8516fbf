//! Metric names and the events that move them. Labels carry registered task names only
//! (`unknown` / `malformed` for bodies that name none), never payload data.

use metrics::{counter, gauge};

use crate::Queue;

/// Counter: envelopes put on the queue (label `task`).
pub const ENQUEUED: &str = "leakwall_queue_enqueued_total";
/// Counter: task runs started (label `task`).
pub const STARTED: &str = "leakwall_queue_started_total";
/// Counter: task runs that succeeded (label `task`).
pub const SUCCEEDED: &str = "leakwall_queue_succeeded_total";
/// Counter: task runs that failed, timed out or panicked (label `task`).
pub const FAILED: &str = "leakwall_queue_failed_total";
/// Counter: failed runs released for a retry (label `task`).
pub const RETRIED: &str = "leakwall_queue_retried_total";
/// Counter: messages moved to the dead-letter queue (label `task`).
pub const DEAD_LETTERED: &str = "leakwall_queue_dead_lettered_total";
/// Gauge: task runs in progress in this process.
pub const IN_FLIGHT: &str = "leakwall_queue_in_flight";
/// Gauge: messages visible now.
pub const READY: &str = "leakwall_queue_ready";
/// Gauge: messages in the dead-letter queue.
pub const DEAD: &str = "leakwall_queue_dead";
/// Gauge: age in seconds of the oldest visible message (0 when none).
pub const LAG_SECONDS: &str = "leakwall_queue_lag_seconds";

/// The `task` label of a body that names no registered task.
pub(crate) const UNKNOWN_TASK: &str = "unknown";
/// The `task` label of a body that is not an envelope.
pub(crate) const MALFORMED: &str = "malformed";

pub(crate) fn count(name: &'static str, task: &str) {
    counter!(name, "task" => task.to_string()).increment(1);
}

pub(crate) fn count_n(name: &'static str, task: &str, n: u64) {
    counter!(name, "task" => task.to_string()).increment(n);
}

/// Holds the in-flight gauge up while a task runs.
pub(crate) struct InFlight;

impl InFlight {
    pub(crate) fn start() -> InFlight {
        gauge!(IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// Sets the gauges `leakwall_queue_ready`, `leakwall_queue_dead` and
/// `leakwall_queue_lag_seconds` from the queue's [`Stats`](crate::Stats); a backend error is
/// logged and leaves the gauges as they were. Call it on a timer or before each scrape.
pub async fn report_stats(queue: &dyn Queue) {
    match queue.stats().await {
        Ok(stats) => {
            gauge!(READY).set(stats.ready as f64);
            gauge!(DEAD).set(stats.dead as f64);
            gauge!(LAG_SECONDS).set(stats.oldest_ready.map_or(0.0, |lag| lag.as_secs_f64()));
        }
        Err(error) => tracing::warn!(%error, "queue stats unavailable"),
    }
}
