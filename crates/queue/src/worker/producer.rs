//! Putting envelopes on the queue.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::random::random_hex;
use super::telemetry::{count_n, ENQUEUED};
use crate::{Envelope, Error, Queue};

/// Sends envelopes, giving each an `id` if it has none and counting
/// `leakwall_queue_enqueued_total`.
#[derive(Clone)]
pub struct Producer {
    queue: Arc<dyn Queue>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").finish_non_exhaustive()
    }
}

impl Producer {
    /// A producer over `queue`.
    pub fn new(queue: Arc<dyn Queue>) -> Producer {
        Producer { queue }
    }

    /// Sends one envelope, visible at once; returns the queue's message id.
    pub async fn enqueue(&self, envelope: &Envelope) -> Result<String, Error> {
        self.enqueue_after(envelope, Duration::ZERO).await
    }

    /// Sends one envelope, visible after `delay`; returns the queue's message id.
    pub async fn enqueue_after(
        &self,
        envelope: &Envelope,
        delay: Duration,
    ) -> Result<String, Error> {
        // A `not_before` later than `delay` delays the send itself (the worker also honours it).
        let due = envelope
            .wait_until_start(std::time::SystemTime::now())
            .map_err(Error::Config)?
            .unwrap_or_default();
        let id = self
            .queue
            .send(with_id(envelope).to_body(), delay.max(due))
            .await?;
        count_n(ENQUEUED, &envelope.task, 1);
        Ok(id)
    }

    /// Sends many envelopes at once; returns the queue's message ids in order.
    pub async fn enqueue_batch(&self, envelopes: &[Envelope]) -> Result<Vec<String>, Error> {
        if envelopes.is_empty() {
            return Ok(Vec::new());
        }
        let bodies = envelopes.iter().map(|e| with_id(e).to_body()).collect();
        let ids = self.queue.send_batch(bodies).await?;
        let mut per_task: BTreeMap<&str, u64> = BTreeMap::new();
        for envelope in envelopes {
            *per_task.entry(envelope.task.as_str()).or_default() += 1;
        }
        for (task, n) in per_task {
            count_n(ENQUEUED, task, n);
        }
        Ok(ids)
    }
}

fn with_id(envelope: &Envelope) -> Envelope {
    let mut envelope = envelope.clone();
    if envelope.id.as_deref().is_none_or(str::is_empty) {
        envelope.id = Some(random_hex());
    }
    envelope
}
