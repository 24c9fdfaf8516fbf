//! Putting webhook jobs on the queue in groups: one task per process takes every job waiting
//! at that moment, drops the repeats of a (team, event id) it has seen (one [`Store::remember_all`]),
//! sends the rest in one `send_batch` (one durable commit, so one disk flush for the group
//! instead of one per event), and answers each webhook request.
//!
//! Under light load a group is one job and nothing waits; under heavy load the group grows
//! with it, which keeps the webhook's answer within Slack's deadline as events arrive faster
//! than disk flushes. A key remembered for a job that could not be enqueued is forgotten
//! again, so Slack's retry of that event is not dropped.
//!
//! [`Store::remember_all`]: leakwall_store::Store::remember_all

use leakwall_connectors::Job;
use leakwall_queue::worker::Producer;
use leakwall_queue::Envelope;
use tokio::sync::{mpsc, oneshot};

use super::webhook::{envelope, DEDUPE_SCOPE};
use crate::state::AppState;

/// The most jobs put on the queue in one batch.
const MAX_GROUP: usize = 256;
/// Jobs waiting for the ingest task before webhook requests wait for room.
const BACKLOG: usize = 4096;

/// What became of a job handed to [`Ingest::submit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// On the queue.
    Enqueued,
    /// Seen before (a retry): dropped.
    Duplicate,
}

struct Pending {
    job: Job,
    done: oneshot::Sender<Result<Ingested, String>>,
}

/// The handle of the ingest task.
#[derive(Clone)]
pub struct Ingest {
    jobs: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ingest")
    }
}

impl Ingest {
    /// Starts the ingest task for `state` (needs a tokio runtime).
    pub fn start(state: AppState) -> Ingest {
        let (jobs, rx) = mpsc::channel(BACKLOG);
        tokio::spawn(run(state, rx));
        Ingest { jobs }
    }

    /// Hands a job over and waits until it is on the queue or known as a repeat; `Err`
    /// says why it is neither (the webhook answers 500 so that Slack retries).
    pub async fn submit(&self, job: Job) -> Result<Ingested, String> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Pending { job, done })
            .await
            .map_err(|_| "the ingest task stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the ingest task stopped".to_owned())?
    }
}

async fn run(state: AppState, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        ingest(&state, group).await;
    }
}

async fn ingest(state: &AppState, group: Vec<Pending>) {
    let ttl = match &state.settings.slack {
        Some(slack) => slack.dedupe_ttl(),
        None => return,
    };
    let keys: Vec<String> = group.iter().map(|p| key(&p.job)).collect();
    let mut first = match state.store.remember_all(DEDUPE_SCOPE, &keys, ttl).await {
        Ok(first) => first,
        Err(e) => {
            let error = format!("remembering event ids: {e}");
            for pending in group {
                let _ = pending.done.send(Err(error.clone()));
            }
            return;
        }
    };
    let mut fresh: Vec<(String, Envelope, Pending)> = Vec::with_capacity(group.len());
    for (key, pending) in keys.into_iter().zip(group) {
        // A key new to the store is new once: a repeat in the same group is a duplicate.
        let Some(at) = first.iter().position(|k| *k == key) else {
            let _ = pending.done.send(Ok(Ingested::Duplicate));
            continue;
        };
        first.swap_remove(at);
        match envelope(&pending.job) {
            Ok(envelope) => fresh.push((key, envelope, pending)),
            Err(e) => {
                forget(state, &key).await;
                let _ = pending.done.send(Err(format!("serializing a job: {e}")));
            }
        }
    }
    if fresh.is_empty() {
        return;
    }
    let envelopes: Vec<Envelope> = fresh.iter().map(|(_, e, _)| e.clone()).collect();
    let sent = match &state.queue {
        Some(queue) => Producer::new(queue.clone())
            .enqueue_batch(&envelopes)
            .await
            .map(|_| ())
            .map_err(|e| format!("enqueueing Slack events: {e}")),
        None => Err("this process has no task queue for Slack events".into()),
    };
    for (key, _, pending) in fresh {
        if sent.is_err() {
            forget(state, &key).await;
        }
        let _ = pending.done.send(sent.clone().map(|()| Ingested::Enqueued));
    }
}

fn key(job: &Job) -> String {
    format!("{}:{}", job.tenant, job.event_id)
}

async fn forget(state: &AppState, key: &str) {
    if let Err(e) = state.store.forget(DEDUPE_SCOPE, key).await {
        tracing::error!(error = %e, "forgetting a Slack event id after a failed enqueue");
    }
}
