//! `leakwall worker` as operators run it: tasks put on the embedded queue by another process
//! are run by the worker process, which stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Producer;
use leakwall_queue::Envelope;
use leakwall_store::{schemas::INCIDENTS, Page, Store};
use serde_json::json;

use crate::support::{run, tempdir, CARD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_runs_queued_scans_and_stops_on_sigterm() {
    let dir = tempdir();
    let db = format!("sqlite://{}", dir.path().join("leakwall.db").display());
    let migrated = run(dir.path(), &["migrate", "--database", &db]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    let queue = Arc::new(EmbeddedQueue::open(&db, "tasks").await.expect("queue"));
    let producer = Producer::new(queue.clone());
    for channel in ["C1", "C2", "C3"] {
        let task = Envelope::new("scan_text")
            .kwarg("text", json!(format!("card {CARD}")))
            .kwarg("source", json!("test"))
            .kwarg("channel", json!(channel));
        producer.enqueue(&task).await.expect("enqueue");
    }
    producer
        .enqueue(&Envelope::new("nonexistent"))
        .await
        .expect("enqueue");

    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args([
            "worker",
            "--database",
            &db,
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start worker");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("worker prints its metrics address");
    let metrics_url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(metrics_url.starts_with("http://127.0.0.1:"), "{line}");
    let store = Store::open(&db).await.expect("store");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut found = 0;
    while Instant::now() < deadline {
        let page = store
            .list(&INCIDENTS, &None, &[], &Page::default())
            .await
            .expect("list");
        found = page.items.len();
        let dead = leakwall_queue::Queue::stats(queue.as_ref())
            .await
            .expect("stats")
            .dead;
        if found >= 3 && dead >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = reqwest::get(&metrics_url)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("leakwall_queue_succeeded_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("leakwall_queue_dead_lettered_total"),
        "{metrics}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let output = child.wait_with_output().expect("worker exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "worker exit {:?}: {stderr}",
        output.status
    );
    assert_eq!(found, 3, "one incident per queued scan; stderr:\n{stderr}");
    assert!(
        !stderr.contains(CARD),
        "a secret reached the log:\n{stderr}"
    );
    let dead = leakwall_queue::Queue::dead_letters(queue.as_ref(), 10)
        .await
        .expect("dead");
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("nonexistent"), "{}", dead[0].reason);
}
