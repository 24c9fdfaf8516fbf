//! The worker's settings, validated once.

use std::time::Duration;

use super::random::random_u64;
use crate::Error;

/// How a worker runs tasks. `Default` gives the documented defaults; call
/// [`WorkerConfig::validate`] on settings read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Tasks running at once (a semaphore; default 8).
    pub concurrency: usize,
    /// Messages leased ahead of a free permit (default 16; 0 leases only what can start at
    /// once). The worker holds at most `concurrency + prefetch` leases; the extra ones wait in
    /// the worker, heartbeated like running tasks, and are released at once on shutdown. Each
    /// waiting message is one another worker cannot take: keep it small (or 0) when tasks are
    /// long and several workers share a queue.
    pub prefetch: usize,
    /// Lease (visibility timeout) taken on every message (default 30 s).
    pub lease: Duration,
    /// How often a running task's lease is extended (default `lease / 3`).
    pub heartbeat: Duration,
    /// Deliveries before a failing task is dead-lettered (default 5).
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt (default 1 s).
    pub backoff_base: Duration,
    /// Retry delays are capped here (default 300 s).
    pub backoff_max: Duration,
    /// A task running longer is stopped and retried (default 300 s).
    pub task_timeout: Duration,
    /// Long-poll wait of one `receive` (default 1 s); also the worst-case shutdown latency of
    /// the receive loop.
    pub poll_wait: Duration,
    /// On shutdown, how long in-flight tasks may still run before they are released for
    /// redelivery (default 30 s).
    pub grace: Duration,
}

/// Most messages one `receive` asks for, whatever the concurrency (SQS allows 10).
pub(crate) const MAX_BATCH: usize = 10;
/// Largest `prefetch` accepted.
const MAX_PREFETCH: usize = 10_000;

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        let lease = Duration::from_secs(30);
        WorkerConfig {
            concurrency: 8,
            prefetch: 16,
            lease,
            heartbeat: lease / 3,
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            task_timeout: Duration::from_secs(300),
            poll_wait: Duration::from_secs(1),
            grace: Duration::from_secs(30),
        }
    }
}

impl WorkerConfig {
    /// Checks the settings; the error names the setting.
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |msg: &str| Err(Error::Config(format!("worker: {msg}")));
        if self.concurrency == 0 || self.concurrency > 10_000 {
            return fail("concurrency must be between 1 and 10000");
        }
        if self.prefetch > MAX_PREFETCH {
            return fail("prefetch must be between 0 and 10000");
        }
        if self.lease < Duration::from_secs(1) {
            return fail("lease must be at least 1s");
        }
        if self.heartbeat.is_zero() || self.heartbeat >= self.lease {
            return fail("heartbeat must be above 0 and below the lease");
        }
        if self.max_attempts == 0 {
            return fail("max_attempts must be at least 1");
        }
        if self.backoff_base > self.backoff_max {
            return fail("backoff_base must not exceed backoff_max");
        }
        if self.task_timeout.is_zero() {
            return fail("task_timeout must be above 0");
        }
        Ok(())
    }

    /// The settings with anything that would panic or spin replaced by a safe value
    /// (`Worker::new` does not fail; `validate` is where errors are reported).
    pub(crate) fn sanitized(mut self) -> WorkerConfig {
        let defaults = WorkerConfig::default();
        self.concurrency = self.concurrency.clamp(1, 10_000);
        self.prefetch = self.prefetch.min(MAX_PREFETCH);
        if self.lease.is_zero() {
            self.lease = defaults.lease;
        }
        if self.heartbeat.is_zero() || self.heartbeat >= self.lease {
            self.heartbeat = (self.lease / 3).max(Duration::from_millis(1));
        }
        self.max_attempts = self.max_attempts.max(1);
        if self.task_timeout.is_zero() {
            self.task_timeout = defaults.task_timeout;
        }
        self
    }

    /// The retry delay after failed attempt `attempt` (1-based): full jitter over
    /// `backoff_base × 2^(attempt-1)`, capped at `backoff_max`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self.backoff_cap(attempt);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        if cap_ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(random_u64() % (cap_ms + 1))
    }

    /// The upper bound of [`WorkerConfig::backoff`] for `attempt`.
    pub fn backoff_cap(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.backoff_base
            .saturating_mul(1u32 << doublings)
            .min(self.backoff_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(WorkerConfig::default().validate().is_ok());
        assert_eq!(WorkerConfig::default().heartbeat, Duration::from_secs(10));
    }

    #[test]
    fn bad_settings_are_named() {
        let config = WorkerConfig {
            concurrency: 0,
            ..WorkerConfig::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("concurrency"));
        let config = WorkerConfig {
            heartbeat: Duration::from_secs(30),
            ..Default::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("heartbeat"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let config = WorkerConfig::default();
        assert_eq!(config.backoff_cap(1), Duration::from_secs(1));
        assert_eq!(config.backoff_cap(4), Duration::from_secs(8));
        assert_eq!(config.backoff_cap(20), Duration::from_secs(300));
        assert_eq!(config.backoff_cap(u32::MAX), Duration::from_secs(300));
        for attempt in 1..12 {
            assert!(config.backoff(attempt) <= config.backoff_cap(attempt));
        }
    }

    #[test]
    fn sanitized_never_leaves_a_zero_heartbeat() {
        let config = WorkerConfig {
            concurrency: 0,
            lease: Duration::ZERO,
            heartbeat: Duration::ZERO,
            ..WorkerConfig::default()
        }
        .sanitized();
        assert_eq!(config.concurrency, 1);
        assert!(!config.heartbeat.is_zero() && config.heartbeat < config.lease);
    }

    #[test]
    fn prefetch_is_bounded() {
        let config = WorkerConfig {
            prefetch: usize::MAX,
            ..WorkerConfig::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("prefetch"));
        assert_eq!(config.sanitized().prefetch, MAX_PREFETCH);
        assert_eq!(WorkerConfig::default().prefetch, 16);
    }
}
