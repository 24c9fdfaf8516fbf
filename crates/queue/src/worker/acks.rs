//! Batched acknowledgements: a succeeded task's receipt waits here a moment and is deleted
//! together with others in one `delete_batch` (one statement on the SQL backends), instead
//! of one delete, one transaction and one round trip per task.
//!
//! A batch is flushed when it holds [`MAX_ACKS`] receipts or [`ACK_DELAY`] after its first,
//! whichever comes first, and always before [`Worker::run`](super::Worker::run) and
//! [`Worker::tick`](super::Worker::tick) return. A process that dies before a flush has run
//! those tasks without deleting their messages: they are delivered again when their leases
//! expire, which at-least-once allows (tasks are idempotent). The delay is far below any
//! lease, so a flushed delete never comes after the lease it names has run out.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::sleep;
use tracing::{debug, warn};

use crate::Queue;

/// A batch this large is flushed at once.
pub(crate) const MAX_ACKS: usize = 32;
/// The longest a receipt waits for others before its batch is flushed.
pub(crate) const ACK_DELAY: Duration = Duration::from_millis(2);

/// Receipts of succeeded tasks not yet deleted.
#[derive(Debug, Default)]
pub(crate) struct Acks {
    pending: Mutex<Vec<String>>,
    /// The first receipt of a batch arrived.
    arrived: Notify,
    /// A batch is full.
    full: Notify,
}

impl Acks {
    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        // Pushing and taking cannot leave the list inconsistent: carry on after a panic.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues the receipt of a succeeded task for deletion.
    pub(crate) fn push(&self, receipt: String) {
        let waiting = {
            let mut pending = self.lock();
            pending.push(receipt);
            pending.len()
        };
        if waiting == 1 {
            self.arrived.notify_one();
        }
        if waiting >= MAX_ACKS {
            self.full.notify_one();
        }
    }

    /// Deletes every queued receipt now, [`MAX_ACKS`] per call.
    pub(crate) async fn flush(&self, queue: &dyn Queue) {
        loop {
            let batch: Vec<String> = {
                let mut pending = self.lock();
                let n = pending.len().min(MAX_ACKS);
                pending.drain(..n).collect()
            };
            if batch.is_empty() {
                return;
            }
            let count = batch.len();
            match queue.delete_batch(batch).await {
                Ok(()) => debug!(count, "acknowledged"),
                Err(error) => {
                    warn!(%error, count, "acknowledging failed; these tasks will run again")
                }
            }
        }
    }

    /// Flushes batches as they fill or age until `stop` turns `true` (or its sender is
    /// gone), then flushes what is left.
    pub(crate) async fn run(&self, queue: &dyn Queue, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                biased;
                () = self.arrived.notified() => {}
                _ = stop.wait_for(|stop| *stop) => break,
            }
            if self.lock().len() < MAX_ACKS {
                tokio::select! {
                    () = self.full.notified() => {}
                    () = sleep(ACK_DELAY) => {}
                }
            }
            self.flush(queue).await;
        }
        self.flush(queue).await;
    }
}
