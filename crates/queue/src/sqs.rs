//! The AWS SQS backend, over the official `aws-sdk-sqs` crate.
//!
//! One standard (not FIFO) queue and its dead-letter queue. The [`Queue`] operations map onto
//! SQS calls one to one, except where SQS has no such call:
//!
//! | operation | SQS |
//! |---|---|
//! | `send` | `SendMessage` with `DelaySeconds` (rounded up, **clamped to 900 s**, the SQS maximum; a longer delay becomes 15 minutes, so producers that need more carry `not_before` in the envelope) |
//! | `send_batch` | `SendMessageBatch`, 10 entries and at most 256 KiB a call |
//! | `receive` | `ReceiveMessage`: at most 10, `WaitTimeSeconds` ≤ 20 (long polling), `VisibilityTimeout` = the lease rounded up to whole seconds (≤ 12 h) |
//! | `delete` | `DeleteMessage`; an invalid or stale receipt is `Ok` |
//! | `extend` / `release` | `ChangeMessageVisibility` (lease / delay); a stale receipt is `false` / `Ok` |
//! | `dead_letter` | `SendMessage` to the DLQ with message attributes `reason`, `receive_count`, `failed_at` (Unix ms), then `DeleteMessage` (nothing if the lease is known to have expired) |
//! | `dead_letters` | peek: `ReceiveMessage` on the DLQ, then `ChangeMessageVisibilityBatch` to 0 |
//! | `requeue` / `drop_dead` | `SendMessage` to the queue + `DeleteMessage` on the DLQ / `DeleteMessage` |
//! | `stats` | `GetQueueAttributes` on both queues |
//!
//! Design decisions and what they cost:
//!
//! - **Leases are also booked locally.** SQS cannot be relied on to refuse the receipt handle
//!   of an expired lease (moto accepts every handle a message ever had: it changes the
//!   visibility of, or deletes, a message someone else has leased since). So this process books
//!   the deadline of every lease it hands out and ends it on `delete`, `release` and
//!   `dead_letter`; a receipt past its deadline is stale without asking SQS: `delete` and
//!   `release` do nothing, `extend` answers `false`, `dead_letter` moves nothing. Receipts this
//!   process does not know (another process's, or ended over 15 minutes ago) are left to SQS
//!   to judge.
//! - **`dead_letter` is two calls**, send to the DLQ then delete from the queue. A crash between
//!   them leaves the message in both: a duplicate in the DLQ, never a loss.
//! - **A redrive policy backs the worker up.** With `create`, the queue gets a `RedrivePolicy`
//!   to its DLQ with `maxReceiveCount` = [`REDRIVE_MAX_RECEIVE_COUNT`], so a message that keeps
//!   crashing workers lands in the DLQ even if no worker lives to dead-letter it. Such dead
//!   letters carry no attributes; they are listed with a reason saying so, a `receive_count`
//!   of 0 (unknown) and, as `failed_at`, when they were first sent. Keep the worker's `max_attempts` below that number.
//! - **The DLQ can only be peeked.** SQS has no "list": `dead_letters` receives up to `limit`
//!   messages (invisible for a moment while it pages, then made visible again). Its answer is
//!   approximate: a message another client is peeking at is missed, and on real SQS, short
//!   polls sample a subset of servers. The ids of dead letters are DLQ receipt handles from
//!   *this process's peeks*; `requeue` and `drop_dead` take only those (others are "unknown",
//!   `false`), use the newest receipt this process got for that message, and each message can
//!   be requeued or dropped once. Another process (or a later peek elsewhere) receiving the same
//!   dead letter in between can make that receipt stale on real SQS: the drop then answers
//!   `false`, a requeue leaves a copy in the DLQ.
//! - `stats` come from SQS's approximate counters; `oldest_ready` is `None` (the age of the
//!   oldest message is a CloudWatch metric, not a queue attribute).
//!
//! Credentials come from the default AWS chain. With an `endpoint` (moto, LocalStack) and no
//! credentials found, static dummy ones are used.

mod convert;
mod dead;
mod leases;
mod setup;

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use aws_sdk_sqs::Client;

use crate::{BoxFuture, DeadLetter, Error, Message, Queue, Stats};
use convert::{backend, batches, is_stale_receipt, whole_seconds};
use leases::{Lease, LeaseBook};

/// The `maxReceiveCount` of the redrive policy set when queues are created.
pub const REDRIVE_MAX_RECEIVE_COUNT: u32 = 25;
/// SQS's longest `DelaySeconds`.
const MAX_DELAY_SECS: u32 = 900;
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECS: u32 = 43_200;
/// SQS's longest `WaitTimeSeconds`.
const MAX_WAIT_SECS: u32 = 20;
/// SQS's most messages per receive or batch call.
const MAX_PER_CALL: usize = 10;

/// Settings of the SQS backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsConfig {
    /// The queue's name or URL (a standard queue; FIFO queues are not supported).
    pub queue: String,
    /// The dead-letter queue's name or URL; `None` means `"<queue>-dlq"`.
    pub dead_letter_queue: Option<String>,
    /// The AWS region, such as `eu-central-1`.
    pub region: String,
    /// Another endpoint than AWS's, e.g. `http://127.0.0.1:5123` for moto.
    pub endpoint: Option<String>,
    /// Create the queues (and the redrive policy) if missing: for tests and development.
    pub create: bool,
}

impl SqsConfig {
    /// Settings for `queue` in `region`, with the default DLQ, AWS's endpoint and no creation.
    pub fn new(queue: impl Into<String>, region: impl Into<String>) -> SqsConfig {
        SqsConfig {
            queue: queue.into(),
            dead_letter_queue: None,
            region: region.into(),
            endpoint: None,
            create: false,
        }
    }
}

/// A [`Queue`] on AWS SQS (see the module documentation for the mapping and its limits).
#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dlq_url: String,
    leases: LeaseBook,
    peeked: dead::PeekBook,
}

impl SqsQueue {
    /// Connects (resolving or, with `create`, creating both queues).
    pub async fn connect(config: SqsConfig) -> Result<SqsQueue, Error> {
        let (client, queue_url, dlq_url) = setup::connect(&config).await?;
        Ok(SqsQueue {
            client,
            queue_url,
            dlq_url,
            leases: LeaseBook::default(),
            peeked: dead::PeekBook::default(),
        })
    }

    /// The URL of the queue.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The URL of the dead-letter queue.
    pub fn dead_letter_queue_url(&self) -> &str {
        &self.dlq_url
    }

    async fn send_one(&self, body: String, delay: Duration) -> Result<String, Error> {
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(whole_seconds(delay, MAX_DELAY_SECS))
            .send()
            .await
            .map_err(|e| backend("SendMessage", e))?;
        out.message_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Backend("SQS SendMessage: no MessageId in the answer".into()))
    }

    async fn send_many(&self, bodies: Vec<String>) -> Result<Vec<String>, Error> {
        let mut ids = Vec::with_capacity(bodies.len());
        for chunk in batches(bodies) {
            ids.extend(self.send_chunk(chunk).await?);
        }
        Ok(ids)
    }

    async fn send_chunk(&self, chunk: Vec<String>) -> Result<Vec<String>, Error> {
        let count = chunk.len();
        let entries = convert::batch_entries(chunk)?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| backend("SendMessageBatch", e))?;
        convert::batch_ids(count, out.successful(), out.failed())
    }

    async fn receive_some(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Message>, Error> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let visibility = whole_seconds(lease, MAX_VISIBILITY_SECS);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(convert::count(max.min(MAX_PER_CALL)))
            .wait_time_seconds(whole_seconds(wait, MAX_WAIT_SECS))
            .visibility_timeout(visibility)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| backend("ReceiveMessage", e))?;
        let until = Instant::now() + convert::secs(visibility);
        let messages: Vec<Message> = out.messages().iter().filter_map(convert::message).collect();
        self.leases
            .hold_all(messages.iter().map(|m| m.receipt.as_str()), until);
        Ok(messages)
    }

    async fn delete_one(&self, receipt: &str) -> Result<(), Error> {
        if self.leases.check(receipt) != Lease::Expired {
            self.delete_from(&self.queue_url, receipt).await?;
            self.leases.end(receipt);
        }
        Ok(())
    }

    /// `DeleteMessageBatch` in chunks of 10; receipts this process knows to be stale are
    /// skipped and entries SQS refuses as stale count as deleted (delete is idempotent).
    async fn delete_many(&self, receipts: Vec<String>) -> Result<(), Error> {
        let mut live: Vec<String> = receipts
            .into_iter()
            .filter(|r| self.leases.check(r) != Lease::Expired)
            .collect();
        // One entry per receipt: SQS refuses a batch that names a message twice.
        live.sort_unstable();
        live.dedup();
        for chunk in live.chunks(MAX_PER_CALL) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, receipt) in chunk.iter().enumerate() {
                let entry = DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .map_err(|e| Error::Backend(format!("DeleteMessageBatch: {e}")))?;
                entries.push(entry);
            }
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| backend("DeleteMessageBatch", e))?;
            if let Some(f) = out.failed().iter().find(|f| !convert::is_stale_entry(f)) {
                return Err(Error::Backend(format!(
                    "DeleteMessageBatch: {} ({})",
                    f.code(),
                    f.message().unwrap_or_default()
                )));
            }
            for receipt in chunk {
                self.leases.end(receipt);
            }
        }
        Ok(())
    }

    /// `DeleteMessage`; `Ok(false)` when SQS calls the receipt invalid or stale.
    async fn delete_from(&self, queue_url: &str, receipt: &str) -> Result<bool, Error> {
        let result = self
            .client
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(receipt)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_stale_receipt(&e) => Ok(false),
            Err(e) => Err(backend("DeleteMessage", e)),
        }
    }

    async fn extend_lease(&self, receipt: &str, lease: Duration) -> Result<bool, Error> {
        if self.leases.check(receipt) == Lease::Expired {
            return Ok(false);
        }
        let visibility = whole_seconds(lease, MAX_VISIBILITY_SECS);
        let held = self.change_visibility(receipt, visibility).await?;
        if held {
            self.leases
                .hold(receipt, Instant::now() + convert::secs(visibility));
        } else {
            self.leases.end(receipt);
        }
        Ok(held)
    }

    async fn release_lease(&self, receipt: &str, delay: Duration) -> Result<(), Error> {
        if self.leases.check(receipt) != Lease::Expired {
            let delay = whole_seconds(delay, MAX_VISIBILITY_SECS);
            self.change_visibility(receipt, delay).await?;
            self.leases.end(receipt);
        }
        Ok(())
    }

    /// `ChangeMessageVisibility` on the queue; `Ok(false)` when the receipt is stale.
    async fn change_visibility(&self, receipt: &str, seconds: i32) -> Result<bool, Error> {
        let result = self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_stale_receipt(&e) => Ok(false),
            Err(e) => Err(backend("ChangeMessageVisibility", e)),
        }
    }

    async fn counts(&self) -> Result<Stats, Error> {
        let (queue, dead) = tokio::join!(
            self.queue_counts(&self.queue_url),
            self.queue_counts(&self.dlq_url)
        );
        let [ready, in_flight, delayed] = queue?;
        let dead = dead?;
        Ok(Stats {
            ready,
            in_flight,
            delayed,
            dead: dead.iter().sum(),
            oldest_ready: None,
        })
    }

    /// Visible, not visible and delayed messages of one queue.
    async fn queue_counts(&self, queue_url: &str) -> Result<[u64; 3], Error> {
        let names = [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed,
        ];
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(queue_url)
            .set_attribute_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| backend("GetQueueAttributes", e))?;
        let attributes = out.attributes();
        Ok(names.map(|name| {
            attributes
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        }))
    }
}

impl Queue for SqsQueue {
    fn send(&self, body: String, delay: Duration) -> BoxFuture<'_, Result<String, Error>> {
        Box::pin(self.send_one(body, delay))
    }

    fn send_batch(&self, bodies: Vec<String>) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        Box::pin(self.send_many(bodies))
    }

    fn receive(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Message>, Error>> {
        Box::pin(self.receive_some(max, lease, wait))
    }

    fn delete(&self, receipt: &str) -> BoxFuture<'_, Result<(), Error>> {
        let receipt = receipt.to_owned();
        Box::pin(async move { self.delete_one(&receipt).await })
    }

    fn delete_batch(&self, receipts: Vec<String>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move { self.delete_many(receipts).await })
    }

    fn extend(&self, receipt: &str, lease: Duration) -> BoxFuture<'_, Result<bool, Error>> {
        let receipt = receipt.to_owned();
        Box::pin(async move { self.extend_lease(&receipt, lease).await })
    }

    fn release(&self, receipt: &str, delay: Duration) -> BoxFuture<'_, Result<(), Error>> {
        let receipt = receipt.to_owned();
        Box::pin(async move { self.release_lease(&receipt, delay).await })
    }

    fn dead_letter<'a>(
        &'a self,
        message: &'a Message,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.move_to_dead(message, reason))
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, Error>> {
        Box::pin(self.peek_dead(limit))
    }

    fn requeue(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        let dead_id = dead_id.to_owned();
        Box::pin(async move { self.requeue_dead(&dead_id).await })
    }

    fn drop_dead(&self, dead_id: &str) -> BoxFuture<'_, Result<bool, Error>> {
        let dead_id = dead_id.to_owned();
        Box::pin(async move { self.drop_dead_letter(&dead_id).await })
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, Error>> {
        Box::pin(self.counts())
    }
}
