//! `not_before`: a task is not run before its time, whoever sent it; a malformed time is a
//! malformed envelope. Real time (the envelope's time is wall-clock time).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use leakwall_queue::worker::{Producer, Worker};
use leakwall_queue::{Envelope, Queue};

use crate::util::{config, dead, memory, registry_ok, stats, Runs};

fn in_ms(ms: u64) -> String {
    let at = time::OffsetDateTime::from(SystemTime::now() + Duration::from_millis(ms));
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[tokio::test]
async fn a_task_is_not_run_before_its_time() {
    let queue: Arc<dyn Queue> = memory();
    let runs = Runs::default();
    let worker = Worker::new(queue.clone(), Arc::new(registry_ok(&runs)), config());
    // Sent without a delay, as another producer might: the worker gives it back.
    let mut early = Envelope::new("ok");
    early.not_before = Some(in_ms(1500));
    queue.send(early.to_body(), Duration::ZERO).await.unwrap();
    assert_eq!(worker.tick().await.unwrap(), 1, "received");
    assert_eq!(runs.len(), 0, "not run before its time");
    assert_eq!(stats(&queue).await.delayed, 1, "given back with a delay");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(worker.tick().await.unwrap(), 1);
    assert_eq!(runs.len(), 1, "run once it is due");
}

#[tokio::test]
async fn the_producer_delays_the_send_and_refuses_a_bad_time() {
    let queue: Arc<dyn Queue> = memory();
    let producer = Producer::new(queue.clone());
    let mut later = Envelope::new("ok");
    later.not_before = Some(in_ms(60_000));
    producer.enqueue(&later).await.unwrap();
    let s = stats(&queue).await;
    assert_eq!((s.ready, s.delayed), (0, 1), "{s:?}");
    let mut bad = Envelope::new("ok");
    bad.not_before = Some("next tuesday".into());
    let err = producer.enqueue(&bad).await.unwrap_err();
    assert!(err.to_string().contains("not_before"), "{err}");
}

#[tokio::test]
async fn a_malformed_time_is_dead_lettered() {
    let queue: Arc<dyn Queue> = memory();
    let runs = Runs::default();
    let worker = Worker::new(queue.clone(), Arc::new(registry_ok(&runs)), config());
    let mut bad = Envelope::new("ok");
    bad.not_before = Some("soon".into());
    queue.send(bad.to_body(), Duration::ZERO).await.unwrap();
    worker.tick().await.unwrap();
    assert_eq!(runs.len(), 0);
    let dead = dead(&queue).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("not_before"), "{}", dead[0].reason);
}
