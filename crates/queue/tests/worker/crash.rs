//! The crash test: a worker process is SIGKILLed in the middle of its tasks; a second worker
//! completes every task. None is lost; side effects are at most the tasks plus those in flight
//! at the kill plus those finished but not yet acknowledged (the worker deletes in batches a
//! moment later): at-least-once, never at-most-once.
//!
//! The worker is the example `crash_worker` (an `[[example]]`, so it adds no binary to the
//! package); cargo has no `CARGO_BIN_EXE_` for examples, so the test builds it with the cargo
//! that runs the test and takes its path from cargo's JSON messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Producer;
use leakwall_queue::{Envelope, Queue};

const TASKS: usize = 200;
const CONCURRENCY: usize = 4;
/// Most tasks finished but not yet deleted at any moment (the worker's ack batch; at this
/// test's pace of about 200 tasks/s its 2 ms window holds one or two).
const UNACKED: usize = 32;

fn build_example() -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--message-format=json",
            "-p",
            "leakwall-queue",
        ])
        .args(["--example", "crash_worker"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building the crash_worker example failed"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["target"]["name"] == "crash_worker")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the example's executable")
}

fn start(exe: &Path, db: &Path, effects: &Path) -> Child {
    Command::new(exe)
        .arg(db)
        .arg(effects)
        .arg(CONCURRENCY.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("the crash worker starts")
}

fn side_effects(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_task_loses_nothing() {
    let exe = build_example();
    let dir = tempfile::tempdir().unwrap();
    let (db, effects) = (dir.path().join("queue.db"), dir.path().join("effects.txt"));
    let url = format!("sqlite://{}", db.display());
    let queue = EmbeddedQueue::open(&url, "crash").await.unwrap();
    let queue: std::sync::Arc<dyn Queue> = std::sync::Arc::new(queue);
    let envelopes: Vec<Envelope> = (0..TASKS)
        .map(|n| {
            let mut envelope = Envelope::new("append");
            envelope.id = Some(format!("task-{n:03}"));
            envelope
        })
        .collect();
    Producer::new(queue.clone())
        .enqueue_batch(&envelopes)
        .await
        .unwrap();

    let mut first = start(&exe, &db, &effects);
    let deadline = Instant::now() + Duration::from_secs(120);
    while side_effects(&effects).len() < TASKS / 4 {
        assert!(
            Instant::now() < deadline,
            "the first worker made no progress"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first worker ended early"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed = Command::new("kill")
        .args(["-9", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    first.wait().unwrap();
    let at_kill = side_effects(&effects).len();
    assert!(at_kill < TASKS, "killed mid-way ({at_kill} side effects)");

    let mut second = start(&exe, &db, &effects);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second worker did not finish");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "the second worker failed: {status}");

    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in side_effects(&effects) {
        *counts.entry(id).or_default() += 1;
    }
    let missing: Vec<&Envelope> = envelopes
        .iter()
        .filter(|e| !counts.contains_key(e.id.as_deref().unwrap()))
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let total: usize = counts.values().sum();
    eprintln!("{at_kill} side effects at the kill, {total} in all for {TASKS} tasks");
    assert!(
        total <= TASKS + CONCURRENCY + UNACKED,
        "{total} side effects for {TASKS} tasks"
    );
    assert_eq!(counts.len(), TASKS, "no unknown ids");
    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (stats.ready, stats.in_flight, stats.delayed, stats.dead),
        (0, 0, 0, 0)
    );
}
