//! The worker over the embedded (SQLite) backend, in real time with short durations: the
//! rules that do not need a paused clock.

use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::{Registry, TaskError, Worker, WorkerConfig};
use leakwall_queue::Queue;
use tempfile::TempDir;

use crate::util::{config, dead, enqueue, registry_ok, stats, Runs};

async fn embedded() -> (TempDir, Arc<dyn Queue>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("queue.db").display());
    let queue = EmbeddedQueue::open(&url, "worker_tests").await.unwrap();
    (dir, Arc::new(queue))
}

fn quick() -> WorkerConfig {
    WorkerConfig {
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(1),
        ..config()
    }
}

#[tokio::test]
async fn success_deletes_and_bad_bodies_are_dead_lettered_at_once() {
    let (_dir, queue) = embedded().await;
    let runs = Runs::default();
    queue.send("[1, 2]".into(), Duration::ZERO).await.unwrap();
    enqueue(&queue, &["ok", "nope", "ok"]).await;
    let worker = Worker::new(queue.clone(), Arc::new(registry_ok(&runs)), quick());
    assert_eq!(worker.tick().await.unwrap(), 4);
    assert_eq!(runs.attempts("ok"), [1, 1]);
    let mut reasons: Vec<String> = dead(&queue).await.into_iter().map(|d| d.reason).collect();
    reasons.sort();
    assert!(
        reasons[0].starts_with("malformed task envelope: "),
        "{reasons:?}"
    );
    assert_eq!(reasons[1], "unknown task `nope` (known: ok)");
    let stats = stats(&queue).await;
    assert_eq!(
        (stats.ready, stats.in_flight, stats.delayed, stats.dead),
        (0, 0, 0, 2)
    );
}

#[tokio::test]
async fn retries_then_dead_letters_with_the_last_error() {
    let (_dir, queue) = embedded().await;
    let runs = Runs::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("fails", move |ctx| {
        r.record("fails", ctx.attempt, None);
        let attempt = ctx.attempt;
        async move {
            assert!(attempt != 2, "deliberate panic on attempt 2");
            Err(TaskError::retry(format!("failure {attempt}")))
        }
    });
    enqueue(&queue, &["fails"]).await;
    let worker = Worker::new(queue.clone(), Arc::new(registry), quick());
    let mut handled = 0;
    for _ in 0..200 {
        handled += worker.tick().await.unwrap();
        if !dead(&queue).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(handled, 3);
    assert_eq!(runs.attempts("fails"), [1, 2, 3]);
    let dead = dead(&queue).await;
    assert_eq!(
        (dead[0].reason.as_str(), dead[0].receive_count),
        ("failure 3", 3)
    );
}

#[tokio::test]
async fn a_heartbeat_outlives_the_lease() {
    let (_dir, queue) = embedded().await;
    let runs = Runs::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("long", move |ctx| {
        r.record("long", ctx.attempt, None);
        async {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            Ok(())
        }
    });
    enqueue(&queue, &["long"]).await;
    let config = WorkerConfig {
        lease: Duration::from_secs(1),
        heartbeat: Duration::from_millis(250),
        ..quick()
    };
    let worker = Worker::new(queue.clone(), Arc::new(registry), config);
    let (ticked, stolen) = tokio::join!(worker.tick(), async {
        tokio::time::sleep(Duration::from_millis(1800)).await;
        queue
            .receive(10, Duration::from_secs(60), Duration::ZERO)
            .await
            .unwrap()
    });
    assert_eq!(ticked.unwrap(), 1);
    assert!(stolen.is_empty(), "redelivered while running");
    assert_eq!(runs.attempts("long"), [1]);
    assert_eq!(stats(&queue).await, Default::default());
}
