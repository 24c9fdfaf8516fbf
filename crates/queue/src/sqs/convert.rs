//! Conversions between our types and the SDK's: seconds, batches, messages, errors.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, MessageAttributeValue, MessageSystemAttributeName,
    SendMessageBatchRequestEntry, SendMessageBatchResultEntry,
};

use super::MAX_PER_CALL;
use crate::{Error, Message};

/// SQS's largest batch payload (sum of the bodies).
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// A duration in whole seconds, rounded up (never early) and clamped to `max`.
pub(super) fn whole_seconds(duration: Duration, max: u32) -> i32 {
    let secs = duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0));
    let secs = secs.min(u64::from(max));
    i32::try_from(secs).unwrap_or(i32::MAX)
}

/// Seconds as given to SQS, back as a duration.
pub(super) fn secs(seconds: i32) -> Duration {
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// A count of messages for SQS (callers clamp it to 10).
pub(super) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Splits bodies into batches of at most 10 entries and 256 KiB (a larger body goes alone and
/// SQS refuses it).
pub(super) fn batches(bodies: Vec<String>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut bytes = 0;
    for body in bodies {
        let fits = out
            .last()
            .is_some_and(|last| last.len() < MAX_PER_CALL && bytes + body.len() <= MAX_BATCH_BYTES);
        if !fits {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += body.len();
        if let Some(last) = out.last_mut() {
            last.push(body);
        }
    }
    out
}

/// Batch entries with ids `"0"`, `"1"`, … (their positions).
pub(super) fn batch_entries(
    chunk: Vec<String>,
) -> Result<Vec<SendMessageBatchRequestEntry>, Error> {
    chunk
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| Error::Backend(format!("SQS SendMessageBatch: {e}")))
        })
        .collect()
}

/// The message ids of a batch in the order of its entries, or an error naming the failures.
pub(super) fn batch_ids(
    count: usize,
    successful: &[SendMessageBatchResultEntry],
    failed: &[BatchResultErrorEntry],
) -> Result<Vec<String>, Error> {
    if !failed.is_empty() {
        let codes: Vec<&str> = failed.iter().map(|f| f.code()).collect();
        return Err(Error::Backend(format!(
            "SQS SendMessageBatch: {} of {count} entries failed ({})",
            failed.len(),
            codes.join(", ")
        )));
    }
    let mut ids = vec![None; count];
    for entry in successful {
        if let Some(slot) = entry
            .id()
            .parse::<usize>()
            .ok()
            .and_then(|i| ids.get_mut(i))
        {
            *slot = Some(entry.message_id().to_owned());
        }
    }
    ids.into_iter()
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| Error::Backend("SQS SendMessageBatch: an entry is missing".into()))
}

/// Our message from SQS's (`None` without an id, receipt or body, which SQS always sends).
pub(super) fn message(m: &aws_sdk_sqs::types::Message) -> Option<Message> {
    let receive_count = system_attribute(m, MessageSystemAttributeName::ApproximateReceiveCount)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    Some(Message {
        id: m.message_id()?.to_owned(),
        receipt: m.receipt_handle()?.to_owned(),
        body: m.body()?.to_owned(),
        receive_count,
        sent_at: sent_at(m),
    })
}

/// When SQS first got the message (`SentTimestamp`), or now if it did not say.
pub(super) fn sent_at(m: &aws_sdk_sqs::types::Message) -> SystemTime {
    system_attribute(m, MessageSystemAttributeName::SentTimestamp)
        .and_then(|v| v.parse().ok())
        .map_or_else(SystemTime::now, from_unix_millis)
}

fn system_attribute(
    m: &aws_sdk_sqs::types::Message,
    name: MessageSystemAttributeName,
) -> Option<&str> {
    m.attributes()?.get(&name).map(String::as_str)
}

/// A message attribute's value, if it is there.
pub(super) fn user_attribute<'a>(
    m: &'a aws_sdk_sqs::types::Message,
    name: &str,
) -> Option<&'a str> {
    m.message_attributes()?.get(name)?.string_value()
}

/// A `String` message attribute.
pub(super) fn string_attribute(value: &str) -> Result<MessageAttributeValue, Error> {
    attribute("String", value)
}

/// A `Number` message attribute.
pub(super) fn number_attribute(value: u128) -> Result<MessageAttributeValue, Error> {
    attribute("Number", &value.to_string())
}

fn attribute(data_type: &str, value: &str) -> Result<MessageAttributeValue, Error> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| Error::Backend(format!("SQS message attribute: {e}")))
}

/// Milliseconds since the Unix epoch.
pub(super) fn unix_millis(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// The time `millis` after the Unix epoch.
pub(super) fn from_unix_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

/// `Error::Backend` naming the SQS call, with the SDK error's display (never a body).
pub(super) fn backend<E, R>(operation: &str, error: SdkError<E, R>) -> Error
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Error::Backend(format!("SQS {operation}: {}", DisplayErrorContext(&error)))
}

/// Whether SQS refused a receipt handle as invalid, or as no longer leased.
pub(super) fn is_stale_receipt<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    let Some(service) = error.as_service_error() else {
        return false;
    };
    is_stale_code(service.code(), service.message())
}

/// Whether a failed entry of a batch call refused a stale or invalid receipt.
pub(super) fn is_stale_entry(entry: &aws_sdk_sqs::types::BatchResultErrorEntry) -> bool {
    is_stale_code(Some(entry.code()), entry.message())
}

fn is_stale_code(code: Option<&str>, message: Option<&str>) -> bool {
    match code {
        Some("ReceiptHandleIsInvalid" | "MessageNotInflight" | "InvalidReceiptHandle") => true,
        Some(code) if code.ends_with(".MessageNotInflight") => true,
        // Real SQS: "Value … for parameter ReceiptHandle is invalid. Reason: Message does not
        // exist or is not available for visibility timeout change."
        Some("InvalidParameterValue") => {
            message.is_some_and(|m| m.contains("ReceiptHandle") || m.contains("receipt handle"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_round_up_and_clamp() {
        assert_eq!(whole_seconds(Duration::ZERO, 900), 0);
        assert_eq!(whole_seconds(Duration::from_millis(1), 900), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500), 900), 2);
        assert_eq!(whole_seconds(Duration::from_secs(3), 900), 3);
        assert_eq!(whole_seconds(Duration::from_secs(3600), 900), 900);
        assert_eq!(whole_seconds(Duration::MAX, 43_200), 43_200);
    }

    #[test]
    fn batches_keep_order_and_limits() {
        let bodies: Vec<String> = (0..23).map(|i| i.to_string()).collect();
        let chunks = batches(bodies.clone());
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
        assert_eq!(chunks.concat(), bodies);

        let big = "x".repeat(100 * 1024);
        let chunks = batches(vec![big.clone(), big.clone(), big.clone(), "y".into()]);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
        assert!(batches(Vec::new()).is_empty());
    }

    #[test]
    fn batch_ids_follow_entry_ids() {
        let entry = |id: &str, message_id: &str| {
            SendMessageBatchResultEntry::builder()
                .id(id)
                .message_id(message_id)
                .md5_of_message_body("")
                .build()
                .expect("entry")
        };
        let ids = batch_ids(2, &[entry("1", "b"), entry("0", "a")], &[]).expect("ids");
        assert_eq!(ids, ["a", "b"]);
        assert!(batch_ids(2, &[entry("0", "a")], &[]).is_err());
    }
}
