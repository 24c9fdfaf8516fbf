//! The worker stepped with `tick`, one batch at a time, on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::worker::{Registry, TaskError, Worker, WorkerConfig};
use leakwall_queue::{Envelope, Queue};
use tokio::time::advance;

use crate::util::{config, dead, enqueue, memory, registry_ok, stats, Runs};

fn worker(queue: &Arc<dyn Queue>, registry: Registry, config: WorkerConfig) -> Worker {
    Worker::new(queue.clone(), Arc::new(registry), config)
}

/// `flaky` fails (retryably) on attempts below `ok_from`, recording every attempt.
fn flaky(runs: &Runs, ok_from: u32) -> Registry {
    let mut registry = registry_ok(runs);
    let r = runs.clone();
    registry.register("flaky", move |ctx| {
        r.record("flaky", ctx.attempt, None);
        let result = if ctx.attempt < ok_from {
            Err(TaskError::retry(format!("boom on attempt {}", ctx.attempt)))
        } else {
            Ok(())
        };
        async move { result }
    });
    registry
}

#[tokio::test(start_paused = true)]
async fn success_deletes() {
    let queue = memory();
    let runs = Runs::default();
    let ids = enqueue(&queue, &["ok", "ok", "ok"]).await;
    let worker = worker(&queue, registry_ok(&runs), config());
    assert_eq!(worker.tick().await.unwrap(), 3);
    assert_eq!(runs.attempts("ok"), [1, 1, 1]);
    assert_eq!(stats(&queue).await, Default::default(), "all deleted");
    assert_eq!(ids.len(), 3);
    advance(Duration::from_secs(3600)).await;
    assert_eq!(worker.tick().await.unwrap(), 0, "nothing comes back");
}

#[tokio::test(start_paused = true)]
async fn the_producer_gives_every_envelope_an_id() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["ok", "ok"]).await;
    worker(&queue, registry_ok(&runs), config())
        .tick()
        .await
        .unwrap();
    let ids: Vec<String> = runs.0.lock().unwrap().iter().map(|r| r.2.clone()).collect();
    assert!(ids.iter().all(|id| id.len() == 32), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test(start_paused = true)]
async fn a_retryable_failure_is_retried_with_backoff_then_succeeds() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["flaky"]).await;
    let worker = worker(&queue, flaky(&runs, 3), config());

    assert_eq!(worker.tick().await.unwrap(), 1);
    assert_eq!(
        stats(&queue).await.delayed,
        1,
        "released with a delay (full jitter may be 0)"
    );
    advance(Duration::from_secs(1)).await; // backoff cap of attempt 1: base
    assert_eq!(worker.tick().await.unwrap(), 1);
    advance(Duration::from_secs(2)).await; // attempt 2: base × 2
    assert_eq!(worker.tick().await.unwrap(), 1);
    assert_eq!(runs.attempts("flaky"), [1, 2, 3]);
    assert_eq!(stats(&queue).await, Default::default());
    assert!(dead(&queue).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_at_most_the_capped_backoff() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["flaky"]).await;
    let config = WorkerConfig {
        max_attempts: 10,
        backoff_max: Duration::from_secs(4),
        ..config()
    };
    let worker = worker(&queue, flaky(&runs, 10), config);
    for attempt in 1..=6u32 {
        assert_eq!(worker.tick().await.unwrap(), 1, "attempt {attempt} is due");
        let cap = Duration::from_secs(1 << (attempt - 1).min(2));
        advance(cap).await;
    }
    assert_eq!(runs.attempts("flaky"), [1, 2, 3, 4, 5, 6]);
}

#[tokio::test(start_paused = true)]
async fn dead_lettered_after_max_attempts_with_the_last_error() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["flaky"]).await;
    let worker = worker(&queue, flaky(&runs, u32::MAX), config());
    for _ in 0..3 {
        assert_eq!(worker.tick().await.unwrap(), 1);
        advance(Duration::from_secs(60)).await;
    }
    assert_eq!(worker.tick().await.unwrap(), 0, "no fourth attempt");
    assert_eq!(runs.attempts("flaky"), [1, 2, 3]);
    let dead = dead(&queue).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "boom on attempt 3");
    assert_eq!(dead[0].receive_count, 3);
    assert_eq!(Envelope::from_body(&dead[0].body).unwrap().task, "flaky");
}

#[tokio::test(start_paused = true)]
async fn a_fatal_failure_is_dead_lettered_at_once() {
    let queue = memory();
    let mut registry = Registry::new();
    registry.register("bad_args", |_| async {
        Err(TaskError::fatal("channel id missing"))
    });
    enqueue(&queue, &["bad_args"]).await;
    worker(&queue, registry, config()).tick().await.unwrap();
    let dead = dead(&queue).await;
    assert_eq!(
        (dead[0].reason.as_str(), dead[0].receive_count),
        ("channel id missing", 1)
    );
    assert_eq!(stats(&queue).await.dead, 1);
}

#[tokio::test(start_paused = true)]
async fn unknown_tasks_and_malformed_bodies_are_dead_lettered_without_blocking_others() {
    let queue = memory();
    let runs = Runs::default();
    let mut registry = registry_ok(&runs);
    registry.register("another", |_| async { Ok(()) });
    queue
        .send("{not json".into(), Duration::ZERO)
        .await
        .unwrap();
    queue
        .send(r#"{"args": []}"#.into(), Duration::ZERO)
        .await
        .unwrap();
    enqueue(&queue, &["ok", "scan_mesage", "ok"]).await;

    let worker = worker(&queue, registry, config());
    assert_eq!(worker.tick().await.unwrap(), 5);
    assert_eq!(runs.attempts("ok"), [1, 1]);
    let mut reasons: Vec<String> = dead(&queue).await.into_iter().map(|d| d.reason).collect();
    reasons.sort();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("malformed task envelope: "),
        "{reasons:?}"
    );
    assert!(reasons[1].starts_with("malformed task envelope: missing field `task`"));
    assert_eq!(
        reasons[2],
        "unknown task `scan_mesage` (known: another, ok)"
    );
    let stats = stats(&queue).await;
    assert_eq!(
        (stats.ready, stats.in_flight, stats.delayed, stats.dead),
        (0, 0, 0, 3)
    );
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_a_retryable_failure() {
    let queue = memory();
    let runs = Runs::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("slow_once", move |ctx| {
        r.record("slow_once", ctx.attempt, None);
        async move {
            if ctx.attempt == 1 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Ok(())
        }
    });
    enqueue(&queue, &["slow_once", "slow_once"]).await;
    let config = WorkerConfig {
        task_timeout: Duration::from_secs(5),
        ..config()
    };
    let worker = worker(&queue, registry, config);
    let start = tokio::time::Instant::now();
    assert_eq!(worker.tick().await.unwrap(), 2);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(5),
        "stopped at the timeout"
    );
    assert_eq!(stats(&queue).await.delayed, 2);
    advance(Duration::from_secs(1)).await;
    assert_eq!(worker.tick().await.unwrap(), 2);
    assert_eq!(runs.attempts("slow_once"), [1, 1, 2, 2]);
    assert_eq!(stats(&queue).await, Default::default());
}

#[tokio::test(start_paused = true)]
async fn a_timeout_on_the_last_attempt_is_the_dead_letter_reason() {
    let queue = memory();
    let mut registry = Registry::new();
    registry.register("hangs", |_| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    });
    enqueue(&queue, &["hangs"]).await;
    let config = WorkerConfig {
        task_timeout: Duration::from_secs(2),
        max_attempts: 1,
        ..config()
    };
    worker(&queue, registry, config).tick().await.unwrap();
    assert_eq!(dead(&queue).await[0].reason, "task timed out after 2s");
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_caught_and_retried() {
    let queue = memory();
    let runs = Runs::default();
    let mut registry = registry_ok(&runs);
    let r = runs.clone();
    registry.register("panics_once", move |ctx| {
        r.record("panics_once", ctx.attempt, None);
        async move {
            assert!(ctx.attempt > 1, "deliberate panic on the first attempt");
            Ok(())
        }
    });
    registry.register("always_panics", |_| async { panic!("deliberate") });
    enqueue(&queue, &["panics_once", "ok", "always_panics"]).await;
    let config = WorkerConfig {
        max_attempts: 2,
        ..config()
    };
    let worker = worker(&queue, registry, config);
    assert_eq!(worker.tick().await.unwrap(), 3);
    assert_eq!(runs.attempts("ok"), [1], "the others were not disturbed");
    advance(Duration::from_secs(1)).await;
    assert_eq!(worker.tick().await.unwrap(), 2);
    assert_eq!(runs.attempts("panics_once"), [1, 2]);
    let dead = dead(&queue).await;
    assert_eq!((dead.len(), dead[0].reason.as_str()), (1, "task panicked"));
}

#[tokio::test(start_paused = true)]
async fn a_message_whose_workers_kept_dying_is_dead_lettered() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["ok"]).await;
    let lease = Duration::from_secs(30);
    for _ in 0..3 {
        // A worker leases the message and dies without settling it.
        assert_eq!(
            queue.receive(1, lease, Duration::ZERO).await.unwrap().len(),
            1
        );
        advance(lease).await;
    }
    worker(&queue, registry_ok(&runs), config())
        .tick()
        .await
        .unwrap();
    assert_eq!(runs.len(), 0);
    let dead = dead(&queue).await;
    assert_eq!(
        dead[0].reason,
        "delivered 4 times without finishing (max_attempts 3)"
    );
}

#[tokio::test(start_paused = true)]
async fn tick_takes_no_more_than_the_concurrency() {
    let queue = memory();
    let runs = Runs::default();
    enqueue(&queue, &["ok"; 7]).await;
    let worker = worker(
        &queue,
        registry_ok(&runs),
        WorkerConfig {
            concurrency: 3,
            ..config()
        },
    );
    let handled = [
        worker.tick().await,
        worker.tick().await,
        worker.tick().await,
    ];
    let handled: Vec<usize> = handled.into_iter().map(Result::unwrap).collect();
    assert_eq!(handled, [3, 3, 1]);
    assert_eq!(worker.tick().await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_huge_unknown_task_name_is_capped_in_the_reason() {
    let queue = memory();
    let runs = Runs::default();
    let name = "x".repeat(100_000);
    queue
        .send(Envelope::new(name).to_body(), Duration::ZERO)
        .await
        .unwrap();
    worker(&queue, registry_ok(&runs), config())
        .tick()
        .await
        .unwrap();
    let reason = &dead(&queue).await[0].reason;
    assert!(reason.len() < 200, "{} bytes", reason.len());
    assert!(reason.ends_with("` (known: ok)"));
}
