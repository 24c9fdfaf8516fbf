//! The one trait every queue backend implements, and what it hands out.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use crate::Error;

/// A boxed, sendable future (the trait is used as `Arc<dyn Queue>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message leased to one consumer until its lease expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The backend's id of the message (stable across deliveries).
    pub id: String,
    /// The token of this lease; `delete`, `extend` and `release` take it. A receipt of an
    /// expired lease is stale: the message may be leased to someone else by then.
    pub receipt: String,
    /// The body as sent.
    pub body: String,
    /// How many times the message has been received, this delivery included (1 on the first).
    pub receive_count: u32,
    /// When it was first sent.
    pub sent_at: SystemTime,
}

/// A message moved to the dead-letter queue, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Id in the dead-letter queue (what `requeue` and `drop_dead` take).
    pub id: String,
    /// The body as sent.
    pub body: String,
    /// The last error, or why the body could not run at all.
    pub reason: String,
    /// Deliveries before it was given up.
    pub receive_count: u32,
    /// When it was dead-lettered.
    pub failed_at: SystemTime,
}

/// Counts for metrics and health.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Visible now.
    pub ready: u64,
    /// Leased, not yet deleted or expired.
    pub in_flight: u64,
    /// Sent or released with a delay that has not passed yet.
    pub delayed: u64,
    /// In the dead-letter queue.
    pub dead: u64,
    /// Age of the oldest visible message (queue lag), if any.
    pub oldest_ready: Option<Duration>,
}

/// A durable, at-least-once queue with leases (visibility timeouts) and a dead-letter queue.
///
/// Rules every backend keeps (the conformance suite checks them): ordering is not promised; a
/// received message is invisible to others until its lease expires or it is released; a
/// message whose lease expired is delivered again with `receive_count` one higher; `delete` of
/// a stale or unknown receipt is `Ok` (idempotent); `extend` answers `false` when the lease is
/// no longer held; `dead_letter` removes the message from the queue and adds it to the DLQ in
/// one step.
pub trait Queue: Send + Sync + 'static {
    /// Sends one body, visible after `delay`; returns the message id.
    fn send(&self, body: String, delay: Duration) -> BoxFuture<'_, Result<String, Error>>;
    /// Sends many bodies at once (one round trip where the backend allows).
    fn send_batch(&self, bodies: Vec<String>) -> BoxFuture<'_, Result<Vec<String>, Error>>;
    /// Leases up to `max` visible messages for `lease`, waiting up to `wait` for the first
    /// (long polling); an empty list after `wait` is normal.
    fn receive(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Message>, Error>>;
    /// Deletes a message after its task succeeded.
    fn delete(&self, receipt: &str) -> BoxFuture<'_, Result<(), Error>>;
    /// Deletes many messages at once (the worker acknowledges in batches): every receipt is
    /// treated as by [`delete`](Queue::delete), so stale and unknown ones are skipped. On an
    /// error some may have been deleted and some not; the rest are delivered again when their
    /// leases expire, and deleting them again is harmless.
    ///
    /// The default runs `delete` for each at once; backends override it with one statement or
    /// call.
    fn delete_batch(&self, receipts: Vec<String>) -> BoxFuture<'_, Result<(), Error>> {
        let deletes = receipts
            .iter()
            .map(|receipt| self.delete(receipt))
            .collect();
        Box::pin(all_ok(deletes))
    }
    /// Extends a held lease to `lease` from now (heartbeat); `false` if it is no longer held.
    fn extend(&self, receipt: &str, lease: Duration) -> BoxFuture<'_, Result<bool, Error>>;
    /// Gives a lease back: the message becomes visible again after `delay` (retry backoff).
    fn release(&self, receipt: &str, delay: Duration) -> BoxFuture<'_, Result<(), Error>>;
    /// Moves a leased message to the dead-letter queue with a reason.
    fn dead_letter<'a>(
        &'a self,
        message: &'a Message,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// The dead letters, oldest first, up to `limit`.
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, Error>>;
    /// Puts a dead letter back on the queue (receive count starts again); `false` if unknown.
    fn requeue(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>>;
    /// Deletes a dead letter for good; `false` if unknown.
    fn drop_dead(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>>;
    /// Counts.
    fn stats(&self) -> BoxFuture<'_, Result<Stats, Error>>;
}

/// Runs `futures` concurrently until all succeeded or one failed (its error is returned).
async fn all_ok(futures: Vec<BoxFuture<'_, Result<(), Error>>>) -> Result<(), Error> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for slot in &mut pending {
            let Some(future) = slot else { continue };
            match future.as_mut().poll(cx) {
                Poll::Ready(Ok(())) => *slot = None,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => done = false,
            }
        }
        if done {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await
}
