//! The dead-letter side of [`SqsQueue`]: moving a message to the DLQ, peeking at it, requeueing
//! and dropping what was peeked.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName};

use super::convert::{self, backend};
use super::leases::Lease;
use super::{SqsQueue, MAX_PER_CALL};
use crate::{DeadLetter, Error, Message};

/// Message attribute names on dead letters.
const REASON: &str = "reason";
const RECEIVE_COUNT: &str = "receive_count";
const FAILED_AT: &str = "failed_at";
/// Longest reason kept (SQS counts attributes against its message size limit).
const MAX_REASON_BYTES: usize = 4096;
/// How long peeked dead letters stay invisible while `dead_letters` pages through them.
const PEEK_VISIBILITY_SECS: i32 = 30;
/// Most dead letters one peek returns.
const MAX_PEEK: usize = 1000;
/// The reason shown for messages the redrive policy moved (they carry none).
const REDRIVEN: &str = "moved to the dead-letter queue by the SQS redrive policy";

/// Most dead letters remembered from peeks (beyond it, older peeks are forgotten).
const MAX_REMEMBERED: usize = 10_000;

/// The dead letters this process peeked at: any receipt it got → message id → body and the
/// newest receipt.
#[derive(Debug, Default)]
pub(super) struct PeekBook {
    inner: Mutex<Peeked>,
}

#[derive(Debug, Default)]
struct Peeked {
    message_ids: HashMap<String, String>,
    letters: HashMap<String, (String, String)>,
}

impl PeekBook {
    fn remember(&self, peeked: Vec<(String, String, String)>) {
        let mut book = self.lock();
        if book.letters.len() + peeked.len() > MAX_REMEMBERED {
            *book = Peeked::default();
        }
        for (message_id, receipt, body) in peeked {
            book.message_ids.insert(receipt.clone(), message_id.clone());
            book.letters.insert(message_id, (body, receipt));
        }
    }

    /// Takes the dead letter `dead_id` names: its message id, body and newest receipt.
    fn take(&self, dead_id: &str) -> Option<(String, String, String)> {
        let mut book = self.lock();
        let message_id = book.message_ids.get(dead_id)?.clone();
        let (body, receipt) = book.letters.remove(&message_id)?;
        book.message_ids.retain(|_, id| *id != message_id);
        Some((message_id, body, receipt))
    }

    fn put_back(&self, dead_id: &str, (message_id, body, receipt): (String, String, String)) {
        let mut book = self.lock();
        book.message_ids
            .insert(dead_id.to_owned(), message_id.clone());
        book.message_ids.insert(receipt.clone(), message_id.clone());
        book.letters.insert(message_id, (body, receipt));
    }

    fn lock(&self) -> MutexGuard<'_, Peeked> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SqsQueue {
    /// `SendMessage` to the DLQ, then `DeleteMessage` of the original (at-least-once: a crash
    /// in between leaves a duplicate in the DLQ, never a loss).
    /// Nothing moves when the lease is known to have expired (the message is someone else's).
    pub(super) async fn move_to_dead(&self, message: &Message, reason: &str) -> Result<(), Error> {
        if self.leases.check(&message.receipt) == Lease::Expired {
            return Ok(());
        }
        let reason = truncate(reason, MAX_REASON_BYTES);
        self.client
            .send_message()
            .queue_url(&self.dlq_url)
            .message_body(message.body.clone())
            .message_attributes(REASON, convert::string_attribute(reason)?)
            .message_attributes(
                RECEIVE_COUNT,
                convert::number_attribute(message.receive_count.into())?,
            )
            .message_attributes(
                FAILED_AT,
                convert::number_attribute(convert::unix_millis(SystemTime::now()))?,
            )
            .send()
            .await
            .map_err(|e| backend("SendMessage (dead-letter queue)", e))?;
        self.delete_from(&self.queue_url, &message.receipt).await?;
        self.leases.end(&message.receipt);
        Ok(())
    }

    /// Peeks at up to `limit` dead letters (oldest first); their ids are DLQ receipt handles.
    pub(super) async fn peek_dead(&self, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        let limit = limit.min(MAX_PEEK);
        let expected = self.queue_counts(&self.dlq_url).await?[0];
        let mut peeked = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..limit.div_ceil(MAX_PER_CALL) + 2 {
            if seen.len() >= limit {
                break;
            }
            // Long-poll (1 s) while SQS says more are there; then one short poll to be sure.
            let wait = i32::from((seen.len() as u64) < expected);
            let batch = self.receive_dead(limit - seen.len(), wait).await?;
            if batch.is_empty() {
                break;
            }
            seen.extend(
                batch
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned)),
            );
            peeked.extend(batch);
        }
        let receipts = peeked
            .iter()
            .filter_map(|m| m.receipt_handle().map(str::to_owned));
        self.unhide_dead(receipts.collect()).await;
        Ok(self.book_peeked(&peeked, limit))
    }

    /// Remembers what a peek saw; its dead letters, oldest first, with the newest receipts.
    fn book_peeked(&self, peeked: &[aws_sdk_sqs::types::Message], limit: usize) -> Vec<DeadLetter> {
        let mut letters = HashMap::new();
        let mut remembered = Vec::new();
        for m in peeked {
            let (Some(id), Some(receipt), Some(body)) =
                (m.message_id(), m.receipt_handle(), m.body())
            else {
                continue;
            };
            letters.insert(id, dead_letter(m, receipt, body));
            remembered.push((id.to_owned(), receipt.to_owned(), body.to_owned()));
        }
        self.peeked.remember(remembered);
        let mut letters: Vec<DeadLetter> = letters.into_values().collect();
        letters.sort_by_key(|l| l.failed_at);
        letters.truncate(limit);
        letters
    }

    async fn receive_dead(
        &self,
        max: usize,
        wait: i32,
    ) -> Result<Vec<aws_sdk_sqs::types::Message>, Error> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(convert::count(max.min(MAX_PER_CALL)))
            .wait_time_seconds(wait)
            .visibility_timeout(PEEK_VISIBILITY_SECS)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| backend("ReceiveMessage (dead-letter queue)", e))?;
        Ok(out.messages.unwrap_or_default())
    }

    /// Makes peeked dead letters visible again at once (failures only delay that by
    /// [`PEEK_VISIBILITY_SECS`], so they are logged, not returned).
    async fn unhide_dead(&self, receipts: Vec<String>) {
        for chunk in receipts.chunks(MAX_PER_CALL) {
            let entries: Result<Vec<_>, _> = chunk
                .iter()
                .enumerate()
                .map(|(i, receipt)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .build()
                })
                .collect();
            let Ok(entries) = entries else { continue };
            let result = self
                .client
                .change_message_visibility_batch()
                .queue_url(&self.dlq_url)
                .set_entries(Some(entries))
                .send()
                .await;
            if let Err(e) = result {
                let error = backend("ChangeMessageVisibilityBatch (dead-letter queue)", e);
                tracing::warn!(%error, "peeked dead letters stay hidden for a while");
            }
        }
    }

    /// Sends a peeked dead letter's body to the queue, then deletes it from the DLQ.
    pub(super) async fn requeue_dead(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(letter) = self.peeked.take(dead_id) else {
            return Ok(false);
        };
        let sent = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(letter.1.clone())
            .send()
            .await;
        if let Err(e) = sent {
            self.peeked.put_back(dead_id, letter);
            return Err(backend("SendMessage (requeue)", e));
        }
        if !self.delete_from(&self.dlq_url, &letter.2).await? {
            tracing::warn!("requeued dead letter stays in the DLQ: its receipt went stale");
        }
        Ok(true)
    }

    /// Deletes a peeked dead letter; `false` if this process did not peek it, already dropped
    /// or requeued it, or SQS calls its receipt stale.
    pub(super) async fn drop_dead_letter(&self, dead_id: &str) -> Result<bool, Error> {
        let Some(letter) = self.peeked.take(dead_id) else {
            return Ok(false);
        };
        match self.delete_from(&self.dlq_url, &letter.2).await {
            Ok(deleted) => Ok(deleted),
            Err(error) => {
                self.peeked.put_back(dead_id, letter);
                Err(error)
            }
        }
    }
}

/// A dead letter from a peeked DLQ message.
fn dead_letter(m: &aws_sdk_sqs::types::Message, receipt: &str, body: &str) -> DeadLetter {
    let reason = convert::user_attribute(m, REASON);
    let number = |name| convert::user_attribute(m, name).and_then(|v| v.parse::<u64>().ok());
    DeadLetter {
        id: receipt.to_owned(),
        body: body.to_owned(),
        reason: reason.unwrap_or(REDRIVEN).to_owned(),
        receive_count: number(RECEIVE_COUNT).map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        failed_at: number(FAILED_AT).map_or_else(|| convert::sent_at(m), convert::from_unix_millis),
    }
}

/// The longest prefix of `text` within `max` bytes, on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let end = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncate_keeps_characters_whole() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abc", 2), "ab");
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("", 0), "");
    }
}
