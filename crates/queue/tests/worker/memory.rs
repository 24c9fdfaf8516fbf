//! `MemoryQueue` keeps the rules of the `Queue` trait (paused clock: leases expire as time is
//! advanced).

use std::time::Duration;

use leakwall_queue::memory::MemoryQueue;
use leakwall_queue::Queue;

const LEASE: Duration = Duration::from_secs(10);

async fn one(queue: &MemoryQueue) -> Option<leakwall_queue::Message> {
    let mut got = queue.receive(1, LEASE, Duration::ZERO).await.unwrap();
    assert!(got.len() <= 1);
    got.pop()
}

#[tokio::test(start_paused = true)]
async fn an_expired_lease_redelivers_with_a_higher_count() {
    let queue = MemoryQueue::new();
    let id = queue.send("a".into(), Duration::ZERO).await.unwrap();
    let first = one(&queue).await.unwrap();
    assert_eq!((first.id.as_str(), first.receive_count), (id.as_str(), 1));
    assert!(one(&queue).await.is_none(), "leased messages are invisible");
    tokio::time::advance(LEASE + Duration::from_millis(1)).await;
    let second = one(&queue).await.unwrap();
    assert_eq!((second.id, second.receive_count), (id, 2));
    assert!(
        !queue.extend(&first.receipt, LEASE).await.unwrap(),
        "stale receipt"
    );
    queue.delete(&first.receipt).await.unwrap(); // stale: Ok, no effect
    assert_eq!(queue.stats().await.unwrap().in_flight, 1);
    queue.delete(&second.receipt).await.unwrap();
    queue.delete(&second.receipt).await.unwrap(); // idempotent
    assert_eq!(queue.stats().await.unwrap(), Default::default());
}

#[tokio::test(start_paused = true)]
async fn extend_keeps_and_release_returns_the_lease() {
    let queue = MemoryQueue::new();
    queue.send("a".into(), Duration::ZERO).await.unwrap();
    let message = one(&queue).await.unwrap();
    tokio::time::advance(Duration::from_secs(8)).await;
    assert!(queue.extend(&message.receipt, LEASE).await.unwrap());
    tokio::time::advance(Duration::from_secs(8)).await;
    assert!(
        one(&queue).await.is_none(),
        "extended from the heartbeat on"
    );
    queue
        .release(&message.receipt, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        !queue.extend(&message.receipt, LEASE).await.unwrap(),
        "released"
    );
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.delayed, stats.in_flight, stats.ready), (1, 0, 0));
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(one(&queue).await.unwrap().receive_count, 2);
}

#[tokio::test(start_paused = true)]
async fn receive_long_polls_until_a_send_or_a_delay_passes() {
    let queue = std::sync::Arc::new(MemoryQueue::new());
    let sender = queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sender.send("late".into(), Duration::ZERO).await.unwrap();
    });
    let start = tokio::time::Instant::now();
    let got = queue
        .receive(5, LEASE, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(300));

    queue
        .send("delayed".into(), Duration::from_secs(2))
        .await
        .unwrap();
    let got = queue
        .receive(5, LEASE, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(got[0].body, "delayed");
    assert_eq!(start.elapsed(), Duration::from_millis(2300));

    let got = queue
        .receive(5, LEASE, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(got.is_empty(), "an empty answer after the wait is normal");
}

#[tokio::test(start_paused = true)]
async fn dead_letters_can_be_listed_requeued_and_dropped() {
    let queue = MemoryQueue::new();
    queue
        .send_batch(vec!["a".into(), "b".into()])
        .await
        .unwrap();
    let got = queue.receive(2, LEASE, Duration::ZERO).await.unwrap();
    for message in &got {
        queue
            .dead_letter(message, &format!("bad {}", message.body))
            .await
            .unwrap();
    }
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0].receive_count, 1);
    assert!(dead[0].reason.starts_with("bad "));
    assert_eq!(queue.stats().await.unwrap().dead, 2);
    assert!(queue.requeue(&dead[0].id).await.unwrap());
    assert!(!queue.requeue(&dead[0].id).await.unwrap());
    assert!(queue.drop_dead(&dead[1].id).await.unwrap());
    assert!(!queue.drop_dead(&dead[1].id).await.unwrap());
    let again = one(&queue).await.unwrap();
    assert_eq!((again.body, again.receive_count), (dead[0].body.clone(), 1));
}

#[tokio::test(start_paused = true)]
async fn stats_report_the_age_of_the_oldest_ready_message() {
    let queue = MemoryQueue::new();
    queue.send("old".into(), Duration::ZERO).await.unwrap();
    tokio::time::advance(Duration::from_secs(7)).await;
    queue.send("new".into(), Duration::ZERO).await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!(stats.ready, 2);
    assert_eq!(stats.oldest_ready, Some(Duration::from_secs(7)));
}
