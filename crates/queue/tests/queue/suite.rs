//! The conformance suite: what every [`Queue`] backend promises, as `pub async fn` cases
//! taking an `Arc<dyn Queue>` (empty, for this case alone) and the backend's [`Timing`].
//!
//! The cases assume no ordering and only at-least-once delivery. A backend's test module
//! instantiates them with [`conformance!`]:
//!
//! ```ignore
//! // `run` opens a fresh, empty queue, calls the case with it and a `Timing`, cleans up.
//! async fn run<F, Fut>(case: F)
//! where
//!     F: FnOnce(Arc<dyn Queue>, Timing) -> Fut,
//!     Fut: Future<Output = ()> + Send + 'static,
//! { ... }
//!
//! conformance!(run);                                    // every case
//! conformance!(run; send_receive_delete, send_batch);  // or a chosen few
//! ```

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use leakwall_queue::{Message, Queue, Stats};
use tokio::time::{sleep, Instant};

/// Instantiates suite cases as `#[tokio::test]`s that run each through `$harness`.
macro_rules! conformance {
    ($harness:path) => {
        conformance!($harness;
            send_receive_delete,
            send_with_delay_hides_then_shows,
            expired_lease_redelivers,
            delete_is_idempotent,
            delete_batch_deletes_the_held_ones,
            extend_keeps_the_lease,
            release_with_delay_hides_then_shows,
            dead_letter_requeue_drop,
            dead_letter_needs_the_lease,
            stats_count_every_state,
            send_batch_sends_every_body,
            concurrent_consumers_never_share_a_lease,
            long_poll_returns_when_a_message_arrives
        );
    };
    ($harness:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $harness(crate::suite::$case).await;
            }
        )+
    };
}

/// How long a backend needs for things to happen; cases wait on these, never on constants.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A short lease the cases wait out (whole seconds for SQS).
    pub lease: Duration,
    /// Extra time past a deadline before counting on it (clock granularity, backend lag).
    pub slack: Duration,
    /// The longest a case waits for a message it expects.
    pub patience: Duration,
}

impl Timing {
    /// For backends in this process or on this machine (SQLite, PostgreSQL).
    pub const LOCAL: Timing = Timing {
        lease: Duration::from_secs(1),
        slack: Duration::from_millis(300),
        patience: Duration::from_secs(5),
    };
}

/// A lease no case waits out.
const LONG: Duration = Duration::from_secs(120);

/// Receives until exactly `n` messages came (or `t.patience` passed, which fails).
async fn receive_n(queue: &dyn Queue, n: usize, lease: Duration, t: Timing) -> Vec<Message> {
    let deadline = Instant::now() + t.patience;
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "received {} of {n} messages in {:?}",
            got.len(),
            t.patience
        );
        let batch = queue.receive((n - got.len()).min(10), lease, left).await;
        got.extend(batch.expect("receive"));
    }
    assert_eq!(got.len(), n, "received more than asked for");
    got
}

/// Asserts nothing is visible now.
async fn assert_nothing_visible(queue: &dyn Queue, why: &str) {
    let got = queue
        .receive(10, LONG, Duration::ZERO)
        .await
        .expect("receive");
    let bodies: Vec<_> = got.iter().map(|m| m.body.as_str()).collect();
    assert!(got.is_empty(), "{why}, yet received {bodies:?}");
}

async fn stats(queue: &dyn Queue) -> Stats {
    queue.stats().await.expect("stats")
}

/// Every message sent is received with its body intact, `receive_count` 1, its id and a
/// plausible `sent_at`, and is gone once deleted. Ordering is not assumed.
pub async fn send_receive_delete(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    let envelope = r#"{"task":"scan_message","args":[1,"two"],"kwargs":{"x":null}}"#;
    let big = "ünïcödé ✓ ".repeat(1000);
    let bodies = vec!["plain".to_string(), envelope.to_string(), big];
    let before = SystemTime::now() - Duration::from_secs(60);
    let mut ids = HashSet::new();
    for body in &bodies {
        assert!(ids.insert(q.send(body.clone(), Duration::ZERO).await.expect("send")));
    }
    let got = receive_n(q, bodies.len(), LONG, t).await;
    let mut received: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
    received.sort();
    let mut sent = bodies.clone();
    sent.sort();
    assert_eq!(received, sent);
    for m in &got {
        assert_eq!(m.receive_count, 1, "first delivery");
        assert!(ids.contains(&m.id), "id {} was not returned by send", m.id);
        assert!(m.sent_at > before && m.sent_at < SystemTime::now() + Duration::from_secs(60));
        q.delete(&m.receipt).await.expect("delete");
    }
    assert_nothing_visible(q, "every message was deleted").await;
    let s = stats(q).await;
    assert_eq!(
        (s.ready, s.in_flight, s.delayed, s.dead),
        (0, 0, 0, 0),
        "{s:?}"
    );
}

/// A message sent with a delay is invisible until the delay passes, then delivered.
pub async fn send_with_delay_hides_then_shows(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    let sent = Instant::now();
    let id = q.send("later".into(), t.lease).await.expect("send");
    assert_nothing_visible(q, "the message is delayed").await;
    let got = receive_n(q, 1, LONG, t).await;
    assert_eq!(
        (got[0].id.as_str(), got[0].body.as_str()),
        (id.as_str(), "later")
    );
    let early = t.lease.saturating_sub(t.slack);
    assert!(
        sent.elapsed() >= early,
        "delivered after {:?}",
        sent.elapsed()
    );
}

/// A received message is invisible to others while its lease holds; when the lease expires
/// without a delete it is delivered again: same id and body, `receive_count` one higher, a
/// new receipt.
pub async fn expired_lease_redelivers(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    let id = q.send("again".into(), Duration::ZERO).await.expect("send");
    let first = receive_n(q, 1, t.lease, t).await.remove(0);
    assert_eq!((first.id.as_str(), first.receive_count), (id.as_str(), 1));
    assert_nothing_visible(q, "the message is leased").await;
    sleep(t.lease + t.slack).await;
    let second = receive_n(q, 1, LONG, t).await.remove(0);
    assert_eq!(
        (second.id.as_str(), second.body.as_str()),
        (id.as_str(), "again")
    );
    assert_eq!(second.receive_count, 2);
    assert_ne!(
        second.receipt, first.receipt,
        "a new lease has a new receipt"
    );
    q.delete(&second.receipt).await.expect("delete");
}

/// `delete` is idempotent: deleting twice is fine, and so is deleting with a stale receipt
/// (one whose lease expired and was taken again), which leaves the new lease alone, or with a
/// receipt never issued.
pub async fn delete_is_idempotent(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    q.send("once".into(), Duration::ZERO).await.expect("send");
    let stale = receive_n(q, 1, t.lease, t).await.remove(0);
    sleep(t.lease + t.slack).await;
    let fresh = receive_n(q, 1, LONG, t).await.remove(0);
    q.delete(&stale.receipt)
        .await
        .expect("delete with a stale receipt");
    assert!(
        q.extend(&fresh.receipt, LONG).await.expect("extend"),
        "the new lease holds"
    );
    assert_eq!(
        stats(q).await.in_flight,
        1,
        "a stale receipt deleted the message"
    );
    q.delete(&fresh.receipt).await.expect("delete");
    q.delete(&fresh.receipt).await.expect("delete again");
    q.delete("never-issued")
        .await
        .expect("delete with an unknown receipt");
    let s = stats(q).await;
    assert_eq!((s.ready, s.in_flight, s.delayed), (0, 0, 0), "{s:?}");
}

/// `delete_batch` deletes every message whose receipt it names, skips unknown receipts and
/// repeats, leaves the other leases alone, and an empty batch is fine.
pub async fn delete_batch_deletes_the_held_ones(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    let bodies: Vec<String> = (0..5).map(|i| format!("batch {i}")).collect();
    q.send_batch(bodies).await.expect("send_batch");
    let got = receive_n(q, 5, LONG, t).await;
    let mut receipts: Vec<String> = got[..3].iter().map(|m| m.receipt.clone()).collect();
    receipts.push(got[0].receipt.clone());
    receipts.push("never-issued".to_string());
    q.delete_batch(receipts.clone())
        .await
        .expect("delete_batch");
    q.delete_batch(receipts).await.expect("delete_batch again");
    q.delete_batch(Vec::new()).await.expect("an empty batch");
    let s = stats(q).await;
    assert_eq!((s.ready, s.in_flight, s.delayed), (0, 2, 0), "{s:?}");
    for m in &got[3..] {
        assert!(
            q.extend(&m.receipt, LONG).await.expect("extend"),
            "still held"
        );
    }
    let rest = got[3..].iter().map(|m| m.receipt.clone()).collect();
    q.delete_batch(rest).await.expect("delete_batch");
    let s = stats(q).await;
    assert_eq!((s.ready, s.in_flight, s.delayed), (0, 0, 0), "{s:?}");
}

/// `extend` keeps a message invisible past the end of its first lease, and answers `false`
/// for a stale receipt once the message was leased again (and `true` for the new one).
pub async fn extend_keeps_the_lease(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    q.send("long task".into(), Duration::ZERO)
        .await
        .expect("send");
    let first = receive_n(q, 1, t.lease, t).await.remove(0);
    let extended = Instant::now();
    assert!(q.extend(&first.receipt, t.lease * 3).await.expect("extend"));
    sleep(t.lease + t.slack).await;
    assert_nothing_visible(q, "the lease was extended").await;
    sleep((t.lease * 3 + t.slack).saturating_sub(extended.elapsed())).await;
    let second = receive_n(q, 1, LONG, t).await.remove(0);
    assert_eq!(second.receive_count, 2);
    assert!(
        !q.extend(&first.receipt, LONG).await.expect("extend"),
        "stale receipt"
    );
    assert!(q.extend(&second.receipt, LONG).await.expect("extend"));
    q.delete(&second.receipt).await.expect("delete");
}

/// `release` with a delay hides the message until the delay passes, then it is delivered
/// again with `receive_count` one higher; `release` with no delay shows it at once; a
/// released receipt is stale.
pub async fn release_with_delay_hides_then_shows(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    q.send("retry me".into(), Duration::ZERO)
        .await
        .expect("send");
    let first = receive_n(q, 1, LONG, t).await.remove(0);
    q.release(&first.receipt, t.lease).await.expect("release");
    assert_nothing_visible(q, "released with a delay").await;
    let s = stats(q).await;
    assert_eq!((s.ready, s.in_flight + s.delayed), (0, 1), "{s:?}");
    sleep(t.lease + t.slack).await;
    let second = receive_n(q, 1, LONG, t).await.remove(0);
    assert_eq!(second.receive_count, 2);
    q.release(&second.receipt, Duration::ZERO)
        .await
        .expect("release");
    let third = receive_n(q, 1, LONG, t).await.remove(0);
    assert_eq!(third.receive_count, 3);
    q.release(&second.receipt, Duration::ZERO)
        .await
        .expect("release with a stale receipt");
    assert_nothing_visible(q, "a stale receipt released the message").await;
    q.delete(&third.receipt).await.expect("delete");
}

/// `dead_letter` moves a leased message to the dead-letter queue with its reason and
/// delivery count; `dead_letters` lists it; `requeue` puts it back as a fresh message
/// (`receive_count` starts again) and answers `false` the second time; `drop_dead` deletes a
/// dead letter for good and answers `false` for an unknown id.
pub async fn dead_letter_requeue_drop(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    q.send_batch(vec!["poison".into(), "broken".into()])
        .await
        .expect("send_batch");
    for m in receive_n(q, 2, LONG, t).await {
        q.dead_letter(&m, &format!("{} failed", m.body))
            .await
            .expect("dead_letter");
    }
    assert_nothing_visible(q, "both messages are dead").await;
    let dead = q.dead_letters(10).await.expect("dead_letters");
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(
        q.dead_letters(1).await.expect("dead_letters").len() == 1,
        "limit"
    );
    for d in &dead {
        assert_eq!(d.reason, format!("{} failed", d.body));
        assert_eq!(d.receive_count, 1);
        assert!(d.failed_at > SystemTime::now() - Duration::from_secs(60));
    }
    let s = stats(q).await;
    assert_eq!((s.ready, s.in_flight, s.dead), (0, 0, 2), "{s:?}");
    let poison = dead
        .iter()
        .find(|d| d.body == "poison")
        .expect("poison is dead");
    let broken = dead
        .iter()
        .find(|d| d.body == "broken")
        .expect("broken is dead");
    assert!(q.requeue(&poison.id).await.expect("requeue"));
    assert!(!q.requeue(&poison.id).await.expect("requeue again"));
    let back = receive_n(q, 1, LONG, t).await.remove(0);
    assert_eq!((back.body.as_str(), back.receive_count), ("poison", 1));
    q.delete(&back.receipt).await.expect("delete");
    assert!(q.drop_dead(&broken.id).await.expect("drop_dead"));
    assert!(!q.drop_dead(&broken.id).await.expect("drop_dead again"));
    assert!(q.dead_letters(10).await.expect("dead_letters").is_empty());
    assert_eq!(stats(q).await, Stats::default());
}

/// `dead_letter` with a stale receipt (the lease expired and the message was leased again)
/// moves nothing: the current holder keeps the message.
pub async fn dead_letter_needs_the_lease(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    q.send("contested".into(), Duration::ZERO)
        .await
        .expect("send");
    let stale = receive_n(q, 1, t.lease, t).await.remove(0);
    sleep(t.lease + t.slack).await;
    let fresh = receive_n(q, 1, LONG, t).await.remove(0);
    q.dead_letter(&stale, "too late")
        .await
        .expect("dead_letter");
    assert!(q.dead_letters(10).await.expect("dead_letters").is_empty());
    assert!(
        q.extend(&fresh.receipt, LONG).await.expect("extend"),
        "the holder keeps it"
    );
    q.delete(&fresh.receipt).await.expect("delete");
}

/// `stats` counts ready, in-flight, delayed and dead messages; the age of the oldest ready
/// message is small, and absent when nothing is ready.
pub async fn stats_count_every_state(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    assert_eq!(stats(q).await, Stats::default(), "a new queue is empty");
    for body in ["a", "b", "c", "d"] {
        q.send(body.into(), Duration::ZERO).await.expect("send");
    }
    q.send("later".into(), LONG).await.expect("send");
    let s = stats(q).await;
    assert_eq!(
        (s.ready, s.in_flight, s.delayed, s.dead),
        (4, 0, 1, 0),
        "{s:?}"
    );
    assert!(
        s.oldest_ready
            .is_none_or(|age| age < Duration::from_secs(60)),
        "{s:?}"
    );
    let got = receive_n(q, 2, LONG, t).await;
    q.dead_letter(&got[0], "no").await.expect("dead_letter");
    let s = stats(q).await;
    assert_eq!(
        (s.ready, s.in_flight, s.delayed, s.dead),
        (2, 1, 1, 1),
        "{s:?}"
    );
    for m in receive_n(q, 2, LONG, t).await.iter().chain([&got[1]]) {
        q.delete(&m.receipt).await.expect("delete");
    }
    let s = stats(q).await;
    assert_eq!(
        (s.ready, s.in_flight, s.delayed, s.dead),
        (0, 0, 1, 1),
        "{s:?}"
    );
    assert_eq!(s.oldest_ready, None, "nothing is ready");
}

/// `send_batch` sends every body (more than one SQS batch of ten) and answers one distinct id
/// per body; an empty batch sends nothing.
pub async fn send_batch_sends_every_body(queue: Arc<dyn Queue>, t: Timing) {
    let q = queue.as_ref();
    assert!(q
        .send_batch(Vec::new())
        .await
        .expect("empty batch")
        .is_empty());
    let bodies: Vec<String> = (0..25).map(|i| format!("job {i}")).collect();
    let ids = q.send_batch(bodies.clone()).await.expect("send_batch");
    assert_eq!(ids.len(), 25);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 25, "distinct ids");
    assert_eq!(stats(q).await.ready, 25);
    let got = receive_n(q, 25, LONG, t).await;
    let mut received: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
    received.sort();
    let mut sent = bodies;
    sent.sort();
    assert_eq!(received, sent);
    let got_ids: HashSet<_> = got.iter().map(|m| m.id.clone()).collect();
    assert_eq!(
        got_ids,
        ids.into_iter().collect(),
        "the ids send_batch answered"
    );
}

/// Eight consumers receiving in batches over 500 messages never hold the same message at the
/// same time while its lease holds (the lease outlasts the case, so no message may come
/// twice), and together they receive every message.
pub async fn concurrent_consumers_never_share_a_lease(queue: Arc<dyn Queue>, t: Timing) {
    const TOTAL: usize = 500;
    let bodies: Vec<String> = (0..TOTAL).map(|i| format!("task {i}")).collect();
    for chunk in bodies.chunks(100) {
        queue.send_batch(chunk.to_vec()).await.expect("send_batch");
    }
    let held = Arc::new(Mutex::new(HashSet::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + t.patience * 6;
    let consumers: Vec<_> = (0..8)
        .map(|_| {
            let (queue, held, done) = (queue.clone(), held.clone(), done.clone());
            tokio::spawn(async move {
                while done.load(Ordering::SeqCst) < TOTAL && Instant::now() < deadline {
                    let got = queue.receive(10, LONG, t.slack).await.expect("receive");
                    for m in got {
                        let first = held.lock().expect("lock").insert(m.id.clone());
                        assert!(first, "message {} delivered twice while leased", m.id);
                        queue.delete(&m.receipt).await.expect("delete");
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for consumer in consumers {
        consumer.await.expect("consumer");
    }
    assert_eq!(
        done.load(Ordering::SeqCst),
        TOTAL,
        "every message received once"
    );
    assert_nothing_visible(queue.as_ref(), "every message was deleted").await;
}

/// A long poll returns as soon as a message arrives, well before its wait is over; on an
/// empty queue it returns nothing once its wait is over.
pub async fn long_poll_returns_when_a_message_arrives(queue: Arc<dyn Queue>, t: Timing) {
    let start = Instant::now();
    let empty = queue.receive(1, LONG, t.slack).await.expect("receive");
    assert!(empty.is_empty());
    assert!(
        start.elapsed() >= t.slack / 2,
        "returned after {:?}",
        start.elapsed()
    );
    let waiting = {
        let queue = queue.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let got = queue
                .receive(1, LONG, t.patience * 2)
                .await
                .expect("receive");
            (got, start.elapsed())
        })
    };
    sleep(Duration::from_millis(200)).await;
    queue
        .send("wake up".into(), Duration::ZERO)
        .await
        .expect("send");
    let (got, waited) = waiting.await.expect("receiver");
    assert_eq!(got.len(), 1, "the long poll saw the message");
    assert_eq!(got[0].body, "wake up");
    assert!(waited < t.patience, "the long poll waited {waited:?}");
}
