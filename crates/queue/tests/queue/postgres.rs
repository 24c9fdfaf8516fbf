//! The conformance suite on the PostgreSQL backend, each case in a new schema `lwq_<random>`
//! dropped afterwards.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::Queue;
use sqlx::{Connection, Executor, PgConnection};

use crate::suite::Timing;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A new schema on the test server, and a URL whose connections use it.
pub struct Schema {
    /// The database URL with `search_path` set to the schema.
    pub url: String,
    name: String,
    admin: PgConnection,
}

impl Schema {
    /// Creates a schema, or `None` when `LEAKWALL_TEST_POSTGRES=skip`. Panics with what to
    /// do when the server is unreachable.
    pub async fn create() -> Option<Schema> {
        let base = std::env::var("LEAKWALL_TEST_POSTGRES").unwrap_or(DEFAULT_POSTGRES.into());
        if base == "skip" {
            eprintln!("LEAKWALL_TEST_POSTGRES=skip: PostgreSQL case skipped");
            return None;
        }
        let mut admin = PgConnection::connect(&base).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at LEAKWALL_TEST_POSTGRES (default {DEFAULT_POSTGRES}) is \
                 unreachable: {e}; start it or set LEAKWALL_TEST_POSTGRES=skip"
            )
        });
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).expect("random");
        let name = format!("lwq_{}", hex::encode(suffix));
        admin
            .execute(format!("CREATE SCHEMA {name}").as_str())
            .await
            .expect("create schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Some(Schema { url, name, admin })
    }

    /// Drops the schema and everything in it.
    pub async fn drop(mut self) {
        let drop = format!("DROP SCHEMA {} CASCADE", self.name);
        self.admin
            .execute(drop.as_str())
            .await
            .expect("drop schema");
        let _ = self.admin.close().await;
    }
}

/// Runs `case` on a queue in a new schema.
async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Queue>, Timing) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(schema) = Schema::create().await else {
        return;
    };
    let queue = PostgresQueue::open(&schema.url, "tasks")
        .await
        .expect("open");
    let queue = Arc::new(queue);
    let outcome = tokio::spawn(case(queue.clone(), Timing::LOCAL)).await;
    queue.close().await;
    schema.drop().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

conformance!(run);

/// Processes starting at once all migrate (under the advisory lock) and all work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_openers_migrate_at_once() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = schema.url.clone();
            tokio::spawn(async move { PostgresQueue::open(&url, "tasks").await })
        })
        .collect();
    let mut queues = Vec::new();
    for open in opens {
        queues.push(open.await.expect("task").expect("open"));
    }
    queues[0]
        .send("hi".into(), Duration::ZERO)
        .await
        .expect("send");
    assert_eq!(queues[5].stats().await.expect("stats").ready, 1);
    for queue in &queues {
        queue.close().await;
    }
    schema.drop().await;
}

/// A send from another queue object (as from another process) wakes a long poll through
/// LISTEN/NOTIFY, well before the poll backoff would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_wakes_another_process() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    // Different URLs keep the two objects from sharing the in-process wake-up.
    let producer = PostgresQueue::open(&schema.url, "tasks")
        .await
        .expect("open");
    let other_url = format!("{}&application_name=consumer", schema.url);
    let consumer = Arc::new(
        PostgresQueue::open(&other_url, "tasks")
            .await
            .expect("open"),
    );
    let mut latencies = Vec::new();
    for i in 0..10 {
        let waiting = {
            let consumer = consumer.clone();
            tokio::spawn(async move {
                consumer
                    .receive(1, Duration::from_secs(30), Duration::from_secs(5))
                    .await
            })
        };
        // Let the poll back off to its longest interval first.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let sent = tokio::time::Instant::now();
        producer
            .send(format!("m{i}"), Duration::ZERO)
            .await
            .expect("send");
        let got = waiting.await.expect("consumer").expect("receive");
        latencies.push(sent.elapsed());
        assert_eq!(got.len(), 1);
        consumer.delete(&got[0].receipt).await.expect("delete");
    }
    latencies.sort();
    // Woken by NOTIFY the consumer answers in a few milliseconds; by its fallback poll (every
    // 200 ms once backed off) the median would be near 100 ms. The median, not the tail, so a
    // loaded machine's stragglers do not fail the test.
    assert!(
        latencies[4] < Duration::from_millis(50),
        "latencies {latencies:?}"
    );
    producer.close().await;
    consumer.close().await;
    schema.drop().await;
}

/// A URL of another scheme is a configuration error that does not repeat the URL.
#[tokio::test]
async fn bad_url_is_a_config_error() {
    let err = PostgresQueue::open("mysql://root:secret@h/db", "tasks").await;
    let message = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("`mysql`") && !message.contains("secret"),
        "{message}"
    );
}
