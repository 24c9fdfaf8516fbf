//! An in-memory [`Queue`]: NOT durable — everything is lost when the process ends.
//!
//! For tests, benchmarks and the single-process development mode only; production uses the
//! embedded, PostgreSQL or SQS backend. It keeps every rule of the [`Queue`] trait (leases,
//! redelivery with a higher `receive_count`, idempotent `delete`, `extend` answering `false`
//! for a lost lease, the dead-letter queue), so the worker's tests against it mean something.
//!
//! Time is [`tokio::time::Instant`]: under tokio's paused clock (`start_paused = true`) leases
//! expire and delays pass as the test advances time, with no real waiting.
//!
//! Design: one index ordered by the instant each message becomes visible (its delay, or the
//! expiry of its lease), so `receive` takes the front of the index instead of scanning.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::{BoxFuture, DeadLetter, Error, Message, Queue, Stats};

/// The in-memory queue (see the module doc: not durable).
#[derive(Debug, Default)]
pub struct MemoryQueue {
    state: Mutex<State>,
    /// Woken when a message may have become visible (send, release, requeue).
    visible: Notify,
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    next_lease: u64,
    next_dead: u64,
    messages: HashMap<u64, Entry>,
    /// `(visible_at, seq)` of every message.
    by_time: BTreeSet<(Instant, u64)>,
    dead: Vec<DeadLetter>,
}

#[derive(Debug)]
struct Entry {
    body: String,
    visible_at: Instant,
    receive_count: u32,
    sent_at: SystemTime,
    sent_instant: Instant,
    /// The current lease number, if the message was ever leased since it was last released.
    lease: Option<u64>,
}

impl Entry {
    fn held(&self, lease: u64, now: Instant) -> bool {
        self.lease == Some(lease) && self.visible_at > now
    }
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-operation; every operation
        // leaves the state consistent before it can panic, so carry on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send_now(&self, body: String, delay: Duration) -> String {
        let seq = self.lock().insert(body, delay, 0);
        self.visible.notify_waiters();
        message_id(seq)
    }

    async fn receive_wait(&self, max: usize, lease: Duration, wait: Duration) -> Vec<Message> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.visible.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (taken, next) = {
                let mut state = self.lock();
                (state.take(max, lease), state.next_visible())
            };
            let now = Instant::now();
            if !taken.is_empty() || max == 0 || now >= deadline {
                return taken;
            }
            let until = next.map_or(deadline, |next| next.min(deadline));
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
    }
}

fn message_id(seq: u64) -> String {
    format!("m{seq}")
}

fn receipt(seq: u64, lease: u64) -> String {
    format!("{seq}.{lease}")
}

fn parse_receipt(receipt: &str) -> Option<(u64, u64)> {
    let (seq, lease) = receipt.split_once('.')?;
    Some((seq.parse().ok()?, lease.parse().ok()?))
}

impl State {
    fn insert(&mut self, body: String, delay: Duration, receive_count: u32) -> u64 {
        let now = Instant::now();
        let seq = self.next_seq;
        self.next_seq += 1;
        let visible_at = now + delay;
        self.by_time.insert((visible_at, seq));
        let entry = Entry {
            body,
            visible_at,
            receive_count,
            sent_at: SystemTime::now(),
            sent_instant: now,
            lease: None,
        };
        self.messages.insert(seq, entry);
        seq
    }

    fn next_visible(&self) -> Option<Instant> {
        self.by_time.first().map(|(at, _)| *at)
    }

    fn set_visible_at(&mut self, seq: u64, at: Instant) {
        if let Some(entry) = self.messages.get_mut(&seq) {
            self.by_time.remove(&(entry.visible_at, seq));
            entry.visible_at = at;
            self.by_time.insert((at, seq));
        }
    }

    fn take(&mut self, max: usize, lease: Duration) -> Vec<Message> {
        let now = Instant::now();
        let mut taken = Vec::new();
        while taken.len() < max {
            let Some(&(at, seq)) = self.by_time.first() else {
                break;
            };
            if at > now {
                break;
            }
            self.next_lease += 1;
            let lease_no = self.next_lease;
            self.set_visible_at(seq, now + lease);
            let Some(entry) = self.messages.get_mut(&seq) else {
                break;
            };
            entry.lease = Some(lease_no);
            entry.receive_count = entry.receive_count.saturating_add(1);
            taken.push(Message {
                id: message_id(seq),
                receipt: receipt(seq, lease_no),
                body: entry.body.clone(),
                receive_count: entry.receive_count,
                sent_at: entry.sent_at,
            });
        }
        taken
    }

    /// The message of a receipt if that lease is still the message's latest one (it may have
    /// expired, but nobody else received the message since).
    fn latest(&self, receipt: &str) -> Option<u64> {
        let (seq, lease) = parse_receipt(receipt)?;
        let entry = self.messages.get(&seq)?;
        (entry.lease == Some(lease)).then_some(seq)
    }

    /// The message of a receipt whose lease is held right now.
    fn held(&self, receipt: &str) -> Option<u64> {
        let (seq, lease) = parse_receipt(receipt)?;
        let entry = self.messages.get(&seq)?;
        entry.held(lease, Instant::now()).then_some(seq)
    }

    fn remove(&mut self, seq: u64) -> Option<Entry> {
        let entry = self.messages.remove(&seq)?;
        self.by_time.remove(&(entry.visible_at, seq));
        Some(entry)
    }

    fn stats(&self) -> Stats {
        let now = Instant::now();
        let mut stats = Stats {
            dead: self.dead.len() as u64,
            ..Stats::default()
        };
        for entry in self.messages.values() {
            if entry.visible_at <= now {
                stats.ready += 1;
                let age = now.saturating_duration_since(entry.sent_instant);
                stats.oldest_ready = Some(stats.oldest_ready.map_or(age, |old| old.max(age)));
            } else if entry.lease.is_some() {
                stats.in_flight += 1;
            } else {
                stats.delayed += 1;
            }
        }
        stats
    }
}

impl Queue for MemoryQueue {
    fn send(&self, body: String, delay: Duration) -> BoxFuture<'_, Result<String, Error>> {
        Box::pin(async move { Ok(self.send_now(body, delay)) })
    }

    fn send_batch(&self, bodies: Vec<String>) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        Box::pin(async move {
            let ids = {
                let mut state = self.lock();
                let seqs: Vec<u64> = bodies
                    .into_iter()
                    .map(|b| state.insert(b, Duration::ZERO, 0))
                    .collect();
                seqs.into_iter().map(message_id).collect()
            };
            self.visible.notify_waiters();
            Ok(ids)
        })
    }

    fn receive(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Message>, Error>> {
        Box::pin(async move { Ok(self.receive_wait(max, lease, wait).await) })
    }

    fn delete(&self, receipt: &str) -> BoxFuture<'_, Result<(), Error>> {
        let mut state = self.lock();
        if let Some(seq) = state.latest(receipt) {
            state.remove(seq);
        }
        Box::pin(async { Ok(()) })
    }

    fn delete_batch(&self, receipts: Vec<String>) -> BoxFuture<'_, Result<(), Error>> {
        let mut state = self.lock();
        for receipt in &receipts {
            if let Some(seq) = state.latest(receipt) {
                state.remove(seq);
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn extend(&self, receipt: &str, lease: Duration) -> BoxFuture<'_, Result<bool, Error>> {
        let mut state = self.lock();
        let held = state.held(receipt);
        if let Some(seq) = held {
            state.set_visible_at(seq, Instant::now() + lease);
        }
        Box::pin(async move { Ok(held.is_some()) })
    }

    fn release(&self, receipt: &str, delay: Duration) -> BoxFuture<'_, Result<(), Error>> {
        let released = {
            let mut state = self.lock();
            let held = state.held(receipt);
            if let Some(seq) = held {
                state.set_visible_at(seq, Instant::now() + delay);
                if let Some(entry) = state.messages.get_mut(&seq) {
                    entry.lease = None;
                }
            }
            held.is_some()
        };
        if released {
            self.visible.notify_waiters();
        }
        Box::pin(async { Ok(()) })
    }

    fn dead_letter<'a>(
        &'a self,
        message: &'a Message,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let mut state = self.lock();
        let entry = state
            .latest(&message.receipt)
            .and_then(|seq| state.remove(seq));
        if let Some(entry) = entry {
            state.next_dead += 1;
            let dead = DeadLetter {
                id: format!("d{}", state.next_dead),
                body: entry.body,
                reason: reason.to_string(),
                receive_count: entry.receive_count,
                failed_at: SystemTime::now(),
            };
            state.dead.push(dead);
        }
        Box::pin(async { Ok(()) })
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, Error>> {
        let dead = self.lock().dead.iter().take(limit).cloned().collect();
        Box::pin(async { Ok(dead) })
    }

    fn requeue(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        let found = {
            let mut state = self.lock();
            match state.dead.iter().position(|d| d.id == dead_id) {
                Some(at) => {
                    let dead = state.dead.remove(at);
                    state.insert(dead.body, Duration::ZERO, 0);
                    true
                }
                None => false,
            }
        };
        if found {
            self.visible.notify_waiters();
        }
        Box::pin(async move { Ok(found) })
    }

    fn drop_dead(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        let mut state = self.lock();
        let before = state.dead.len();
        state.dead.retain(|d| d.id != dead_id);
        let found = state.dead.len() < before;
        Box::pin(async move { Ok(found) })
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, Error>> {
        let stats = self.lock().stats();
        Box::pin(async move { Ok(stats) })
    }
}
