//! A model-based property test of the SQL backends: random short sequences of send /
//! receive / delete / release / extend / dead_letter / requeue / drop_dead and clock steps
//! run on the real backend and on a plain in-memory model; after every step the visible
//! bodies, the stats (ready, in flight, delayed, dead, oldest ready age) and the dead letters
//! must agree.
//!
//! The backends read the time from an injected clock the test advances, so leases expire
//! without sleeping. Bodies are unique, so the model follows messages by body (a requeued
//! message gets a new id the model cannot know).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leakwall_queue::embedded::{Clock, EmbeddedQueue};
use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::{Message, Queue, Stats};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::postgres::Schema;

/// One step of a sequence. Indexes pick among the receipts or dead letters seen so far
/// (modulo their number), so stale receipts come up as often as live ones.
#[derive(Debug, Clone)]
enum Op {
    Send { delay_ms: u64 },
    Receive { max: usize, lease_ms: u64 },
    Delete(usize),
    DeleteBatch(Vec<usize>),
    Release { pick: usize, delay_ms: u64 },
    Extend { pick: usize, lease_ms: u64 },
    DeadLetter(usize),
    Requeue(usize),
    DropDead(usize),
    Advance { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let ms = || prop_oneof![Just(0u64), Just(1_000), Just(3_000)];
    let lease = || prop_oneof![Just(1_000u64), Just(3_000)];
    prop_oneof![
        3 => ms().prop_map(|delay_ms| Op::Send { delay_ms }),
        3 => (1..4usize, lease()).prop_map(|(max, lease_ms)| Op::Receive { max, lease_ms }),
        2 => any::<usize>().prop_map(Op::Delete),
        1 => proptest::collection::vec(any::<usize>(), 0..4).prop_map(Op::DeleteBatch),
        1 => (any::<usize>(), ms()).prop_map(|(pick, delay_ms)| Op::Release { pick, delay_ms }),
        1 => (any::<usize>(), lease()).prop_map(|(pick, lease_ms)| Op::Extend { pick, lease_ms }),
        1 => any::<usize>().prop_map(Op::DeadLetter),
        1 => any::<usize>().prop_map(Op::Requeue),
        1 => any::<usize>().prop_map(Op::DropDead),
        2 => prop_oneof![Just(500u64), Just(1_000), Just(2_500)].prop_map(|ms| Op::Advance { ms }),
    ]
}

/// A message as the model sees it.
#[derive(Debug, Clone)]
struct Entry {
    visible_at: u64,
    receipt: Option<String>,
    receive_count: u32,
    sent_at: u64,
}

/// The in-memory model: messages and dead letters by body.
#[derive(Debug, Default)]
struct Model {
    now: u64,
    messages: BTreeMap<String, Entry>,
    dead: BTreeMap<String, u32>,
    /// Every message received so far (their receipts may be stale by now).
    leases: Vec<Message>,
    sent: usize,
}

impl Model {
    fn visible(&self) -> Vec<String> {
        let now = self.now;
        let visible = self.messages.iter().filter(|(_, e)| e.visible_at <= now);
        visible.map(|(body, _)| body.clone()).collect()
    }

    fn stats(&self) -> Stats {
        let mut stats = Stats {
            dead: self.dead.len() as u64,
            ..Stats::default()
        };
        for entry in self.messages.values() {
            if entry.visible_at <= self.now {
                stats.ready += 1;
                let age = Duration::from_millis(self.now - entry.sent_at);
                stats.oldest_ready = Some(stats.oldest_ready.map_or(age, |a| a.max(age)));
            } else if entry.receipt.is_some() {
                stats.in_flight += 1;
            } else {
                stats.delayed += 1;
            }
        }
        stats
    }

    /// The body whose latest receipt is `receipt`, if the lease is (`held`) still running.
    fn holder(&self, receipt: &str, held: bool) -> Option<String> {
        let (body, entry) = self
            .messages
            .iter()
            .find(|(_, e)| e.receipt.as_deref() == Some(receipt))?;
        (!held || entry.visible_at > self.now).then(|| body.clone())
    }
}

/// The backend under test, with its hand-driven clock.
enum Backend {
    Embedded(EmbeddedQueue),
    Postgres(PostgresQueue),
}

impl Backend {
    fn queue(&self) -> &dyn Queue {
        match self {
            Backend::Embedded(q) => q,
            Backend::Postgres(q) => q,
        }
    }

    async fn visible(&self) -> Vec<String> {
        let bodies = match self {
            Backend::Embedded(q) => q.visible_bodies(1000).await,
            Backend::Postgres(q) => q.visible_bodies(1000).await,
        };
        let mut bodies = bodies.expect("visible bodies");
        bodies.sort();
        bodies
    }

    async fn close(&self) {
        match self {
            Backend::Embedded(q) => q.close().await,
            Backend::Postgres(q) => q.close().await,
        }
    }
}

/// The time the clock starts at (any fixed instant will do).
const START: u64 = 1_700_000_000_000;

/// Runs 64 random sequences, each on a new queue (a new name in one database) that
/// `open(name, clock)` opens.
fn run_model<F, Fut>(open: F)
where
    F: Fn(String, Clock) -> Fut,
    Fut: std::future::Future<Output = Backend>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let cases = AtomicU64::new(0);
    let outcome = runner.run(&proptest::collection::vec(op(), 1..40), |ops| {
        let name = format!("model_{}", cases.fetch_add(1, Ordering::SeqCst));
        rt.block_on(async {
            let time = Arc::new(AtomicU64::new(START));
            let clock = {
                let time = time.clone();
                Clock::from_fn(move || time.load(Ordering::SeqCst))
            };
            let backend = open(name, clock).await;
            let outcome = run_ops(&backend, &time, &ops).await;
            backend.close().await;
            outcome
        })
    });
    if let Err(e) = outcome {
        panic!("the backend differs from the model: {e}");
    }
}

/// Applies `ops` to the backend and the model, comparing them after each step.
async fn run_ops(backend: &Backend, time: &AtomicU64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model {
        now: START,
        ..Model::default()
    };
    for (step, op) in ops.iter().enumerate() {
        apply(backend, time, &mut model, op).await?;
        compare(backend, &model)
            .await
            .map_err(|e| TestCaseError::fail(format!("after step {step} ({op:?}): {e}")))?;
    }
    Ok(())
}

async fn apply(
    backend: &Backend,
    time: &AtomicU64,
    model: &mut Model,
    op: &Op,
) -> Result<(), TestCaseError> {
    let q = backend.queue();
    let pick = |leases: &[Message], i: usize| leases.get(i % leases.len().max(1)).cloned();
    match *op {
        Op::Send { delay_ms } => {
            model.sent += 1;
            let body = format!("b{}", model.sent);
            q.send(body.clone(), Duration::from_millis(delay_ms))
                .await
                .expect("send");
            let entry = Entry {
                visible_at: model.now + delay_ms,
                receipt: None,
                receive_count: 0,
                sent_at: model.now,
            };
            model.messages.insert(body, entry);
        }
        Op::Receive { max, lease_ms } => {
            let got = q
                .receive(max, Duration::from_millis(lease_ms), Duration::ZERO)
                .await;
            receive(model, got.expect("receive"), max, lease_ms)?;
        }
        Op::Delete(i) => {
            let Some(m) = pick(&model.leases, i) else {
                return Ok(());
            };
            q.delete(&m.receipt).await.expect("delete");
            if let Some(body) = model.holder(&m.receipt, false) {
                model.messages.remove(&body);
            }
        }
        Op::DeleteBatch(ref picks) => {
            let batch: Vec<Message> = picks
                .iter()
                .filter_map(|&i| pick(&model.leases, i))
                .collect();
            let receipts = batch.iter().map(|m| m.receipt.clone()).collect();
            q.delete_batch(receipts).await.expect("delete_batch");
            for m in &batch {
                if let Some(body) = model.holder(&m.receipt, false) {
                    model.messages.remove(&body);
                }
            }
        }
        Op::Release { pick: i, delay_ms } => {
            let Some(m) = pick(&model.leases, i) else {
                return Ok(());
            };
            q.release(&m.receipt, Duration::from_millis(delay_ms))
                .await
                .expect("release");
            if let Some(body) = model.holder(&m.receipt, true) {
                let now = model.now;
                let entry = model.messages.get_mut(&body).expect("held");
                (entry.visible_at, entry.receipt) = (now + delay_ms, None);
            }
        }
        Op::Extend { pick: i, lease_ms } => {
            let Some(m) = pick(&model.leases, i) else {
                return Ok(());
            };
            let held = q.extend(&m.receipt, Duration::from_millis(lease_ms)).await;
            let expected = model.holder(&m.receipt, true);
            prop_assert_eq!(held.expect("extend"), expected.is_some(), "extend {:?}", m);
            if let Some(body) = expected {
                let now = model.now;
                model.messages.get_mut(&body).expect("held").visible_at = now + lease_ms;
            }
        }
        Op::DeadLetter(i) => {
            let Some(m) = pick(&model.leases, i) else {
                return Ok(());
            };
            q.dead_letter(&m, "model").await.expect("dead_letter");
            if let Some(body) = model.holder(&m.receipt, false) {
                let entry = model.messages.remove(&body).expect("held");
                model.dead.insert(body, entry.receive_count);
            }
        }
        Op::Requeue(i) | Op::DropDead(i) => {
            let requeue = matches!(op, Op::Requeue(_));
            let body = model.dead.keys().nth(i % model.dead.len().max(1)).cloned();
            let dead = q.dead_letters(1000).await.expect("dead_letters");
            let id = body
                .as_ref()
                .and_then(|b| dead.iter().find(|d| &d.body == b))
                .map_or("999999".to_string(), |d| d.id.clone());
            let found = if requeue {
                q.requeue(&id).await
            } else {
                q.drop_dead(&id).await
            };
            prop_assert_eq!(found.expect("requeue or drop_dead"), body.is_some());
            if let Some(body) = body {
                model.dead.remove(&body);
                if requeue {
                    let now = model.now;
                    let entry = Entry {
                        visible_at: now,
                        receipt: None,
                        receive_count: 0,
                        sent_at: now,
                    };
                    model.messages.insert(body, entry);
                }
            }
        }
        Op::Advance { ms } => {
            model.now += ms;
            time.store(model.now, Ordering::SeqCst);
        }
    }
    Ok(())
}

/// Checks a lease against the model and records it.
fn receive(
    model: &mut Model,
    got: Vec<Message>,
    max: usize,
    lease_ms: u64,
) -> Result<(), TestCaseError> {
    let visible = model.visible();
    prop_assert_eq!(got.len(), max.min(visible.len()), "how many were leased");
    for m in got {
        prop_assert!(visible.contains(&m.body), "{} was not visible", m.body);
        let now = model.now;
        let entry = model.messages.get_mut(&m.body).expect("visible");
        prop_assert_eq!(m.receive_count, entry.receive_count + 1, "receive_count");
        prop_assert!(
            entry.visible_at <= now,
            "{} leased twice in one receive",
            m.body
        );
        entry.visible_at = now + lease_ms;
        entry.receipt = Some(m.receipt.clone());
        entry.receive_count += 1;
        model.leases.push(m);
    }
    Ok(())
}

/// Visible bodies, stats and dead letters of the backend against the model.
async fn compare(backend: &Backend, model: &Model) -> Result<(), String> {
    let visible = backend.visible().await;
    if visible != model.visible() {
        return Err(format!("visible {visible:?}, model {:?}", model.visible()));
    }
    let stats = backend.queue().stats().await.expect("stats");
    if stats != model.stats() {
        return Err(format!("stats {stats:?}, model {:?}", model.stats()));
    }
    let dead = backend
        .queue()
        .dead_letters(1000)
        .await
        .expect("dead_letters");
    let mut dead: Vec<_> = dead
        .into_iter()
        .map(|d| (d.body, d.receive_count))
        .collect();
    dead.sort();
    let expected: Vec<_> = model.dead.iter().map(|(b, c)| (b.clone(), *c)).collect();
    if dead != expected {
        return Err(format!("dead {dead:?}, model {expected:?}"));
    }
    Ok(())
}

/// The embedded backend behaves like the model.
#[test]
fn embedded_matches_the_model() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = crate::embedded::url_in(&dir);
    run_model(|name, clock| {
        let url = url.clone();
        async move {
            let queue = EmbeddedQueue::open_with_clock(&url, &name, clock).await;
            Backend::Embedded(queue.expect("open"))
        }
    });
}

/// The PostgreSQL backend behaves like the model.
#[test]
fn postgres_matches_the_model() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(schema) = rt.block_on(Schema::create()) else {
        return;
    };
    let url = schema.url.clone();
    let outcome = std::panic::catch_unwind(|| {
        run_model(|name, clock| {
            let url = url.clone();
            async move {
                let queue = PostgresQueue::open_with_clock(&url, &name, clock).await;
                Backend::Postgres(queue.expect("open"))
            }
        })
    });
    rt.block_on(schema.drop());
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
