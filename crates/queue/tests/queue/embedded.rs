//! The conformance suite on the embedded (SQLite) backend, each case in a new database file;
//! and durability across a reopen.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::Queue;

use crate::suite::Timing;

/// A `sqlite://` URL for a new file in `dir`.
pub fn url_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("leakwall.db").display())
}

/// Runs `case` on a queue in a new SQLite file.
async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Queue>, Timing) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let queue = EmbeddedQueue::open(&url_in(&dir), "tasks")
        .await
        .expect("open");
    let queue = Arc::new(queue);
    let outcome = tokio::spawn(case(queue.clone(), Timing::LOCAL)).await;
    queue.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

conformance!(run);

/// Messages, leases and dead letters are in the file: a queue opened again on it (as after a
/// restart) finds them, and a lease not finished before the restart is delivered again.
#[tokio::test]
async fn survives_a_reopen() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = url_in(&dir);
    {
        let queue = EmbeddedQueue::open(&url, "tasks").await.expect("open");
        queue
            .send("kept".into(), Duration::ZERO)
            .await
            .expect("send");
        queue
            .send("leased".into(), Duration::ZERO)
            .await
            .expect("send");
        queue
            .send("dead".into(), Duration::ZERO)
            .await
            .expect("send");
        let got = queue
            .receive(3, Duration::from_millis(300), Duration::ZERO)
            .await;
        let got = got.expect("receive");
        assert_eq!(got.len(), 3);
        for m in got {
            match m.body.as_str() {
                "kept" => queue
                    .release(&m.receipt, Duration::ZERO)
                    .await
                    .expect("release"),
                "dead" => queue.dead_letter(&m, "gave up").await.expect("dead_letter"),
                _ => {}
            }
        }
        queue.close().await;
    }
    let queue = EmbeddedQueue::open(&url, "tasks").await.expect("reopen");
    let dead = queue.dead_letters(10).await.expect("dead_letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].body.as_str(), dead[0].reason.as_str()),
        ("dead", "gave up")
    );
    let mut got = queue
        .receive(10, Duration::from_secs(30), Duration::from_secs(5))
        .await
        .expect("receive");
    if got.len() < 2 {
        let more = queue
            .receive(10, Duration::from_secs(30), Duration::from_secs(5))
            .await;
        got.extend(more.expect("receive"));
    }
    let mut bodies: Vec<_> = got
        .iter()
        .map(|m| (m.body.as_str(), m.receive_count))
        .collect();
    bodies.sort();
    assert_eq!(bodies, vec![("kept", 2), ("leased", 2)]);
    queue.close().await;
}

/// Named queues in one file are separate; the store's own tables are left alone.
#[tokio::test]
async fn named_queues_share_a_file_apart() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = url_in(&dir);
    let scans = EmbeddedQueue::open(&url, "scans").await.expect("open");
    let alerts = EmbeddedQueue::open(&url, "alerts").await.expect("open");
    scans
        .send("scan".into(), Duration::ZERO)
        .await
        .expect("send");
    let nothing = alerts
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await;
    assert!(nothing.expect("receive").is_empty());
    assert_eq!(alerts.stats().await.expect("stats").ready, 0);
    assert_eq!(scans.stats().await.expect("stats").ready, 1);
    let got = scans
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await;
    assert_eq!(got.expect("receive").len(), 1);
    scans.close().await;
    alerts.close().await;
}

/// A URL of another scheme and a queue name that is not a plain word are configuration
/// errors that do not repeat the URL (it may hold a password).
#[tokio::test]
async fn bad_settings_are_config_errors() {
    let err = EmbeddedQueue::open("postgres://u:secret@h/db", "tasks").await;
    let message = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("`postgres`") && !message.contains("secret"),
        "{message}"
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let err = EmbeddedQueue::open(&url_in(&dir), "no spaces").await;
    assert!(matches!(err, Err(leakwall_queue::Error::Config(_))));
}

/// `open` runs in a spawned task (its future is `Send`, which sqlx's executor bounds can
/// quietly break).
#[tokio::test]
async fn open_runs_in_a_spawned_task() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = url_in(&dir);
    let opened = tokio::spawn(async move { EmbeddedQueue::open(&url, "tasks").await });
    let queue = opened.await.expect("task").expect("open");
    queue.close().await;
}

/// A batch send passes its bodies through SQLite's JSON functions, which end a string at an
/// escaped NUL: every body comes back byte for byte, NULs, quotes and escapes included.
#[tokio::test]
async fn send_batch_keeps_bodies_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let queue = EmbeddedQueue::open(&url_in(&dir), "bodies")
        .await
        .expect("open");
    let odd = [
        "a\0b",
        r#"{"q":"\"x\"\\n"}"#,
        "tab\tnewline\n",
        "ünïcödé ✓",
        "",
    ];
    for batch in [&odd[1..], &odd[..]] {
        let bodies: Vec<String> = batch.iter().map(|b| b.to_string()).collect();
        let ids = queue.send_batch(bodies.clone()).await.expect("send_batch");
        assert_eq!(ids.len(), bodies.len());
        let got = queue
            .receive(10, Duration::from_secs(30), Duration::ZERO)
            .await
            .expect("receive");
        let mut received: Vec<String> = got.iter().map(|m| m.body.clone()).collect();
        received.sort();
        let mut sent = bodies;
        sent.sort();
        assert_eq!(received, sent);
        let receipts = got.iter().map(|m| m.receipt.clone()).collect();
        queue.delete_batch(receipts).await.expect("delete_batch");
    }
    assert_eq!(queue.stats().await.expect("stats"), Default::default());
    queue.close().await;
}
